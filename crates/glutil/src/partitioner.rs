//! The partitioner: find partition folders in S3 and create the ones the
//! catalog lacks.

use std::collections::HashSet;

use crate::backup::{Entry, PartitionImage};
use crate::catalog::{new_partition_input, Catalog, PartitionFailure};
use crate::client::Aws;
use crate::error::Result;
use crate::layout::Conflict;
use crate::location::S3Location;
use crate::plan::plan_creates;
use crate::progress::Progress;
use crate::scope::{Date, WalkScope};
use crate::table::{DiscoveredPartition, Table};
use crate::walk::{discover, discover_with_catalog, WalkOptions};

/// What the partitioner is asked to do.
#[derive(Debug, Clone)]
pub struct PartitionerOptions {
    /// Fixed values for the leading partition keys (`--prefix`).
    pub prefix: Vec<String>,
    /// Only days from today back this many days (`--limit-days`).
    pub limit_days: Option<u32>,
    /// "Today" for `limit_days`, normally [`Date::today_utc`].
    pub today: Date,
    /// Requests in flight at once, per stage.
    pub concurrency: usize,
    /// Plan only; write nothing.
    pub dry_run: bool,
}

/// What the partitioner found and did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PartitionerReport {
    /// The database.
    pub database: String,
    /// The table.
    pub table: String,
    /// The table's location: the root of the walk.
    pub location: S3Location,
    /// True when nothing was written.
    pub dry_run: bool,
    /// Partitions found in S3 (conflicts not included).
    pub found: u64,
    /// Of those, partitions the catalog already had.
    pub already_present: u64,
    /// Partitions to create (in a dry run) or that were to be created.
    pub to_create: Vec<DiscoveredPartition>,
    /// Partitions this run created.
    pub created: u64,
    /// Partitions someone else created between our read and our write.
    pub already_existed: u64,
    /// Values found in more than one folder; none was created.
    pub conflicts: Vec<Conflict>,
    /// Partitions that could not be created, with Glue's reason.
    pub failed: Vec<PartitionFailure>,
    /// Partitions never sent because the run was stopped (Ctrl-C).
    pub not_attempted: u64,
    /// Matching leaf folders without data (not partitions).
    pub empty_folders: u64,
    /// Folders listed in S3.
    pub folders_listed: u64,
}

impl PartitionerReport {
    /// True when some partition could not be created.
    pub fn has_failures(&self) -> bool {
        !self.failed.is_empty()
    }
}

/// Runs the partitioner on one table: [`plan`], then [`apply`].
pub async fn run(
    aws: &Aws,
    database: &str,
    table_name: &str,
    options: &PartitionerOptions,
    progress: &dyn Progress,
) -> Result<PartitionerReport> {
    let (table, mut report) = plan(aws, database, table_name, options, progress).await?;
    apply(aws, &table, &mut report, options.concurrency, progress).await;
    Ok(report)
}

/// The backup entries for the partitions a plan creates.
pub fn backup_entries(table: &Table, report: &PartitionerReport) -> Vec<Entry> {
    report
        .to_create
        .iter()
        .map(|p| Entry::CreatePartition {
            database: table.database.clone(),
            table: table.name.clone(),
            partition: PartitionImage::from(&new_partition_input(table, p)),
        })
        .collect()
}

/// Creates the partitions a plan lists (none in a dry run), filling in
/// the report's outcome.
pub async fn apply(
    aws: &Aws,
    table: &Table,
    report: &mut PartitionerReport,
    concurrency: usize,
    progress: &dyn Progress,
) {
    if report.dry_run || report.to_create.is_empty() {
        return;
    }
    let catalog = Catalog::new(aws.glue.clone(), aws.catalog_id.clone());
    progress.step("creating partitions");
    let outcome = catalog
        .create_partitions(table, &report.to_create, concurrency, progress)
        .await;
    report.created = outcome.created;
    report.already_existed = outcome.already_existed;
    report.failed = outcome.failed;
    report.not_attempted = outcome.not_attempted;
}

/// Reads the table, walks its location and compares with the catalog:
/// what the partitioner would create. Reads only.
pub async fn plan(
    aws: &Aws,
    database: &str,
    table_name: &str,
    options: &PartitionerOptions,
    progress: &dyn Progress,
) -> Result<(Table, PartitionerReport)> {
    let catalog = Catalog::new(aws.glue.clone(), aws.catalog_id.clone());
    let table = catalog.table(database, table_name).await?;
    let scope = WalkScope::new(
        &table.partition_keys,
        options.prefix.clone(),
        options.limit_days,
        options.today,
    )?;
    let whole_table = scope.is_everything();
    let walk = WalkOptions {
        concurrency: options.concurrency,
        scope,
        page_size: None,
    };
    let (discovery, existing): (_, HashSet<Vec<String>>) = if whole_table {
        // The whole table is walked, so the whole catalog is read, while the
        // walk runs: values only (no column lists), no round after the walk.
        let (discovery, partitions) = discover_with_catalog(
            &aws.s3,
            &catalog,
            &table,
            options.concurrency,
            true,
            progress,
        )
        .await?;
        let existing = partitions.iter().map(|p| p.values().to_vec()).collect();
        (discovery, existing)
    } else {
        // A narrow walk finds few partitions: look up just those.
        let discovery = discover(&aws.s3, &table, &walk, progress).await?;
        progress.step(&format!(
            "checking {} partitions against the catalog",
            discovery.partitions.len()
        ));
        let values: Vec<Vec<String>> = discovery
            .partitions
            .iter()
            .map(|p| p.values.clone())
            .collect();
        let existing = catalog
            .partitions_by_values(&table, &values, options.concurrency)
            .await?
            .into_iter()
            .map(|p| p.values)
            .collect();
        (discovery, existing)
    };
    let plan = plan_creates(&discovery.partitions, &existing);

    let report = PartitionerReport {
        database: table.database.clone(),
        table: table.name.clone(),
        location: table.location.clone(),
        dry_run: options.dry_run,
        found: discovery.partitions.len() as u64,
        already_present: plan.already_present,
        to_create: plan.to_create,
        created: 0,
        already_existed: 0,
        conflicts: discovery.conflicts,
        failed: Vec::new(),
        not_attempted: 0,
        empty_folders: discovery.empty.len() as u64,
        folders_listed: discovery.folders_listed,
    };
    Ok((table, report))
}
