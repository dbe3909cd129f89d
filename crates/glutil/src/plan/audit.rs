//! Audits of catalog partitions against S3: which are "missing" (their own
//! location holds no data) and which are "bad" (missing, or not where
//! discovery finds their values). Pure: the read step supplies the walk and
//! whether each location holds data.

use std::collections::{HashMap, HashSet};

use crate::model::location::S3Location;
use crate::model::partition::{Discovery, StoredPartition};
use crate::model::values::Values;

/// Why a partition is listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Reason {
    /// Its location holds no data (no objects, only folder markers, only
    /// hidden folders).
    NoData,
    /// Its location is in a bucket that does not exist.
    NoBucket {
        /// The bucket.
        bucket: String,
    },
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
            Reason::NoBucket { bucket } => write!(f, "bucket {bucket} does not exist"),
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
    pub values: Values,
    /// Its location as the catalog stores it.
    pub location: Option<String>,
    /// Why it is listed.
    pub reason: Reason,
}

/// Everything an audit knows: the catalog's partitions, what the walk
/// found, and whether each partition location holds data.
#[derive(Debug, Clone)]
pub struct Audit {
    /// Every partition in the catalog, sorted by values.
    pub partitions: Vec<StoredPartition>,
    /// What the walk of the table location found.
    pub discovery: Discovery,
    /// Data presence for the S3 locations of catalog partitions that the
    /// walk did not find with data ([`data_presence`]); a location the
    /// discovery names as a partition or a conflict holds data.
    ///
    /// [`data_presence`]: crate::read::snapshot::data_presence
    pub has_data: HashMap<S3Location, bool>,
    /// Buckets that turned out not to exist (their locations hold no data).
    pub missing_buckets: HashSet<String>,
}

impl Audit {
    /// The audit of a table's catalog partitions and its walk, with what
    /// [`data_presence`] found for the locations beyond the walk.
    ///
    /// [`data_presence`]: crate::read::snapshot::data_presence
    pub fn new(
        partitions: Vec<StoredPartition>,
        discovery: Discovery,
        presence: crate::read::snapshot::DataPresence,
    ) -> Self {
        Self {
            partitions,
            discovery,
            has_data: presence.has_data,
            missing_buckets: presence.missing_buckets,
        }
    }

    /// Partitions whose own location holds no data.
    pub fn missing(&self) -> Vec<Finding> {
        let seen = self.discovery.with_data();
        self.partitions
            .iter()
            .filter_map(|p| {
                self.missing_reason(p, &seen).map(|reason| Finding {
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
        let seen = self.discovery.with_data();
        let found: HashMap<&Values, &S3Location> = self
            .discovery
            .partitions
            .iter()
            .map(|p| (&p.values, &p.location))
            .collect();
        let conflicted: HashMap<&Values, &[S3Location]> = self
            .discovery
            .conflicts
            .iter()
            .map(|c| (&c.values, c.locations.as_slice()))
            .collect();
        self.partitions
            .iter()
            .filter_map(|p| {
                let reason = self.missing_reason(p, &seen).or_else(|| {
                    let location = p.s3_location()?;
                    if let Some(locations) = conflicted.get(&p.values) {
                        return (!locations.contains(&location))
                            .then_some(Reason::NotWhereDiscoveryFindsIt { expected: None });
                    }
                    let expected = found.get(&p.values).copied();
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

    /// How many of `findings` have their values found under the table's
    /// location, in another folder that holds data: moved partitions,
    /// which `update-partitions` would repoint instead of deleting.
    pub fn repointable(&self, findings: &[Finding]) -> u64 {
        let found = &self.discovery.partitions;
        findings
            .iter()
            .filter(|f| {
                let stored = f
                    .location
                    .as_deref()
                    .and_then(|l| S3Location::parse(l).ok());
                found
                    .binary_search_by(|p| p.values.cmp(&f.values))
                    .is_ok_and(|i| stored.as_ref() != Some(&found[i].location))
            })
            .count() as u64
    }

    fn missing_reason(&self, p: &StoredPartition, seen: &HashSet<&S3Location>) -> Option<Reason> {
        let location = match p.s3_location() {
            None => return Some(Reason::NotAnS3Location),
            Some(location) => location,
        };
        let has_data =
            seen.contains(&location) || self.has_data.get(&location).copied().unwrap_or(false);
        if has_data {
            None
        } else if self.missing_buckets.contains(location.bucket()) {
            Some(Reason::NoBucket {
                bucket: location.bucket().to_string(),
            })
        } else {
            Some(Reason::NoData)
        }
    }
}

/// Every partition, for `delete-all`.
pub fn all_partitions(partitions: &[StoredPartition]) -> Vec<Finding> {
    partitions
        .iter()
        .map(|p| Finding {
            values: p.values.clone(),
            location: p.location.clone(),
            reason: Reason::AllPartitions,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::layout::Conflict;
    use crate::model::partition::DiscoveredPartition;

    fn loc(s: &str) -> S3Location {
        S3Location::parse(s).unwrap()
    }

    fn stored(values: &[&str], location: Option<&str>) -> StoredPartition {
        StoredPartition {
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
                values: Values::new(["9"]),
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
            missing_buckets: HashSet::new(),
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
        findings.iter().map(|f| &f.values[0]).collect()
    }

    #[test]
    fn moved_partitions_among_findings_are_counted_for_the_repoint_hint() {
        let mut audit = example();
        // "6" has no data where the catalog says, but its values are found
        // under the table location: moved, not gone.
        audit
            .discovery
            .partitions
            .push(found(&["6"], "s3://b/t/k=6/"));
        audit
            .discovery
            .partitions
            .sort_by(|a, b| a.values.cmp(&b.values));
        let missing = audit.missing();
        assert_eq!(values(&missing), ["3", "6", "7", "8"]);
        assert_eq!(audit.repointable(&missing), 1);
        let bad = audit.bad();
        // "4" points at k=1 but its folder is k=4; "6" as above.
        assert_eq!(audit.repointable(&bad), 2);
        assert_eq!(example().repointable(&example().missing()), 0);
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
    fn an_unknown_location_counts_as_no_data() {
        let mut audit = example();
        audit
            .partitions
            .push(stored(&["10"], Some("s3://b/never-probed/")));
        assert!(values(&audit.missing()).contains(&"10"));
    }
}
