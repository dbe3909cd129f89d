//! Plans: pure diffs between what S3 holds and what the catalog holds.

use std::collections::HashSet;

use crate::model::partition::{DiscoveredPartition, StoredPartition};
use crate::model::values::Values;
use crate::read::Snapshot;

/// What the partitioner will create.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CreatePlan {
    /// Found in S3, not in the catalog: to be created, sorted by values.
    pub to_create: Vec<DiscoveredPartition>,
    /// Found in S3 and already in the catalog (wherever the catalog says
    /// they are: repointing is `update-partitions`' job, not this one's).
    pub already_present: u64,
    /// Partitions found in S3.
    #[serde(skip)]
    pub found: u64,
}

/// The partitioner's plan for a snapshot: the partitions found in S3 that
/// the catalog lacks. It takes the found partitions and the catalog's out
/// of the snapshot rather than copying them (a ten-year hourly table holds
/// 87,600 of each); `found` keeps the count.
pub fn plan_snapshot(snapshot: &mut Snapshot<StoredPartition>) -> CreatePlan {
    let catalog = std::mem::take(&mut snapshot.partitions);
    let in_catalog: HashSet<Values> = catalog.into_iter().map(|p| p.values).collect();
    plan_found(
        std::mem::take(&mut snapshot.discovery.partitions),
        &in_catalog,
    )
}

/// Compares found partitions with the values already in the catalog.
pub fn plan_creates(found: &[DiscoveredPartition], in_catalog: &HashSet<Values>) -> CreatePlan {
    plan_found(found.to_vec(), in_catalog)
}

/// [`plan_creates`], taking the found partitions.
pub fn plan_found(found: Vec<DiscoveredPartition>, in_catalog: &HashSet<Values>) -> CreatePlan {
    // Filtered in place: no second list of a million partitions.
    let mut to_create = found;
    let found = to_create.len() as u64;
    to_create.retain(|p| !in_catalog.contains(&p.values));
    to_create.shrink_to_fit();
    to_create.sort_by(|a, b| a.values.cmp(&b.values));
    CreatePlan {
        already_present: found - to_create.len() as u64,
        to_create,
        found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::location::S3Location;

    fn found(values: &[&str]) -> DiscoveredPartition {
        DiscoveredPartition {
            values: values.iter().map(|s| s.to_string()).collect(),
            location: S3Location::parse("s3://b/t")
                .unwrap()
                .join(&values.join("/")),
        }
    }

    #[test]
    fn creates_only_what_the_catalog_lacks() {
        let s3 = vec![
            found(&["2019", "02"]),
            found(&["2019", "01"]),
            found(&["2019", "03"]),
        ];
        let catalog: HashSet<Values> = [Values::new(["2019", "02"])].into_iter().collect();
        let plan = plan_creates(&s3, &catalog);
        assert_eq!(plan.already_present, 1);
        let values: Vec<_> = plan.to_create.iter().map(|p| &p.values[1]).collect();
        assert_eq!(values, ["01", "03"]);
    }

    #[test]
    fn nothing_to_do_when_everything_is_present() {
        let s3 = vec![found(&["a"])];
        let catalog: HashSet<Values> = [Values::new(["a"])].into_iter().collect();
        let plan = plan_creates(&s3, &catalog);
        assert!(plan.to_create.is_empty());
        assert_eq!(plan.already_present, 1);
    }

    #[test]
    fn values_compare_exactly() {
        // "1" and "01" are different partitions to Glue.
        let plan = plan_creates(
            &[found(&["01"])],
            &[Values::new(["1"])].into_iter().collect(),
        );
        assert_eq!(plan.to_create.len(), 1);
    }
}
