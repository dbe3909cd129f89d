//! `gaps DATABASE TABLE --every hour|day`: see `gaps --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::gaps::GapsArgs>()
}
