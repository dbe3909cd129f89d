//! `update-partitions DATABASE TABLE`: see `update-partitions --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::commands::repair::UpdatePartitions>()
}
