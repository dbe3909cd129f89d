//! Repairs after moves and schema changes: `update-partitions`,
//! `update-storage` and `delete-bad-tables`.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use aws_sdk_glue::types::Partition;
use glutil::backup::{Entry, PartitionImage};
use glutil::restore::{table_deletion_entries, table_with_partitions};
use glutil::table::Table;

use anyhow::Context;
use glutil::catalog::{PartitionFailure, TableDeleteOutcome, UpdateOutcome};
use glutil::location::S3Location;
use glutil::progress::Progress;
use glutil::repair::{
    junk_tables, moved_input, partition_input, plan_moves, storage_update, JunkTable, LeftAlone,
    Move, STORAGE_FIELDS,
};
use glutil::walk::discover_with_catalog;

use crate::args::{AwsArgs, OutputFormat, RunArgs, TableWriteArgs};
use crate::backup::BackupArgs;
use crate::output::{values_text, write_failures, write_not_attempted, Output};
use crate::session::Session;
use crate::{exit_status, Command};

/// Repoints partitions at their folders after the data moved.
///
/// After data was copied to a new bucket or prefix and the table's location
/// updated, repoints every partition whose values are found under the
/// table's current location at another folder. Only
/// `StorageDescriptor.Location` changes; partitions not found there are left
/// alone and listed. A backup is written first.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "update-partitions", version, after_help = crate::EXIT_CODES_HELP)]
pub struct UpdatePartitions {
    /// Shared arguments.
    #[command(flatten)]
    pub args: TableWriteArgs,
}

/// Copies the table's schema and format into partitions that differ.
///
/// After the table's schema or format changed, copies the table's columns,
/// serde, input/output format and compression into every partition that
/// differs, keeping each partition's location and parameters (the fix for
/// Athena's HIVE_PARTITION_SCHEMA_MISMATCH). A backup is written first.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "update-storage", version, after_help = crate::EXIT_CODES_HELP)]
pub struct UpdateStorage {
    /// Shared arguments.
    #[command(flatten)]
    pub args: TableWriteArgs,
}

/// Deletes the junk tables a Glue crawler makes from partitions.
///
/// Junk: a table whose location lies below another table's location, and a
/// table at another table's location whose name extends that table's name
/// (`events_1a2b3c` next to `events`). A backup of each table and its
/// partitions is written first.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "delete-bad-tables", version, after_help = crate::EXIT_CODES_HELP)]
pub struct DeleteBadTables {
    /// Glue database name.
    #[arg(value_name = "DATABASE", value_parser = crate::args::catalog_name)]
    pub database: String,
    /// Print what would be deleted; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where the backup goes (each table and all its partitions, since
    /// Glue deletes them with the table).
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
struct MoveReport<'a> {
    command: &'static str,
    database: &'a str,
    table: &'a str,
    location: &'a S3Location,
    dry_run: bool,
    examined: u64,
    moves: &'a [Move],
    unchanged: u64,
    not_found: &'a [LeftAlone],
    updated: u64,
    failed: &'a [PartitionFailure],
    not_attempted: u64,
    backup: Option<&'a Path>,
    requests: BTreeMap<String, u64>,
}

