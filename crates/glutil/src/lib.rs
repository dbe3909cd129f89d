//! glutil: keep S3-backed tables in the AWS Glue Data Catalog healthy.
//!
//! Data flows one way: read (table definition, S3 layout, catalog
//! partitions), plan (a pure diff), then show or apply. This crate never
//! prints; the binaries own the terminal.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod audit;
pub mod backup;
pub mod catalog;
pub mod client;
pub mod error;
pub mod layout;
pub mod location;
pub mod partitioner;
pub mod plan;
pub mod progress;
pub mod repair;
pub mod restore;
pub mod scope;
pub mod table;
pub mod walk;

pub use error::{Error, Result};
