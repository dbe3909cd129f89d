//! Restore: put the catalog back as a backup describes. Partitions and
//! tables the backup recorded as deleted or updated are made to match their
//! before-images again; partitions and tables it recorded as created are
//! deleted. Everything is compared with the catalog first, so restoring
//! twice changes nothing the second time.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_glue::types::Partition;

use crate::backup::{Entry, PartitionImage, TableImage};
use crate::catalog::{Catalog, PartitionFailure, TableFailure};
use crate::error::Result;
use crate::progress::Progress;
use crate::table::{TableId, TableName};

/// What a backup wants of one partition.
#[derive(Debug, Clone)]
enum Want {
    /// To exist, defined as this.
    Present(PartitionImage),
    /// Not to exist (the backup recorded its creation, at this definition).
    Absent(PartitionImage),
}

/// What a backup wants of one table.
#[derive(Debug, Clone)]
enum TableWant {
    Present(Box<TableImage>),
    Absent,
}

/// A partition restore leaves as it is, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotRestored {
    /// `database.table`.
    pub table: String,
    /// The partition's values, or empty for a table.
    pub values: Vec<String>,
    /// Why.
    pub reason: String,
}

/// One partition change of a restore.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartitionChange {
    /// The partition's values.
    pub values: Vec<String>,
    /// Its location now (for deletes and updates) or after (for creates).
    pub location: Option<String>,
}

/// The partition changes restore makes on one table.
#[derive(Debug, Clone, Default)]
pub struct TablePlan {
    /// Partitions to re-create, as the backup holds them.
    pub create: Vec<PartitionImage>,
    /// Partitions to revert: (the backup's image, the catalog's now).
    pub update: Vec<(PartitionImage, PartitionImage)>,
    /// Partitions to delete, as the catalog holds them now.
    pub delete: Vec<PartitionImage>,
}

/// Everything a restore will do.
#[derive(Debug, Clone, Default)]
pub struct RestorePlan {
    /// Tables to re-create: (database, definition).
    pub create_tables: Vec<(String, TableImage)>,
    /// Tables to revert: (database, the backup's image, the catalog's now).
    pub update_tables: Vec<(String, TableImage, TableImage)>,
    /// Tables to delete: (database, the catalog's now, its partitions now).
    pub delete_tables: Vec<(String, TableImage, Vec<PartitionImage>)>,
    /// Partition changes per table.
    pub partitions: BTreeMap<TableId, TablePlan>,
    /// Partitions and tables already as the backup wants them.
    pub unchanged: u64,
    /// What restore cannot put back, and why.
    pub not_restored: Vec<NotRestored>,
}

impl RestorePlan {
    /// True when there is nothing to change.
    pub fn is_empty(&self) -> bool {
        self.create_tables.is_empty()
            && self.update_tables.is_empty()
            && self.delete_tables.is_empty()
            && self
                .partitions
                .values()
                .all(|p| p.create.is_empty() && p.update.is_empty() && p.delete.is_empty())
    }

    /// Counts: (partitions to create, to update, to delete).
    pub fn partition_counts(&self) -> (u64, u64, u64) {
        self.partitions.values().fold((0, 0, 0), |(c, u, d), p| {
            (
                c + p.create.len() as u64,
                u + p.update.len() as u64,
                d + p.delete.len() as u64,
            )
        })
    }

    /// The backup of this restore: what it is about to change, so that it
    /// can be undone in turn.
    pub fn backup_entries(&self) -> Vec<Entry> {
        let mut entries = Vec::new();
        for (database, table) in &self.create_tables {
            entries.push(Entry::CreateTable {
                database: database.clone(),
                table: table.clone(),
            });
        }
        for (database, _, now) in &self.update_tables {
            entries.push(Entry::UpdateTable {
                database: database.clone(),
                table: now.clone(),
            });
        }
        for (id, plan) in &self.partitions {
            let (database, table) = (id.database.clone(), id.name.clone());
            for image in &plan.create {
                entries.push(Entry::CreatePartition {
                    database: database.clone(),
                    table: table.clone(),
                    partition: image.clone(),
                });
            }
            for (_, now) in &plan.update {
                entries.push(Entry::UpdatePartition {
                    database: database.clone(),
                    table: table.clone(),
                    partition: now.clone(),
                });
            }
            for now in &plan.delete {
                entries.push(Entry::DeletePartition {
                    database: database.clone(),
                    table: table.clone(),
                    partition: now.clone(),
                });
            }
        }
        for (database, table, partitions) in &self.delete_tables {
            entries.extend(table_deletion_entries(database, table, partitions));
        }
        entries
    }
}

