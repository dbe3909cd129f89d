//! Writing results to stdout as text or JSON. Every command's result is a
//! [`Report`]: lines for people, a summary whose columns align themselves,
//! and a JSON document for scripts. Every write returns its I/O error so
//! that a closed pipe ends the program quietly instead of panicking.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use glutil::model::outcome::{Failure, Outcome, StopReason, Stopped};
use glutil::model::{S3Location, Table};

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

    /// Prints a report as text or JSON, then its warning on stderr.
    pub fn print(&self, report: &Report) -> io::Result<()> {
        let mut out = BufWriter::new(io::stdout().lock());
        match &report.view {
            View::Json(json) => writeln!(out, "{json}")?,
            View::Text(text) => text.write(&mut out, self)?,
        }
        out.flush()?;
        report.print_warnings();
        Ok(())
    }
}

/// What a run did besides its plan: whether it wrote, where the backup
/// went, what its writes did and the requests it took.
#[derive(Debug)]
pub struct Run<O> {
    /// Nothing was written.
    pub dry_run: bool,
    /// The backup file, when one was written.
    pub backup: Option<PathBuf>,
    /// What the writes did (the default when nothing was written).
    pub outcome: O,
    /// Requests sent, by service and operation.
    pub requests: BTreeMap<String, u64>,
    /// The command can write, so its JSON names the backup (even if none).
    pub writes: bool,
    /// The report goes out as JSON (`--output json`), not as text.
    pub json: bool,
    /// One table of a run over several: the backup and the requests belong
    /// to the whole run and are reported once, after the totals.
    pub one_of_many: bool,
    /// What the user should know about the table (its projection), on
    /// stderr and in JSON under `warnings`.
    pub warnings: Vec<String>,
}

impl<O> Run<O> {
    /// ` (dry run)` for titles, or nothing.
    pub fn mode(&self) -> &'static str {
        if self.dry_run {
            " (dry run)"
        } else {
            ""
        }
    }

    /// The summary value of a count shown only after real writes.
    pub fn written(&self, count: impl ToString) -> Option<String> {
        (!self.dry_run).then(|| count.to_string())
    }
}

/// A command's result, ready to print.
#[derive(Debug)]
pub struct Report {
    /// The view `--output` asked for; only that one is built.
    pub view: View,
    /// A line for stderr after the report, if any.
    pub warning: Option<String>,
    /// Warnings about the table, each a line on stderr (and in the JSON).
    pub warnings: Vec<String>,
    /// Why the command refused to write, a line on stderr after the report.
    pub error: Option<String>,
    /// The exit code.
    pub exit: u8,
}

/// A report for people or for scripts.
#[derive(Debug)]
pub enum View {
    /// Lines and an aligned summary.
    Text(Text),
    /// One JSON document, rendered.
    Json(String),
}

/// Every JSON report: the command's own fields, then the backup (for
/// commands that write) and the requests.
#[derive(serde::Serialize)]
struct Envelope<'a, B> {
    #[serde(flatten)]
    body: &'a B,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    warnings: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    backup: Option<Option<&'a Path>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    requests: Option<&'a BTreeMap<String, u64>>,
}

impl Report {
    /// A report from the command's JSON body or its text (whichever
    /// `--output` asked for; the other is never built), with the backup and
    /// the requests of `run` added.
    pub fn new<B: serde::Serialize, O>(
        body: &B,
        text: impl FnOnce() -> Text,
        run: &Run<O>,
    ) -> io::Result<Self> {
        let view = if run.json {
            View::Json(serde_json::to_string_pretty(&Envelope {
                body,
                warnings: &run.warnings,
                backup: (run.writes && !run.one_of_many).then_some(run.backup.as_deref()),
                requests: (!run.one_of_many).then_some(&run.requests),
            })?)
        } else {
            let mut text = text();
            if !run.one_of_many {
                let backup = run.backup.as_ref().map(|p| p.display().to_string());
                text.rows.push(Row::field("backup", backup));
            }
            text.dry_run = run.dry_run;
            View::Text(text)
        };
        Ok(Self {
            view,
            warning: None,
            warnings: run.warnings.clone(),
            error: None,
            exit: crate::EXIT_OK,
        })
    }

