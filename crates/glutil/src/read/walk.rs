//! Finding partitions in S3.
//!
//! A folder is first read with one listing without a delimiter: its first
//! page (up to 1,000 objects) names the leaf folders below it and shows
//! which hold data, which a delimiter listing cannot (a folder holding only
//! a zero-byte marker looks the same as one holding data). When that page
//! is the whole folder, one request settled a subtree that a level-by-level
//! walk needs a request per folder for. When it is not, the folder's
//! subfolders are listed with `Delimiter=/` (every page followed) and
//! visited in parallel, up to the concurrency limit; subfolders the first
//! page already covered need no further request.
//!
//! The level just above the leaves is read to the end instead: once a leaf
//! is known to hold data the listing jumps past the rest of it with
//! `StartAfter`, so a partition of a million files costs no more than one
//! of a single file.
//!
//! Levels that `--prefix` or `--limit-days` narrow are listed with a
//! delimiter and only folders in scope are entered: out-of-scope folders
//! are never listed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Semaphore;

use crate::aws::s3::{Bucket, ListRequest, ObjectPage};
use crate::error::{Error, Result};
use crate::model::layout;
use crate::model::partition::DiscoveredPartition;
pub use crate::model::partition::Discovery;
use crate::model::scope::WalkScope;
use crate::model::table::{PartitionKey, Table};
use crate::model::values::Values;
use crate::progress::Progress;

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
    /// Objects per listing page; `None` is S3's maximum of 1,000. Small
    /// pages exist to test page boundaries against a real server.
    pub page_size: Option<i32>,
}

/// Walks the table's location and returns the partitions its folders hold.
/// `bucket` is the bucket of the table's location.
pub async fn discover(
    bucket: &Bucket,
    table: &Table,
    options: &WalkOptions,
    progress: &dyn Progress,
) -> Result<Discovery> {
    table.check_partitioned()?;
    let walker = Walker {
        bucket,
        table,
        keys: &table.partition_keys,
        scope: &options.scope,
        permits: Semaphore::new(options.concurrency.max(1)),
        listed: AtomicU64::new(0),
        page_size: options.page_size,
    };
    let root = Folder {
        prefix: table.location.prefix().to_string(),
        values: Vec::new(),
        first_page: None,
    };
    let mut pending = FuturesUnordered::new();
    pending.push(walker.visit(root));
    let mut queued: u64 = 1;
    let mut found = Vec::new();
    let mut empty = Vec::new();
    while let Some(visit) = pending.next().await {
        let visit = visit?;
        queued += visit.children.len() as u64;
        for child in visit.children {
            pending.push(walker.visit(child));
        }
        empty.extend(visit.empty);
        found.extend(visit.partitions);
        progress.walk(
            walker.listed.load(Ordering::Relaxed),
            queued,
            found.len() as u64,
        );
    }
    let (partitions, conflicts) = layout::resolve_conflicts(found);
    empty.sort_by(|a, b| a.values.cmp(&b.values));
    Ok(Discovery {
        partitions,
        conflicts,
        empty,
        folders_listed: walker.listed.load(Ordering::Relaxed),
    })
}

/// A folder to visit: its key prefix, the values of the levels above, and
/// possibly its first recursive page, already read by its parent.
struct Folder {
    prefix: String,
    values: Vec<String>,
    first_page: Option<ObjectPage>,
}

#[derive(Default)]
struct Visit {
    children: Vec<Folder>,
    partitions: Vec<DiscoveredPartition>,
    empty: Vec<DiscoveredPartition>,
}

/// What a path below a visited folder is, down to the leaf level.
enum Leaf {
    /// A leaf folder: the values of the levels from the visited folder
    /// down, and whether data was seen in it.
    Partition { values: Vec<String>, has_data: bool },
    /// Part of a single-key table's nested flat path (`2019/01/02/03/`).
    NestedFlat,
    /// Hidden, another key, out of scope or the wrong type: never data.
    Ignored,
}

impl Leaf {
    /// Nothing more below this path can change the result.
    fn settled(&self) -> bool {
        matches!(self, Leaf::Partition { has_data: true, .. } | Leaf::Ignored)
    }
}

/// What the objects read so far below a folder say about its leaves.
#[derive(Default)]
struct Leaves {
    /// Leaf paths relative to the visited folder (`2019/01/02/03`).
    by_path: BTreeMap<String, Leaf>,
    /// Single-key nested flat partitions: relative folder -> value.
    nested: BTreeMap<String, String>,
    /// The leaf path the last object read belongs to.
    last: Option<String>,
}

