//! `delete-all`: runs the `glutil` program beside it as `delete-all` (see
//! `delete-all --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("delete-all")
}
