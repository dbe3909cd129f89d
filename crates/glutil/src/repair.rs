//! Repairs: repoint partitions after a move, copy a changed table schema
//! into its partitions, and find the junk tables a crawler leaves. Plans
//! are pure; the binaries apply them with the catalog's batched writes.

use std::collections::HashMap;

use aws_sdk_glue::types::{Partition, PartitionInput, StorageDescriptor};

use crate::location::S3Location;
use crate::walk::Discovery;

/// A partition to repoint.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Move {
    /// The partition's values.
    pub values: Vec<String>,
    /// Its location in the catalog now.
    pub from: Option<String>,
    /// The folder discovery finds for its values.
    pub to: S3Location,
}

/// A partition left alone, with its location.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LeftAlone {
    /// The partition's values.
    pub values: Vec<String>,
    /// Its location in the catalog.
    pub location: Option<String>,
}

/// What `update-partitions` would change.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MovePlan {
    /// Partitions found under the table location at another folder.
    pub moves: Vec<Move>,
    /// Partitions already at the folder discovery finds.
    pub unchanged: u64,
    /// Partitions whose values are not found under the table location (or
    /// are found in two conflicting folders): left alone.
    pub not_found: Vec<LeftAlone>,
}

/// Compares catalog partitions with what a walk of the table's current
/// location found: "moved" partitions are those whose values are found
/// there at a folder other than their catalog location.
pub fn plan_moves(partitions: &[Partition], discovery: &Discovery) -> MovePlan {
    let found: HashMap<&[String], &S3Location> = discovery
        .partitions
        .iter()
        .map(|p| (p.values.as_slice(), &p.location))
        .collect();
    let mut plan = MovePlan::default();
    for p in partitions {
        let location = p
            .storage_descriptor()
            .and_then(|sd| sd.location())
            .map(str::to_string);
        match found.get(p.values()) {
            None => plan.not_found.push(LeftAlone {
                values: p.values().to_vec(),
                location,
            }),
            Some(to) => {
                let current = location.as_deref().and_then(|l| S3Location::parse(l).ok());
                if current.as_ref() == Some(*to) {
                    plan.unchanged += 1;
                } else {
                    plan.moves.push(Move {
                        values: p.values().to_vec(),
                        from: location,
                        to: (*to).clone(),
                    });
                }
            }
        }
    }
    plan.moves.sort_by(|a, b| a.values.cmp(&b.values));
    plan.not_found.sort_by(|a, b| a.values.cmp(&b.values));
    plan
}

/// The partition as an input for BatchUpdatePartition, with `storage` as
/// its storage descriptor and every other field as it was.
pub fn partition_input(p: &Partition, storage: StorageDescriptor) -> PartitionInput {
    PartitionInput::builder()
        .set_values(Some(p.values().to_vec()))
        .set_last_access_time(p.last_access_time().cloned())
        .set_parameters(p.parameters().cloned())
        .set_last_analyzed_time(p.last_analyzed_time().cloned())
        .storage_descriptor(storage)
        .build()
}

/// The partition with only its location changed.
pub fn moved_input(p: &Partition, to: &S3Location) -> PartitionInput {
    let mut storage = p
        .storage_descriptor()
        .cloned()
        .unwrap_or_else(|| StorageDescriptor::builder().build());
    storage.location = Some(to.to_string());
    partition_input(p, storage)
}

/// The storage fields `update-storage` copies from the table.
pub const STORAGE_FIELDS: [&str; 5] = [
    "columns",
    "serde_info",
    "input_format",
    "output_format",
    "compressed",
];

