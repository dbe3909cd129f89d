//! The catalog's nouns as plain data: S3 locations, tables and their
//! partition keys, partitions found and stored, full definitions, the
//! folder-layout rules and the walk's scope. No AWS types and no I/O: every
//! other step speaks in these.

pub mod athena;
pub mod csv;
pub mod definition;
pub mod events;
pub mod kind;
pub mod layout;
pub mod location;
pub mod outcome;
pub mod partition;
pub mod quilt;
pub mod schema;
pub mod scope;
pub mod sql;
pub mod table;
pub mod values;

pub use definition::{PartitionImage, StorageImage, TableImage};
pub use kind::TableKind;
pub use location::S3Location;
pub use partition::{DiscoveredPartition, StoredPartition};
pub use table::{PartitionKey, Table, TableEntry, TableId, TableName};
