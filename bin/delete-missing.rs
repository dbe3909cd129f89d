//! `delete-missing`: runs the `glutil` program beside it as `delete-missing` (see
//! `delete-missing --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("delete-missing")
}
