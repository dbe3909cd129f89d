//! Applying plans to the catalog. Every command's changes are one of a few
//! kinds of batched write; each goes through the catalog's batching (AWS's
//! batch limits, per-entry errors, retries, Ctrl-C between batches). The
//! caller writes the backup first (see `backup`).

pub mod restore;

use crate::aws::Catalog;
use crate::error::{Error, Result};
use crate::model::definition::{PartitionImage, TableImage};
use crate::model::outcome::Outcome;
use crate::model::partition::DiscoveredPartition;
use crate::model::table::{Table, TableId};
use crate::model::values::Values;
use crate::progress::Progress;

/// The writes of one step of a command. They borrow what the plan holds,
/// so a big plan is not copied to be sent.
#[derive(Debug, Clone)]
pub enum Writes<'a> {
    /// Partitions to create, defined whole.
    CreatePartitions(TableId, &'a [PartitionImage]),
    /// Partitions found in S3, to create as the table defines its storage;
    /// each definition is made when its batch is sent, not held.
    CreateFound(&'a Table, &'a [DiscoveredPartition]),
    /// Partitions to replace with these definitions (matched by values).
    UpdatePartitions(TableId, &'a [PartitionImage]),
    /// Partitions to delete, by values.
    DeletePartitions(TableId, &'a [Values]),
    /// Tables of a database to delete, by name (Glue deletes their
    /// partitions with them).
    DeleteTables(String, &'a [String]),
}

impl Writes<'_> {
    /// How many items the writes change.
    pub fn len(&self) -> usize {
        match self {
            Writes::CreatePartitions(_, p) | Writes::UpdatePartitions(_, p) => p.len(),
            Writes::CreateFound(_, p) => p.len(),
            Writes::DeletePartitions(_, v) => v.len(),
            Writes::DeleteTables(_, n) => n.len(),
        }
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What the progress display says while the writes run.
    pub fn step(&self) -> &'static str {
        match self {
            Writes::CreatePartitions(..) | Writes::CreateFound(..) => "creating partitions",
            Writes::UpdatePartitions(..) => "updating partitions",
            Writes::DeletePartitions(..) => "deleting partitions",
            Writes::DeleteTables(..) => "deleting tables",
        }
    }

    /// Sends the writes, `concurrency` batches in flight, and says so on
    /// the progress display.
    pub async fn apply(
        &self,
        catalog: &Catalog,
        concurrency: usize,
        progress: &dyn Progress,
    ) -> Outcome {
        progress.step(self.step());
        match self {
            Writes::CreatePartitions(table, partitions) => {
                catalog
                    .create_partitions(table, partitions, concurrency, progress)
                    .await
            }
            Writes::CreateFound(table, found) => {
                catalog
                    .create_found(table, found, concurrency, progress)
                    .await
            }
            Writes::UpdatePartitions(table, partitions) => {
                catalog
                    .update_partitions(table, partitions, concurrency, progress)
                    .await
            }
            Writes::DeletePartitions(table, values) => {
                catalog
                    .delete_partitions(table, values, concurrency, progress)
                    .await
            }
            Writes::DeleteTables(database, names) => {
                catalog
                    .delete_tables(database, names, concurrency, progress)
                    .await
            }
        }
    }
}

/// What a checked table update did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableUpdate {
    /// The update was written.
    pub written: bool,
    /// Someone else changed the table between glutil's read and its write
    /// (Glue refused the first update for its `VersionId`): what they
    /// changed. The table was read again and the change planned again.
    pub changed_by_others: Option<Vec<String>>,
}

/// Updates a table only as it was read: the update carries the read
/// table's `VersionId`. When someone else changed the table in between,
/// Glue refuses it; the table is then read again, `replan` says what to
/// write to the table as it is now (`None`: nothing any more), `record`
/// backs the re-read table up, and the update is sent once more with the
/// new version. A second refusal is [`Error::TableChanged`]. A change
/// glutil did not see is never overwritten.
pub async fn update_table_checked(
    catalog: &Catalog,
    database: &str,
    read: &TableImage,
    wanted: &TableImage,
    replan: impl FnOnce(&TableImage) -> Result<Option<TableImage>>,
    record: impl FnOnce(&TableImage) -> Result<()>,
) -> Result<TableUpdate> {
    let first = catalog
        .update_table(database, wanted, read.version_id.as_deref())
        .await;
    match first {
        Ok(()) => {
            return Ok(TableUpdate {
                written: true,
                changed_by_others: None,
            })
        }
        Err(Error::TableChanged { .. }) => {}
        Err(other) => return Err(other),
    }
    let fresh = catalog.existing_table(database, &read.name).await?;
    let changed = read.changed_fields(&fresh);
    let Some(again) = replan(&fresh)? else {
        return Ok(TableUpdate {
            written: false,
            changed_by_others: Some(changed),
        });
    };
    record(&fresh)?;
    catalog
        .update_table(database, &again, fresh.version_id.as_deref())
        .await?;
    Ok(TableUpdate {
        written: true,
        changed_by_others: Some(changed),
    })
}
