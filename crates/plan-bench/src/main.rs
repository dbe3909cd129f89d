//! The pure plan at scale, with no AWS at all: 1,000,000 synthetic leaf
//! folders (100 tenants x 10,000 hours, Hive style) are read into
//! partitions the way the walk reads them, their conflicts resolved, then
//! planned against a catalog that holds every other one (the partitioner's
//! plan), and audited (list-missing's plan) with the data presence the walk
//! would report. Prints the CPU time and peak memory (Linux /proc) of the
//! whole process.
//!
//! `cargo run --release -p plan-bench [-- PARTITIONS]`

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use glutil::model::layout::{path_values, resolve_conflicts, Conflict};
use glutil::model::partition::{DiscoveredPartition, Discovery, StoredPartition};
use glutil::model::table::PartitionKey;
use glutil::model::values::Values;
use glutil::model::S3Location;
use glutil::plan::audit::Audit;
use glutil::plan::create::plan_found;

fn main() {
    let total: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let started = Instant::now();
    let keys: Vec<PartitionKey> = ["tenant", "year", "month", "day", "hour"]
        .iter()
        .map(|name| PartitionKey {
            name: name.to_string(),
            type_name: "string".into(),
        })
        .collect();
    let root = S3Location::parse("s3://bench-data/events/").expect("a location");

    // The partitioner: walk, resolve conflicts, plan against the catalog's
    // values (every other partition is there already).
    let (partitions, _) = walk(total, &keys, &root);
    let catalog = catalog_of(&partitions);
    let in_catalog: HashSet<Values> = catalog.into_iter().map(|p| p.values).collect();
    let creates = plan_found(partitions, &in_catalog);
    drop(in_catalog);
    let planned = started.elapsed();
    let (to_create, already_present) = (creates.to_create.len(), creates.already_present);
    drop(creates);
    let first = (cpu_seconds(), peak_memory_mb());
    reset_peak_memory();

    // list-missing: walk again, keep the catalog as values and locations,
    // and audit.
    let (partitions, conflicts) = walk(total, &keys, &root);
    let catalog = catalog_of(&partitions);
    // What data_presence adds: nothing, as every catalog location is one
    // the walk found with data.
    let has_data: HashMap<S3Location, bool> = HashMap::new();
    let audit = Audit {
        missing_buckets: Default::default(),
        partitions: catalog,
        discovery: Discovery {
            partitions,
            conflicts,
            empty: Vec::new(),
            folders_listed: 0,
        },
        has_data,
    };
    let missing = audit.missing();
    let audited = started.elapsed();

    println!(
        "{total} folders: {} found, {} conflicts, {to_create} to create, {already_present} already present, {} missing",
        audit.discovery.partitions.len(),
        audit.discovery.conflicts.len(),
        missing.len()
    );
    let second = (cpu_seconds(), peak_memory_mb());
    match (first, second) {
        ((Some(cpu1), Some(peak1)), (Some(cpu2), Some(peak2))) => {
            println!(
                "partitioner plan: {:.2} s wall, {cpu1:.2} s CPU, peak {peak1:.1} MB",
                planned.as_secs_f64()
            );
            println!(
                "list-missing plan: {:.2} s wall, {:.2} s CPU, peak {peak2:.1} MB",
                (audited - planned).as_secs_f64(),
                cpu2 - cpu1
            );
        }
        _ => println!("CPU and peak memory: not available (Linux /proc only)"),
    }
}

/// What the walk produces from `total` leaf folders with data: one
/// partition per folder, read from its name, conflicts resolved.
fn walk(
    total: usize,
    keys: &[PartitionKey],
    root: &S3Location,
) -> (Vec<DiscoveredPartition>, Vec<Conflict>) {
    let found = folders(total).map(|folder| {
        let names: Vec<&str> = folder.trim_end_matches('/').split('/').collect();
        let values = path_values(&names, keys).expect("folder names match the keys");
        DiscoveredPartition {
            values: values.into(),
            location: root.join(&folder),
        }
    });
    resolve_conflicts(found)
}

/// A catalog that holds every other partition, as values and locations.
fn catalog_of(partitions: &[DiscoveredPartition]) -> Vec<StoredPartition> {
    partitions
        .iter()
        .step_by(2)
        .map(|p| StoredPartition {
            values: p.values.clone(),
            location: Some(p.location.to_string()),
        })
        .collect()
}

/// `tenant=NNN/year=YYYY/month=MM/day=DD/hour=HH/` for `total` hours:
/// 100 tenants, each with consecutive hours from 2015-01-01.
fn folders(total: usize) -> impl Iterator<Item = String> {
    let per_tenant = total.div_ceil(100);
    (0..total).map(move |i| {
        let (tenant, hour) = (i / per_tenant, i % per_tenant);
        let (days, hour) = (hour / 24, hour % 24);
        let (year, day_of_year) = (2015 + days / 336, days % 336);
        let (month, day) = (1 + day_of_year / 28, 1 + day_of_year % 28);
        format!("tenant={tenant:03}/year={year}/month={month:02}/day={day:02}/hour={hour:02}/")
    })
}

/// User plus system CPU of this process, from /proc/self/stat.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) end with `)`.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux reports in USER_HZ, 100 on every common platform.
    Some(ticks / 100.0)
}

/// Starts the peak resident set over from the current one (Linux 4.0 and
/// later); elsewhere the second figure is the peak of the whole run.
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak resident set (VmHWM) from /proc/self/status, in MB.
fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
