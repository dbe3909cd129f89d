//! Audits of catalog partitions against S3: which are "missing" (their own
//! location holds no data) and which are "bad" (missing, or not where
//! discovery finds their values).
//!
//! Data presence comes from as few requests as possible: the table's
//! location is walked once, as the partitioner walks it, and only partition
//! locations the walk did not see (outside the table location, or folders
//! that are not partitions by the layout rules) are listed one by one.

use std::collections::{HashMap, HashSet};

use aws_sdk_glue::types::Partition;
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error;
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::catalog::Catalog;
use crate::client::Aws;
use crate::error::{Error, Result};
use crate::layout;
use crate::location::S3Location;
use crate::progress::Progress;
use crate::table::Table;
use crate::walk::{discover_with_catalog, Discovery};

/// Why a partition is listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Reason {
    /// Its location holds no data (no objects, only folder markers, only
    /// hidden folders, or a bucket that does not exist).
    NoData,
    /// Its location is empty or not an S3 location, so it can hold no data.
    NotAnS3Location,
    /// It has data, but discovery finds its values elsewhere (`expected`) or
    /// nowhere under the table's location (`expected` is `None`).
    NotWhereDiscoveryFindsIt {
        /// The folder discovery finds for the values, if any.
        expected: Option<S3Location>,
    },
    /// Every partition of the table was asked for (`delete-all`).
    AllPartitions,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::NoData => write!(f, "no data at its location"),
            Reason::NotAnS3Location => write!(f, "its location is not in S3"),
            Reason::NotWhereDiscoveryFindsIt {
                expected: Some(expected),
            } => write!(f, "its values are found at {expected}"),
            Reason::NotWhereDiscoveryFindsIt { expected: None } => {
                write!(f, "its values are not found under the table location")
            }
            Reason::AllPartitions => write!(f, "every partition was asked for"),
        }
    }
}

/// A catalog partition an audit lists.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The partition's values.
    pub values: Vec<String>,
    /// Its location as the catalog stores it.
    pub location: Option<String>,
    /// Why it is listed.
    pub reason: Reason,
}

/// A partition's values and stored location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The partition's values.
    pub values: Vec<String>,
    /// `StorageDescriptor.Location`, as stored.
    pub location: Option<String>,
}

impl Stored {
    fn from_partition(p: &Partition) -> Self {
        Self {
            values: p.values().to_vec(),
            location: p
                .storage_descriptor()
                .and_then(|sd| sd.location())
                .map(str::to_string),
        }
    }

    /// The stored location as an S3 folder, if it is one.
    pub fn s3_location(&self) -> Option<S3Location> {
        self.location
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .and_then(|l| S3Location::parse(l).ok())
    }
}

/// Everything an audit knows: the catalog's partitions, what the walk
/// found, and whether each partition location holds data.
#[derive(Debug, Clone)]
pub struct Audit {
    /// The table.
    pub table: Table,
    /// Every partition in the catalog, sorted by values.
    pub partitions: Vec<Stored>,
    /// The same partitions as Glue returned them: whole when the audit was
    /// asked for `whole` partitions, without column lists otherwise.
    pub definitions: Vec<Partition>,
    /// What the walk of the table location found.
    pub discovery: Discovery,
    /// Data presence for every S3 location of a catalog partition.
    pub has_data: HashMap<S3Location, bool>,
}

impl Audit {
    /// Partitions whose own location holds no data.
    pub fn missing(&self) -> Vec<Finding> {
        self.partitions
            .iter()
            .filter_map(|p| {
                self.missing_reason(p).map(|reason| Finding {
                    values: p.values.clone(),
                    location: p.location.clone(),
                    reason,
                })
            })
            .collect()
    }

    /// Partitions that are missing, or whose location is not the folder
    /// discovery finds for their values. Values that discovery finds in
    /// more than one folder (a conflict) are not bad in any of them: which
    /// one is right is for a person to decide.
    pub fn bad(&self) -> Vec<Finding> {
        let found: HashMap<&[String], &S3Location> = self
            .discovery
            .partitions
            .iter()
            .map(|p| (p.values.as_slice(), &p.location))
            .collect();
        let conflicted: HashMap<&[String], &[S3Location]> = self
            .discovery
            .conflicts
            .iter()
            .map(|c| (c.values.as_slice(), c.locations.as_slice()))
            .collect();
        self.partitions
            .iter()
            .filter_map(|p| {
                let reason = self.missing_reason(p).or_else(|| {
                    let location = p.s3_location()?;
                    if let Some(locations) = conflicted.get(p.values.as_slice()) {
                        return (!locations.contains(&location))
                            .then_some(Reason::NotWhereDiscoveryFindsIt { expected: None });
                    }
                    let expected = found.get(p.values.as_slice()).copied();
                    (expected != Some(&location)).then(|| Reason::NotWhereDiscoveryFindsIt {
                        expected: expected.cloned(),
                    })
                })?;
                Some(Finding {
                    values: p.values.clone(),
                    location: p.location.clone(),
                    reason,
                })
            })
            .collect()
    }

