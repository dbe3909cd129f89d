//! `delete-bad`: runs the `glutil` program beside it as `delete-bad` (see
//! `delete-bad --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("delete-bad")
}
