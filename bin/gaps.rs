//! `gaps`: runs the `glutil` program beside it as `gaps` (see
//! `gaps --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("gaps")
}
