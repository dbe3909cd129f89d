//! `update-partitions`: runs the `glutil` program beside it as `update-partitions` (see
//! `update-partitions --help`); all the code is in `glutil`.

fn main() -> std::process::ExitCode {
    glutil_launcher::launch("update-partitions")
}
