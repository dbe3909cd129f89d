//! `list-missing DATABASE TABLE`: see `list-missing --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::cleanup::ListMissing>()
}