impl Command for UpdatePartitions {
    async fn run(self) -> anyhow::Result<u8> {
        let args = &self.args;
        let session = Session::start(&args.aws, &args.run).await?;
        let Session {
            output,
            aws,
            catalog,
            progress,
            concurrency,
        } = &session;
        let concurrency = *concurrency;
        let result = async {
            let table = catalog
                .table(&args.table.database, &args.table.table)
                .await?;
            // Full partitions: an update replaces the whole definition.
            let (discovery, partitions) =
                discover_with_catalog(&aws.s3, catalog, &table, concurrency, false, progress)
                    .await?;
            let plan = plan_moves(&partitions, &discovery);
            let mut outcome = UpdateOutcome::default();
            let mut backup = None;
            if !args.dry_run && !plan.moves.is_empty() {
                let by_values: HashMap<&[String], _> =
                    partitions.iter().map(|p| (p.values(), p)).collect();
                let entries = update_entries(
                    &table,
                    plan.moves.iter().map(|m| by_values[m.values.as_slice()]),
                );
                backup = crate::backup::write(
                    &session,
                    &args.backup,
                    "update-partitions",
                    &table.qualified_name(),
                    &entries,
                )?;
                progress.step("updating partitions");
                let updates: Vec<_> = plan
                    .moves
                    .iter()
                    .map(|m| {
                        (
                            m.values.clone(),
                            moved_input(by_values[m.values.as_slice()], &m.to),
                        )
                    })
                    .collect();
                outcome = catalog
                    .update_partitions(&table, &updates, concurrency, progress)
                    .await;
            }
            Ok::<_, anyhow::Error>((table, partitions.len() as u64, plan, outcome, backup))
        }
        .await;
        let requests = session.finish();
        let (table, examined, plan, outcome, backup) = result?;
        match output.format {
            OutputFormat::Json => output.write_json(&MoveReport {
                command: "update-partitions",
                database: &table.database,
                table: &table.name,
                location: &table.location,
                dry_run: args.dry_run,
                examined,
                moves: &plan.moves,
                unchanged: plan.unchanged,
                not_found: &plan.not_found,
                updated: outcome.updated,
                failed: &outcome.failed,
                not_attempted: outcome.not_attempted,
                backup: backup.as_deref(),
                requests,
            }),
            OutputFormat::Text => {
                let mut out = Output::stdout();
                if !output.quiet {
                    let verb = if args.dry_run { "would move" } else { "move" };
                    if args.dry_run || output.verbose > 0 {
                        for m in &plan.moves {
                            let from = m.from.as_deref().unwrap_or("(no location)");
                            writeln!(out, "{verb} {} {from} -> {}", values_text(&m.values), m.to)?;
                        }
                    }
                    for p in &plan.not_found {
                        let location = p.location.as_deref().unwrap_or("(no location)");
                        writeln!(
                            out,
                            "left alone {} {location} (not found under the table location)",
                            values_text(&p.values)
                        )?;
                    }
                    write_failures(&mut out, &outcome.failed)?;
                }
                let mode = if args.dry_run { " (dry run)" } else { "" };
                writeln!(
                    out,
                    "update-partitions {} at {}{mode}",
                    table.qualified_name(),
                    table.location
                )?;
                writeln!(out, "  examined:   {examined}")?;
                writeln!(out, "  to move:    {}", plan.moves.len())?;
                writeln!(out, "  unchanged:  {}", plan.unchanged)?;
                writeln!(out, "  not found:  {}", plan.not_found.len())?;
                if !args.dry_run {
                    writeln!(out, "  updated:    {}", outcome.updated)?;
                    writeln!(out, "  failed:     {}", outcome.failed.len())?;
                    write_not_attempted(&mut out, outcome.not_attempted)?;
                }
                if let Some(line) = crate::backup::summary_line(backup.as_deref(), 12) {
                    writeln!(out, "{line}")?;
                }
                out.flush()
            }
        }
        .context("writing the report to stdout")?;
        Ok(exit_status(!outcome.failed.is_empty()))
    }
}

#[derive(serde::Serialize)]
struct StorageChange {
    values: Vec<String>,
    fields: Vec<&'static str>,
}

#[derive(serde::Serialize)]
struct StorageReport<'a> {
    command: &'static str,
    database: &'a str,
    table: &'a str,
    dry_run: bool,
    examined: u64,
    to_update: &'a [StorageChange],
    differing_fields: BTreeMap<&'static str, u64>,
    updated: u64,
    failed: &'a [PartitionFailure],
    not_attempted: u64,
    backup: Option<&'a Path>,
    requests: BTreeMap<String, u64>,
}

impl Command for UpdateStorage {
    async fn run(self) -> anyhow::Result<u8> {
        let args = &self.args;
        let session = Session::start(&args.aws, &args.run).await?;
        let Session {
            output,
            catalog,
            progress,
            concurrency,
            ..
        } = &session;
        let concurrency = *concurrency;
        let result = async {
            let table = catalog
                .table(&args.table.database, &args.table.table)
                .await?;
            let partitions = catalog.all_partitions(&table, false).await?;
            let mut changes = Vec::new();
            let mut updates = Vec::new();
            let mut differing = Vec::new();
            for p in &partitions {
                let (storage, fields) = storage_update(&table.storage_descriptor, p);
                if !fields.is_empty() {
                    changes.push(StorageChange {
                        values: p.values().to_vec(),
                        fields,
                    });
                    updates.push((p.values().to_vec(), partition_input(p, storage)));
                    differing.push(p);
                }
            }
            changes.sort_by(|a, b| a.values.cmp(&b.values));
            let mut outcome = UpdateOutcome::default();
            let mut backup = None;
            if !args.dry_run && !updates.is_empty() {
                let entries = update_entries(&table, differing.into_iter());
                backup = crate::backup::write(
                    &session,
                    &args.backup,
                    "update-storage",
                    &table.qualified_name(),
                    &entries,
                )?;
                progress.step("updating partitions");
                outcome = catalog
                    .update_partitions(&table, &updates, concurrency, progress)
                    .await;
            }
            Ok::<_, anyhow::Error>((table, partitions.len() as u64, changes, outcome, backup))
        }
        .await;
        let requests = session.finish();
        let (table, examined, changes, outcome, backup) = result?;
        let mut differing_fields: BTreeMap<&'static str, u64> =
            STORAGE_FIELDS.iter().map(|f| (*f, 0)).collect();
        for change in &changes {
            for field in &change.fields {
                *differing_fields.entry(field).or_default() += 1;
            }
        }
        match output.format {
            OutputFormat::Json => output.write_json(&StorageReport {
                command: "update-storage",
                database: &table.database,
                table: &table.name,
                dry_run: args.dry_run,
                examined,
                to_update: &changes,
                differing_fields,
                updated: outcome.updated,
                failed: &outcome.failed,
                not_attempted: outcome.not_attempted,
                backup: backup.as_deref(),
                requests,
            }),
            OutputFormat::Text => {
                let mut out = Output::stdout();
                if !output.quiet {
                    if args.dry_run || output.verbose > 0 {
                        let verb = if args.dry_run {
                            "would update"
                        } else {
                            "update"
                        };
                        for c in &changes {
                            writeln!(
                                out,
                                "{verb} {}: {}",
                                values_text(&c.values),
                                c.fields.join(", ")
                            )?;
                        }
                    }
                    write_failures(&mut out, &outcome.failed)?;
                }
                let mode = if args.dry_run { " (dry run)" } else { "" };
                writeln!(out, "update-storage {}{mode}", table.qualified_name())?;
                writeln!(out, "  examined:   {examined}")?;
                writeln!(out, "  differ:     {}", changes.len())?;
                for (field, count) in &differing_fields {
                    writeln!(out, "    {field}: {count}")?;
                }
                if !args.dry_run {
                    writeln!(out, "  updated:    {}", outcome.updated)?;
                    writeln!(out, "  failed:     {}", outcome.failed.len())?;
                    write_not_attempted(&mut out, outcome.not_attempted)?;
                }
                if let Some(line) = crate::backup::summary_line(backup.as_deref(), 12) {
                    writeln!(out, "{line}")?;
                }
                out.flush()
            }
        }
        .context("writing the report to stdout")?;
        Ok(exit_status(!outcome.failed.is_empty()))
    }
}

