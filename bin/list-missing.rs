//! `list-missing`: runs the `glutil` program beside it as `list-missing` (see
//! `list-missing --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("list-missing")
}
