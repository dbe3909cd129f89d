//! The files under a prefix, for `create-table`: which are data, how their
//! folders map to partition keys, and what their Parquet footers say.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::aws::s3::{Bucket, ListRequest, Object};
use crate::error::{Error, Result};
use crate::model::layout::{is_hidden, unescape_path_name};
use crate::model::location::S3Location;
use crate::read::parquet::{read_footer, skip_reason, FileSchema, Footer, FIRST_READ};

/// How the folders below a prefix map to partition keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileLayout {
    /// Per folder level, the Hive key name its folders carry (`year` for
    /// `year=2024/`), or `None` for flat folders (`2024/`).
    pub levels: Vec<Option<String>>,
    /// Data files by their folder relative to the prefix (`""` for files at
    /// the prefix itself), in key order.
    pub folders: BTreeMap<String, Vec<Object>>,
    /// Objects left out, counted by reason.
    pub skipped: BTreeMap<String, u64>,
}

impl FileLayout {
    /// The files whose footers to read, as groups of candidates: the
    /// last file (in key order) of each folder, then the ones before it,
    /// or every file alone when `all` or when there are no partition
    /// folders. [`read_footers`] reads the first candidate of each group it
    /// can: an archived file (Glacier, Deep Archive, an Intelligent-Tiering
    /// archive tier) is data, but cannot be read until restored.
    pub fn sample(&self, all: bool) -> Vec<Vec<&Object>> {
        if all || self.levels.is_empty() {
            return self.folders.values().flatten().map(|f| vec![f]).collect();
        }
        self.folders
            .values()
            .map(|files| files.iter().rev().collect())
            .collect()
    }

    /// Counts one skipped object under `reason`.
    pub fn skip(&mut self, reason: &str) {
        *self.skipped.entry(reason.to_string()).or_default() += 1;
    }
}

/// Sorts the objects under `prefix` into data files by folder and skipped
/// objects, and reads the folder levels. Files at different depths, or a
/// level whose folders disagree (`year=` beside `yr=`, or beside a flat
/// `2024/`), are an error that shows one example of each.
pub fn file_layout(prefix: &S3Location, objects: Vec<Object>) -> Result<FileLayout, String> {
    let mut layout = FileLayout::default();
    let mut first_at_depth: BTreeMap<usize, String> = BTreeMap::new();
    let mut level_examples: Vec<BTreeMap<Option<String>, String>> = Vec::new();
    for object in objects {
        let relative = object.key[prefix.prefix().len()..].to_string();
        let mut parts: Vec<&str> = relative.split('/').collect();
        parts.pop();
        if parts.iter().any(|p| is_hidden(p)) {
            layout.skip("inside a hidden folder (_temporary, .spark-staging, ...)");
            continue;
        }
        if let Some(reason) = skip_reason(&object.key, object.size) {
            layout.skip(reason);
            continue;
        }
        let url = format!("s3://{}/{}", prefix.bucket(), object.key);
        first_at_depth.entry(parts.len()).or_insert(url.clone());
        for (level, folder) in parts.iter().enumerate() {
            if level_examples.len() <= level {
                level_examples.push(BTreeMap::new());
            }
            let name = folder
                .split_once('=')
                .map(|(name, _)| unescape_path_name(name).to_lowercase());
            level_examples[level].entry(name).or_insert(url.clone());
        }
        layout
            .folders
            .entry(parts.join("/"))
            .or_default()
            .push(object);
    }
    same_depth(&first_at_depth)?;
    layout.levels = level_keys(level_examples)?;
    for files in layout.folders.values_mut() {
        files.sort_by(|a, b| a.key.cmp(&b.key));
    }
    Ok(layout)
}

/// Fails, with one file of each depth, when files sit at different
/// depths.
fn same_depth(first_at_depth: &BTreeMap<usize, String>) -> Result<(), String> {
    if first_at_depth.len() <= 1 {
        return Ok(());
    }
    let examples: Vec<String> = first_at_depth
        .iter()
        .map(|(depth, url)| format!("{url} (depth {depth})"))
        .collect();
    Err(format!(
        "data files sit at different folder depths: {}; every file must be the same number of folders below the prefix",
        examples.join(" and ")
    ))
}

