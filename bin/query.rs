//! `query SQL | --file FILE | --id ID`: see `query --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::query::Query>()
}
