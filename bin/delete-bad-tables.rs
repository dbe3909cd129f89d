//! `delete-bad-tables DATABASE`: see `delete-bad-tables --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::repair::DeleteBadTables>()
}
