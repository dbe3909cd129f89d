//! `query`: runs the `glutil` program beside it as `query` (see
//! `query --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("query")
}
