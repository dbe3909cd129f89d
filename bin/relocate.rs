//! `relocate`: runs the `glutil` program beside it as `relocate` (see
//! `relocate --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("relocate")
}