/// Each level's Hive key name (or `None` for flat folders), from one
/// example file per kind of folder seen at that level; two kinds at one
/// level are an error showing both.
fn level_keys(
    levels: Vec<BTreeMap<Option<String>, String>>,
) -> Result<Vec<Option<String>>, String> {
    let mut keys = Vec::new();
    for (level, names) in levels.into_iter().enumerate() {
        if names.len() > 1 {
            let examples: Vec<String> = names
                .iter()
                .map(|(name, url)| match name {
                    Some(name) => format!("`{name}=` in {url}"),
                    None => format!("a flat folder in {url}"),
                })
                .collect();
            return Err(format!(
                "folder level {} mixes {}; one level must be one partition key",
                level + 1,
                examples.join(" and ")
            ));
        }
        keys.push(names.into_keys().next().flatten());
    }
    Ok(keys)
}

/// Every object under the prefix (all pages).
pub async fn list_all(bucket: &Bucket, prefix: &S3Location) -> Result<Vec<Object>> {
    let mut pages = bucket.pages(&ListRequest {
        prefix: prefix.prefix().to_string(),
        restore_status: true,
        ..ListRequest::default()
    });
    let mut objects = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| match e {
            Error::NoSuchBucket { bucket } => Error::InvalidInput(format!(
                "bucket `{bucket}` does not exist; check the location {prefix}"
            )),
            other => other,
        })?;
        objects.extend(page.objects);
    }
    Ok(objects)
}

