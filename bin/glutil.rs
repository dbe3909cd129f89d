//! `glutil COMMAND ...`: every command behind one front door; see
//! `glutil --help`.

fn main() -> std::process::ExitCode {
    glutil_cli::main_for::<glutil_cli::front::Glutil>()
}
