//! `update-storage DATABASE TABLE`: see `update-storage --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::repair::UpdateStorage>()
}
