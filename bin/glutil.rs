//! `glutil COMMAND ...`: every command behind one front door; see
//! `glutil --help`. Started under a command's name (`partitioner`, by its
//! launcher or a link), it is that command.

fn main() -> std::process::ExitCode {
    glutil_cli::front::multicall()
}
