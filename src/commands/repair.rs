//! Repairs after moves and schema changes: `update-partitions`,
//! `update-storage` and `delete-bad-tables`.

use std::collections::BTreeMap;

use glutil::apply::Writes;
use glutil::aws::Detail;
use glutil::backup::{Entries, Entry};
use glutil::model::outcome::{Failure, Outcome, Stopped};
use glutil::model::{PartitionImage, StoredPartition, Table, TableEntry};
use glutil::plan::junk::{junk_tables, JunkTable};
use glutil::plan::moves::{plan_moves, Move, MovePlan};
use glutil::plan::storage::{plan_storage, StorageChange, StoragePlan};
use glutil::read::restore::table_with_partitions;
use glutil::read::snapshot::read_whole;

use crate::args::{TablesWriteArgs, WriteArgs};
use crate::driver::{self, Job, OnTable, Options};
use crate::many;
use crate::output::{
    count_rows, delete_counts, failure_lines, stop_rows, update_counts, values_text, Report, Row,
    Run, TableHead, Text,
};
use crate::session::Session;
use crate::Command;

/// Repoints partitions at their folders after the data moved.
///
/// After data was copied to a new bucket or prefix and the table's location
/// updated, repoints every partition whose values are found under the
/// table's current location at another folder. Only
/// `StorageDescriptor.Location` changes; partitions not found there are left
/// alone and listed. A backup is written first.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "update-partitions", version, override_usage = crate::args::tables_usage("update-partitions"), after_help = crate::help::update_partitions())]
pub struct UpdatePartitions {
    /// Shared arguments.
    #[command(flatten)]
    pub args: TablesWriteArgs,
}

/// Copies the table's schema and format into partitions that differ.
///
/// After the table's schema or format changed, copies the table's columns,
/// serde, input/output format and compression into every partition that
/// differs, keeping each partition's location and parameters (the fix for
/// Athena's HIVE_PARTITION_SCHEMA_MISMATCH). A backup is written first.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "update-storage", version, override_usage = crate::args::tables_usage("update-storage"), after_help = crate::help::update_storage())]
pub struct UpdateStorage {
    /// Shared arguments.
    #[command(flatten)]
    pub args: TablesWriteArgs,
}

/// Deletes the junk tables a Glue crawler makes from partitions.
///
/// Junk: a table whose location lies below another table's location, and a
/// table at another table's location whose name extends that table's name
/// (`events_1a2b3c` next to `events`). A backup of each table and its
/// partitions is written first.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "delete-bad-tables", version, after_help = crate::help::delete_bad_tables())]
pub struct DeleteBadTables {
    /// Glue database name.
    #[arg(value_name = "DATABASE", value_parser = crate::args::catalog_name)]
    pub database: String,
    /// Print what would be deleted; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Backup, AWS and run options.
    #[command(flatten)]
    pub write: WriteArgs,
}

impl Command for UpdatePartitions {
    async fn run(self) -> anyhow::Result<u8> {
        let job = |table| OnTable { args: &self, table };
        many::run_tables(&self.args.tables, Options::for_tables(&self.args), job).await
    }
}

impl Command for UpdateStorage {
    async fn run(self) -> anyhow::Result<u8> {
        let job = |table| OnTable { args: &self, table };
        many::run_tables(&self.args.tables, Options::for_tables(&self.args), job).await
    }
}

impl Command for DeleteBadTables {
    async fn run(self) -> anyhow::Result<u8> {
        let options = Options::new(&self.write, self.dry_run);
        driver::run(&self, options).await
    }
}

/// A table, how many partitions it has, and a plan for them.
pub struct TablePlan<P> {
    table: Table,
    examined: u64,
    plan: P,
}

/// The backup of partition updates: each partition as it is now.
fn update_backup<'a>(
    table: &'a Table,
    before: impl Iterator<Item = &'a PartitionImage> + 'a,
) -> (Entries<'a>, String) {
    let entries = before.map(move |p| Entry::update_partition(table, p));
    (Box::new(entries), table.qualified_name())
}

