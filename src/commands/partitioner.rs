//! `partitioner DATABASE TABLE...`: create the partitions S3 holds and the
//! catalog lacks.

use glutil::apply::Writes;
use glutil::backup::{Entries, Entry};
use glutil::model::layout::Conflict;
use glutil::model::outcome::{Failure, Outcome, Stopped};
use glutil::model::scope::{Date, WalkScope};
use glutil::model::{DiscoveredPartition, S3Location, Table};
use glutil::plan::create::plan_snapshot;
use glutil::read::snapshot::read_scoped;

use crate::args::{TablesArgs, WriteArgs};
use crate::driver::{Job, OnTable, Options};
use crate::many;
use crate::output::{count_rows, failure_lines, stop_rows, values_text, Report, Row, Run, Text};
use crate::session::Session;
use crate::Command;

/// Creates the partitions S3 holds and the catalog lacks.
///
/// Finds partition folders in S3 under the table's location and creates the
/// partitions the Glue Data Catalog lacks.
///
/// Folders may be Hive style (`year=2019/`) or flat (`2019/`), mixed; each
/// level maps to one partition key. A partition exists when its folder holds
/// data. Folders that decode to the same values are reported as conflicts
/// and not created.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "partitioner", version, override_usage = crate::args::tables_usage("partitioner"), after_help = crate::help::partitioner())]
pub struct Args {
    /// The tables to partition.
    #[command(flatten)]
    pub tables: TablesArgs,
    /// Print what would be created; change nothing.
    #[arg(long, help_heading = "Safety")]
    pub dry_run: bool,
    /// Only look at today and the N days before it. The partition keys
    /// (after any --prefix values) must start with year, month, day.
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = crate::args::whole_number(0, 36_500))]
    pub limit_days: Option<u32>,
    /// Fixed value for the next leading partition key; repeat for more
    /// keys (e.g. --prefix us-east-1 for a table keyed region/year/...).
    #[arg(long = "prefix", value_name = "VALUE")]
    pub prefix: Vec<String>,
    /// Backup, AWS and run options.
    #[command(flatten)]
    pub write: WriteArgs,
}

impl Command for Args {
    async fn run(self) -> anyhow::Result<u8> {
        let options = Options::new(&self.write, self.dry_run);
        many::run_tables(&self.tables, options, |table| OnTable {
            args: &self,
            table,
        })
        .await
    }
}

/// What the partitioner found and will create.
pub struct Plan {
    table: Table,
    found: u64,
    already_present: u64,
    to_create: Vec<DiscoveredPartition>,
    conflicts: Vec<Conflict>,
    empty_folders: u64,
    folders_listed: u64,
}