/// The backup entries for deleting a table: the table, then each of its
/// partitions (Glue deletes them with it).
pub fn table_deletion_entries(
    database: &str,
    table: &TableImage,
    partitions: &[PartitionImage],
) -> Vec<Entry> {
    let mut entries = vec![Entry::DeleteTable {
        database: database.to_string(),
        table: table.clone(),
    }];
    entries.extend(partitions.iter().map(|p| Entry::DeletePartition {
        database: database.to_string(),
        table: table.name.clone(),
        partition: p.clone(),
    }));
    entries
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
    let partitions = whole_partitions(catalog, &TableId::new(database, name)).await?;
    Ok(Some((TableImage::from(&table), partitions)))
}

async fn whole_partitions(catalog: &Catalog, table: &TableId) -> Result<Vec<PartitionImage>> {
    let partitions = catalog.all_partitions(table, false).await?;
    Ok(partitions.iter().map(PartitionImage::from).collect())
}

/// Whether a table the backup names will exist once the plan is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// It exists and stays (perhaps reverted).
    Stays,
    /// Restore re-creates it: it has no partitions yet.
    Created,
    /// Restore deletes it, with all its partitions.
    Deleted,
    /// It does not exist and restore does not create it.
    Absent,
}

/// Compares what the backup describes with the catalog and plans the
/// changes. Reads only.
pub async fn plan_restore(
    catalog: &Catalog,
    entries: &[Entry],
    concurrency: usize,
) -> Result<RestorePlan> {
    // The first entry for a partition or table is its state before the
    // command that wrote the backup touched it.
    let mut tables: BTreeMap<(String, String), TableWant> = BTreeMap::new();
    let mut partitions: BTreeMap<TableId, BTreeMap<Vec<String>, Want>> = BTreeMap::new();
    for entry in entries {
        match entry {
            Entry::DeletePartition {
                database,
                table,
                partition,
            }
            | Entry::UpdatePartition {
                database,
                table,
                partition,
            }
            | Entry::CreatePartition {
                database,
                table,
                partition,
            } => {
                let want = if matches!(entry, Entry::CreatePartition { .. }) {
                    Want::Absent(partition.clone())
                } else {
                    Want::Present(partition.clone())
                };
                partitions
                    .entry(TableId::new(database, table))
                    .or_default()
                    .entry(partition.values.clone())
                    .or_insert(want);
            }
            Entry::DeleteTable { database, table } | Entry::UpdateTable { database, table } => {
                tables
                    .entry((database.clone(), table.name.clone()))
                    .or_insert_with(|| TableWant::Present(Box::new(table.clone())));
            }
            Entry::CreateTable { database, table } => {
                tables
                    .entry((database.clone(), table.name.clone()))
                    .or_insert(TableWant::Absent);
            }
        }
    }

    let mut plan = RestorePlan::default();
    // Each table's GetTable, once: its partitions' plan depends on it.
    let mut fates: HashMap<TableId, Fate> = HashMap::new();
    for ((database, name), want) in tables {
        let now = catalog.table_definition(&database, &name).await?;
        let id = TableId::new(&database, &name);
        let fate = match (want, now) {
            (TableWant::Present(image), None) => {
                plan.create_tables.push((database, *image));
                Fate::Created
            }
            (TableWant::Present(image), Some(now)) => {
                let now = TableImage::from(&now);
                if image.same_definition(&now) {
                    plan.unchanged += 1;
                } else {
                    plan.update_tables.push((database, *image, now));
                }
                Fate::Stays
            }
            (TableWant::Absent, None) => {
                plan.unchanged += 1;
                Fate::Absent
            }
            (TableWant::Absent, Some(now)) => {
                let parts = whole_partitions(catalog, &id).await?;
                plan.delete_tables
                    .push((database, TableImage::from(&now), parts));
                Fate::Deleted
            }
        };
        fates.insert(id, fate);
    }

    for (id, wants) in partitions {
        let mut table_plan = TablePlan::default();
        let fate = match fates.get(&id) {
            Some(fate) => *fate,
            None => match catalog.table_definition(&id.database, &id.name).await? {
                Some(_) => Fate::Stays,
                None => Fate::Absent,
            },
        };
        let reason = match fate {
            Fate::Deleted => {
                Some("the backup also records the table's creation, so restore deletes the table")
            }
            Fate::Absent => {
                Some("the table no longer exists and the backup does not hold its definition")
            }
            Fate::Stays | Fate::Created => None,
        };
        if let Some(reason) = reason {
            plan.not_restored
                .extend(wants.keys().map(|values| NotRestored {
                    table: id.qualified(),
                    values: values.clone(),
                    reason: reason.into(),
                }));
            continue;
        }
        let current: HashMap<Vec<String>, Partition> = if fate == Fate::Created {
            HashMap::new()
        } else {
            let values: Vec<Vec<String>> = wants.keys().cloned().collect();
            catalog
                .full_partitions_by_values(&id, &values, concurrency)
                .await?
                .into_iter()
                .map(|p| (p.values().to_vec(), p))
                .collect()
        };
        for (values, want) in wants {
            let now = current.get(&values).map(PartitionImage::from);
            match (want, now) {
                (Want::Present(image), None) => table_plan.create.push(image),
                (Want::Present(image), Some(now)) => {
                    if image.same_definition(&now) {
                        plan.unchanged += 1;
                    } else {
                        table_plan.update.push((image, now));
                    }
                }
                (Want::Absent(_), None) => plan.unchanged += 1,
                (Want::Absent(image), Some(now)) => {
                    if image.location() == now.location() {
                        table_plan.delete.push(now);
                    } else {
                        plan.not_restored.push(NotRestored {
                            table: id.qualified(),
                            values,
                            reason: format!(
                                "created at {} but now at {}; changed since the backup, so left alone",
                                image.location().unwrap_or("(no location)"),
                                now.location().unwrap_or("(no location)")
                            ),
                        });
                    }
                }
            }
        }
        plan.partitions.insert(id, table_plan);
    }
    Ok(plan)
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RestoreOutcome {
    /// Tables re-created.
    pub tables_created: u64,
    /// Tables reverted.
    pub tables_updated: u64,
    /// Tables deleted.
    pub tables_deleted: u64,
    /// Partitions re-created.
    pub created: u64,
    /// Partitions reverted.
    pub updated: u64,
    /// Partitions deleted.
    pub deleted: u64,
    /// Table changes that failed.
    pub failed_tables: Vec<TableFailure>,
    /// Partition changes that failed, with their table.
    pub failed: Vec<(String, PartitionFailure)>,
    /// Partition changes never sent because the run was stopped.
    pub not_attempted: u64,
}

/// Applies a plan: tables first (so their partitions have a home), then
/// partition creates, updates and deletes, then table deletes.
pub async fn apply_restore(
    catalog: &Catalog,
    plan: &RestorePlan,
    concurrency: usize,
    progress: &dyn Progress,
) -> RestoreOutcome {
    let mut outcome = RestoreOutcome::default();
    let table_failure = |name: &str, err: crate::Error| TableFailure {
        name: name.to_string(),
        code: "RequestFailed".into(),
        message: crate::error::full_message(&err),
    };
    for (database, image) in &plan.create_tables {
        match catalog.create_table(database, image.to_input()).await {
            Ok(()) => outcome.tables_created += 1,
            Err(err) => outcome.failed_tables.push(table_failure(&image.name, err)),
        }
    }
    for (database, image, _) in &plan.update_tables {
        match catalog.update_table(database, image.to_input()).await {
            Ok(()) => outcome.tables_updated += 1,
            Err(err) => outcome.failed_tables.push(table_failure(&image.name, err)),
        }
    }
    for (id, table_plan) in &plan.partitions {
        let qualified = id.qualified();
        let with_table = |failed: Vec<PartitionFailure>| {
            failed
                .into_iter()
                .map(|f| (qualified.clone(), f))
                .collect::<Vec<_>>()
        };
        if !table_plan.create.is_empty() {
            let inputs: Vec<_> = table_plan
                .create
                .iter()
                .map(|p| (p.values.clone(), p.to_input()))
                .collect();
            let done = catalog
                .create_partition_inputs(id, &inputs, concurrency, progress)
                .await;
            outcome.created += done.created + done.already_existed;
            outcome.failed.extend(with_table(done.failed));
            outcome.not_attempted += done.not_attempted;
        }
        if !table_plan.update.is_empty() {
            let updates: Vec<_> = table_plan
                .update
                .iter()
                .map(|(image, _)| (image.values.clone(), image.to_input()))
                .collect();
            let done = catalog
                .update_partitions(id, &updates, concurrency, progress)
                .await;
            outcome.updated += done.updated;
            outcome.failed.extend(with_table(done.failed));
            outcome.not_attempted += done.not_attempted;
        }
        if !table_plan.delete.is_empty() {
            let values: Vec<_> = table_plan.delete.iter().map(|p| p.values.clone()).collect();
            let done = catalog
                .delete_partitions(id, &values, concurrency, progress)
                .await;
            outcome.deleted += done.deleted + done.already_gone;
            outcome.failed.extend(with_table(done.failed));
            outcome.not_attempted += done.not_attempted;
        }
    }
    let mut by_database: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (database, image, _) in &plan.delete_tables {
        by_database
            .entry(database)
            .or_default()
            .push(image.name.clone());
    }
    for (database, names) in by_database {
        let done = catalog.delete_tables(database, &names).await;
        outcome.tables_deleted += done.deleted + done.already_gone;
        outcome.failed_tables.extend(done.failed);
    }
    outcome
}
