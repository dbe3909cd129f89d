//! The command-line side of glutil: argument definitions shared by every
//! binary, output in text or JSON, progress bars, and the mapping from
//! errors to exit codes. Each binary in `bin/` is one call into here.

pub mod args;
pub mod backup;
pub mod commands;
pub mod credentials;
pub mod driver;
pub mod front;
pub mod help;
pub mod man;
pub mod many;
pub mod output;
pub mod progress;
pub mod results;
pub mod session;

use std::future::Future;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code: done, or nothing to do.
pub const EXIT_OK: u8 = 0;
/// Exit code: some changes failed, or AWS returned an error.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: bad usage or bad input (unknown database or table, a location
/// that is not in S3, a missing bucket, an invalid option).
pub const EXIT_BAD_INPUT: u8 = 2;

/// Exit code: `list-missing --fail-if-any` found missing partitions.
pub const EXIT_FOUND: u8 = 3;

/// Exit code: stopped by Ctrl-C after the batches in flight (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// `--debug`: error messages also show the SDK's own account of a failure.
static DEBUG: AtomicBool = AtomicBool::new(false);

/// Turns the SDK's account of failures in error messages on or off.
pub fn set_debug(on: bool) {
    DEBUG.store(on, Ordering::Relaxed);
}

/// Set once AWS refused the credentials: nothing more is worth sending.
static CREDENTIALS_REFUSED: AtomicBool = AtomicBool::new(false);

/// Notes that AWS refused the credentials: a run over several tables starts
/// no more tables, and the run ends with exit 2.
pub fn refuse_credentials() {
    CREDENTIALS_REFUSED.store(true, Ordering::SeqCst);
}

/// True once AWS refused the credentials in this run.
pub fn credentials_refused() -> bool {
    CREDENTIALS_REFUSED.load(Ordering::SeqCst)
}

/// An error for people: the whole chain in one line, and for refused
/// credentials which ones they were and how to refresh them.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut text = format!("{err:#}");
    if err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<glutil::Error>(),
            Some(glutil::Error::Credentials { .. })
        )
    }) {
        refuse_credentials();
        text.push_str("; ");
        text.push_str(&credentials::credentials_hint());
    }
    text
}

/// Prints an error on stderr, with the SDK's own account under `--debug`.
pub fn print_error(err: &anyhow::Error) {
    eprintln!("error: {}", error_text(err));
    if DEBUG.load(Ordering::Relaxed) {
        for cause in err.chain() {
            if let Some(detail) = cause
                .downcast_ref::<glutil::Error>()
                .and_then(glutil::Error::debug_detail)
            {
                eprintln!("debug: {detail}");
            }
        }
    }
}

/// One command: its arguments parse with clap, and running it yields an
/// exit code or an error.
pub trait Command: clap::Parser {
    /// Runs the command.
    fn run(self) -> impl Future<Output = anyhow::Result<u8>>;
}

/// The whole life of a binary: parse arguments (clap exits with 2 on bad
/// usage), run on a Tokio runtime, print the error chain on failure, and
/// turn the outcome into an exit code. A closed stdout pipe
/// (`list-missing ... | head`) ends quietly with 0.
pub fn main_for<C: Command>() -> ExitCode {
    let command = C::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    // The first Ctrl-C lets the batches in flight finish and sends no more;
    // a second one quits at once.
    runtime.spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            progress::request_stop();
            eprintln!("{}", progress::interrupt_note());
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        }
    });
    match runtime.block_on(command.run()) {
        Ok(_) if progress::stop_requested() => ExitCode::from(EXIT_INTERRUPTED),
        Ok(_) if credentials_refused() => ExitCode::from(EXIT_BAD_INPUT),
        Ok(code) => ExitCode::from(code),
        Err(err) if is_broken_pipe(&err) => ExitCode::from(EXIT_OK),
        Err(err) => {
            print_error(&err);
            ExitCode::from(exit_code_for(&err))
        }
    }
}

/// 0 when every change went through, 1 when some failed.
pub fn exit_status(some_failed: bool) -> u8 {
    if some_failed {
        EXIT_FAILURE
    } else {
        EXIT_OK
    }
}

/// 2 for errors in what the user asked for, 1 for everything else.
pub fn exit_code_for(err: &anyhow::Error) -> u8 {
    let bad_input = err.chain().any(|cause| {
        cause
            .downcast_ref::<glutil::Error>()
            .is_some_and(glutil::Error::is_bad_input)
    });
    if bad_input {
        EXIT_BAD_INPUT
    } else {
        EXIT_FAILURE
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_maps_to_2_and_aws_failures_to_1() {
        let bad = anyhow::Error::new(glutil::Error::DatabaseNotFound {
            database: "db".into(),
        })
        .context("reading the table");
        assert_eq!(exit_code_for(&bad), EXIT_BAD_INPUT);
        let aws = anyhow::Error::new(glutil::Error::Glue {
            operation: "GetTable",
            target: "db.t".into(),
            failure: Box::new(glutil::aws::AwsFailure::local(
                glutil::aws::FailureKind::Retryable,
                "ThrottlingException",
                "Rate exceeded",
            )),
        });
        assert_eq!(exit_code_for(&aws), EXIT_FAILURE);
    }

    #[test]
    fn broken_pipe_is_recognised_through_context() {
        let err = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("writing the plan");
        assert!(is_broken_pipe(&err));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
