//! What a command reads before it plans: the table, a walk of its S3
//! location and its catalog partitions, read side by side; and for audits,
//! whether each partition location holds data.

use std::collections::{HashMap, HashSet};

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::aws::glue::FromPartition;
use crate::aws::s3::ListRequest;
use crate::aws::{Aws, Detail};
use crate::error::{Error, Result};
use crate::model::definition::PartitionImage;
use crate::model::layout;
use crate::model::location::S3Location;
use crate::model::partition::{stored_s3_location, CatalogPartition, StoredPartition};
use crate::model::scope::WalkScope;
use crate::model::table::Table;
use crate::model::values::Values;
use crate::progress::Progress;
use crate::read::walk::{discover, Discovery, WalkOptions};

/// A table, what its S3 location holds and what the catalog holds: whole
/// images ([`PartitionImage`], for commands that back up or rewrite them)
/// or values and locations ([`StoredPartition`], a tenth of the memory, for
/// audits and the partitioner).
#[derive(Debug, Clone)]
pub struct Snapshot<P = PartitionImage> {
    /// The table.
    pub table: Table,
    /// What the walk of the table location found.
    pub discovery: Discovery,
    /// Catalog partitions: every one for a whole-table read, those with
    /// values the walk found for a scoped read. Sorted by values.
    pub partitions: Vec<P>,
}

impl Snapshot {
    /// The catalog partitions as values and locations.
    pub fn stored(&self) -> Vec<StoredPartition> {
        self.partitions.iter().map(StoredPartition::from).collect()
    }
}

/// Like [`read_whole`], keeping the catalog's partitions as values and
/// locations only.
pub async fn read_locations(
    aws: &Aws,
    database: &str,
    table: &str,
    concurrency: usize,
    progress: &dyn Progress,
) -> Result<Snapshot<StoredPartition>> {
    let table = aws.catalog().table(database, table).await?;
    walk_with_catalog(aws, table, concurrency, Detail::Locations, progress).await
}

/// Walks a table's whole location while reading every partition from the
/// catalog, each kept as `P` keeps it: the two do not depend on each other,
/// so they share the time.
async fn walk_with_catalog<P: FromPartition>(
    aws: &Aws,
    table: Table,
    concurrency: usize,
    detail: Detail,
    progress: &dyn Progress,
) -> Result<Snapshot<P>> {
    let bucket = aws.bucket(table.location.bucket());
    let catalog = aws.catalog();
    let walk = whole_walk(concurrency);
    let (discovery, mut partitions) = tokio::try_join!(
        discover(&bucket, &table, &walk, progress),
        catalog.read_all::<P>(&table, detail)
    )?;
    partitions.sort_by(P::cmp_values);
    Ok(Snapshot {
        table,
        discovery,
        partitions,
    })
}

fn whole_walk(concurrency: usize) -> WalkOptions {
    WalkOptions {
        concurrency,
        scope: WalkScope::everything(),
        page_size: None,
    }
}

/// Reads the table, then walks its whole location while reading every
/// partition from the catalog: the two do not depend on each other, so they
/// share the time.
pub async fn read_whole(
    aws: &Aws,
    database: &str,
    table: &str,
    concurrency: usize,
    detail: Detail,
    progress: &dyn Progress,
) -> Result<Snapshot> {
    let table = aws.catalog().table(database, table).await?;
    walk_with_catalog(aws, table, concurrency, detail, progress).await
}

/// Reads the table and walks the part of it in `scope`. A whole-table scope
/// reads the whole catalog alongside (values and locations only); a narrow
/// one finds few partitions, so only those are looked up afterwards.
pub async fn read_scoped(
    aws: &Aws,
    database: &str,
    table: &str,
    scope: impl FnOnce(&Table) -> Result<WalkScope>,
    concurrency: usize,
    progress: &dyn Progress,
) -> Result<Snapshot<StoredPartition>> {
    let table = aws.catalog().table(database, table).await?;
    let scope = scope(&table)?;
    if scope.is_everything() {
        return walk_with_catalog(aws, table, concurrency, Detail::Locations, progress).await;
    }
    let walk = WalkOptions {
        concurrency,
        scope,
        page_size: None,
    };
    let discovery = discover(
        &aws.bucket(table.location.bucket()),
        &table,
        &walk,
        progress,
    )
    .await?;
    progress.step(&format!(
        "checking {} partitions against the catalog",
        discovery.partitions.len()
    ));
    let values: Vec<Values> = discovery
        .partitions
        .iter()
        .map(|p| p.values.clone())
        .collect();
    let mut partitions: Vec<StoredPartition> = aws
        .catalog()
        .partitions_by_values(&table, &values, concurrency)
        .await?
        .iter()
        .map(StoredPartition::from)
        .collect();
    partitions.sort_by(|a, b| a.values.cmp(&b.values));
    Ok(Snapshot {
        table,
        discovery,
        partitions,
    })
}

