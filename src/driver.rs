//! The one pipeline every command runs: start a session, read and plan,
//! then either show the plan (dry run) or write the backup and apply it,
//! and render the result. A command contributes its steps through [`Job`];
//! the order, the backup-before-write rule, the progress bar's clean-up and
//! the output format live here once.

use std::future::Future;

use anyhow::Context;
use glutil::backup::Entries;

use crate::args::{
    AwsArgs, BackupArgs, RunArgs, TableArgs, TableWriteArgs, TablesWriteArgs, WriteArgs,
};
use crate::output::{Report, Run};
use crate::session::Session;

/// One command's steps.
pub trait Job {
    /// The command's name, for backups.
    fn name(&self) -> &'static str;
    /// What reading and planning produce.
    type Plan;
    /// What applying produces; the default when nothing was applied.
    type Outcome: Default;

    /// Reads and plans. Reads only.
    fn plan(&self, session: &Session) -> impl Future<Output = anyhow::Result<Self::Plan>>;

    /// True when the plan changes something.
    fn changes_anything(&self, plan: &Self::Plan) -> bool;

    /// Asked once a real run has something to change, before the backup:
    /// the place for a confirmation. Proceeds by default.
    fn confirm(&self, _plan: &Self::Plan, _session: &Session) -> anyhow::Result<()> {
        Ok(())
    }

    /// What the backup of the plan's changes holds (made as it is written),
    /// and what its file name names (`db.table`).
    fn backup<'p>(
        &self,
        plan: &'p Self::Plan,
        session: &Session,
    ) -> impl Future<Output = anyhow::Result<(Entries<'p>, String)>>;

    /// Applies the plan; called only after the backup is on disk.
    fn apply(&self, plan: &Self::Plan, session: &Session) -> impl Future<Output = Self::Outcome>;

    /// The result, for people and for scripts.
    fn report(&self, plan: &Self::Plan, run: &Run<Self::Outcome>) -> std::io::Result<Report>;

    /// Warnings about what the plan read (a table with partition
    /// projection), shown on stderr and in the JSON under `warnings`.
    fn warnings(&self, _plan: &Self::Plan) -> Vec<String> {
        Vec::new()
    }

    /// The counts a run over several tables adds up into its totals, named
    /// as in the JSON report (`found`, `created`, ...).
    fn counts(&self, _plan: &Self::Plan, _run: &Run<Self::Outcome>) -> Vec<(&'static str, u64)> {
        Vec::new()
    }
}

/// The warnings every command about a table's partitions gives: one when
/// Athena partition projection is on, so Athena ignores them.
pub fn table_warnings(table: &glutil::model::Table) -> Vec<String> {
    table
        .projected
        .then(|| glutil::model::kind::projection_warning(&table.qualified_name()))
        .into_iter()
        .collect()
}

/// A command's arguments with the one table a job works on: each table of
/// a run over several gets its own. Derefs to the arguments.
#[derive(Debug)]
pub struct OnTable<'a, A> {
    /// The command's arguments.
    pub args: &'a A,
    /// The table.
    pub table: TableArgs,
}

impl<A> std::ops::Deref for OnTable<'_, A> {
    type Target = A;
    fn deref(&self) -> &A {
        self.args
    }
}

/// How a run reaches AWS, behaves and keeps its backup.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// How to reach AWS.
    pub aws: &'a AwsArgs,
    /// Concurrency and output.
    pub run: &'a RunArgs,
    /// Where the backup goes; `None` for commands that never write.
    pub backup: Option<&'a BackupArgs>,
    /// Show the plan; change nothing.
    pub dry_run: bool,
}

impl<'a> Options<'a> {
    /// The options of a command that writes.
    pub fn new(write: &'a WriteArgs, dry_run: bool) -> Self {
        Self {
            aws: &write.aws,
            run: &write.run,
            backup: Some(&write.backup),
            dry_run,
        }
    }

    /// The options of a command that never writes.
    pub fn read_only(aws: &'a AwsArgs, run: &'a RunArgs, dry_run: bool) -> Self {
        Self {
            aws,
            run,
            backup: None,
            dry_run,
        }
    }

    /// The options of a command that changes one table.
    pub fn for_table(args: &'a TableWriteArgs) -> Self {
        Self::new(&args.write, args.dry_run)
    }

    /// The options of a command that changes one or more tables.
    pub fn for_tables(args: &'a TablesWriteArgs) -> Self {
        Self::new(&args.write, args.dry_run)
    }
}

/// Runs a command's steps and returns its exit code.
pub async fn run<J: Job>(job: &J, options: Options<'_>) -> anyhow::Result<u8> {
    let session = Session::start(options.aws, options.run).await?;
    let plan = job.plan(&session).await?;
    let mut outcome = J::Outcome::default();
    let mut backup = None;
    if let Some(backup_args) = options.backup.filter(|_| !options.dry_run) {
        if job.changes_anything(&plan) {
            job.confirm(&plan, &session)?;
            let (entries, target) = job.backup(&plan, &session).await?;
            backup = crate::backup::write(&session, backup_args, job.name(), &target, entries)?;
            if let Some(path) = &backup {
                let _ = session.backup_file.set(path.clone());
            }
            outcome = job.apply(&plan, &session).await;
        }
    }
    let run = Run {
        dry_run: options.dry_run,
        backup,
        outcome,
        requests: session.finish(),
        writes: options.backup.is_some(),
        json: session.output.format == crate::args::OutputFormat::Json,
        one_of_many: false,
        warnings: job.warnings(&plan),
    };
    let report = job.report(&plan, &run).context("rendering the report")?;
    session
        .output
        .print(&report)
        .context("writing the report to stdout")?;
    Ok(report.exit)
}
