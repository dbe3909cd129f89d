//! `partitioner DATABASE TABLE`: see `partitioner --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::partitioner::Args>()
}