/// The partition's storage descriptor with the table's columns, serde,
/// input/output format and compression, and the partition's own location,
/// parameters and everything else; plus the names of the fields that
/// change. No names means the partition already matches.
pub fn storage_update(
    table: &StorageDescriptor,
    p: &Partition,
) -> (StorageDescriptor, Vec<&'static str>) {
    let current = p
        .storage_descriptor()
        .cloned()
        .unwrap_or_else(|| StorageDescriptor::builder().build());
    let mut updated = current.clone();
    updated.columns = table.columns.clone();
    updated.serde_info = table.serde_info.clone();
    updated.input_format = table.input_format.clone();
    updated.output_format = table.output_format.clone();
    updated.compressed = table.compressed;
    let changed = [
        current.columns != updated.columns,
        current.serde_info != updated.serde_info,
        current.input_format != updated.input_format,
        current.output_format != updated.output_format,
        current.compressed != updated.compressed,
    ];
    let fields = STORAGE_FIELDS
        .iter()
        .zip(changed)
        .filter(|(_, c)| *c)
        .map(|(f, _)| *f)
        .collect();
    (updated, fields)
}

/// A table in a database, as far as junk detection cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableEntry {
    /// The table's name.
    pub name: String,
    /// Its S3 location, if it has one.
    pub location: Option<S3Location>,
}

/// Why a table looks like a crawler's junk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum JunkReason {
    /// Its location lies below another table's location.
    Below {
        /// The table whose location holds it.
        table: String,
    },
    /// Same location as another table whose name it extends
    /// (`events_1a2b3c` next to `events`).
    Suffixed {
        /// The table whose name it extends.
        table: String,
    },
}

impl std::fmt::Display for JunkReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JunkReason::Below { table } => write!(f, "its location lies below table {table}'s"),
            JunkReason::Suffixed { table } => {
                write!(f, "same location as table {table}, whose name it extends")
            }
        }
    }
}

/// A table to delete, with why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JunkTable {
    /// The table's name.
    pub name: String,
    /// Its location.
    pub location: S3Location,
    /// Why it is junk.
    pub reason: JunkReason,
}

/// The tables of one database that a crawler made by mistake: those whose
/// location lies below another table's, and those at another table's
/// location whose name extends that table's name. Sorted by name.
pub fn junk_tables(tables: &[TableEntry]) -> Vec<JunkTable> {
    let located: Vec<(&str, &S3Location)> = tables
        .iter()
        .filter_map(|t| t.location.as_ref().map(|l| (t.name.as_str(), l)))
        .collect();
    let mut junk = Vec::new();
    for &(name, location) in &located {
        let below = located
            .iter()
            .filter(|(other, l)| *other != name && location.is_under(l) && location != *l)
            // The nearest parent names the reason best.
            .max_by_key(|(_, l)| l.prefix().len());
        let reason = match below {
            Some((parent, _)) => Some(JunkReason::Below {
                table: parent.to_string(),
            }),
            None => located
                .iter()
                .filter(|(other, l)| {
                    *l == location && other.len() < name.len() && name.starts_with(other)
                })
                .max_by_key(|(other, _)| other.len())
                .map(|(original, _)| JunkReason::Suffixed {
                    table: original.to_string(),
                }),
        };
        if let Some(reason) = reason {
            junk.push(JunkTable {
                name: name.to_string(),
                location: location.clone(),
                reason,
            });
        }
    }
    junk.sort_by(|a, b| a.name.cmp(&b.name));
    junk
}

#[cfg(test)]
mod tests {
    use aws_sdk_glue::types::{Column, SerDeInfo};

    use super::*;
    use crate::table::DiscoveredPartition;

    fn loc(s: &str) -> S3Location {
        S3Location::parse(s).unwrap()
    }

