//! The named commands (`partitioner`, `list-missing`, ...) are each a few
//! hundred kilobytes: all they do is run the one `glutil` program that sits
//! in the same folder, as that command. `glutil` knows which command it is
//! from the name it is started under, so `partitioner ARGS` behaves exactly
//! as it always has: same arguments, output, exit codes and signals (on
//! Unix the launcher replaces itself with `glutil`, so Ctrl-C reaches it
//! directly). Every command's code lives once, in `glutil`.
//!
//! This crate depends on nothing but the standard library, so a launcher
//! links nothing else.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Exit code when `glutil` cannot be found or started: bad installation,
/// which the commands report as bad input (2).
pub const EXIT_NOT_FOUND: u8 = 2;

/// The `glutil` program beside `launcher` (the named command's own path).
pub fn glutil_beside(launcher: &Path) -> PathBuf {
    let name = format!("glutil{}", std::env::consts::EXE_SUFFIX);
    match launcher.parent() {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    }
}

/// Runs `glutil` as `command` with this process's arguments, and ends with
/// its exit code. When `glutil` is not beside this program, says which file
/// it looked for and exits with 2.
pub fn launch(command: &str) -> ExitCode {
    let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from(command));
    let glutil = glutil_beside(&me);
    if !glutil.is_file() {
        eprintln!(
            "error: {command} runs the glutil program, which should be at {}, but is not there; install both together (cargo install --path . --locked), or put glutil next to {command}",
            glutil.display()
        );
        return ExitCode::from(EXIT_NOT_FOUND);
    }
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    run(&glutil, command, &args)
}

#[cfg(unix)]
fn run(glutil: &Path, command: &str, args: &[OsString]) -> ExitCode {
    use std::os::unix::process::CommandExt;
    // Only returns when the exec failed.
    let err = Command::new(glutil).arg0(command).args(args).exec();
    eprintln!(
        "error: {command} could not start {}: {err}",
        glutil.display()
    );
    ExitCode::from(EXIT_NOT_FOUND)
}

#[cfg(not(unix))]
fn run(glutil: &Path, command: &str, args: &[OsString]) -> ExitCode {
    // No exec: run glutil's command and pass its exit code on.
    match Command::new(glutil).arg(command).args(args).status() {
        Ok(status) => ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(err) => {
            eprintln!(
                "error: {command} could not start {}: {err}",
                glutil.display()
            );
            ExitCode::from(EXIT_NOT_FOUND)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glutil_is_looked_for_beside_the_launcher() {
        let found = glutil_beside(Path::new("/opt/bin/partitioner"));
        assert_eq!(
            found,
            PathBuf::from(format!("/opt/bin/glutil{}", std::env::consts::EXE_SUFFIX))
        );
    }
}