#[derive(serde::Serialize)]
struct TablesReport<'a> {
    command: &'static str,
    database: &'a str,
    dry_run: bool,
    examined: u64,
    to_delete: &'a [JunkTable],
    #[serde(flatten)]
    outcome: &'a TableDeleteOutcome,
    backup: Option<&'a Path>,
    requests: BTreeMap<String, u64>,
}

impl Command for DeleteBadTables {
    async fn run(self) -> anyhow::Result<u8> {
        let session = Session::start(&self.aws, &self.run).await?;
        let (output, catalog) = (&session.output, &session.catalog);
        let tables = catalog.tables(&self.database).await?;
        let junk = junk_tables(&tables);
        let mut outcome = TableDeleteOutcome::default();
        let mut backup = None;
        if !self.dry_run && !junk.is_empty() {
            let mut entries = Vec::new();
            for j in &junk {
                if let Some((table, partitions)) =
                    table_with_partitions(catalog, &self.database, &j.name).await?
                {
                    entries.extend(table_deletion_entries(&self.database, &table, &partitions));
                }
            }
            backup = crate::backup::write(
                &session,
                &self.backup,
                "delete-bad-tables",
                &self.database,
                &entries,
            )?;
            let names: Vec<String> = junk.iter().map(|j| j.name.clone()).collect();
            outcome = catalog.delete_tables(&self.database, &names).await;
        }
        let requests = session.finish();
        match output.format {
            OutputFormat::Json => output.write_json(&TablesReport {
                command: "delete-bad-tables",
                database: &self.database,
                dry_run: self.dry_run,
                examined: tables.len() as u64,
                to_delete: &junk,
                outcome: &outcome,
                backup: backup.as_deref(),
                requests,
            }),
            OutputFormat::Text => {
                let mut out = Output::stdout();
                if !output.quiet {
                    let verb = if self.dry_run {
                        "would delete"
                    } else {
                        "delete"
                    };
                    for j in &junk {
                        writeln!(out, "{verb} table {} {} ({})", j.name, j.location, j.reason)?;
                    }
                    for f in &outcome.failed {
                        writeln!(out, "failed table {}: {}: {}", f.name, f.code, f.message)?;
                    }
                }
                let mode = if self.dry_run { " (dry run)" } else { "" };
                writeln!(out, "delete-bad-tables {}{mode}", self.database)?;
                writeln!(out, "  examined:     {}", tables.len())?;
                writeln!(out, "  to delete:    {}", junk.len())?;
                if !self.dry_run {
                    writeln!(out, "  deleted:      {}", outcome.deleted)?;
                    writeln!(out, "  already gone: {}", outcome.already_gone)?;
                    writeln!(out, "  failed:       {}", outcome.failed.len())?;
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
}

/// Backup entries for partitions about to be updated: as they are now.
fn update_entries<'a>(
    table: &Table,
    partitions: impl Iterator<Item = &'a Partition>,
) -> Vec<Entry> {
    partitions
        .map(|p| Entry::UpdatePartition {
            database: table.database.clone(),
            table: table.name.clone(),
            partition: PartitionImage::from(p),
        })
        .collect()
}
