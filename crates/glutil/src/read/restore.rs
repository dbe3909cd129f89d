//! What restore reads: what a backup wants, the catalog state it is
//! compared with, and the whole of a table before it is deleted.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::aws::{Catalog, Detail};
use crate::backup::Entry;
use crate::error::Result;
use crate::model::definition::{PartitionImage, TableImage};
use crate::model::table::TableId;

/// What a backup wants of one partition.
#[derive(Debug, Clone, PartialEq)]
pub enum Want {
    /// To exist, defined as this.
    Present(PartitionImage),
    /// Not to exist (the backup recorded its creation, at this definition).
    Absent(PartitionImage),
}

/// What a backup wants of one table.
#[derive(Debug, Clone, PartialEq)]
pub enum TableWant {
    /// To exist, defined as this.
    Present(Box<TableImage>),
    /// Not to exist (the backup recorded its creation).
    Absent,
}

/// Whether a table the backup names will exist once the plan is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// It exists and stays (perhaps reverted).
    Stays,
    /// Restore re-creates it: it has no partitions yet.
    Created,
    /// Restore deletes it, with all its partitions.
    Deleted,
    /// It does not exist and restore does not create it.
    Absent,
}

/// What a backup wants of the catalog: the first entry for a partition or
/// table is its state before the command that wrote the backup touched it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Wants {
    /// Tables the backup holds a definition or a creation of.
    pub tables: BTreeMap<TableId, TableWant>,
    /// Partitions, by table and values.
    pub partitions: BTreeMap<TableId, BTreeMap<Vec<String>, Want>>,
}

impl Wants {
    /// Reads what a backup's entries want.
    pub fn from_entries(entries: &[Entry]) -> Self {
        let mut wants = Wants::default();
        for entry in entries {
            let (id, want) = match entry {
                Entry::DeletePartition {
                    database,
                    table,
                    partition,
                }
                | Entry::UpdatePartition {
                    database,
                    table,
                    partition,
                } => (
                    TableId::new(database, table),
                    Want::Present(partition.clone()),
                ),
                Entry::CreatePartition {
                    database,
                    table,
                    partition,
                } => (
                    TableId::new(database, table),
                    Want::Absent(partition.clone()),
                ),
                Entry::DeleteTable { database, table } | Entry::UpdateTable { database, table } => {
                    let id = TableId::new(database, &table.name);
                    let want = TableWant::Present(Box::new(table.clone()));
                    wants.tables.entry(id).or_insert(want);
                    continue;
                }
                Entry::RereadTable { database, table } => {
                    let id = TableId::new(database, &table.name);
                    let want = TableWant::Present(Box::new(table.clone()));
                    wants.tables.insert(id, want);
                    continue;
                }
                Entry::CreateTable { database, table } => {
                    let id = TableId::new(database, &table.name);
                    wants.tables.entry(id).or_insert(TableWant::Absent);
                    continue;
                }
            };
            let values = match &want {
                Want::Present(p) | Want::Absent(p) => p.values.clone(),
            };
            wants
                .partitions
                .entry(id)
                .or_default()
                .entry(values)
                .or_insert(want);
        }
        wants
    }

    /// Every table the backup names, in order.
    pub fn table_ids(&self) -> BTreeSet<TableId> {
        self.tables
            .keys()
            .chain(self.partitions.keys())
            .cloned()
            .collect()
    }

    /// What becomes of a table once restore is done, given whether it
    /// exists now.
    pub fn fate(&self, id: &TableId, exists: bool) -> Fate {
        match (self.tables.get(id), exists) {
            (Some(TableWant::Present(_)), false) => Fate::Created,
            (Some(TableWant::Absent), true) => Fate::Deleted,
            (Some(TableWant::Absent), false) | (None, false) => Fate::Absent,
            (Some(TableWant::Present(_)), true) | (None, true) => Fate::Stays,
        }
    }

    /// Which partitions of a table restore must read, once it is known
    /// whether the table exists now.
    pub fn partitions_to_read(&self, id: &TableId, exists: bool) -> PartitionRead {
        match self.fate(id, exists) {
            // Deleting a table loses its partitions: back them all up.
            Fate::Deleted => PartitionRead::All,
            Fate::Stays => match self.partitions.get(id) {
                Some(wants) => PartitionRead::Values(wants.keys().cloned().collect()),
                None => PartitionRead::Nothing,
            },
            Fate::Created | Fate::Absent => PartitionRead::Nothing,
        }
    }
}

/// What restore reads of one table's partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionRead {
    /// Nothing: the table is absent, or restore re-creates it.
    Nothing,
    /// Every partition, whole (the table is to be deleted).
    All,
    /// The partitions with these values, whole.
    Values(Vec<Vec<String>>),
}

/// The catalog as restore sees it: every table the backup names, and the
/// partitions [`Wants::partitions_to_read`] asked for.
#[derive(Debug, Clone, Default)]
pub struct CatalogState {
    /// Each table's definition now, or `None` when it does not exist.
    pub tables: BTreeMap<TableId, Option<TableImage>>,
    /// The partitions read, by table.
    pub partitions: HashMap<TableId, Vec<PartitionImage>>,
}

/// Reads every table the backup names (one GetTable each), then the
/// partitions restore needs of each: whole, by values (BatchGetPartition),
/// or all of a table it is about to delete.
pub async fn read_state(
    catalog: &Catalog,
    wants: &Wants,
    concurrency: usize,
) -> Result<CatalogState> {
    let mut state = CatalogState::default();
    for id in wants.table_ids() {
        let now = catalog.table_definition(&id.database, &id.name).await?;
        let partitions = match wants.partitions_to_read(&id, now.is_some()) {
            PartitionRead::Nothing => None,
            PartitionRead::All => Some(catalog.all_partitions(&id, Detail::Whole).await?),
            PartitionRead::Values(values) => Some(
                catalog
                    .partitions_by_values(&id, &values, concurrency)
                    .await?,
            ),
        };
        if let Some(partitions) = partitions {
            state.partitions.insert(id.clone(), partitions);
        }
        state.tables.insert(id, now);
    }
    Ok(state)
}

/// Reads a table's definition and all its partitions, whole: what deleting
/// it loses. `None` when the table does not exist.
pub async fn table_with_partitions(
    catalog: &Catalog,
    database: &str,
    name: &str,
) -> Result<Option<(TableImage, Vec<PartitionImage>)>> {
    let Some(table) = catalog.table_definition(database, name).await? else {
        return Ok(None);
    };
    let partitions = catalog
        .all_partitions(&TableId::new(database, name), Detail::Whole)
        .await?;
    Ok(Some((table, partitions)))
}
