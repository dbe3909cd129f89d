//! Audits and cleanups: `list-missing`, `delete-missing`, `delete-bad` and
//! `delete-all`. They share one flow: read what is there, choose the
//! partitions, show them, and (unless it is a dry run) delete them.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};

use anyhow::Context;
use glutil::apply::Writes;
use glutil::aws::Detail;
use glutil::backup::{Entries, Entry};
use glutil::model::outcome::{Failure, Outcome, Stopped};
use glutil::model::values::Values;
use glutil::model::{PartitionImage, S3Location, StoredPartition, Table};
use glutil::plan::audit::{all_partitions, Audit, Finding};
use glutil::read::snapshot::{data_presence, read_locations, read_whole, Snapshot};

use crate::args::{AwsArgs, RunArgs, TableArgs, TablesArgs, TablesWriteArgs, WriteArgs};
use crate::driver::{self, Job, OnTable, Options};
use crate::many;
use crate::output::{
    count_rows, delete_counts, failure_lines, stop_rows, values_text, Report, Run, TableHead, Text,
};
use crate::session::Session;
use crate::{Command, EXIT_FOUND, EXIT_OK};

/// Which partitions a command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
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
#[command(name = "list-missing", version, override_usage = crate::args::tables_usage("list-missing"), after_help = crate::help::list_missing())]
pub struct ListMissing {
    /// The tables to audit.
    #[command(flatten)]
    pub tables: TablesArgs,
    /// Exit with 3 when any partition is missing (for audits in CI).
    #[arg(long)]
    pub fail_if_any: bool,
    /// Accepted like the other commands' --dry-run: list-missing never
    /// writes anyway.
    #[arg(long, help_heading = "Safety")]
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
#[command(name = "delete-missing", version, override_usage = crate::args::tables_usage("delete-missing"), after_help = crate::help::delete_missing())]
pub struct DeleteMissing {
    /// Shared delete arguments.
    #[command(flatten)]
    pub args: TablesWriteArgs,
}

/// Deletes partitions that are missing or not where their data is.
///
/// Bad means missing (no data at its location) or a location that is not
/// the folder discovery finds for its values: the wrong folder, another
/// bucket, or outside the table's location. Values found in two conflicting
/// folders are left alone. A backup is written first.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "delete-bad", version, override_usage = crate::args::tables_usage("delete-bad"), after_help = crate::help::delete_bad())]
pub struct DeleteBad {
    /// Shared delete arguments.
    #[command(flatten)]
    pub args: TablesWriteArgs,
}

/// Deletes every partition of a table.
///
/// Asks for confirmation on a terminal; elsewhere it needs --yes. A backup
/// is written first.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "delete-all", version, after_help = crate::help::delete_all())]
pub struct DeleteAll {
    /// The table.
    #[command(flatten)]
    pub table: TableArgs,
    /// Print what would be deleted; change nothing.
    #[arg(long, help_heading = "Safety")]
    pub dry_run: bool,
    /// Delete without asking (needed where no terminal can confirm).
    #[arg(long, short = 'y', help_heading = "Safety")]
    pub yes: bool,
    /// Backup, AWS and run options.
    #[command(flatten)]
    pub write: WriteArgs,
}

impl Command for ListMissing {
    async fn run(self) -> anyhow::Result<u8> {
        let options = Options::read_only(&self.aws, &self.run, self.dry_run);
        many::run_tables(&self.tables, options, |table| OnTable {
            args: &self,
            table,
        })
        .await
    }
}

impl Command for DeleteMissing {
    async fn run(self) -> anyhow::Result<u8> {
        delete_tables("delete-missing", Selection::Missing, &self.args).await
    }
}

impl Command for DeleteBad {
    async fn run(self) -> anyhow::Result<u8> {
        delete_tables("delete-bad", Selection::Bad, &self.args).await
    }
}

/// `delete-missing` and `delete-bad` over one or more tables.
async fn delete_tables(
    command: &'static str,
    selection: Selection,
    args: &TablesWriteArgs,
) -> anyhow::Result<u8> {
    let job = |table| Delete {
        command,
        selection,
        table,
        dry_run: args.dry_run,
        yes: false,
    };
    many::run_tables(&args.tables, Options::for_tables(args), job).await
}

impl Command for DeleteAll {
    async fn run(self) -> anyhow::Result<u8> {
        // Refuse before any request: a script that forgot --yes learns at once.
        if !self.dry_run && !self.yes && !std::io::stdin().is_terminal() {
            return Err(glutil::Error::InvalidInput(format!(
                "delete-all deletes every partition of {}.{}; without a terminal to confirm on, pass --yes (or --dry-run to see them first)",
                self.table.database, self.table.table
            ))
            .into());
        }
        let job = Delete {
            command: "delete-all",
            selection: Selection::All,
            table: self.table.clone(),
            dry_run: self.dry_run,
            yes: self.yes,
        };
        driver::run(&job, Options::new(&self.write, self.dry_run)).await
    }
}

/// The catalog partitions a selection picks, with what it read.
pub struct Chosen {
    table: Table,
    examined: u64,
    findings: Vec<Finding>,
    /// Of the findings, those whose values are found under the table's
    /// location in another folder with data: moved, not gone.
    repointable: u64,
    /// The partitions as read: whole in a real run, for the backup.
    partitions: Vec<PartitionImage>,
}

impl Chosen {
    /// Says that `update-partitions` would repoint the moved ones instead
    /// of deleting them, when there are some.
    fn repoint_hint(&self) -> Option<String> {
        (self.repointable > 0).then(|| {
            format!(
                "{} of these partitions have their data under the table location in another folder (the data moved): `update-partitions {} {}` would repoint them instead of deleting them",
                self.repointable, self.table.database, self.table.name
            )
        })
    }
}

/// Reads the table and picks the partitions `selection` names.
async fn choose(
    session: &Session,
    table: &TableArgs,
    selection: Selection,
    detail: Detail,
) -> glutil::Result<Chosen> {
    let (database, name) = (&table.database, &table.table);
    let (aws, concurrency) = (&session.aws, session.concurrency);
    if selection == Selection::All {
        let table = session.catalog.table(database, name).await?;
        table.check_partitioned()?;
        let (stored, partitions) = match detail {
            Detail::Whole => {
                let images = session.catalog.all_partitions(&table, detail).await?;
                (images.iter().map(StoredPartition::from).collect(), images)
            }
            Detail::Locations => (session.catalog.all_stored(&table).await?, Vec::new()),
        };
        return Ok(Chosen {
            table,
            examined: stored.len() as u64,
            findings: all_partitions(&stored),
            repointable: 0,
            partitions,
        });
    }
    let progress = &session.progress;
    // Whole images only when a backup needs them; an audit or a dry run
    // keeps values and locations.
    let (snapshot, partitions) = match detail {
        Detail::Whole => {
            let whole = read_whole(aws, database, name, concurrency, detail, progress).await?;
            let stored = whole.stored();
            let snapshot = Snapshot {
                table: whole.table,
                discovery: whole.discovery,
                partitions: stored,
            };
            (snapshot, whole.partitions)
        }
        Detail::Locations => (
            read_locations(aws, database, name, concurrency, progress).await?,
            Vec::new(),
        ),
    };
    let presence = data_presence(aws, &snapshot, concurrency, progress).await?;
    let audit = Audit::new(snapshot.partitions, snapshot.discovery, presence);
    let findings = match selection {
        Selection::Missing => audit.missing(),
        _ => audit.bad(),
    };
    Ok(Chosen {
        table: snapshot.table,
        examined: audit.partitions.len() as u64,
        repointable: audit.repointable(&findings),
        findings,
        partitions,
    })
}

impl Job for OnTable<'_, ListMissing> {
    fn name(&self) -> &'static str {
        "list-missing"
    }
    type Plan = Chosen;
    type Outcome = ();

    async fn plan(&self, session: &Session) -> anyhow::Result<Chosen> {
        Ok(choose(session, &self.table, Selection::Missing, Detail::Locations).await?)
    }

    fn warnings(&self, plan: &Self::Plan) -> Vec<String> {
        crate::driver::table_warnings(&plan.table)
    }

    fn changes_anything(&self, _: &Chosen) -> bool {
        false
    }

    async fn backup<'p>(
        &self,
        _: &'p Chosen,
        _: &Session,
    ) -> anyhow::Result<(Entries<'p>, String)> {
        Ok((Box::new(std::iter::empty()), String::new()))
    }

    async fn apply(&self, _: &Chosen, _: &Session) {}

    fn counts(&self, plan: &Chosen, _: &Run<()>) -> Vec<(&'static str, u64)> {
        vec![
            ("examined", plan.examined),
            ("missing", plan.findings.len() as u64),
        ]
    }

    fn report(&self, plan: &Chosen, run: &Run<()>) -> std::io::Result<Report> {
        let body = ListBody {
            command: "list-missing",
            dry_run: run.dry_run,
            database: &plan.table.database,
            table: &plan.table.name,
            location: &plan.table.location,
            examined: plan.examined,
            missing: &plan.findings,
            repointable: plan.repointable,
        };
        let text = || Text {
            always: plan
                .findings
                .iter()
                .map(|f| entry_line("missing", f, true))
                .collect(),
            title: format!(
                "list-missing {} at {}",
                plan.table.qualified_name(),
                plan.table.location
            ),
            rows: count_rows(&self.counts(plan, run)),
            ..Text::default()
        };
        let found = self.fail_if_any && !plan.findings.is_empty();
        let mut report =
            Report::new(&body, text, run)?.exit(if found { EXIT_FOUND } else { EXIT_OK });
        report.warning = plan.repoint_hint();
        Ok(report)
    }
}

