//! Restore: put the catalog back as a backup describes. Partitions and
//! tables the backup recorded as deleted or updated are made to match their
//! before-images again; partitions and tables it recorded as created are
//! deleted. Everything is compared with the catalog first, so restoring
//! twice changes nothing the second time.

use std::collections::{BTreeMap, HashMap};

use crate::backup::Entry;
use crate::model::definition::{PartitionImage, TableImage};
use crate::model::table::{TableId, TableName};
use crate::read::restore::{CatalogState, Fate, TableWant, Want, Wants};

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
            entries.extend(plan.create.iter().map(|p| Entry::create_partition(id, p)));
            entries.extend(
                plan.update
                    .iter()
                    .map(|(_, now)| Entry::update_partition(id, now)),
            );
            entries.extend(
                plan.delete
                    .iter()
                    .map(|now| Entry::delete_partition(id, now)),
            );
        }
        for (database, table, partitions) in &self.delete_tables {
            entries.extend(Entry::delete_table(database, table, partitions));
        }
        entries
    }
}

/// Compares what the backup wants with the catalog and plans the changes.
pub fn plan_restore(wants: &Wants, state: &CatalogState) -> RestorePlan {
    let mut plan = RestorePlan::default();
    let no_partitions = Vec::new();
    for (id, want) in &wants.tables {
        let now = state.tables.get(id).cloned().flatten();
        let database = id.database.clone();
        match (want, now) {
            (TableWant::Present(image), None) => {
                plan.create_tables.push((database, (**image).clone()))
            }
            (TableWant::Present(image), Some(now)) if image.same_definition(&now) => {
                plan.unchanged += 1
            }
            (TableWant::Present(image), Some(now)) => {
                plan.update_tables.push((database, (**image).clone(), now))
            }
            (TableWant::Absent, None) => plan.unchanged += 1,
            (TableWant::Absent, Some(now)) => {
                let partitions = state.partitions.get(id).unwrap_or(&no_partitions);
                plan.delete_tables.push((database, now, partitions.clone()));
            }
        }
    }
    for (id, wants_here) in &wants.partitions {
        let exists = state.tables.get(id).is_some_and(Option::is_some);
        let reason = match wants.fate(id, exists) {
            Fate::Deleted => {
                "the backup also records the table's creation, so restore deletes the table"
            }
            Fate::Absent => {
                "the table no longer exists and the backup does not hold its definition"
            }
            Fate::Stays | Fate::Created => {
                let current = state.partitions.get(id).unwrap_or(&no_partitions);
                let table_plan = plan_partitions(id, wants_here, current, &mut plan);
                plan.partitions.insert(id.clone(), table_plan);
                continue;
            }
        };
        plan.not_restored
            .extend(wants_here.keys().map(|values| NotRestored {
                table: id.qualified(),
                values: values.clone(),
                reason: reason.into(),
            }));
    }
    plan
}

/// One table's partition changes: re-create what is gone, revert what
/// differs, delete what a run created (if it is still where it was made).
fn plan_partitions(
    id: &TableId,
    wants: &BTreeMap<Vec<String>, Want>,
    current: &[PartitionImage],
    plan: &mut RestorePlan,
) -> TablePlan {
    let current: HashMap<&[String], &PartitionImage> =
        current.iter().map(|p| (p.values.as_slice(), p)).collect();
    let mut table_plan = TablePlan::default();
    for (values, want) in wants {
        match (want, current.get(values.as_slice())) {
            (Want::Present(image), None) => table_plan.create.push(image.clone()),
            (Want::Present(image), Some(now)) if image.same_definition(now) => plan.unchanged += 1,
            (Want::Present(image), Some(now)) => {
                table_plan.update.push((image.clone(), (*now).clone()))
            }
            (Want::Absent(_), None) => plan.unchanged += 1,
            (Want::Absent(image), Some(now)) if image.location() == now.location() => {
                table_plan.delete.push((*now).clone())
            }
            (Want::Absent(image), Some(now)) => plan.not_restored.push(NotRestored {
                table: id.qualified(),
                values: values.clone(),
                reason: format!(
                    "created at {} but now at {}; changed since the backup, so left alone",
                    image.location().unwrap_or("(no location)"),
                    now.location().unwrap_or("(no location)")
                ),
            }),
        }
    }
    table_plan
}
