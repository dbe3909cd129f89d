//! `restore BACKUP_FILE`: undo what a command changed, from its backup.

use std::path::{Path, PathBuf};

use glutil::apply::restore::{apply_restore, RestoreOutcome};
use glutil::backup::{read_backup, Entries, Entry, Header};
use glutil::model::{PartitionImage, TableName};
use glutil::plan::restore::{plan_restore, NotRestored, RestorePlan};
use glutil::progress::Progress;
use glutil::read::restore::{read_state, Wants};

use crate::args::WriteArgs;
use crate::driver::{self, Job, Options};
use crate::output::{count_rows, stop_rows, values_text, Report, Row, Run, Text};
use crate::session::Session;
use crate::{exit_status, Command};

/// Undoes a run from its backup file.
///
/// Puts the catalog back as the backup describes: re-creates the partitions
/// (and tables) a run deleted, with every field they had; reverts the
/// partitions it updated; deletes the partitions it created. The catalog is
/// compared first, so restoring twice changes nothing the second time.
/// Restore writes a backup of its own changes too.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "restore", version, after_help = crate::help::restore())]
pub struct Restore {
    /// The backup a command wrote (its summary printed the path).
    #[arg(value_name = "BACKUP_FILE")]
    pub file: PathBuf,
    /// Print what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Backup (of this restore), AWS and run options.
    #[command(flatten)]
    pub write: WriteArgs,
}

impl Command for Restore {
    async fn run(self) -> anyhow::Result<u8> {
        // A malformed file is refused before any request.
        let (header, entries) = read_backup(&self.file)?;
        let job = RestoreJob {
            args: &self,
            header,
            entries,
        };
        let options = Options::new(&self.write, self.dry_run);
        driver::run(&job, options).await
    }
}

/// A restore of one backup file.
struct RestoreJob<'a> {
    args: &'a Restore,
    header: Header,
    entries: Vec<Entry>,
}

impl Job for RestoreJob<'_> {
    fn name(&self) -> &'static str {
        "restore"
    }
    type Plan = RestorePlan;
    type Outcome = RestoreOutcome;

    async fn plan(&self, session: &Session) -> anyhow::Result<RestorePlan> {
        session
            .progress
            .step("comparing the backup with the catalog");
        let wants = Wants::from_entries(&self.entries);
        let state = read_state(&session.catalog, &wants, session.concurrency).await?;
        Ok(plan_restore(&wants, &state))
    }

    fn changes_anything(&self, plan: &RestorePlan) -> bool {
        !plan.is_empty()
    }

    async fn backup<'p>(
        &self,
        plan: &'p RestorePlan,
        _: &Session,
    ) -> anyhow::Result<(Entries<'p>, String)> {
        let target = self
            .args
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok((Box::new(plan.backup_entries().into_iter()), target))
    }

    async fn apply(&self, plan: &RestorePlan, session: &Session) -> RestoreOutcome {
        session.progress.step("restoring");
        let record = |entry: &Entry| session.record(entry);
        apply_restore(
            &session.catalog,
            plan,
            session.concurrency,
            &session.progress,
            &record,
        )
        .await
    }

    fn report(&self, plan: &RestorePlan, run: &Run<RestoreOutcome>) -> std::io::Result<Report> {
        let body = body(self, plan, &run.outcome, run.dry_run);
        let outcome = &run.outcome;
        let incomplete = !outcome.failed.is_empty()
            || !outcome.failed_tables.is_empty()
            || !plan.not_restored.is_empty();
        Ok(Report::new(&body, || text(&body, run), run)?
            .exit(exit_status(incomplete))
            .stopped(outcome.stopped.as_ref(), outcome.not_attempted))
    }
}

/// One partition change, for people and scripts.
#[derive(serde::Serialize)]
struct Change<'a> {
    table: String,
    values: &'a [String],
    location: Option<&'a str>,
}

/// The `restore` JSON document.
#[derive(serde::Serialize)]
struct Body<'a> {
    command: &'static str,
    dry_run: bool,
    file: &'a Path,
    written_by: &'a str,
    entries: u64,
    unchanged: u64,
    tables_to_create: Vec<String>,
    tables_to_update: Vec<String>,
    tables_to_delete: Vec<String>,
    to_create: Vec<Change<'a>>,
    to_update: Vec<Change<'a>>,
    to_delete: Vec<Change<'a>>,
    not_restored: &'a [NotRestored],
    #[serde(flatten)]
    outcome: &'a RestoreOutcome,
}

