//! `create-table DATABASE TABLE LOCATION`: see `create-table --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::create_table::CreateTable>()
}
