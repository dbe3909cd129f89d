//! `drop-table DATABASE TABLE...`: delete tables, with a backup of each
//! table and all its partitions, so `restore` brings back every one.

use glutil::apply::Writes;
use glutil::backup::Entries;
use glutil::model::outcome::{Failure, Outcome};
use glutil::model::table::name_matches;
use serde::Serialize;

use crate::args::{catalog_name, WriteArgs};
use crate::driver::{self, Job, Options};
use crate::output::{count_rows, delete_counts, failure_lines, stop_rows, Report, Run, Text};
use crate::session::Session;
use crate::Command;

/// Deletes tables (views too), after backing up each table and all its
/// partitions, so that `restore BACKUP` brings them back exactly.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "drop-table", version, after_help = crate::help::drop_table())]
pub struct DropTable {
    /// Glue database name.
    #[arg(value_name = "DATABASE", value_parser = catalog_name)]
    pub database: String,
    /// The tables to drop.
    #[arg(value_name = "TABLE", value_parser = catalog_name)]
    pub names: Vec<String>,
    /// Every table of the database (needs --yes).
    #[arg(long, help_heading = "Tables")]
    pub all_tables: bool,
    /// The tables whose names match this shell-style pattern (repeatable).
    #[arg(long = "tables", value_name = "GLOB", help_heading = "Tables")]
    pub globs: Vec<String>,
    /// Print what would be dropped; change nothing.
    #[arg(long, help_heading = "Safety")]
    pub dry_run: bool,
    /// Drop every table of --all-tables without asking.
    #[arg(long, help_heading = "Safety")]
    pub yes: bool,
    /// Backup, AWS and run options.
    #[command(flatten)]
    pub write: WriteArgs,
}

impl Command for DropTable {
    async fn run(self) -> anyhow::Result<u8> {
        if self.names.is_empty() && self.globs.is_empty() && !self.all_tables {
            return Err(glutil::Error::InvalidInput(
                "name the tables to drop (TABLE..., --tables GLOB or --all-tables)".into(),
            )
            .into());
        }
        if self.all_tables && !self.yes && !self.dry_run {
            return Err(glutil::Error::InvalidInput(format!(
                "--all-tables drops every table of {}: add --yes (a backup is written first; restore undoes it)",
                self.database
            ))
            .into());
        }
        driver::run(&self, Options::new(&self.write, self.dry_run)).await
    }
}

/// The tables to drop.
pub struct Plan {
    names: Vec<String>,
}

/// The JSON report.
#[derive(Serialize)]
struct Body<'a> {
    command: &'static str,
    dry_run: bool,
    database: &'a str,
    to_delete: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deleted: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    already_gone: Option<u64>,
    failed: &'a [Failure],
}

impl Job for DropTable {
    fn name(&self) -> &'static str {
        "drop-table"
    }
    type Plan = Plan;
    type Outcome = Outcome;

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        let tables = session.catalog.tables(&self.database).await?;
        crate::many::check_named(
            &self.database,
            &self.names,
            tables.iter().map(|t| t.name.as_str()),
        )?;
        let names = tables
            .into_iter()
            .map(|t| t.name)
            .filter(|name| {
                self.all_tables
                    || self.names.contains(name)
                    || self.globs.iter().any(|g| name_matches(g, name))
            })
            .collect();
        Ok(Plan { names })
    }

    fn changes_anything(&self, plan: &Plan) -> bool {
        !plan.names.is_empty()
    }

    /// Each table and all its partitions, since Glue deletes them with it.
    async fn backup<'p>(
        &self,
        plan: &'p Plan,
        session: &Session,
    ) -> anyhow::Result<(Entries<'p>, String)> {
        let names = plan.names.iter().map(String::as_str);
        let entries = super::repair::table_deletes_backup(session, &self.database, names).await?;
        Ok((Box::new(entries.into_iter()), self.database.clone()))
    }

    async fn apply(&self, plan: &Plan, session: &Session) -> Outcome {
        session
            .write(Writes::DeleteTables(self.database.clone(), &plan.names))
            .await
    }

    fn report(&self, plan: &Plan, run: &Run<Outcome>) -> std::io::Result<Report> {
        let outcome = &run.outcome;
        let qualified: Vec<String> = plan
            .names
            .iter()
            .map(|n| format!("{}.{n}", self.database))
            .collect();
        let body = Body {
            command: "drop-table",
            dry_run: run.dry_run,
            database: &self.database,
            to_delete: qualified.clone(),
            deleted: (!run.dry_run).then_some(outcome.applied),
            already_gone: (!run.dry_run).then_some(outcome.already_done),
            failed: &outcome.failed,
        };
        let verb = if run.dry_run { "would drop" } else { "drop" };
        let mut always: Vec<String> = qualified
            .iter()
            .map(|t| format!("{verb} table {t}"))
            .collect();
        always.extend(failure_lines(&outcome.failed));
        let planned = vec![("to_delete", plan.names.len() as u64)];
        let mut rows = count_rows(&delete_counts(planned, outcome, run.dry_run));
        rows.extend(stop_rows(outcome.not_attempted, outcome.stopped.as_ref()));
        let text = || Text {
            always,
            title: format!("drop-table {}{}", self.database, run.mode()),
            rows,
            ..Text::default()
        };
        Report::of_writes(&body, text, run)
    }
}
