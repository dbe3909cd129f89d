//! `update-partitions`: repoint partitions after a move. A partition is
//! "moved" when its values are found under the table's current location at
//! a folder other than its catalog location; only its location changes.

use std::collections::HashMap;

use crate::model::definition::PartitionImage;
use crate::model::location::S3Location;
use crate::model::partition::{Discovery, StoredPartition};
use crate::model::values::Values;

/// A partition to repoint.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Move {
    /// The partition's values.
    pub values: Values,
    /// Its location in the catalog now.
    pub from: Option<String>,
    /// The folder discovery finds for its values.
    pub to: S3Location,
    /// The partition as it is now: its backup, and every field the update
    /// keeps.
    #[serde(skip)]
    pub before: PartitionImage,
}

impl Move {
    /// The partition after the move: only the location differs.
    pub fn after(&self) -> PartitionImage {
        self.before.with_location(&self.to)
    }
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
    pub not_found: Vec<StoredPartition>,
}

/// Compares catalog partitions with what a walk of the table's current
/// location found.
pub fn plan_moves(partitions: &[PartitionImage], discovery: &Discovery) -> MovePlan {
    let found: HashMap<&Values, &S3Location> = discovery
        .partitions
        .iter()
        .map(|p| (&p.values, &p.location))
        .collect();
    let mut plan = MovePlan::default();
    for p in partitions {
        let stored = StoredPartition::from(p);
        match found.get(&stored.values) {
            None => plan.not_found.push(stored),
            Some(to) if stored.s3_location().as_ref() == Some(*to) => plan.unchanged += 1,
            Some(to) => plan.moves.push(Move {
                values: stored.values,
                from: stored.location,
                to: (*to).clone(),
                before: p.clone(),
            }),
        }
    }
    plan.moves.sort_by(|a, b| a.values.cmp(&b.values));
    plan.not_found.sort_by(|a, b| a.values.cmp(&b.values));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::definition::{ColumnImage, StorageImage};
    use crate::model::partition::DiscoveredPartition;

    fn loc(s: &str) -> S3Location {
        S3Location::parse(s).unwrap()
    }

    pub(crate) fn partition(values: &[&str], location: &str) -> PartitionImage {
        let mut p = PartitionImage::new(
            values.iter().map(|s| s.to_string()).collect(),
            StorageImage {
                location: Some(location.into()),
                columns: Some(vec![ColumnImage {
                    name: "a".into(),
                    type_name: Some("int".into()),
                    comment: None,
                    parameters: None,
                }]),
                input_format: Some("old-in".into()),
                ..StorageImage::default()
            },
        );
        p.parameters = Some([("owner".to_string(), "team-a".to_string())].into());
        p
    }

    #[test]
    fn moves_are_partitions_found_elsewhere_under_the_new_location() {
        let discovery = Discovery {
            partitions: vec![
                DiscoveredPartition {
                    values: Values::new(["1"]),
                    location: loc("s3://new/t/k=1/"),
                },
                DiscoveredPartition {
                    values: Values::new(["2"]),
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
        let discovery = Discovery {
            partitions: vec![DiscoveredPartition {
                values: Values::new(["1"]),
                location: loc("s3://new/t/k=1/"),
            }],
            ..Default::default()
        };
        let after = plan_moves(std::slice::from_ref(&p), &discovery).moves[0].after();
        let sd = after.storage_descriptor.as_ref().unwrap();
        assert_eq!(sd.location.as_deref(), Some("s3://new/t/k=1/"));
        let mut unmoved = after.clone();
        unmoved.storage_descriptor.as_mut().unwrap().location = p.location().map(String::from);
        assert_eq!(unmoved, p, "nothing but the location changed");
    }
}
