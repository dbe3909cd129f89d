//! Reading what is there: the S3 walk that finds partition folders, the
//! snapshot of a table (definition, layout, catalog partitions, data
//! presence), and the catalog state a backup is compared with. Reads only.

pub mod files;
pub mod parquet;
pub mod query;
pub mod restore;
pub mod snapshot;
pub mod walk;

pub use snapshot::Snapshot;
pub use walk::{discover, Discovery, WalkOptions};
