//! `delete-missing DATABASE TABLE`: see `delete-missing --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::cleanup::DeleteMissing>()
}
