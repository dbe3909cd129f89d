//! The edge where glutil meets AWS: the one client factory, the Glue Data
//! Catalog and S3 listings, the batching routine, and the conversions
//! between the SDK's types and the model's. Nothing outside this module
//! names the SDK.

pub mod batch;
pub mod client;
pub mod convert;
pub mod glue;
pub mod s3;
pub mod write;

pub use client::{Aws, AwsOptions, ClientSettings, DEFAULT_MAX_ATTEMPTS};
pub use glue::{Catalog, Detail};
pub use s3::Bucket;