fn body<'a>(
    job: &'a RestoreJob,
    plan: &'a RestorePlan,
    outcome: &'a RestoreOutcome,
    dry_run: bool,
) -> Body<'a> {
    let mut to_create = Vec::new();
    let mut to_update = Vec::new();
    let mut to_delete = Vec::new();
    for (id, table_plan) in &plan.partitions {
        let change = |p: &'a PartitionImage| Change {
            table: id.qualified(),
            values: &p.values,
            location: p.location(),
        };
        to_create.extend(table_plan.create.iter().map(change));
        to_update.extend(table_plan.update.iter().map(|(image, _)| change(image)));
        to_delete.extend(table_plan.delete.iter().map(change));
    }
    let names = |db: &str, name: &str| format!("{db}.{name}");
    Body {
        command: "restore",
        file: &job.args.file,
        written_by: &job.header.command,
        dry_run,
        entries: job.entries.len() as u64,
        unchanged: plan.unchanged,
        tables_to_create: plan
            .create_tables
            .iter()
            .map(|(db, t)| names(db, &t.name))
            .collect(),
        tables_to_update: plan
            .update_tables
            .iter()
            .map(|(db, t, _)| names(db, &t.name))
            .collect(),
        tables_to_delete: plan
            .delete_tables
            .iter()
            .map(|(db, t, _)| names(db, &t.name))
            .collect(),
        to_create,
        to_update,
        to_delete,
        not_restored: &plan.not_restored,
        outcome,
    }
}

fn text(body: &Body, run: &Run<RestoreOutcome>) -> Text {
    let would = if body.dry_run { "would " } else { "" };
    let mut planned = Vec::new();
    for (verb, tables) in [
        ("create", &body.tables_to_create),
        ("update", &body.tables_to_update),
        ("delete", &body.tables_to_delete),
    ] {
        planned.extend(tables.iter().map(|t| format!("{would}{verb} table {t}")));
    }
    for (verb, changes) in [
        ("create", &body.to_create),
        ("update", &body.to_update),
        ("delete", &body.to_delete),
    ] {
        planned.extend(changes.iter().map(|c| {
            let location = c.location.unwrap_or("(no location)");
            format!(
                "{would}{verb} {} {} {location}",
                c.table,
                values_text(c.values)
            )
        }));
    }
    let o = body.outcome;
    let mut always: Vec<String> = body
        .not_restored
        .iter()
        .map(|n| {
            format!(
                "not restored {} {}: {}",
                n.table,
                values_text(&n.values),
                n.reason
            )
        })
        .collect();
    always.extend(
        o.changed_by_others
            .iter()
            .map(|(table, changed)| crate::output::changed_by_others_line(table, changed)),
    );
    always.extend(crate::output::failure_lines(&o.failed_tables));
    always.extend(o.failed.iter().map(|(table, f)| {
        format!(
            "failed {table} {}: {}: {}",
            values_text(&f.values),
            f.code,
            f.message
        )
    }));
    Text {
        planned,
        always,
        title: format!(
            "restore {} (written by {}){}",
            body.file.display(),
            body.written_by,
            run.mode()
        ),
        rows: rows(body, run),
        ..Text::default()
    }
}

fn rows(body: &Body, run: &Run<RestoreOutcome>) -> Vec<Row> {
    let tables = [
        body.tables_to_create.len(),
        body.tables_to_update.len(),
        body.tables_to_delete.len(),
    ];
    let o = body.outcome;
    let mut counts = vec![
        ("entries", body.entries),
        ("unchanged", body.unchanged),
        ("to_create", body.to_create.len() as u64),
        ("to_update", body.to_update.len() as u64),
        ("to_delete", body.to_delete.len() as u64),
        ("not_restored", body.not_restored.len() as u64),
    ];
    if !run.dry_run {
        counts.extend([
            ("created", o.created),
            ("updated", o.updated),
            ("deleted", o.deleted),
            ("failed", (o.failed.len() + o.failed_tables.len()) as u64),
        ]);
    }
    let mut rows = count_rows(&counts);
    rows.insert(
        2,
        Row::field(
            "tables",
            tables.iter().any(|n| *n > 0).then(|| {
                format!(
                    "{} to create, {} to update, {} to delete",
                    tables[0], tables[1], tables[2]
                )
            }),
        ),
    );
    rows.extend(stop_rows(o.not_attempted, o.stopped.as_ref()));
    rows
}
