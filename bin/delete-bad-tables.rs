//! `delete-bad-tables`: runs the `glutil` program beside it as `delete-bad-tables` (see
//! `delete-bad-tables --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("delete-bad-tables")
}
