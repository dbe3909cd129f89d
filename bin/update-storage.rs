//! `update-storage`: runs the `glutil` program beside it as `update-storage` (see
//! `update-storage --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("update-storage")
}
