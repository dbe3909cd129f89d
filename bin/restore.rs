//! `restore BACKUP_FILE`: see `restore --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::restore::Restore>()
}
