//! Writing results to stdout as text or JSON. Every write returns its I/O
//! error so that a closed pipe ends the program quietly instead of
//! panicking.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};

use crate::args::{OutputFormat, RunArgs};

/// Where and how a command reports.
#[derive(Debug, Clone)]
pub struct Output {
    /// Text or JSON.
    pub format: OutputFormat,
    /// Summary only.
    pub quiet: bool,
    /// Extra detail on stderr.
    pub verbose: u8,
}

impl Output {
    /// From the shared run arguments.
    pub fn new(run: &RunArgs) -> Self {
        Self {
            format: run.output,
            quiet: run.quiet,
            verbose: run.verbose,
        }
    }

    /// A buffered stdout; call `flush` (or let `write_text` do it).
    pub fn stdout() -> BufWriter<io::StdoutLock<'static>> {
        BufWriter::new(io::stdout().lock())
    }

    /// Writes one JSON document and a newline.
    pub fn write_json<T: serde::Serialize>(&self, value: &T) -> io::Result<()> {
        let mut out = Self::stdout();
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
        out.flush()
    }

    /// A note on stderr when `-v` was given.
    pub fn verbose(&self, message: impl std::fmt::Display) {
        if self.verbose > 0 {
            eprintln!("{message}");
        }
    }

    /// Request counts on stderr when `-v` was given.
    pub fn request_counts(&self, counts: &BTreeMap<String, u64>) {
        if self.verbose > 0 {
            let line: Vec<String> = counts.iter().map(|(k, v)| format!("{k}={v}")).collect();
            eprintln!("requests: {}", line.join(" "));
        }
    }
}

/// One line per partition a write could not change, with Glue's reason.
pub fn write_failures(
    out: &mut impl Write,
    failed: &[glutil::catalog::PartitionFailure],
) -> io::Result<()> {
    for f in failed {
        writeln!(
            out,
            "failed {}: {}: {}",
            values_text(&f.values),
            f.code,
            f.message
        )?;
    }
    Ok(())
}

/// The summary line of a run stopped by Ctrl-C; nothing otherwise.
pub fn write_not_attempted(out: &mut impl Write, not_attempted: u64) -> io::Result<()> {
    if not_attempted > 0 {
        writeln!(out, "  not attempted: {not_attempted} (interrupted)")?;
    }
    Ok(())
}

/// Partition values for people: `[2019, 01, 02, 03]`.
pub fn values_text(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}
