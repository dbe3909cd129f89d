//! `quilt-tables`: runs the `glutil` program beside it as `quilt-tables` (see
//! `quilt-tables --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("quilt-tables")
}
