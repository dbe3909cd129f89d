//! glutil: keep S3-backed tables in the AWS Glue Data Catalog healthy.
//!
//! Data flows one way, and the modules are its steps:
//!
//! - [`model`]: the catalog's nouns as plain data (no AWS types, no I/O);
//! - [`backup`]: the backup file every write is preceded by;
//! - [`aws`]: the client factory, Glue and S3 calls, the batching routine:
//!   the only module that names the AWS SDK;
//! - [`read`]: the S3 walk and the snapshot of a table a command plans on;
//! - [`plan`]: pure decisions (create, audit, moves, storage, junk tables,
//!   restore);
//! - [`apply`]: batched writes and restores.
//!
//! A module imports only from modules above it in this list (and
//! [`error`], [`failure`], [`progress`]). This crate never prints; the binaries own the
//! terminal.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod apply;
pub mod aws;
pub mod backup;
pub mod error;
pub mod failure;
pub mod model;
pub mod plan;
pub mod progress;
pub mod read;

pub use error::{Error, Result};
