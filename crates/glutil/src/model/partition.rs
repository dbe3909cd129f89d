//! Partitions as the steps see them: found in S3, or stored in the catalog.

use std::collections::HashSet;

use crate::model::definition::{PartitionImage, StorageImage};
use crate::model::layout::Conflict;
use crate::model::location::S3Location;
use crate::model::table::Table;
use crate::model::values::Values;

/// A partition found in S3: its values, in key order, and its folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct DiscoveredPartition {
    /// One value per partition key.
    pub values: Values,
    /// The folder that holds the partition's data.
    pub location: S3Location,
}

impl DiscoveredPartition {
    /// The partition to create for it: the table's storage descriptor with
    /// the partition's own location.
    pub fn definition(&self, table: &Table) -> PartitionImage {
        let storage = StorageImage {
            location: Some(self.location.to_string()),
            ..table.storage_descriptor.clone()
        };
        PartitionImage::new(self.values.to_vec(), storage)
    }
}

/// A catalog partition reduced to what comparisons need: its values and
/// its stored location.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredPartition {
    /// One value per partition key.
    pub values: Values,
    /// `StorageDescriptor.Location`, as stored (it may be anything).
    pub location: Option<String>,
}

impl StoredPartition {
    /// The stored location as an S3 folder, if it is one.
    pub fn s3_location(&self) -> Option<S3Location> {
        stored_s3_location(self.location.as_deref())
    }
}

/// A stored `StorageDescriptor.Location` as an S3 folder, if it is one (not
/// empty, not another scheme).
pub fn stored_s3_location(location: Option<&str>) -> Option<S3Location> {
    location
        .filter(|l| !l.trim().is_empty())
        .and_then(|l| S3Location::parse(l).ok())
}

/// What every catalog partition type can say: its stored location.
pub trait CatalogPartition {
    /// `StorageDescriptor.Location`, as stored.
    fn stored_location(&self) -> Option<&str>;
}

impl CatalogPartition for StoredPartition {
    fn stored_location(&self) -> Option<&str> {
        self.location.as_deref()
    }
}

impl CatalogPartition for PartitionImage {
    fn stored_location(&self) -> Option<&str> {
        self.location()
    }
}

impl From<&PartitionImage> for StoredPartition {
    fn from(p: &PartitionImage) -> Self {
        Self {
            values: Values::from(p.values.as_slice()),
            location: p.location().map(str::to_string),
        }
    }
}

/// What a walk found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Discovery {
    /// Partitions with data whose values no other folder claims, sorted by
    /// values.
    pub partitions: Vec<DiscoveredPartition>,
    /// Values claimed by more than one folder; none of them is a partition.
    pub conflicts: Vec<Conflict>,
    /// Leaf folders whose names match but that hold no data: not
    /// partitions, but folders the walk has seen to be empty.
    pub empty: Vec<DiscoveredPartition>,
    /// Folders visited.
    pub folders_listed: u64,
}

impl Discovery {
    /// The folders the walk found holding data: its partitions' and its
    /// conflicts' (borrowed, not copied: a big table has a million).
    pub fn with_data(&self) -> HashSet<&S3Location> {
        self.partitions
            .iter()
            .map(|p| &p.location)
            .chain(self.conflicts.iter().flat_map(|c| &c.locations))
            .collect()
    }
}