    fn partition(values: &[&str], location: &str) -> Partition {
        Partition::builder()
            .set_values(Some(values.iter().map(|s| s.to_string()).collect()))
            .storage_descriptor(
                StorageDescriptor::builder()
                    .location(location)
                    .columns(Column::builder().name("a").r#type("int").build().unwrap())
                    .input_format("old-in")
                    .build(),
            )
            .parameters("owner", "team-a")
            .build()
    }

    #[test]
    fn moves_are_partitions_found_elsewhere_under_the_new_location() {
        let discovery = Discovery {
            partitions: vec![
                DiscoveredPartition {
                    values: vec!["1".into()],
                    location: loc("s3://new/t/k=1/"),
                },
                DiscoveredPartition {
                    values: vec!["2".into()],
                    location: loc("s3://new/t/k=2/"),
                },
            ],
            ..Default::default()
        };
        let plan = plan_moves(
            &[
                partition(&["1"], "s3://old/t/k=1/"),
                partition(&["2"], "s3://new/t/k=2"),
                partition(&["3"], "s3://old/t/k=3/"),
            ],
            &discovery,
        );
        assert_eq!(plan.moves.len(), 1);
        assert_eq!(plan.moves[0].to, loc("s3://new/t/k=1/"));
        assert_eq!(plan.moves[0].from.as_deref(), Some("s3://old/t/k=1/"));
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.not_found.len(), 1);
        assert_eq!(plan.not_found[0].values, ["3"]);
    }

    #[test]
    fn a_moved_partition_keeps_every_other_field() {
        let p = partition(&["1"], "s3://old/t/k=1/");
        let input = moved_input(&p, &loc("s3://new/t/k=1/"));
        let sd = input.storage_descriptor().unwrap();
        assert_eq!(sd.location(), Some("s3://new/t/k=1/"));
        assert_eq!(sd.input_format(), Some("old-in"));
        assert_eq!(sd.columns().len(), 1);
        assert_eq!(input.parameters().unwrap()["owner"], "team-a");
        assert_eq!(input.values(), ["1"]);
    }

    #[test]
    fn storage_updates_copy_the_table_schema_and_keep_location_and_parameters() {
        let table = StorageDescriptor::builder()
            .location("s3://b/t/")
            .columns(Column::builder().name("a").r#type("int").build().unwrap())
            .columns(
                Column::builder()
                    .name("b")
                    .r#type("string")
                    .build()
                    .unwrap(),
            )
            .input_format("new-in")
            .serde_info(
                SerDeInfo::builder()
                    .serialization_library("new-serde")
                    .build(),
            )
            .build();
        let p = partition(&["1"], "s3://b/t/k=1/");
        let (updated, fields) = storage_update(&table, &p);
        assert_eq!(fields, ["columns", "serde_info", "input_format"]);
        assert_eq!(updated.location(), Some("s3://b/t/k=1/"));
        assert_eq!(updated.columns().len(), 2);
        let input = partition_input(&p, updated.clone());
        assert_eq!(input.parameters().unwrap()["owner"], "team-a");
        // Once applied, nothing differs any more.
        let applied = Partition::builder()
            .set_values(Some(vec!["1".into()]))
            .storage_descriptor(updated)
            .build();
        assert!(storage_update(&table, &applied).1.is_empty());
    }

    #[test]
    fn junk_tables_are_children_and_suffixed_copies() {
        let t = |name: &str, location: Option<&str>| TableEntry {
            name: name.into(),
            location: location.map(loc),
        };
        let junk = junk_tables(&[
            t("events", Some("s3://b/events/")),
            t("year_2019", Some("s3://b/events/year=2019/")),
            t("month_01", Some("s3://b/events/year=2019/month=01/")),
            t("events_1a2b3c", Some("s3://b/events")),
            t("events_other", Some("s3://b/events_other/")),
            t("clicks", Some("s3://b/clicks/")),
            t("clicks_copy", Some("s3://c/clicks/")),
            t("view", None),
            t("twin_a", Some("s3://b/twin/")),
            t("twin_b", Some("s3://b/twin/")),
        ]);
        let names: Vec<&str> = junk.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["events_1a2b3c", "month_01", "year_2019"]);
        assert_eq!(
            junk[1].reason,
            JunkReason::Below {
                table: "year_2019".into()
            }
        );
        assert_eq!(
            junk[0].reason,
            JunkReason::Suffixed {
                table: "events".into()
            }
        );
    }
}