/// Whether each S3 location of a catalog partition holds data, beyond what
/// the walk itself shows. The folders the walk found with data (partitions
/// and conflicts) are not repeated here: the audit
/// looks them up in the discovery, so a table of a million partitions does
/// not get a second million locations in a map. Here are the rest: leaf
/// folders the walk saw empty, folders under the table location that it
/// did not see (so they hold no objects at all: the walk enters every
/// folder whose name matches its key), and the locations outside the walk
/// (outside the table, or folders that are not partitions by the layout
/// rules), listed one small page per location.
pub async fn data_presence<P: CatalogPartition>(
    aws: &Aws,
    snapshot: &Snapshot<P>,
    concurrency: usize,
    progress: &dyn Progress,
) -> Result<DataPresence> {
    let discovery = &snapshot.discovery;
    let seen = discovery.with_data();
    let mut has_data: HashMap<S3Location, bool> = HashMap::new();
    for p in &discovery.empty {
        has_data.insert(p.location.clone(), false);
    }
    let mut unseen: HashSet<S3Location> = HashSet::new();
    let locations = snapshot.partitions.iter().map(|p| p.stored_location());
    for location in locations.filter_map(stored_s3_location) {
        if seen.contains(&location) || has_data.contains_key(&location) {
            continue;
        }
        if layout::walk_covers(&snapshot.table, &location) {
            has_data.insert(location, false);
        } else {
            unseen.insert(location);
        }
    }
    progress.step(&format!(
        "probing {} partition locations outside the walk",
        unseen.len()
    ));
    let probed: Vec<(S3Location, Presence)> = stream::iter(unseen)
        .map(|location| async move {
            let data = folder_presence(aws, &location).await?;
            Ok::<_, Error>((location, data))
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await?;
    let mut missing_buckets = HashSet::new();
    for (location, presence) in probed {
        if presence == Presence::NoBucket {
            missing_buckets.insert(location.bucket().to_string());
        }
        has_data.insert(location, presence == Presence::Data);
    }
    Ok(DataPresence {
        has_data,
        missing_buckets,
    })
}

/// What [`data_presence`] found.
#[derive(Debug, Clone, Default)]
pub struct DataPresence {
    /// Whether each location outside what the walk showed holds data.
    pub has_data: HashMap<S3Location, bool>,
    /// Buckets that do not exist.
    pub missing_buckets: HashSet<String>,
}

/// Whether a folder holds data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// An object that is data.
    Data,
    /// No data (nothing, folder markers, hidden folders).
    NoData,
    /// The bucket does not exist.
    NoBucket,
}

/// Whether each folder holds data, in the order given, `concurrency`
/// listings at once (one small page each, more only past folder markers).
pub async fn folders_with_data(
    aws: &Aws,
    folders: &[S3Location],
    concurrency: usize,
    progress: &dyn Progress,
) -> Result<Vec<bool>> {
    progress.step(&format!("checking {} folders in S3", folders.len()));
    stream::iter(folders)
        .map(|folder| folder_has_data(aws, folder))
        .buffered(concurrency.max(1))
        .try_collect()
        .await
}

/// Missing folders a parent must hold before it is probed first.
const PARENT_PROBE_AT: usize = 12;

/// Like [`folders_with_data`], for many sibling folders at once (the
/// missing hours of a long outage): a parent folder that holds at least
/// [`PARENT_PROBE_AT`] of them is listed first, and when it holds no data,
/// none of them does. A day with no data at all costs one listing instead
/// of 24; a day whose hours do hold data costs one more than before.
pub async fn folders_with_data_by_parent(
    aws: &Aws,
    folders: &[S3Location],
    concurrency: usize,
    progress: &dyn Progress,
) -> Result<Vec<bool>> {
    let mut siblings: HashMap<S3Location, usize> = HashMap::new();
    for parent in folders.iter().filter_map(S3Location::parent) {
        *siblings.entry(parent).or_default() += 1;
    }
    let crowded: Vec<S3Location> = siblings
        .into_iter()
        .filter(|(_, count)| *count >= PARENT_PROBE_AT)
        .map(|(parent, _)| parent)
        .collect();
    let crowded_data = folders_with_data(aws, &crowded, concurrency, progress).await?;
    let empty: HashSet<S3Location> = crowded
        .into_iter()
        .zip(crowded_data)
        .filter(|(_, has)| !has)
        .map(|(parent, _)| parent)
        .collect();
    let in_empty = |f: &S3Location| f.parent().is_some_and(|p| empty.contains(&p));
    let rest: Vec<S3Location> = folders.iter().filter(|f| !in_empty(f)).cloned().collect();
    let mut rest_data = folders_with_data(aws, &rest, concurrency, progress)
        .await?
        .into_iter();
    Ok(folders
        .iter()
        .map(|f| !in_empty(f) && rest_data.next().unwrap_or(false))
        .collect())
}

/// Objects per probe page: enough to get past a few folder markers in one
/// request, small enough that a folder of a million files answers fast.
const PROBE_PAGE: i32 = 20;

/// Whether a folder holds data: an object that is not a folder marker and
/// not inside a hidden folder. A bucket that does not exist holds none.
pub async fn folder_has_data(aws: &Aws, location: &S3Location) -> Result<bool> {
    Ok(folder_presence(aws, location).await? == Presence::Data)
}

/// Whether a folder holds data, and whether its bucket exists.
pub async fn folder_presence(aws: &Aws, location: &S3Location) -> Result<Presence> {
    let mut pages = aws.bucket(location.bucket()).pages(&ListRequest {
        prefix: location.prefix().to_string(),
        page_size: Some(PROBE_PAGE),
        ..ListRequest::default()
    });
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(Error::NoSuchBucket { .. }) => return Ok(Presence::NoBucket),
            Err(err) => return Err(err),
        };
        let found = page.objects.iter().any(|object| {
            let relative = object
                .key
                .strip_prefix(location.prefix())
                .unwrap_or_default();
            layout::is_data_object(relative, object.size)
        });
        if found {
            return Ok(Presence::Data);
        }
    }
    Ok(Presence::NoData)
}
