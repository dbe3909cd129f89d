//! Finding partitions in S3.
//!
//! The folders above the leaves are listed level by level with
//! `Delimiter=/`, every page followed, many listings in flight at once. The
//! level just above the leaves is listed without a delimiter instead: one
//! listing both names the leaf folders and shows which hold data, which a
//! delimiter listing cannot (a folder holding only a zero-byte marker looks
//! the same as one holding data). Once a leaf is known to hold data, the
//! listing jumps past the rest of it with `StartAfter`, so a partition of a
//! million files costs no more than one of a single file.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error;
use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};
use crate::layout::{self, Conflict};
use crate::progress::Progress;
use crate::scope::WalkScope;
use crate::table::{DiscoveredPartition, PartitionKey, Table};

/// Sorts after every character a real key can have next, so that
/// `StartAfter = folder + MAX` resumes a listing after the whole folder.
const AFTER_ALL: char = char::MAX;

/// How a walk runs.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Listings in flight at once.
    pub concurrency: usize,
    /// The part of the tree to visit.
    pub scope: WalkScope,
}

/// What a walk found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Discovery {
    /// Partitions with data whose values no other folder claims, sorted by
    /// values.
    pub partitions: Vec<DiscoveredPartition>,
    /// Values claimed by more than one folder; none of them is a partition.
    pub conflicts: Vec<Conflict>,
    /// Leaf folders whose names match but that hold no data.
    pub empty_folders: u64,
    /// Folders listed.
    pub folders_listed: u64,
}

/// Walks the table's location and returns the partitions its folders hold.
pub async fn discover(
    s3: &aws_sdk_s3::Client,
    table: &Table,
    options: &WalkOptions,
    progress: &dyn Progress,
) -> Result<Discovery> {
    if table.partition_keys.is_empty() {
        return Err(Error::UnusableTable {
            table: table.qualified_name(),
            problem: "it has no partition keys, so there are no partitions to find".to_string(),
        });
    }
    let walker = Walker {
        s3,
        table,
        keys: &table.partition_keys,
        scope: &options.scope,
        permits: Semaphore::new(options.concurrency.max(1)),
        listed: AtomicU64::new(0),
    };
    let root = Folder {
        prefix: table.location.prefix().to_string(),
        values: Vec::new(),
    };
    let mut pending = FuturesUnordered::new();
    pending.push(walker.visit(root));
    let mut queued: u64 = 1;
    let mut found = Vec::new();
    let mut empty_folders = 0;
    while let Some(visit) = pending.next().await {
        let visit = visit?;
        queued += visit.children.len() as u64;
        for child in visit.children {
            pending.push(walker.visit(child));
        }
        empty_folders += visit.empty_leaves;
        found.extend(visit.partitions);
        progress.walk(
            walker.listed.load(Ordering::Relaxed),
            queued,
            found.len() as u64,
        );
    }
    let (partitions, conflicts) = layout::resolve_conflicts(found);
    Ok(Discovery {
        partitions,
        conflicts,
        empty_folders,
        folders_listed: walker.listed.load(Ordering::Relaxed),
    })
}

/// A folder to visit: its key prefix and the values of the levels above.
struct Folder {
    prefix: String,
    values: Vec<String>,
}

#[derive(Default)]
struct Visit {
    children: Vec<Folder>,
    partitions: Vec<DiscoveredPartition>,
    empty_leaves: u64,
}

/// What a name directly below a leaf parent is.
enum Leaf {
    /// A leaf folder for the last key, with its value.
    Partition { value: String, has_data: bool },
    /// Part of a single-key table's nested flat path (`2019/01/02/03/`).
    NestedFlat,
    /// Hidden, another key, out of scope or the wrong type: never data.
    Ignored,
}

impl Leaf {
    /// Nothing more below this name can change the result.
    fn settled(&self) -> bool {
        matches!(self, Leaf::Partition { has_data: true, .. } | Leaf::Ignored)
    }
}

struct Walker<'a> {
    s3: &'a aws_sdk_s3::Client,
    table: &'a Table,
    keys: &'a [PartitionKey],
    scope: &'a WalkScope,
    permits: Semaphore,
    listed: AtomicU64,
}

