//! `drop-table`: runs the `glutil` program beside it as `drop-table` (see
//! `drop-table --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("drop-table")
}
