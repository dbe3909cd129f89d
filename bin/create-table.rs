//! `create-table`: runs the `glutil` program beside it as `create-table` (see
//! `create-table --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("create-table")
}
