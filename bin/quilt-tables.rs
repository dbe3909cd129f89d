//! `quilt-tables BUCKET --database D`: see `quilt-tables --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::quilt::QuiltTables>()
}