struct Walker<'a> {
    bucket: &'a Bucket,
    table: &'a Table,
    keys: &'a [PartitionKey],
    scope: &'a WalkScope,
    permits: Semaphore,
    listed: AtomicU64,
    page_size: Option<i32>,
}

impl Walker<'_> {
    async fn visit(&self, folder: Folder) -> Result<Visit> {
        let depth = folder.values.len();
        let result = if depth + 1 < self.keys.len() && self.scope.restricts(depth) {
            self.list_subfolders(&folder).await
        } else {
            self.read_below(folder).await
        };
        self.listed.fetch_add(1, Ordering::Relaxed);
        result
    }

    fn listing(&self, prefix: &str) -> ListRequest {
        ListRequest {
            prefix: prefix.to_string(),
            page_size: self.page_size,
            ..ListRequest::default()
        }
    }

    /// Sends one request under the concurrency limit.
    async fn first_page(&self, folder: &Folder) -> Result<ObjectPage> {
        let _permit = self.permits.acquire().await;
        self.bucket
            .first_page(&self.listing(&folder.prefix))
            .await
            .map_err(|e| self.list_error(e))
    }

    /// Lists one level with a delimiter and returns the subfolders that
    /// match the next key and are in scope.
    async fn list_subfolders(&self, folder: &Folder) -> Result<Visit> {
        let key = &self.keys[folder.values.len()];
        let mut pages = self.bucket.pages(&ListRequest {
            by_folder: true,
            ..self.listing(&folder.prefix)
        });
        let mut visit = Visit::default();
        loop {
            let page = {
                let _permit = self.permits.acquire().await;
                pages.next().await
            };
            let Some(page) = page else { break };
            let page = page.map_err(|e| self.list_error(e))?;
            for child in &page.folders {
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
                        first_page: None,
                    });
                }
            }
        }
        Ok(visit)
    }

    /// Reads the objects below a folder: one page settles a small subtree;
    /// a larger one is split into subfolders, except at the level above the
    /// leaves, which is read to the end, skipping past leaves with data.
    async fn read_below(&self, mut folder: Folder) -> Result<Visit> {
        let page = match folder.first_page.take() {
            Some(page) => page,
            None => self.first_page(&folder).await?,
        };
        let mut leaves = Leaves::default();
        self.read_page(&folder, &page, &mut leaves);
        if !page.truncated {
            return Ok(self.finish(&folder, leaves));
        }
        if folder.values.len() + 1 == self.keys.len() {
            self.read_leaf_parent_to_end(&folder, page, &mut leaves)
                .await?;
            return Ok(self.finish(&folder, leaves));
        }
        self.split(folder, page, leaves).await
    }

    /// A truncated first page above the leaf parent: list the subfolders,
    /// keep what the page fully covered, visit the rest.
    async fn split(&self, folder: Folder, page: ObjectPage, mut leaves: Leaves) -> Result<Visit> {
        let listed = self.list_subfolders(&folder).await?;
        let first = page.first_key().to_string();
        let last = page.last_key().to_string();
        let mut page = Some(page);
        let mut covered: Vec<String> = Vec::new();
        let mut children = Vec::new();
        for mut child in listed.children {
            // Keys sort by bytes, and the page holds every key up to `last`:
            // a subfolder that ends before `last` is complete in it.
            if child.prefix < last && !last.starts_with(&child.prefix) {
                let name = &child.prefix[folder.prefix.len()..];
                covered.push(name.to_string());
            } else {
                // A subfolder that holds the whole page would read that
                // same page again: hand it down instead.
                if first.starts_with(&child.prefix) && last.starts_with(&child.prefix) {
                    child.first_page = page.take();
                }
                children.push(child);
            }
        }
        leaves
            .by_path
            .retain(|path, _| covered.iter().any(|c| path.starts_with(c.as_str())));
        let mut visit = self.finish(&folder, leaves);
        visit.children = children;
        Ok(visit)
    }

    /// Reads the leaf parent's listing to the end, jumping past each leaf
    /// that is known to hold data (or can never be a partition). Resumes
    /// with `StartAfter`, never with the first page's continuation token:
    /// that page may come from an ancestor's listing, whose token belongs
    /// to another prefix.
    async fn read_leaf_parent_to_end(
        &self,
        folder: &Folder,
        first: ObjectPage,
        leaves: &mut Leaves,
    ) -> Result<()> {
        let mut resume_after = first.last_key().to_string();
        loop {
            let start_after = match leaves.last.as_ref() {
                Some(last) if leaves.by_path.get(last).is_some_and(Leaf::settled) => {
                    format!("{}{}/{}", folder.prefix, last, AFTER_ALL)
                }
                _ => resume_after.clone(),
            };
            let mut pages = self.bucket.pages(&ListRequest {
                start_after: Some(start_after),
                ..self.listing(&folder.prefix)
            });
            loop {
                let page = {
                    let _permit = self.permits.acquire().await;
                    pages.next().await
                };
                let Some(page) = page else { return Ok(()) };
                let page = page.map_err(|e| self.list_error(e))?;
                self.read_page(folder, &page, leaves);
                if !page.truncated {
                    return Ok(());
                }
                resume_after = page.last_key().to_string();
                let settled = leaves
                    .last
                    .as_ref()
                    .and_then(|l| leaves.by_path.get(l))
                    .is_some_and(Leaf::settled);
                if settled {
                    break;
                }
            }
        }
    }

    /// Records what one page shows about the leaves below `folder`.
    fn read_page(&self, folder: &Folder, page: &ObjectPage, leaves: &mut Leaves) {
        let depth = folder.values.len();
        let levels = self.keys.len() - depth;
        for object in &page.objects {
            let Some(relative) = object.key.strip_prefix(folder.prefix.as_str()) else {
                continue;
            };
            let parts: Vec<&str> = relative.splitn(levels + 1, '/').collect();
            // Objects above the leaf level belong to no partition.
            if parts.len() <= levels {
                continue;
            }
            let path = parts[..levels].join("/");
            let rest = parts[levels];
            let size = object.size;
            let leaf = leaves
                .by_path
                .entry(path.clone())
                .or_insert_with(|| self.classify(&parts[..levels], &folder.values));
            match leaf {
                Leaf::Partition { has_data, .. } => {
                    if !*has_data && layout::is_data_object(rest, size) {
                        *has_data = true;
                    }
                }
                Leaf::NestedFlat => {
                    if let Some((value, relative_folder)) =
                        layout::nested_flat_value(relative, size, &self.keys[depth])
                    {
                        leaves.nested.insert(relative_folder, value);
                    }
                }
                Leaf::Ignored => {}
            }
            if leaves.last.as_deref() != Some(path.as_str()) {
                leaves.last = Some(path);
            }
        }
    }

    /// Matches the folder names from `values.len()` down to the leaf level
    /// against their keys and the scope.
    fn classify(&self, names: &[&str], values: &[String]) -> Leaf {
        // A single-key table's flat folders may nest (`2019/01/02/03/`):
        // the value comes from the whole path, found per object.
        if layout::is_nested_flat(names[0], self.keys) {
            return Leaf::NestedFlat;
        }
        let Some(below) = layout::path_values(names, &self.keys[values.len()..]) else {
            return Leaf::Ignored;
        };
        let mut all = values.to_vec();
        for value in below {
            all.push(value);
            if !self.scope.accepts(&all) {
                return Leaf::Ignored;
            }
        }
        Leaf::Partition {
            values: all,
            has_data: false,
        }
    }

    /// Turns what was read into partitions and empty leaves.
    fn finish(&self, folder: &Folder, leaves: Leaves) -> Visit {
        let here = self.table.location.with_prefix(&folder.prefix);
        let mut visit = Visit::default();
        for (path, leaf) in leaves.by_path {
            if let Leaf::Partition { values, has_data } = leaf {
                let found = DiscoveredPartition {
                    values: Values::from(values),
                    location: here.join(&path),
                };
                if has_data {
                    visit.partitions.push(found);
                } else {
                    visit.empty.push(found);
                }
            }
        }
        for (relative, value) in leaves.nested {
            let values = vec![value];
            if self.scope.accepts(&values) {
                visit.partitions.push(DiscoveredPartition {
                    values: Values::from(values),
                    location: here.join(&relative),
                });
            }
        }
        visit
    }

    /// A missing bucket here is the table's: name the table.
    fn list_error(&self, err: Error) -> Error {
        match err {
            Error::NoSuchBucket { bucket } => Error::BucketNotFound {
                bucket,
                table: self.table.qualified_name(),
            },
            other => other,
        }
    }
}
