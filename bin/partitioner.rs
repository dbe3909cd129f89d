//! `partitioner`: runs the `glutil` program beside it as `partitioner` (see
//! `partitioner --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("partitioner")
}
