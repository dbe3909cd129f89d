//! `projection`: runs the `glutil` program beside it as `projection` (see
//! `projection --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("projection")
}