impl Job for OnTable<'_, Args> {
    fn name(&self) -> &'static str {
        "partitioner"
    }
    type Plan = Plan;
    type Outcome = Outcome;

    async fn plan(&self, session: &Session) -> anyhow::Result<Plan> {
        let scope = |table: &Table| {
            WalkScope::new(
                &table.partition_keys,
                self.prefix.clone(),
                self.limit_days,
                Date::today_utc(),
            )
        };
        let mut snapshot = read_scoped(
            &session.aws,
            &self.table.database,
            &self.table.table,
            scope,
            session.concurrency,
            &session.progress,
        )
        .await?;
        let plan = plan_snapshot(&mut snapshot);
        let discovery = snapshot.discovery;
        Ok(Plan {
            table: snapshot.table,
            found: plan.found,
            already_present: plan.already_present,
            to_create: plan.to_create,
            conflicts: discovery.conflicts,
            empty_folders: discovery.empty.len() as u64,
            folders_listed: discovery.folders_listed,
        })
    }

    fn warnings(&self, plan: &Self::Plan) -> Vec<String> {
        crate::driver::table_warnings(&plan.table)
    }

    fn changes_anything(&self, plan: &Plan) -> bool {
        !plan.to_create.is_empty()
    }

    async fn backup<'p>(
        &self,
        plan: &'p Plan,
        _: &Session,
    ) -> anyhow::Result<(Entries<'p>, String)> {
        // Each definition is made as its line is written, not held.
        let table = &plan.table;
        let entries = plan
            .to_create
            .iter()
            .map(move |p| Entry::create_partition(table, &p.definition(table)));
        Ok((Box::new(entries), table.qualified_name()))
    }

    async fn apply(&self, plan: &Plan, session: &Session) -> Outcome {
        session
            .write(Writes::CreateFound(&plan.table, &plan.to_create))
            .await
    }

    fn counts(&self, plan: &Plan, run: &Run<Outcome>) -> Vec<(&'static str, u64)> {
        let outcome = &run.outcome;
        let mut counts = vec![
            ("found", plan.found),
            ("already_present", plan.already_present),
            ("to_create", plan.to_create.len() as u64),
        ];
        if !run.dry_run {
            counts.extend([
                ("created", outcome.applied),
                ("already_existed", outcome.already_done),
                ("failed", outcome.failed.len() as u64),
            ]);
        }
        counts.extend([
            ("conflicts", plan.conflicts.len() as u64),
            ("empty_folders", plan.empty_folders),
        ]);
        counts
    }

    fn report(&self, plan: &Plan, run: &Run<Outcome>) -> std::io::Result<Report> {
        let outcome = &run.outcome;
        let body = Body {
            command: "partitioner",
            dry_run: run.dry_run,
            database: &plan.table.database,
            table: &plan.table.name,
            location: &plan.table.location,
            found: plan.found,
            already_present: plan.already_present,
            to_create: &plan.to_create,
            created: outcome.applied,
            already_existed: outcome.already_done,
            conflicts: &plan.conflicts,
            failed: &outcome.failed,
            not_attempted: outcome.not_attempted,
            stopped: outcome.stopped.as_ref(),
            empty_folders: plan.empty_folders,
            folders_listed: plan.folders_listed,
        };
        let counts = self.counts(plan, run);
        let mut report = Report::of_writes(&body, || text(&body, &counts, run), run)?;
        if !plan.conflicts.is_empty() && report.warning.is_none() {
            let see = if run.json {
                "see `conflicts` in the report"
            } else {
                "see the conflict lines above"
            };
            report.warning = Some(format!(
                "{} partition value set(s) are claimed by more than one folder and were not created; {see}",
                plan.conflicts.len()
            ));
        }
        Ok(report)
    }
}

/// The JSON document.
#[derive(serde::Serialize)]
struct Body<'a> {
    command: &'static str,
    dry_run: bool,
    database: &'a str,
    table: &'a str,
    location: &'a S3Location,
    found: u64,
    already_present: u64,
    to_create: &'a [DiscoveredPartition],
    created: u64,
    already_existed: u64,
    conflicts: &'a [Conflict],
    failed: &'a [Failure],
    not_attempted: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<&'a Stopped>,
    empty_folders: u64,
    folders_listed: u64,
}

fn text(body: &Body, counts: &[(&'static str, u64)], run: &Run<Outcome>) -> Text {
    let verb = if run.dry_run {
        "would create"
    } else {
        "create"
    };
    let planned = body
        .to_create
        .iter()
        .map(|p| format!("{verb} {} {}", values_text(&p.values), p.location))
        .collect();
    let mut always: Vec<String> = body.conflicts.iter().map(conflict_line).collect();
    always.extend(failure_lines(body.failed));
    let mut rows = count_rows(counts);
    rows.extend(stop_rows(body.not_attempted, body.stopped));
    if body.empty_folders > 0 {
        rows.push(Row::Note(
            "(empty folders match the partition keys but hold no data: not partitions)".into(),
        ));
    }
    Text {
        planned,
        always,
        title: format!(
            "partitioner {}.{} at {}{}",
            body.database,
            body.table,
            body.location,
            run.mode()
        ),
        rows,
        ..Text::default()
    }
}

/// `conflict [2023, 01] found in s3://... and s3://...`
fn conflict_line(conflict: &Conflict) -> String {
    let locations: Vec<String> = conflict.locations.iter().map(|l| l.to_string()).collect();
    format!(
        "conflict {} found in {}",
        values_text(&conflict.values),
        locations.join(" and ")
    )
}
