//! S3 locations as the catalog stores them: `s3://bucket/prefix/`.

use std::fmt;
use std::sync::Arc;

/// Why a string is not a usable S3 location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    /// The scheme is not one that names S3 (`s3://`, `s3a://`, `s3n://`).
    #[error("`{0}` is not an S3 location (expected s3://bucket/prefix)")]
    NotS3(String),
    /// The scheme is right but the bucket name is empty.
    #[error("`{0}` has no bucket name")]
    NoBucket(String),
}

/// A folder in S3: a bucket and a key prefix that is empty (bucket root) or
/// ends with exactly one `/`.
///
/// The scheme (`s3`, `s3a`, `s3n`) is kept so that locations we write look
/// like the table's own, but it takes no part in comparisons: Hadoop's s3a
/// and Athena's s3 name the same objects.
///
/// A table's partitions share their bucket name (a reference-counted
/// string) and scheme (a constant): a ten-year hourly table holds 87,600
/// locations, and only their prefixes differ.
#[derive(Debug, Clone, Eq)]
pub struct S3Location {
    scheme: &'static str,
    bucket: Arc<str>,
    /// Exactly as long as it is: a boxed string has no spare capacity.
    prefix: Box<str>,
}

impl S3Location {
    /// Parses `s3://bucket`, `s3://bucket/`, `s3://bucket/a/b` or
    /// `s3://bucket/a/b/` (and the `s3a`/`s3n` spellings) into a folder.
    pub fn parse(location: &str) -> Result<Self, LocationError> {
        let trimmed = location.trim();
        let (scheme, rest) = trimmed
            .split_once("://")
            .ok_or_else(|| LocationError::NotS3(location.to_string()))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "s3" => "s3",
            "s3a" => "s3a",
            "s3n" => "s3n",
            _ => return Err(LocationError::NotS3(location.to_string())),
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(LocationError::NoBucket(location.to_string()));
        }
        Ok(Self {
            scheme,
            bucket: Arc::from(bucket),
            prefix: folder_prefix(key),
        })
    }

    /// A folder from its parts; `prefix` is normalised to end with one `/`.
    pub fn new(bucket: impl Into<String>, prefix: &str) -> Self {
        Self {
            scheme: "s3",
            bucket: Arc::from(bucket.into()),
            prefix: folder_prefix(prefix),
        }
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key prefix: empty at the bucket root, else ending with `/`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The folder below this one named by a key prefix relative to it.
    pub fn join(&self, relative: &str) -> Self {
        Self {
            scheme: self.scheme,
            bucket: Arc::clone(&self.bucket),
            prefix: folder_prefix(&format!("{}{}", self.prefix, relative)),
        }
    }

    /// The same folder addressed by a full key prefix in the same bucket.
    pub fn with_prefix(&self, prefix: &str) -> Self {
        Self {
            scheme: self.scheme,
            bucket: Arc::clone(&self.bucket),
            prefix: folder_prefix(prefix),
        }
    }

    /// The folder that holds this one; `None` at the bucket root.
    pub fn parent(&self) -> Option<Self> {
        let trimmed = self.prefix.strip_suffix('/')?;
        let parent = trimmed.rfind('/').map_or("", |i| &trimmed[..=i]);
        Some(self.with_prefix(parent))
    }

    /// True when this folder is `other` or lies below it.
    pub fn is_under(&self, other: &S3Location) -> bool {
        self.bucket == other.bucket && self.prefix.starts_with(&*other.prefix)
    }
}

/// Strips leading and repeated trailing slashes and ends a non-empty prefix
/// with exactly one `/`, so `a/b`, `a/b/` and `/a/b//` name one folder.
fn folder_prefix(key: &str) -> Box<str> {
    let key = key.trim_start_matches('/').trim_end_matches('/');
    if key.is_empty() {
        Box::default()
    } else {
        let mut prefix = String::with_capacity(key.len() + 1);
        prefix.push_str(key);
        prefix.push('/');
        prefix.into_boxed_str()
    }
}

impl PartialEq for S3Location {
    fn eq(&self, other: &Self) -> bool {
        self.bucket == other.bucket && self.prefix == other.prefix
    }
}

impl std::hash::Hash for S3Location {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bucket.hash(state);
        self.prefix.hash(state);
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}/{}", self.scheme, self.bucket, self.prefix)
    }
}

impl serde::Serialize for S3Location {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn parents_go_up_one_folder() {
        let hour = S3Location::parse("s3://b/t/day=01/hour=05/").unwrap();
        let day = hour.parent().unwrap();
        assert_eq!(day.to_string(), "s3://b/t/day=01/");
        assert_eq!(
            day.parent().unwrap().parent().unwrap().to_string(),
            "s3://b/"
        );
        assert_eq!(S3Location::parse("s3://b").unwrap().parent(), None);
    }
    use super::*;

    #[test]
    fn parses_with_and_without_trailing_slash() {
        let a = S3Location::parse("s3://bucket/table").unwrap();
        let b = S3Location::parse("s3://bucket/table/").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.bucket(), "bucket");
        assert_eq!(a.prefix(), "table/");
        assert_eq!(a.to_string(), "s3://bucket/table/");
    }

    #[test]
    fn parses_bucket_root() {
        for s in ["s3://bucket", "s3://bucket/", "s3://bucket//"] {
            let l = S3Location::parse(s).unwrap();
            assert_eq!(l.bucket(), "bucket");
            assert_eq!(l.prefix(), "", "{s}");
            assert_eq!(l.to_string(), "s3://bucket/");
        }
    }

    #[test]
    fn accepts_hadoop_schemes_and_keeps_them_for_display() {
        let l = S3Location::parse("s3a://bucket/x/y").unwrap();
        assert_eq!(l.to_string(), "s3a://bucket/x/y/");
        assert_eq!(l, S3Location::parse("s3://bucket/x/y/").unwrap());
        assert!(S3Location::parse("S3N://bucket/x").is_ok());
    }

    #[test]
    fn rejects_other_schemes_and_empty_buckets() {
        for s in [
            "hdfs://nn/x",
            "file:///tmp/x",
            "/tmp/x",
            "bucket/x",
            "https://bucket.s3.amazonaws.com/x",
        ] {
            assert!(
                matches!(S3Location::parse(s), Err(LocationError::NotS3(_))),
                "{s}"
            );
        }
        assert!(matches!(
            S3Location::parse("s3:///x"),
            Err(LocationError::NoBucket(_))
        ));
    }

    #[test]
    fn is_under_respects_folder_boundaries_and_buckets() {
        let table = S3Location::parse("s3://b/events").unwrap();
        assert!(S3Location::parse("s3://b/events/2019/")
            .unwrap()
            .is_under(&table));
        assert!(table.is_under(&table));
        assert!(!S3Location::parse("s3://b/events_old/2019/")
            .unwrap()
            .is_under(&table));
        assert!(!S3Location::parse("s3://other/events/2019/")
            .unwrap()
            .is_under(&table));
        let root = S3Location::parse("s3://b").unwrap();
        assert!(table.is_under(&root));
    }

    #[test]
    fn join_appends_a_folder() {
        let table = S3Location::parse("s3://b/t").unwrap();
        assert_eq!(
            table.join("year=2019/month=01").to_string(),
            "s3://b/t/year=2019/month=01/"
        );
        let root = S3Location::parse("s3://b").unwrap();
        assert_eq!(root.join("2019/").to_string(), "s3://b/2019/");
    }
}