/// What the footers of some files say.
#[derive(Debug, Clone, Default)]
pub struct Footers {
    /// Each Parquet file's URL and schema, in the order asked.
    pub schemas: Vec<(String, FileSchema)>,
    /// Files that turned out not to be Parquet: URL and why.
    pub not_parquet: Vec<(String, &'static str)>,
    /// Archived files passed over for another of their folder: URL and
    /// storage class (`GLACIER`, `DEEP_ARCHIVE`, or `archived` when only
    /// the GET told).
    pub archived: Vec<(String, String)>,
    /// Bytes read from S3.
    pub bytes_read: u64,
    /// GET requests sent.
    pub requests: u64,
}

/// What reading one group of candidates gave.
type GroupRead = (
    Option<(String, std::result::Result<FileSchema, &'static str>)>,
    Vec<(String, String)>,
);

/// Reads one footer for each group of `candidates`, `concurrency` groups
/// at once: one ranged GET of the last 64 KiB, and a second only for a
/// footer larger than that. An archived file is passed over for the next
/// candidate of its group; a corrupt or truncated footer is an error naming
/// the file.
pub async fn read_footers(
    bucket: &Bucket,
    candidates: &[Vec<&Object>],
    concurrency: usize,
) -> Result<Footers> {
    let bytes_read = AtomicU64::new(0);
    let requests = AtomicU64::new(0);
    let counters = (&bytes_read, &requests);
    let results: Vec<GroupRead> = stream::iter(candidates.iter().map(|group| async move {
        let mut passed_over = Vec::new();
        for object in group {
            let url = format!("s3://{}/{}", bucket.name(), object.key);
            if let Some(class) = &object.archived {
                passed_over.push((url, class.to_string()));
                continue;
            }
            match read_one(bucket, &object.key, &url, counters).await {
                Err(err) if err.is_archived_object() => {
                    passed_over.push((url, "archived".to_string()));
                }
                Err(err) => return Err(err),
                Ok(read) => return Ok((Some((url, read)), passed_over)),
            }
        }
        Ok((None, passed_over))
    }))
    .buffered(concurrency.max(1))
    .try_collect()
    .await?;
    let mut footers = Footers {
        bytes_read: bytes_read.load(Ordering::Relaxed),
        requests: requests.load(Ordering::Relaxed),
        ..Footers::default()
    };
    for (read, passed_over) in results {
        footers.archived.extend(passed_over);
        match read {
            Some((url, Ok(schema))) => footers.schemas.push((url, schema)),
            Some((url, Err(why))) => footers.not_parquet.push((url, why)),
            None => {}
        }
    }
    Ok(footers)
}

/// One file's footer: its schema, or why it is not Parquet.
async fn read_one(
    bucket: &Bucket,
    key: &str,
    url: &str,
    (bytes_read, requests): (&AtomicU64, &AtomicU64),
) -> Result<std::result::Result<FileSchema, &'static str>> {
    let mut want = FIRST_READ;
    loop {
        let (tail, size) = bucket.tail(key, want).await?;
        requests.fetch_add(1, Ordering::Relaxed);
        bytes_read.fetch_add(tail.len() as u64, Ordering::Relaxed);
        match read_footer(&tail, size) {
            Ok(Footer::Schema(schema)) => return Ok(Ok(schema)),
            Ok(Footer::NotParquet(why)) => return Ok(Err(why)),
            Ok(Footer::NeedsBytes(n)) if n > want => want = n,
            // S3 gave fewer bytes than asked for: a file problem (exit 1),
            // like a corrupt footer, not bad input.
            Ok(Footer::NeedsBytes(_)) => {
                return Err(Error::CorruptFile {
                    file: url.to_string(),
                    problem: "its footer could not be read whole".into(),
                })
            }
            Err(problem) => {
                return Err(Error::CorruptFile {
                    file: url.to_string(),
                    problem,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(keys: &[&str]) -> Vec<Object> {
        keys.iter()
            .map(|k| Object::new(*k, if k.ends_with('/') { 0 } else { 100 }))
            .collect()
    }

    fn root() -> S3Location {
        S3Location::parse("s3://b/t/").unwrap()
    }

    #[test]
    fn hive_levels_name_their_keys_and_other_objects_are_counted() {
        let layout = file_layout(
            &root(),
            objects(&[
                "t/Year=2024/month=01/a.parquet",
                "t/Year=2024/month=01/b.parquet",
                "t/Year=2024/month=02/c.parquet",
                "t/Year=2024/month=02/_SUCCESS",
                "t/Year=2024/month=02/",
                "t/_temporary/0/x.parquet",
                "t/manifest.json",
            ]),
        )
        .unwrap();
        assert_eq!(layout.levels, [Some("year".into()), Some("month".into())]);
        assert_eq!(layout.folders.len(), 2);
        let sample: Vec<&str> = layout
            .sample(false)
            .iter()
            .map(|group| group[0].key.as_str())
            .collect();
        assert_eq!(
            sample,
            [
                "t/Year=2024/month=01/b.parquet",
                "t/Year=2024/month=02/c.parquet"
            ]
        );
        assert_eq!(layout.sample(true).len(), 3);
        assert_eq!(layout.skipped.values().sum::<u64>(), 4);
    }

    #[test]
    fn flat_levels_have_no_names_and_unpartitioned_prefixes_read_every_file() {
        let flat = file_layout(&root(), objects(&["t/2024/01/a", "t/2024/02/b"])).unwrap();
        assert_eq!(flat.levels, [None, None]);
        let none = file_layout(&root(), objects(&["t/a.parquet", "t/b.parquet"])).unwrap();
        assert!(none.levels.is_empty());
        assert_eq!(none.sample(false).len(), 2);
    }

    #[test]
    fn uneven_depths_and_mixed_levels_show_one_example_of_each() {
        let err = file_layout(
            &root(),
            objects(&["t/2024/01/a.parquet", "t/2024/b.parquet"]),
        )
        .unwrap_err();
        assert!(err.contains("s3://b/t/2024/b.parquet (depth 1)"), "{err}");
        assert!(
            err.contains("s3://b/t/2024/01/a.parquet (depth 2)"),
            "{err}"
        );
        let err = file_layout(
            &root(),
            objects(&["t/year=2024/a.parquet", "t/2023/b.parquet"]),
        )
        .unwrap_err();
        assert!(err.contains("level 1 mixes"), "{err}");
        assert!(
            err.contains("`year=` in s3://b/t/year=2024/a.parquet"),
            "{err}"
        );
        assert!(
            err.contains("a flat folder in s3://b/t/2023/b.parquet"),
            "{err}"
        );
    }
}