    /// The report of a run of batched writes: exit 1 when some failed or
    /// an error stopped them (2 for refused credentials).
    pub fn of_writes<B: serde::Serialize>(
        body: &B,
        text: impl FnOnce() -> Text,
        run: &Run<Outcome>,
    ) -> io::Result<Self> {
        let failed = !run.outcome.failed.is_empty();
        let report = Self::new(body, text, run)?.exit(crate::exit_status(failed));
        Ok(report.stopped(run.outcome.stopped.as_ref(), run.outcome.not_attempted))
    }

    /// The same report for writes an error stopped: the warning says why
    /// and what to do, and the exit code is 1 (2 for credentials).
    pub fn stopped(self, stopped: Option<&Stopped>, not_attempted: u64) -> Self {
        match stopped {
            Some(stopped) => {
                let (warning, exit) = stop_warning(stopped, not_attempted);
                Self {
                    warning: Some(warning),
                    exit: exit.max(self.exit),
                    ..self
                }
            }
            None => self,
        }
    }

    /// Its warnings on stderr, one line each.
    pub fn print_warnings(&self) {
        for warning in self.warnings.iter().chain(&self.warning) {
            eprintln!("warning: {warning}");
        }
        if let Some(error) = &self.error {
            eprintln!("error: {error}");
        }
    }

    /// The same report with another exit code.
    pub fn exit(self, exit: u8) -> Self {
        Self { exit, ..self }
    }
}

/// What the report of a write to one table starts with, in JSON and in its
/// title.
#[derive(Debug, serde::Serialize)]
pub struct TableHead<'a> {
    /// The command.
    pub command: &'static str,
    /// Nothing was written.
    pub dry_run: bool,
    /// The table's database.
    pub database: &'a str,
    /// The table.
    pub table: &'a str,
    /// The table's location.
    pub location: &'a S3Location,
    /// Catalog partitions examined.
    pub examined: u64,
}

impl<'a> TableHead<'a> {
    /// The head for `command` on `table`.
    pub fn new<O>(command: &'static str, table: &'a Table, run: &Run<O>, examined: u64) -> Self {
        Self {
            command,
            database: &table.database,
            table: &table.name,
            location: &table.location,
            dry_run: run.dry_run,
            examined,
        }
    }

    /// `delete-bad db.table at s3://bucket/table/ (dry run)`.
    pub fn title(&self) -> String {
        let mode = if self.dry_run { " (dry run)" } else { "" };
        format!(
            "{} {}.{} at {}{mode}",
            self.command, self.database, self.table, self.location
        )
    }
}

/// The text view: lines about single partitions or tables, a title, and the
/// summary.
#[derive(Debug, Default)]
pub struct Text {
    /// What the plan changes, one line each: shown in a dry run and with
    /// `-v` (a big real run does not bury its summary).
    pub planned: Vec<String>,
    /// Lines shown on every run but a quiet one: conflicts, partitions left
    /// alone, failures.
    pub always: Vec<String>,
    /// The summary's first line.
    pub title: String,
    /// The summary, one row a line.
    pub rows: Vec<Row>,
    /// Where the values start, at least (see [`Text::write`]).
    pub min_width: usize,
    /// The run wrote nothing: list the planned lines.
    pub dry_run: bool,
}

/// One summary line.
#[derive(Debug, Clone)]
pub enum Row {
    /// `label: value`, aligned with the other fields. A field without a
    /// value is not printed, but still counts for the alignment, so a dry
    /// run and a real run line up the same.
    Field(String, Option<String>),
    /// `    label: value`: a detail of the field above, not aligned.
    Detail(String, String),
    /// A line of its own (`not attempted: 3 (interrupted)`).
    Note(String),
}

impl Row {
    /// A field; `None` hides it.
    pub fn field(label: &str, value: Option<impl ToString>) -> Self {
        Row::Field(label.to_string(), value.map(|v| v.to_string()))
    }

    /// A field that is always shown.
    pub fn shown(label: &str, value: impl ToString) -> Self {
        Row::field(label, Some(value))
    }
}

impl Text {
    /// Writes the view: the planned lines (dry run or `-v`) and the other
    /// lines unless `-q`, then the title and the summary, whose values start
    /// one space after the longest label.
    pub fn write(&self, out: &mut impl Write, output: &Output) -> io::Result<()> {
        if !output.quiet {
            if self.dry_run || output.verbose > 0 {
                for line in &self.planned {
                    writeln!(out, "{line}")?;
                }
            }
            for line in &self.always {
                writeln!(out, "{line}")?;
            }
        }
        writeln!(out, "{}", self.title)?;
        let width = self
            .rows
            .iter()
            .filter_map(|row| match row {
                Row::Field(label, _) => Some(label.len() + 2),
                _ => None,
            })
            .max()
            .unwrap_or(0)
            .max(self.min_width);
        for row in &self.rows {
            match row {
                Row::Field(label, Some(value)) => {
                    let label = format!("{label}:");
                    writeln!(out, "  {label:<width$}{value}")?;
                }
                Row::Field(_, None) => {}
                Row::Detail(label, value) => writeln!(out, "    {label}: {value}")?,
                Row::Note(note) => writeln!(out, "  {note}")?,
            }
        }
        Ok(())
    }
}