impl Walker<'_> {
    async fn visit(&self, folder: Folder) -> Result<Visit> {
        let result = if folder.values.len() + 1 == self.keys.len() {
            self.visit_leaf_parent(&folder).await
        } else {
            self.visit_level(&folder).await
        };
        self.listed.fetch_add(1, Ordering::Relaxed);
        result
    }

    /// Lists one level with a delimiter and returns the subfolders that
    /// match the next key and are in scope.
    async fn visit_level(&self, folder: &Folder) -> Result<Visit> {
        let key = &self.keys[folder.values.len()];
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(self.table.location.bucket())
            .prefix(&folder.prefix)
            .delimiter("/")
            .into_paginator()
            .send();
        let mut visit = Visit::default();
        loop {
            let page = {
                let _permit = self.permits.acquire().await;
                pages.next().await
            };
            let Some(page) = page else { break };
            let page = page.map_err(|e| self.list_error(e, &folder.prefix))?;
            for common in page.common_prefixes() {
                let Some(child) = common.prefix() else {
                    continue;
                };
                let name = child
                    .strip_prefix(folder.prefix.as_str())
                    .unwrap_or_default()
                    .trim_end_matches('/');
                let Some(value) = layout::folder_value(name, key) else {
                    continue;
                };
                let mut values = folder.values.clone();
                values.push(value);
                if self.scope.accepts(&values) {
                    visit.children.push(Folder {
                        prefix: child.to_string(),
                        values,
                    });
                }
            }
        }
        Ok(visit)
    }

    /// Lists everything below the parent of the leaf folders, skipping past
    /// each leaf as soon as it is known to hold data.
    async fn visit_leaf_parent(&self, folder: &Folder) -> Result<Visit> {
        let mut leaves: BTreeMap<String, Leaf> = BTreeMap::new();
        let mut nested: BTreeMap<String, String> = BTreeMap::new();
        let mut start_after: Option<String> = None;
        'listing: loop {
            let mut pages = self
                .s3
                .list_objects_v2()
                .bucket(self.table.location.bucket())
                .prefix(&folder.prefix)
                .set_start_after(start_after.take())
                .into_paginator()
                .send();
            loop {
                let page = {
                    let _permit = self.permits.acquire().await;
                    pages.next().await
                };
                let Some(page) = page else { break 'listing };
                let page = page.map_err(|e| self.list_error(e, &folder.prefix))?;
                let last = self.read_leaf_page(folder, &page, &mut leaves, &mut nested);
                if let Some(name) = last {
                    if page.is_truncated() == Some(true)
                        && leaves.get(&name).is_some_and(Leaf::settled)
                    {
                        start_after = Some(format!("{}{}/{}", folder.prefix, name, AFTER_ALL));
                        continue 'listing;
                    }
                }
            }
        }

        let parent = self.table.location.with_prefix(&folder.prefix);
        let mut visit = Visit::default();
        for (name, leaf) in leaves {
            if let Leaf::Partition { value, has_data } = leaf {
                if has_data {
                    let mut values = folder.values.clone();
                    values.push(value);
                    visit.partitions.push(DiscoveredPartition {
                        values,
                        location: parent.join(&name),
                    });
                } else {
                    visit.empty_leaves += 1;
                }
            }
        }
        for (relative, value) in nested {
            let values = vec![value];
            if self.scope.accepts(&values) {
                visit.partitions.push(DiscoveredPartition {
                    values,
                    location: parent.join(&relative),
                });
            }
        }
        Ok(visit)
    }

    /// Records what one page shows about the leaves; returns the name of the
    /// last leaf the page reached into.
    fn read_leaf_page(
        &self,
        folder: &Folder,
        page: &ListObjectsV2Output,
        leaves: &mut BTreeMap<String, Leaf>,
        nested: &mut BTreeMap<String, String>,
    ) -> Option<String> {
        let key = &self.keys[folder.values.len()];
        let single_key = self.keys.len() == 1;
        let mut last = None;
        for object in page.contents() {
            let Some(relative) = object
                .key()
                .and_then(|k| k.strip_prefix(folder.prefix.as_str()))
            else {
                continue;
            };
            // Files directly in the parent belong to no leaf.
            let Some((name, rest)) = relative.split_once('/') else {
                continue;
            };
            let size = object.size().unwrap_or(0);
            let leaf = leaves
                .entry(name.to_string())
                .or_insert_with(|| self.classify_leaf(name, key, &folder.values, single_key));
            match leaf {
                Leaf::Partition { has_data, .. } => {
                    if !*has_data && layout::is_data_object(rest, size) {
                        *has_data = true;
                    }
                }
                Leaf::NestedFlat => {
                    if let Some((value, relative_folder)) =
                        layout::nested_flat_value(relative, size, key)
                    {
                        nested.insert(relative_folder, value);
                    }
                }
                Leaf::Ignored => {}
            }
            if last.as_deref() != Some(name) {
                last = Some(name.to_string());
            }
        }
        last
    }

    fn classify_leaf(
        &self,
        name: &str,
        key: &PartitionKey,
        values: &[String],
        single_key: bool,
    ) -> Leaf {
        // A single-key table's flat folders may nest (`2019/01/02/03/`):
        // the value comes from the whole path, found per object.
        if single_key && !name.contains('=') && !layout::is_hidden(name) && !name.is_empty() {
            return Leaf::NestedFlat;
        }
        let Some(value) = layout::folder_value(name, key) else {
            return Leaf::Ignored;
        };
        let mut all = values.to_vec();
        all.push(value.clone());
        if self.scope.accepts(&all) {
            Leaf::Partition {
                value,
                has_data: false,
            }
        } else {
            Leaf::Ignored
        }
    }

    fn list_error(&self, err: SdkError<ListObjectsV2Error>, prefix: &str) -> Error {
        if err
            .as_service_error()
            .is_some_and(ListObjectsV2Error::is_no_such_bucket)
        {
            return Error::BucketNotFound {
                bucket: self.table.location.bucket().to_string(),
                table: self.table.qualified_name(),
            };
        }
        Error::S3 {
            operation: "ListObjectsV2",
            bucket: self.table.location.bucket().to_string(),
            prefix: prefix.to_string(),
            source: Box::new(err),
        }
    }
}
