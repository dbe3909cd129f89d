//! `restore BACKUP_FILE`: undo what a command changed, from its backup.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use glutil::backup::read_backup;
use glutil::progress::Progress;
use glutil::restore::{apply_restore, plan_restore, NotRestored, RestoreOutcome, RestorePlan};
use glutil::table::TableName;

use crate::args::{AwsArgs, OutputFormat, RunArgs};
use crate::backup::BackupArgs;
use crate::output::{values_text, Output};
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
#[command(name = "restore", version, after_help = crate::EXIT_CODES_HELP)]
pub struct Restore {
    /// The backup a command wrote (its summary printed the path).
    #[arg(value_name = "BACKUP_FILE")]
    pub file: PathBuf,
    /// Print what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where the backup of this restore goes.
    #[command(flatten)]
    pub backup: BackupArgs,
    /// How to reach AWS.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Concurrency and output.
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(serde::Serialize)]
struct Change<'a> {
    table: String,
    values: &'a [String],
    location: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct RestoreReport<'a> {
    command: &'static str,
    file: &'a Path,
    written_by: &'a str,
    dry_run: bool,
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
    backup: Option<&'a Path>,
    requests: BTreeMap<String, u64>,
}

impl Command for Restore {
    async fn run(self) -> anyhow::Result<u8> {
        // A malformed file is refused before any request.
        let (header, entries) = read_backup(&self.file)?;
        let session = Session::start(&self.aws, &self.run).await?;
        let (catalog, progress) = (&session.catalog, &session.progress);
        let concurrency = session.concurrency;
        progress.step("comparing the backup with the catalog");
        let plan = plan_restore(catalog, &entries, concurrency)
            .await
            .inspect_err(|_| progress.finish())?;
        let mut outcome = RestoreOutcome::default();
        let mut backup = None;
        if !self.dry_run && !plan.is_empty() {
            let target = self
                .file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            backup = crate::backup::write(
                &session,
                &self.backup,
                "restore",
                &target,
                &plan.backup_entries(),
            )
            .inspect_err(|_| progress.finish())?;
            progress.step("restoring");
            outcome = apply_restore(catalog, &plan, concurrency, progress).await;
        }
        let requests = session.finish();
        let output = &session.output;
        let report = report(
            &self,
            &header.command,
            &entries,
            &plan,
            &outcome,
            &backup,
            requests,
        );
        match output.format {
            OutputFormat::Json => output.write_json(&report),
            OutputFormat::Text => write_text(&report, output),
        }
        .context("writing the report to stdout")?;
        let incomplete = !outcome.failed.is_empty()
            || !outcome.failed_tables.is_empty()
            || !plan.not_restored.is_empty();
        Ok(exit_status(incomplete))
    }
}

fn report<'a>(
    args: &'a Restore,
    written_by: &'a str,
    entries: &[glutil::backup::Entry],
    plan: &'a RestorePlan,
    outcome: &'a RestoreOutcome,
    backup: &'a Option<PathBuf>,
    requests: BTreeMap<String, u64>,
) -> RestoreReport<'a> {
    let mut to_create = Vec::new();
    let mut to_update = Vec::new();
    let mut to_delete = Vec::new();
    for (id, table_plan) in &plan.partitions {
        let change = |p: &'a glutil::backup::PartitionImage| Change {
            table: id.qualified(),
            values: &p.values,
            location: p.location(),
        };
        to_create.extend(table_plan.create.iter().map(change));
        to_update.extend(table_plan.update.iter().map(|(image, _)| change(image)));
        to_delete.extend(table_plan.delete.iter().map(change));
    }
    let names = |db: &str, name: &str| format!("{db}.{name}");
    RestoreReport {
        command: "restore",
        file: &args.file,
        written_by,
        dry_run: args.dry_run,
        entries: entries.len() as u64,
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
        backup: backup.as_deref(),
        requests,
    }
}

fn write_text(report: &RestoreReport, output: &Output) -> std::io::Result<()> {
    let mut out = Output::stdout();
    let would = if report.dry_run { "would " } else { "" };
    if !output.quiet {
        let list = report.dry_run || output.verbose > 0;
        if list {
            for (verb, tables) in [
                ("create", &report.tables_to_create),
                ("update", &report.tables_to_update),
                ("delete", &report.tables_to_delete),
            ] {
                for t in tables {
                    writeln!(out, "{would}{verb} table {t}")?;
                }
            }
            for (verb, changes) in [
                ("create", &report.to_create),
                ("update", &report.to_update),
                ("delete", &report.to_delete),
            ] {
                for c in changes {
                    writeln!(
                        out,
                        "{would}{verb} {} {} {}",
                        c.table,
                        values_text(c.values),
                        c.location.unwrap_or("(no location)")
                    )?;
                }
            }
        }
        for n in report.not_restored {
            writeln!(
                out,
                "not restored {} {}: {}",
                n.table,
                values_text(&n.values),
                n.reason
            )?;
        }
        for t in &report.outcome.failed_tables {
            writeln!(out, "failed table {}: {}: {}", t.name, t.code, t.message)?;
        }
        for (table, f) in &report.outcome.failed {
            writeln!(
                out,
                "failed {table} {}: {}: {}",
                values_text(&f.values),
                f.code,
                f.message
            )?;
        }
    }
    let mode = if report.dry_run { " (dry run)" } else { "" };
    writeln!(
        out,
        "restore {} (written by {}){mode}",
        report.file.display(),
        report.written_by
    )?;
    writeln!(out, "  entries:      {}", report.entries)?;
    writeln!(out, "  unchanged:    {}", report.unchanged)?;
    let tables = [
        report.tables_to_create.len(),
        report.tables_to_update.len(),
        report.tables_to_delete.len(),
    ];
    if tables.iter().any(|n| *n > 0) {
        writeln!(
            out,
            "  tables:       {} to create, {} to update, {} to delete",
            tables[0], tables[1], tables[2]
        )?;
    }
    writeln!(out, "  to create:    {}", report.to_create.len())?;
    writeln!(out, "  to update:    {}", report.to_update.len())?;
    writeln!(out, "  to delete:    {}", report.to_delete.len())?;
    writeln!(out, "  not restored: {}", report.not_restored.len())?;
    if !report.dry_run {
        let o = report.outcome;
        writeln!(out, "  created:      {}", o.created)?;
        writeln!(out, "  updated:      {}", o.updated)?;
        writeln!(out, "  deleted:      {}", o.deleted)?;
        writeln!(
            out,
            "  failed:       {}",
            o.failed.len() + o.failed_tables.len()
        )?;
        crate::output::write_not_attempted(&mut out, o.not_attempted)?;
    }
    if let Some(line) = crate::backup::summary_line(report.backup, 14) {
        writeln!(out, "{line}")?;
    }
    out.flush()
}
