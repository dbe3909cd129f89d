//! Audits and cleanups: `list-missing`, `delete-missing`, `delete-bad` and
//! `delete-all`. They share one flow: read what is there, choose the
//! partitions, show them, and (unless it is a dry run) delete them.

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write};

use anyhow::Context;
use aws_sdk_glue::types::Partition;
use glutil::audit::{audit, Finding, Reason};
use glutil::backup::{Entry, PartitionImage};
use glutil::catalog::DeleteOutcome;
use glutil::location::S3Location;
use glutil::progress::Progress;

use crate::args::{AwsArgs, OutputFormat, RunArgs, TableArgs, TableWriteArgs};
use crate::output::{values_text, write_failures, write_not_attempted, Output};
use crate::session::Session;
use crate::{exit_status, Command, EXIT_FOUND, EXIT_OK};

/// Which partitions a command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selection {
    /// Their own location holds no data.
    Missing,
    /// Missing, or not where discovery finds their values.
    Bad,
    /// Every partition of the table.
    All,
}

/// Lists catalog partitions whose own S3 location holds no data. Read-only.
///
/// No data means no objects, only zero-byte folder markers, only hidden
/// folders such as `_temporary`, a bucket that does not exist, or a location
/// that is not in S3.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "list-missing", version, after_help = crate::EXIT_CODES_HELP)]
pub struct ListMissing {
    /// The table to audit.
    #[command(flatten)]
    pub table: TableArgs,
    /// Exit with 3 when any partition is missing (for audits in CI).
    #[arg(long)]
    pub fail_if_any: bool,
    /// Accepted like the other commands' --dry-run: list-missing never
    /// writes anyway.
    #[arg(long)]
    pub dry_run: bool,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Concurrency and output.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Deletes catalog partitions whose own S3 location holds no data.
///
/// Exactly what `list-missing` lists. A backup of each partition is written
/// first; `restore` puts them back.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "delete-missing", version, after_help = crate::EXIT_CODES_HELP)]
pub struct DeleteMissing {
    /// Shared delete arguments.
    #[command(flatten)]
    pub args: TableWriteArgs,
}

/// Deletes partitions that are missing or not where their data is.
///
/// Bad means missing (no data at its location) or a location that is not
/// the folder discovery finds for its values: the wrong folder, another
/// bucket, or outside the table's location. Values found in two conflicting
/// folders are left alone. A backup is written first.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "delete-bad", version, after_help = crate::EXIT_CODES_HELP)]
pub struct DeleteBad {
    /// Shared delete arguments.
    #[command(flatten)]
    pub args: TableWriteArgs,
}

/// Deletes every partition of a table.
///
/// Asks for confirmation on a terminal; elsewhere it needs --yes. A backup
/// is written first.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "delete-all", version, after_help = crate::EXIT_CODES_HELP)]
pub struct DeleteAll {
    /// Shared delete arguments.
    #[command(flatten)]
    pub args: TableWriteArgs,
    /// Delete without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

impl Command for ListMissing {
    async fn run(self) -> anyhow::Result<u8> {
        let session = Session::start(&self.aws, &self.run).await?;
        let output = &session.output;
        let result = audit(
            &session.aws,
            &self.table.database,
            &self.table.table,
            session.concurrency,
            false,
            &session.progress,
        )
        .await;
        let requests = session.finish();
        let audit = result?;
        let missing = audit.missing();
        match output.format {
            OutputFormat::Json => output.write_json(&ListReport {
                database: &audit.table.database,
                table: &audit.table.name,
                location: &audit.table.location,
                examined: audit.partitions.len() as u64,
                missing: &missing,
                requests,
            }),
            OutputFormat::Text => {
                let mut out = Output::stdout();
                if !output.quiet {
                    for f in &missing {
                        write_entry(
                            &mut out,
                            "missing",
                            &f.values,
                            f.location.as_deref(),
                            Some(&f.reason),
                        )?;
                    }
                }
                writeln!(
                    out,
                    "list-missing {}.{} at {}",
                    audit.table.database, audit.table.name, audit.table.location
                )?;
                writeln!(out, "  examined: {}", audit.partitions.len())?;
                writeln!(out, "  missing:  {}", missing.len())?;
                out.flush()
            }
        }
        .context("writing the report to stdout")?;
        Ok(if self.fail_if_any && !missing.is_empty() {
            EXIT_FOUND
        } else {
            EXIT_OK
        })
    }
}

impl Command for DeleteMissing {
    async fn run(self) -> anyhow::Result<u8> {
        run_delete("delete-missing", Selection::Missing, &self.args, false).await
    }
}

impl Command for DeleteBad {
    async fn run(self) -> anyhow::Result<u8> {
        run_delete("delete-bad", Selection::Bad, &self.args, false).await
    }
}

impl Command for DeleteAll {
    async fn run(self) -> anyhow::Result<u8> {
        run_delete("delete-all", Selection::All, &self.args, self.yes).await
    }
}

/// The `list-missing` JSON document.
#[derive(serde::Serialize)]
struct ListReport<'a> {
    database: &'a str,
    table: &'a str,
    location: &'a S3Location,
    examined: u64,
    missing: &'a [Finding],
    requests: BTreeMap<String, u64>,
}

/// The JSON document of the delete commands.
#[derive(serde::Serialize)]
struct DeleteReport<'a> {
    command: &'static str,
    database: &'a str,
    table: &'a str,
    location: &'a S3Location,
    dry_run: bool,
    examined: u64,
    to_delete: &'a [Finding],
    deleted: u64,
    already_gone: u64,
    failed: &'a [glutil::catalog::PartitionFailure],
    not_attempted: u64,
    backup: Option<&'a std::path::Path>,
    requests: BTreeMap<String, u64>,
}

