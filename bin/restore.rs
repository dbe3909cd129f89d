//! `restore`: runs the `glutil` program beside it as `restore` (see
//! `restore --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("restore")
}