/// Summary rows for counts, labelled by their JSON names with spaces for
/// underscores (`already_present` reads `already present`): one
/// vocabulary for text, JSON and the totals of a run over several tables.
pub fn count_rows(counts: &[(&'static str, u64)]) -> Vec<Row> {
    counts
        .iter()
        .map(|(name, value)| Row::shown(&name.replace('_', " "), value))
        .collect()
}

/// The totals an update's writes add to a run over several tables (none
/// in a dry run).
pub fn update_counts(run: &Run<glutil::model::outcome::Outcome>) -> Vec<(&'static str, u64)> {
    if run.dry_run {
        return Vec::new();
    }
    vec![
        ("updated", run.outcome.applied),
        ("failed", run.outcome.failed.len() as u64),
    ]
}

/// The counts of a delete: what was planned (`planned`), then, unless it
/// was a dry run, `deleted`, `already_gone` and `failed`.
pub fn delete_counts(
    mut planned: Vec<(&'static str, u64)>,
    outcome: &glutil::model::outcome::Outcome,
    dry_run: bool,
) -> Vec<(&'static str, u64)> {
    if !dry_run {
        planned.extend([
            ("deleted", outcome.applied),
            ("already_gone", outcome.already_done),
            ("failed", outcome.failed.len() as u64),
        ]);
    }
    planned
}

/// The rows every write summary ends with: failures, the error that
/// stopped the writes (if one did), and what was left unsent.
pub fn outcome_rows(
    failed: Option<impl ToString>,
    not_attempted: u64,
    stopped: Option<&Stopped>,
) -> Vec<Row> {
    let mut rows = vec![Row::field("failed", failed)];
    rows.extend(stop_rows(not_attempted, stopped));
    rows
}

/// What an interrupted or stopped write left: the error that stopped it,
/// and how many were not sent.
pub fn stop_rows(not_attempted: u64, stopped: Option<&Stopped>) -> Vec<Row> {
    let mut rows = vec![Row::field("stopped", stopped)];
    if not_attempted > 0 {
        let why = if stopped.is_some() {
            "not sent after the error that stopped the writes"
        } else {
            "interrupted"
        };
        rows.push(Row::Note(format!("not attempted: {not_attempted} ({why})")));
    }
    rows
}

/// What a stopped write says on stderr, and its exit code: 2 when AWS
/// refused the credentials, else 1.
pub fn stop_warning(stopped: &Stopped, not_attempted: u64) -> (String, u8) {
    let rest = if not_attempted > 0 {
        format!("; {not_attempted} were not sent")
    } else {
        String::new()
    };
    if stopped.reason == StopReason::Credentials {
        crate::refuse_credentials();
        let hint = crate::credentials::credentials_hint();
        return (
            format!("writes stopped: AWS refused the credentials ({stopped}){rest}; {hint}"),
            crate::EXIT_BAD_INPUT,
        );
    }
    let fix = match stopped.reason {
        StopReason::AccessDenied => {
            "grant that action on that resource, then run again: a rerun sends only what is left"
        }
        StopReason::NotFound => "the table or database is gone: check who dropped it",
        StopReason::Quota => {
            "raise the quota (Service Quotas) or delete what is no longer needed, then run again"
        }
        StopReason::Credentials => "",
    };
    (
        format!("writes stopped: {stopped}{rest}; {fix}"),
        crate::EXIT_FAILURE,
    )
}

/// One line per partition or table a write could not change, with Glue's
/// reason. Three or more partitions in a row that failed for the same
/// reason (a whole batch refused) share one line.
pub fn failure_lines(failed: &[Failure]) -> std::vec::IntoIter<String> {
    let same = |a: &Failure, b: &Failure| {
        a.name.is_none() && b.name.is_none() && a.code == b.code && a.message == b.message
    };
    let line = |f: &Failure| match &f.name {
        Some(name) => format!("failed table {name}: {}: {}", f.code, f.message),
        None => format!(
            "failed {}: {}: {}",
            values_text(&f.values),
            f.code,
            f.message
        ),
    };
    let mut lines = Vec::new();
    let mut rest = failed;
    while let Some(first) = rest.first() {
        let run = rest.iter().take_while(|f| same(first, f)).count().max(1);
        let (group, after) = rest.split_at(run);
        rest = after;
        if group.len() >= 3 {
            lines.push(format!(
                "failed {} partitions from {} to {}: {}: {}",
                group.len(),
                values_text(&first.values),
                values_text(&group[group.len() - 1].values),
                first.code,
                first.message
            ));
        } else {
            lines.extend(group.iter().map(line));
        }
    }
    lines.into_iter()
}

/// What someone else changed in a table between glutil's read and its
/// write, and that the change was planned again on the table as it is now.
pub fn changed_by_others_line(table: &str, changed: &[String]) -> String {
    let what = if changed.is_empty() {
        "nothing glutil compares".to_string()
    } else {
        changed.join(", ")
    };
    format!(
        "table {table} was changed by someone else after it was read ({what}); it was read again and the change planned again on the table as it is now"
    )
}

/// Partition values for people: `[2019, 01, 02, 03]`.
pub fn values_text<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> String {
    let values: Vec<S> = values.into_iter().collect();
    let values: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    format!("[{}]", values.join(", "))
}

/// Rows under headers, each column as wide as its widest cell, two spaces
/// apart; the last column is not padded.
pub fn aligned(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        text.trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(quiet: bool, verbose: u8) -> Output {
        Output {
            format: OutputFormat::Text,
            quiet,
            verbose,
        }
    }

    fn render(text: &Text, output: &Output) -> String {
        let mut out = Vec::new();
        text.write(&mut out, output).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn example(dry_run: bool) -> Text {
        let mut rows = vec![
            Row::shown("examined", 5),
            Row::field("already gone", (!dry_run).then_some(1)),
            Row::Detail("columns".into(), "2".into()),
        ];
        rows.extend(outcome_rows(Some(0), 3, None));
        Text {
            planned: vec!["would delete [1]".into()],
            always: vec!["failed [2]: X: y".into()],
            title: "t".into(),
            rows,
            dry_run,
            ..Text::default()
        }
    }

    #[test]
    fn columns_align_on_the_longest_label_even_when_it_is_hidden() {
        let text = render(&example(true), &output(false, 0));
        assert_eq!(
            text,
            "would delete [1]\nfailed [2]: X: y\nt\n  examined:     5\n    columns: 2\n  failed:       0\n  not attempted: 3 (interrupted)\n"
        );
        let real = render(&example(false), &output(false, 0));
        assert!(real.contains("  already gone: 1\n"), "{real}");
        assert!(
            !real.contains("would delete"),
            "a real run lists its plan only with -v"
        );
        assert!(render(&example(false), &output(false, 1)).contains("would delete [1]"));
    }

    #[test]
    fn quiet_keeps_the_summary_only_and_a_minimum_width_holds() {
        let mut text = example(true);
        text.min_width = 20;
        let quiet = render(&text, &output(true, 0));
        assert!(quiet.starts_with("t\n"), "{quiet}");
        assert!(
            quiet.contains(&format!("  {:<20}5\n", "examined:")),
            "{quiet}"
        );
    }

    #[test]
    fn a_batch_refused_for_one_reason_is_one_line() {
        let failure = |v: &str, code: &str| Failure::partition(vec![v.into()], code, "why");
        let failed = [
            failure("1", "AccessDenied"),
            failure("2", "AccessDenied"),
            failure("3", "AccessDenied"),
            failure("4", "Other"),
            failure("5", "Other"),
        ];
        let lines: Vec<String> = failure_lines(&failed).collect();
        assert_eq!(
            lines,
            [
                "failed 3 partitions from [1] to [3]: AccessDenied: why",
                "failed [4]: Other: why",
                "failed [5]: Other: why"
            ]
        );
    }

    #[test]
    fn failures_name_the_partition_or_the_table() {
        let lines: Vec<String> = failure_lines(&[
            Failure::partition(vec!["2019".into(), "01".into()], "Code", "why"),
            Failure::table("junk", "Code", "why"),
        ])
        .collect();
        assert_eq!(
            lines,
            [
                "failed [2019, 01]: Code: why",
                "failed table junk: Code: why"
            ]
        );
    }
}
