//! `delete-all DATABASE TABLE`: see `delete-all --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::cleanup::DeleteAll>()
}
