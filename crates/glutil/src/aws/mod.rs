//! The edge where glutil meets AWS: the one client factory, the Glue Data
//! Catalog, S3 listings, Athena, the batching routine, and the conversions
//! between the SDK's types and the model's. Nothing outside this module
//! names the SDK.

pub mod athena;
pub mod batch;
pub mod budget;
pub mod client;
pub mod convert;
pub mod debug;
pub mod failure;
pub mod glue;
pub mod s3;
#[cfg(test)]
pub(crate) mod testing;
pub mod write;

pub use athena::{Athena, QueryContext};
pub use budget::https_client;
pub use client::{
    Aws, AwsOptions, ClientSettings, Notes, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_MAX_ATTEMPTS,
};
pub use failure::{AwsFailure, FailureKind, Rounds};
pub use glue::{Catalog, Detail};
pub use s3::Bucket;
