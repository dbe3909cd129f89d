//! One module per command; each binary in `bin/` runs one of them.

pub mod backups;
pub mod cleanup;
pub mod create_table;
pub mod drop;
pub mod gaps;
pub mod gaps_rows;
pub mod inventory;
pub mod params;
pub mod partitioner;
pub mod projection;
pub mod query;
pub mod quilt;
pub mod relocate;
pub mod repair;
pub mod restore;