/// Sends partition updates with the shared batching.
async fn update(session: &Session, table: &Table, partitions: Vec<PartitionImage>) -> Outcome {
    session
        .write(Writes::UpdatePartitions(table.id(), &partitions))
        .await
}

/// The update commands' summary columns predate the aligning renderer and
/// start at 12; scripts parse them, so they stay there.
const UPDATE_COLUMN: usize = 12;

impl Job for OnTable<'_, UpdatePartitions> {
    fn name(&self) -> &'static str {
        "update-partitions"
    }
    type Plan = TablePlan<MovePlan>;
    type Outcome = Outcome;

    async fn plan(&self, session: &Session) -> anyhow::Result<Self::Plan> {
        let table = &self.table;
        // Whole partitions: an update replaces the whole definition.
        let snapshot = read_whole(
            &session.aws,
            &table.database,
            &table.table,
            session.concurrency,
            Detail::Whole,
            &session.progress,
        )
        .await?;
        Ok(TablePlan {
            examined: snapshot.partitions.len() as u64,
            plan: plan_moves(&snapshot.partitions, &snapshot.discovery),
            table: snapshot.table,
        })
    }

    fn warnings(&self, plan: &Self::Plan) -> Vec<String> {
        crate::driver::table_warnings(&plan.table)
    }

    fn changes_anything(&self, plan: &Self::Plan) -> bool {
        !plan.plan.moves.is_empty()
    }

    async fn backup<'p>(
        &self,
        plan: &'p Self::Plan,
        _: &Session,
    ) -> anyhow::Result<(Entries<'p>, String)> {
        let before = plan.plan.moves.iter().map(|m| &m.before);
        Ok(update_backup(&plan.table, before))
    }

    async fn apply(&self, plan: &Self::Plan, session: &Session) -> Outcome {
        let after = plan.plan.moves.iter().map(Move::after).collect();
        update(session, &plan.table, after).await
    }

    fn counts(&self, plan: &Self::Plan, run: &Run<Outcome>) -> Vec<(&'static str, u64)> {
        let moves = &plan.plan;
        let mut counts = vec![
            ("examined", plan.examined),
            ("to_update", moves.moves.len() as u64),
            ("unchanged", moves.unchanged),
            ("not_found", moves.not_found.len() as u64),
        ];
        counts.extend(update_counts(run));
        counts
    }

    fn report(&self, plan: &Self::Plan, run: &Run<Outcome>) -> std::io::Result<Report> {
        let (table, moves, outcome) = (&plan.table, &plan.plan, &run.outcome);
        let body = MoveBody {
            head: TableHead::new("update-partitions", table, run, plan.examined),
            to_update: &moves.moves,
            unchanged: moves.unchanged,
            not_found: &moves.not_found,
            updated: outcome.applied,
            failed: &outcome.failed,
            not_attempted: outcome.not_attempted,
            stopped: outcome.stopped.as_ref(),
        };
        let verb = if run.dry_run {
            "would update"
        } else {
            "update"
        };
        let mut always: Vec<String> = moves
            .not_found
            .iter()
            .map(|p| {
                let location = p.location.as_deref().unwrap_or("(no location)");
                let values = values_text(&p.values);
                format!("left alone {values} {location} (not found under the table location)")
            })
            .collect();
        always.extend(failure_lines(&outcome.failed));
        let mut rows = count_rows(&self.counts(plan, run));
        rows.extend(stop_rows(outcome.not_attempted, outcome.stopped.as_ref()));
        let text = || Text {
            planned: moves
                .moves
                .iter()
                .map(|m| {
                    let from = m.from.as_deref().unwrap_or("(no location)");
                    format!("{verb} {} {from} -> {}", values_text(&m.values), m.to)
                })
                .collect(),
            always,
            title: body.head.title(),
            rows,
            min_width: UPDATE_COLUMN,
            ..Text::default()
        };
        Report::of_writes(&body, text, run)
    }
}

