//! `delete-bad DATABASE TABLE`: see `delete-bad --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::cleanup::DeleteBad>()
}