/// The `list-missing` JSON document.
#[derive(serde::Serialize)]
struct ListBody<'a> {
    command: &'static str,
    dry_run: bool,
    database: &'a str,
    table: &'a str,
    location: &'a S3Location,
    examined: u64,
    missing: &'a [Finding],
    /// Of those, the ones `update-partitions` would repoint instead.
    repointable: u64,
}

/// `delete-missing`, `delete-bad` and `delete-all` on one table.
struct Delete {
    command: &'static str,
    selection: Selection,
    table: TableArgs,
    dry_run: bool,
    yes: bool,
}

impl Job for Delete {
    fn name(&self) -> &'static str {
        self.command
    }
    type Plan = Chosen;
    type Outcome = Outcome;

    async fn plan(&self, session: &Session) -> anyhow::Result<Chosen> {
        // A real run reads partitions whole: their before-images go to the
        // backup. A dry run needs values and locations only.
        let detail = if self.dry_run {
            Detail::Locations
        } else {
            Detail::Whole
        };
        let mut chosen = choose(session, &self.table, self.selection, detail).await?;
        chosen.findings.sort_by(|a, b| a.values.cmp(&b.values));
        Ok(chosen)
    }

    fn warnings(&self, plan: &Self::Plan) -> Vec<String> {
        crate::driver::table_warnings(&plan.table)
    }

    fn changes_anything(&self, plan: &Chosen) -> bool {
        !plan.findings.is_empty()
    }

    fn confirm(&self, plan: &Chosen, session: &Session) -> anyhow::Result<()> {
        if self.selection == Selection::All && !self.yes {
            session.progress.finish();
            confirm(&plan.table.qualified_name(), plan.findings.len())?;
        }
        // Said before anything is deleted, not only in the summary after.
        if let Some(hint) = plan.repoint_hint() {
            session.progress.finish();
            eprintln!("warning: {hint}; deleting them as asked");
        }
        Ok(())
    }

    async fn backup<'p>(
        &self,
        plan: &'p Chosen,
        _: &Session,
    ) -> anyhow::Result<(Entries<'p>, String)> {
        let by_values: HashMap<Values, &PartitionImage> = plan
            .partitions
            .iter()
            .map(|p| (Values::from(p.values.as_slice()), p))
            .collect();
        let entries = plan
            .findings
            .iter()
            .filter_map(move |f| by_values.get(&f.values).copied())
            .map(|p| Entry::delete_partition(&plan.table, p));
        Ok((Box::new(entries), plan.table.qualified_name()))
    }

    async fn apply(&self, plan: &Chosen, session: &Session) -> Outcome {
        let values: Vec<_> = plan.findings.iter().map(|f| f.values.clone()).collect();
        session
            .write(Writes::DeletePartitions(plan.table.id(), &values))
            .await
    }

    fn counts(&self, plan: &Chosen, run: &Run<Outcome>) -> Vec<(&'static str, u64)> {
        let outcome = &run.outcome;
        let planned = vec![
            ("examined", plan.examined),
            ("to_delete", plan.findings.len() as u64),
        ];
        delete_counts(planned, outcome, run.dry_run)
    }

    fn report(&self, plan: &Chosen, run: &Run<Outcome>) -> std::io::Result<Report> {
        let outcome = &run.outcome;
        let body = DeleteBody {
            head: TableHead::new(self.command, &plan.table, run, plan.examined),
            to_delete: &plan.findings,
            repointable: plan.repointable,
            deleted: outcome.applied,
            already_gone: outcome.already_done,
            failed: &outcome.failed,
            not_attempted: outcome.not_attempted,
            stopped: outcome.stopped.as_ref(),
        };
        let verb = if run.dry_run {
            "would delete"
        } else {
            "delete"
        };
        let with_reason = self.selection != Selection::All;
        let mut rows = count_rows(&self.counts(plan, run));
        rows.extend(stop_rows(outcome.not_attempted, outcome.stopped.as_ref()));
        let text = || Text {
            planned: plan
                .findings
                .iter()
                .map(|f| entry_line(verb, f, with_reason))
                .collect(),
            always: failure_lines(&outcome.failed).collect(),
            title: body.head.title(),
            rows,
            ..Text::default()
        };
        let mut report = Report::of_writes(&body, text, run)?;
        if run.dry_run && report.warning.is_none() {
            report.warning = plan.repoint_hint();
        }
        Ok(report)
    }
}

/// The JSON document of the delete commands.
#[derive(serde::Serialize)]
struct DeleteBody<'a> {
    #[serde(flatten)]
    head: TableHead<'a>,
    to_delete: &'a [Finding],
    /// Of those, the ones `update-partitions` would repoint instead.
    repointable: u64,
    deleted: u64,
    already_gone: u64,
    failed: &'a [Failure],
    not_attempted: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<&'a Stopped>,
}

/// One partition an audit lists: `missing [2019, 01] s3://... (reason)`.
fn entry_line(verb: &str, finding: &Finding, with_reason: bool) -> String {
    let location = finding.location.as_deref().unwrap_or("(no location)");
    let values = values_text(&finding.values);
    if with_reason {
        format!("{verb} {values} {location} ({})", finding.reason)
    } else {
        format!("{verb} {values} {location}")
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