async fn run_delete(
    command: &'static str,
    selection: Selection,
    args: &TableWriteArgs,
    yes: bool,
) -> anyhow::Result<u8> {
    let (database, table_name) = (&args.table.database, &args.table.table);
    // Refuse before any request: a script that forgot --yes learns at once.
    if selection == Selection::All && !args.dry_run && !yes && !std::io::stdin().is_terminal() {
        return Err(glutil::Error::InvalidInput(format!(
            "delete-all deletes every partition of {database}.{table_name}; without a terminal to confirm on, pass --yes (or --dry-run to see them first)"
        ))
        .into());
    }
    let session = Session::start(&args.aws, &args.run).await?;
    let Session {
        aws,
        catalog,
        progress,
        concurrency,
        ..
    } = &session;
    let concurrency = *concurrency;
    // A real run reads partitions whole: their before-images go to the
    // backup. A dry run needs values and locations only.
    let whole = !args.dry_run;
    let chosen = async {
        if selection == Selection::All {
            let table = catalog.table(database, table_name).await?;
            let partitions = catalog.all_partitions(&table, !whole).await?;
            let findings: Vec<Finding> = partitions
                .iter()
                .map(|p| Finding {
                    values: p.values().to_vec(),
                    location: p
                        .storage_descriptor()
                        .and_then(|sd| sd.location())
                        .map(str::to_string),
                    reason: Reason::AllPartitions,
                })
                .collect();
            Ok::<_, glutil::Error>((table, partitions.len() as u64, findings, partitions))
        } else {
            let audit = audit(aws, database, table_name, concurrency, whole, progress).await?;
            let findings = match selection {
                Selection::Missing => audit.missing(),
                _ => audit.bad(),
            };
            Ok((
                audit.table,
                audit.partitions.len() as u64,
                findings,
                audit.definitions,
            ))
        }
    }
    .await;
    let (table, examined, mut to_delete, definitions) = match chosen {
        Ok(chosen) => chosen,
        Err(err) => {
            progress.finish();
            return Err(err.into());
        }
    };
    to_delete.sort_by(|a, b| a.values.cmp(&b.values));

    let mut outcome = DeleteOutcome::default();
    let mut backup = None;
    if !args.dry_run && !to_delete.is_empty() {
        if selection == Selection::All && !yes {
            progress.finish();
            confirm(&table.qualified_name(), to_delete.len())?;
        }
        let by_values: HashMap<&[String], &Partition> =
            definitions.iter().map(|p| (p.values(), p)).collect();
        let entries: Vec<Entry> = to_delete
            .iter()
            .filter_map(|f| by_values.get(f.values.as_slice()))
            .map(|p| Entry::DeletePartition {
                database: table.database.clone(),
                table: table.name.clone(),
                partition: PartitionImage::from(*p),
            })
            .collect();
        backup = crate::backup::write(
            &session,
            &args.backup,
            command,
            &table.qualified_name(),
            &entries,
        )
        .inspect_err(|_| progress.finish())?;
        progress.step("deleting partitions");
        let values: Vec<Vec<String>> = to_delete.iter().map(|f| f.values.clone()).collect();
        outcome = catalog
            .delete_partitions(&table, &values, concurrency, progress)
            .await;
    }
    let requests = session.finish();
    let output = &session.output;

    match output.format {
        OutputFormat::Json => output.write_json(&DeleteReport {
            command,
            database: &table.database,
            table: &table.name,
            location: &table.location,
            dry_run: args.dry_run,
            examined,
            to_delete: &to_delete,
            deleted: outcome.deleted,
            already_gone: outcome.already_gone,
            failed: &outcome.failed,
            not_attempted: outcome.not_attempted,
            backup: backup.as_deref(),
            requests,
        }),
        OutputFormat::Text => {
            let mut out = Output::stdout();
            let list = args.dry_run || output.verbose > 0;
            if !output.quiet {
                let verb = if args.dry_run {
                    "would delete"
                } else {
                    "delete"
                };
                for f in to_delete.iter().filter(|_| list) {
                    let reason = (selection != Selection::All).then_some(&f.reason);
                    write_entry(&mut out, verb, &f.values, f.location.as_deref(), reason)?;
                }
                write_failures(&mut out, &outcome.failed)?;
            }
            let mode = if args.dry_run { " (dry run)" } else { "" };
            writeln!(
                out,
                "{command} {} at {}{mode}",
                table.qualified_name(),
                table.location
            )?;
            writeln!(out, "  examined:     {examined}")?;
            writeln!(out, "  to delete:    {}", to_delete.len())?;
            if !args.dry_run {
                writeln!(out, "  deleted:      {}", outcome.deleted)?;
                writeln!(out, "  already gone: {}", outcome.already_gone)?;
                writeln!(out, "  failed:       {}", outcome.failed.len())?;
                write_not_attempted(&mut out, outcome.not_attempted)?;
            }
            if let Some(line) = crate::backup::summary_line(backup.as_deref(), 14) {
                writeln!(out, "{line}")?;
            }
            out.flush()
        }
    }
    .context("writing the report to stdout")?;
    Ok(exit_status(!outcome.failed.is_empty()))
}

fn write_entry(
    out: &mut impl Write,
    verb: &str,
    values: &[String],
    location: Option<&str>,
    reason: Option<&Reason>,
) -> std::io::Result<()> {
    let location = location.unwrap_or("(no location)");
    match reason {
        Some(reason) => writeln!(out, "{verb} {} {location} ({reason})", values_text(values)),
        None => writeln!(out, "{verb} {} {location}", values_text(values)),
    }
}

/// Asks on the terminal before deleting everything.
fn confirm(table: &str, count: usize) -> anyhow::Result<()> {
    eprint!("Delete all {count} partitions of {table}? Type yes to continue: ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("reading the confirmation")?;
    if answer.trim().eq_ignore_ascii_case("yes") {
        Ok(())
    } else {
        Err(
            glutil::Error::InvalidInput(format!("not confirmed; nothing was deleted from {table}"))
                .into(),
        )
    }
}