/// The `update-partitions` JSON document.
#[derive(serde::Serialize)]
struct MoveBody<'a> {
    #[serde(flatten)]
    head: TableHead<'a>,
    to_update: &'a [Move],
    unchanged: u64,
    not_found: &'a [StoredPartition],
    updated: u64,
    failed: &'a [Failure],
    not_attempted: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<&'a Stopped>,
}

impl Job for OnTable<'_, UpdateStorage> {
    fn name(&self) -> &'static str {
        "update-storage"
    }
    type Plan = TablePlan<StoragePlan>;
    type Outcome = Outcome;

    async fn plan(&self, session: &Session) -> anyhow::Result<Self::Plan> {
        let args = &self.table;
        let table = session.catalog.table(&args.database, &args.table).await?;
        table.check_partitioned()?;
        let partitions = session
            .catalog
            .all_partitions(&table, Detail::Whole)
            .await?;
        Ok(TablePlan {
            examined: partitions.len() as u64,
            plan: plan_storage(&table.storage_descriptor, &partitions),
            table,
        })
    }

    fn warnings(&self, plan: &Self::Plan) -> Vec<String> {
        crate::driver::table_warnings(&plan.table)
    }

    fn changes_anything(&self, plan: &Self::Plan) -> bool {
        !plan.plan.changes.is_empty()
    }

    async fn backup<'p>(
        &self,
        plan: &'p Self::Plan,
        _: &Session,
    ) -> anyhow::Result<(Entries<'p>, String)> {
        let before = plan.plan.changes.iter().map(|c| &c.before);
        Ok(update_backup(&plan.table, before))
    }

    async fn apply(&self, plan: &Self::Plan, session: &Session) -> Outcome {
        let after = plan.plan.changes.iter().map(|c| c.after.clone()).collect();
        update(session, &plan.table, after).await
    }

    fn counts(&self, plan: &Self::Plan, run: &Run<Outcome>) -> Vec<(&'static str, u64)> {
        let mut counts = vec![
            ("examined", plan.examined),
            ("to_update", plan.plan.changes.len() as u64),
        ];
        counts.extend(update_counts(run));
        counts
    }

    fn report(&self, plan: &Self::Plan, run: &Run<Outcome>) -> std::io::Result<Report> {
        let (table, storage, outcome) = (&plan.table, &plan.plan, &run.outcome);
        let body = StorageBody {
            command: "update-storage",
            dry_run: run.dry_run,
            database: &table.database,
            table: &table.name,
            examined: plan.examined,
            to_update: &storage.changes,
            differing_fields: &storage.differing_fields,
            updated: outcome.applied,
            failed: &outcome.failed,
            not_attempted: outcome.not_attempted,
            stopped: outcome.stopped.as_ref(),
        };
        let verb = if run.dry_run {
            "would update"
        } else {
            "update"
        };
        // Which fields differ, and in how many partitions, under the count.
        let details = storage
            .differing_fields
            .iter()
            .map(|(field, count)| Row::Detail(field.to_string(), count.to_string()));
        let mut rows = count_rows(&self.counts(plan, run));
        rows.splice(2..2, details);
        rows.extend(stop_rows(outcome.not_attempted, outcome.stopped.as_ref()));
        let text = || Text {
            planned: storage
                .changes
                .iter()
                .map(|c| format!("{verb} {}: {}", values_text(&c.values), c.fields.join(", ")))
                .collect(),
            always: failure_lines(&outcome.failed).collect(),
            title: format!("update-storage {}{}", table.qualified_name(), run.mode()),
            rows,
            min_width: UPDATE_COLUMN,
            ..Text::default()
        };
        Report::of_writes(&body, text, run)
    }
}