    fn missing_reason(&self, p: &Stored) -> Option<Reason> {
        match p.s3_location() {
            None => Some(Reason::NotAnS3Location),
            Some(location) => {
                (!self.has_data.get(&location).copied().unwrap_or(false)).then_some(Reason::NoData)
            }
        }
    }
}

/// Reads a table's partitions and its S3 layout, and learns for every
/// partition location whether it holds data. With `whole`, partitions are
/// read with their column lists (for backups before a delete).
pub async fn audit(
    aws: &Aws,
    database: &str,
    table_name: &str,
    concurrency: usize,
    whole: bool,
    progress: &dyn Progress,
) -> Result<Audit> {
    let catalog = Catalog::new(aws.glue.clone(), aws.catalog_id.clone());
    let table = catalog.table(database, table_name).await?;
    let (discovery, partitions) =
        discover_with_catalog(&aws.s3, &catalog, &table, concurrency, !whole, progress).await?;
    let definitions = partitions;
    let mut partitions: Vec<Stored> = definitions.iter().map(Stored::from_partition).collect();
    partitions.sort_by(|a, b| a.values.cmp(&b.values));

    let mut has_data: HashMap<S3Location, bool> = HashMap::new();
    for p in &discovery.partitions {
        has_data.insert(p.location.clone(), true);
    }
    for c in &discovery.conflicts {
        has_data.extend(c.locations.iter().map(|l| (l.clone(), true)));
    }
    for p in &discovery.empty {
        has_data.insert(p.location.clone(), false);
    }
    // A leaf folder under the table location that the walk did not see
    // holds no objects at all: the walk enters every folder whose name
    // matches its key. Only the rest is listed one by one.
    let mut unseen: HashSet<S3Location> = HashSet::new();
    for location in partitions.iter().filter_map(Stored::s3_location) {
        if has_data.contains_key(&location) {
            continue;
        }
        if walk_covers(&table, &location) {
            has_data.insert(location, false);
        } else {
            unseen.insert(location);
        }
    }
    progress.step(&format!(
        "probing {} partition locations outside the walk",
        unseen.len()
    ));
    let probed: Vec<(S3Location, bool)> = stream::iter(unseen)
        .map(|location| async move {
            let data = folder_has_data(&aws.s3, &location).await?;
            Ok::<_, Error>((location, data))
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    has_data.extend(probed);
    Ok(Audit {
        table,
        partitions,
        definitions,
        discovery,
        has_data,
    })
}

/// True when a complete walk of the table's location would have seen the
/// folder if it held any object: it lies under the table location, one
/// folder per key, each matching its key. A single-key table's flat
/// folders are left out, since their data may sit in nested folders that
/// the walk files under other values.
pub fn walk_covers(table: &Table, location: &S3Location) -> bool {
    if !location.is_under(&table.location) {
        return false;
    }
    let relative = location.prefix()[table.location.prefix().len()..].trim_end_matches('/');
    let names: Vec<&str> = relative.split('/').collect();
    !layout::is_nested_flat(names[0], &table.partition_keys)
        && layout::path_values(&names, &table.partition_keys).is_some()
}

/// Objects per probe page: enough to get past a few folder markers in one
/// request, small enough that a folder of a million files answers fast.
const PROBE_PAGE: i32 = 20;

/// Whether a folder holds data: an object that is not a folder marker and
/// not inside a hidden folder. A bucket that does not exist holds none.
pub async fn folder_has_data(s3: &aws_sdk_s3::Client, location: &S3Location) -> Result<bool> {
    let mut pages = s3
        .list_objects_v2()
        .bucket(location.bucket())
        .prefix(location.prefix())
        .max_keys(PROBE_PAGE)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(e)
                if e.as_service_error()
                    .is_some_and(ListObjectsV2Error::is_no_such_bucket) =>
            {
                return Ok(false)
            }
            Err(e) => {
                return Err(Error::S3 {
                    operation: "ListObjectsV2",
                    bucket: location.bucket().to_string(),
                    prefix: location.prefix().to_string(),
                    source: Box::new(e),
                })
            }
        };
        let found = page.contents().iter().any(|object| {
            let relative = object
                .key()
                .and_then(|k| k.strip_prefix(location.prefix()))
                .unwrap_or_default();
            layout::is_data_object(relative, object.size().unwrap_or(0))
        });
        if found {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use aws_sdk_glue::types::StorageDescriptor;

    use super::*;
    use crate::layout::Conflict;
    use crate::table::{DiscoveredPartition, PartitionKey};

    fn loc(s: &str) -> S3Location {
        S3Location::parse(s).unwrap()
    }

    fn stored(values: &[&str], location: Option<&str>) -> Stored {
        Stored {
            values: values.iter().map(|s| s.to_string()).collect(),
            location: location.map(str::to_string),
        }
    }

    fn found(values: &[&str], location: &str) -> DiscoveredPartition {
        DiscoveredPartition {
            values: values.iter().map(|s| s.to_string()).collect(),
            location: loc(location),
        }
    }

    /// A table at s3://b/t with one key: good, empty, misplaced, outside
    /// with and without data, non-S3, and a conflict.
    fn example() -> Audit {
        let discovery = Discovery {
            partitions: vec![
                found(&["1"], "s3://b/t/k=1/"),
                found(&["4"], "s3://b/t/k=4/"),
            ],
            conflicts: vec![Conflict {
                values: vec!["9".into()],
                locations: vec![loc("s3://b/t/9/"), loc("s3://b/t/k=9/")],
            }],
            empty: vec![found(&["3"], "s3://b/t/k=3/")],
            folders_listed: 1,
        };
        let has_data = [
            ("s3://b/t/k=1/", true),
            ("s3://b/t/k=4/", true),
            ("s3://b/t/9/", true),
            ("s3://b/t/k=9/", true),
            ("s3://b/t/k=3/", false),
            ("s3://b/elsewhere/5/", true),
            ("s3://b/elsewhere/6/", false),
        ]
        .into_iter()
        .map(|(l, d)| (loc(l), d))
        .collect();
        Audit {
            table: Table {
                database: "db".into(),
                name: "t".into(),
                location: loc("s3://b/t"),
                partition_keys: vec![PartitionKey::new("k", "string")],
                storage_descriptor: StorageDescriptor::builder().build(),
            },
            definitions: Vec::new(),
            partitions: vec![
                stored(&["1"], Some("s3://b/t/k=1")), // no trailing slash: same folder
                stored(&["3"], Some("s3://b/t/k=3/")),
                stored(&["4"], Some("s3://b/t/k=1/")),
                stored(&["5"], Some("s3://b/elsewhere/5/")),
                stored(&["6"], Some("s3://b/elsewhere/6/")),
                stored(&["7"], Some("hdfs://nn/x/")),
                stored(&["8"], None),
                stored(&["9"], Some("s3a://b/t/9/")),
            ],
            discovery,
            has_data,
        }
    }

    fn values(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.values[0].as_str()).collect()
    }

    #[test]
    fn missing_means_no_data_at_the_partitions_own_location() {
        let missing = example().missing();
        assert_eq!(values(&missing), ["3", "6", "7", "8"]);
        assert_eq!(missing[0].reason, Reason::NoData);
        assert_eq!(missing[2].reason, Reason::NotAnS3Location);
    }

    #[test]
    fn bad_adds_partitions_not_where_discovery_finds_them() {
        let bad = example().bad();
        assert_eq!(values(&bad), ["3", "4", "5", "6", "7", "8"]);
        let misplaced = &bad[1];
        assert_eq!(
            misplaced.reason,
            Reason::NotWhereDiscoveryFindsIt {
                expected: Some(loc("s3://b/t/k=4/"))
            }
        );
        assert_eq!(
            bad[2].reason,
            Reason::NotWhereDiscoveryFindsIt { expected: None }
        );
        assert_eq!(
            misplaced.reason.to_string(),
            "its values are found at s3://b/t/k=4/"
        );
    }

    #[test]
    fn a_partition_in_one_of_two_conflicting_folders_is_not_bad() {
        let mut audit = example();
        assert!(!values(&audit.bad()).contains(&"9"));
        audit.partitions[7].location = Some("s3://b/t/other/".into());
        audit.has_data.insert(loc("s3://b/t/other/"), true);
        assert!(values(&audit.bad()).contains(&"9"));
    }

    #[test]
    fn the_walk_covers_leaf_paths_under_the_table_only() {
        let audit = example();
        let covers = |l: &str| walk_covers(&audit.table, &loc(l));
        assert!(covers("s3://b/t/k=5/"));
        assert!(covers("s3://b/t/k=5"));
        assert!(!covers("s3://b/t/"), "the table root is no leaf");
        assert!(!covers("s3://b/t/k=5/deeper/"));
        assert!(!covers("s3://b/t/_tmp/"));
        assert!(!covers("s3://b/t/other=5/"));
        assert!(!covers("s3://b/elsewhere/k=5/"));
        assert!(!covers("s3://c/t/k=5/"));
        // A single-key flat folder may hold nested partitions: probe it.
        assert!(!covers("s3://b/t/5/"));
        let mut two_keys = audit.table.clone();
        two_keys.partition_keys.push(PartitionKey::new("h", "int"));
        assert!(walk_covers(&two_keys, &loc("s3://b/t/5/07/")));
        assert!(!walk_covers(&two_keys, &loc("s3://b/t/5/x7/")));
    }

    #[test]
    fn an_unknown_location_counts_as_no_data() {
        let mut audit = example();
        audit
            .partitions
            .push(stored(&["10"], Some("s3://b/never-probed/")));
        assert!(values(&audit.missing()).contains(&"10"));
    }
}