/// The `update-storage` JSON document.
#[derive(serde::Serialize)]
struct StorageBody<'a> {
    command: &'static str,
    dry_run: bool,
    database: &'a str,
    table: &'a str,
    examined: u64,
    to_update: &'a [StorageChange],
    differing_fields: &'a BTreeMap<&'static str, u64>,
    updated: u64,
    failed: &'a [Failure],
    not_attempted: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<&'a Stopped>,
}

/// The junk tables of a database, among how many.
pub struct JunkPlan {
    tables: Vec<TableEntry>,
    junk: Vec<JunkTable>,
}

/// The backup of table deletes: each table and all its partitions, since
/// Glue deletes them with it (tables already gone are left out).
pub(crate) async fn table_deletes_backup<'n>(
    session: &Session,
    database: &str,
    names: impl Iterator<Item = &'n str>,
) -> anyhow::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for name in names {
        if let Some((table, partitions)) =
            table_with_partitions(&session.catalog, database, name).await?
        {
            entries.extend(Entry::delete_table(database, &table, &partitions));
        }
    }
    Ok(entries)
}

impl Job for DeleteBadTables {
    fn name(&self) -> &'static str {
        "delete-bad-tables"
    }
    type Plan = JunkPlan;
    type Outcome = Outcome;

    async fn plan(&self, session: &Session) -> anyhow::Result<JunkPlan> {
        let tables = session.catalog.tables(&self.database).await?;
        let junk = junk_tables(&tables);
        Ok(JunkPlan { tables, junk })
    }

    fn changes_anything(&self, plan: &JunkPlan) -> bool {
        !plan.junk.is_empty()
    }

    /// Each table and all its partitions, since Glue deletes them with it.
    async fn backup<'p>(
        &self,
        plan: &'p JunkPlan,
        session: &Session,
    ) -> anyhow::Result<(Entries<'p>, String)> {
        let names = plan.junk.iter().map(|j| j.name.as_str());
        let entries = table_deletes_backup(session, &self.database, names).await?;
        Ok((Box::new(entries.into_iter()), self.database.clone()))
    }

    async fn apply(&self, plan: &JunkPlan, session: &Session) -> Outcome {
        let names: Vec<_> = plan.junk.iter().map(|j| j.name.clone()).collect();
        session
            .write(Writes::DeleteTables(self.database.clone(), &names))
            .await
    }

    fn report(&self, plan: &JunkPlan, run: &Run<Outcome>) -> std::io::Result<Report> {
        let outcome = &run.outcome;
        let body = TablesBody {
            command: "delete-bad-tables",
            dry_run: run.dry_run,
            database: &self.database,
            examined: plan.tables.len() as u64,
            to_delete: &plan.junk,
            deleted: outcome.applied,
            already_gone: outcome.already_done,
            failed: &outcome.failed,
        };
        let verb = if run.dry_run {
            "would delete"
        } else {
            "delete"
        };
        let mut always: Vec<String> = plan
            .junk
            .iter()
            .map(|j| {
                format!(
                    "{verb} table {}.{} {} ({})",
                    self.database, j.name, j.location, j.reason
                )
            })
            .collect();
        always.extend(failure_lines(&outcome.failed));
        let planned = vec![
            ("examined", plan.tables.len() as u64),
            ("to_delete", plan.junk.len() as u64),
        ];
        let mut rows = count_rows(&delete_counts(planned, outcome, run.dry_run));
        rows.extend(stop_rows(outcome.not_attempted, outcome.stopped.as_ref()));
        let text = || Text {
            always,
            title: format!("delete-bad-tables {}{}", self.database, run.mode()),
            rows,
            ..Text::default()
        };
        Report::of_writes(&body, text, run)
    }
}

/// The `delete-bad-tables` JSON document.
#[derive(serde::Serialize)]
struct TablesBody<'a> {
    command: &'static str,
    dry_run: bool,
    database: &'a str,
    examined: u64,
    to_delete: &'a [JunkTable],
    deleted: u64,
    already_gone: u64,
    failed: &'a [Failure],
}
