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
        // Partitions the run created go with the table restore deletes;
        // only those it wants back cannot be restored.
        let deleted_with_table = |want: &Want| fate_deletes(wants, id, exists, want);
        plan.not_restored.extend(
            wants_here
                .iter()
                .filter(|(_, want)| !deleted_with_table(want))
                .map(|(values, _)| NotRestored {
                    table: id.qualified(),
                    values: values.clone(),
                    reason: reason.into(),
                }),
        );
    }
    plan
}

/// True when a partition the run created goes away with its table, which
/// restore deletes because the same run created it.
fn fate_deletes(wants: &Wants, id: &TableId, exists: bool, want: &Want) -> bool {
    matches!(want, Want::Absent(_)) && wants.fate(id, exists) == Fate::Deleted
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::definition::StorageImage;
    use crate::read::restore::PartitionRead;

    fn image(value: &str, location: &str) -> PartitionImage {
        PartitionImage::new(
            vec![value.to_string()],
            StorageImage {
                location: Some(location.to_string()),
                ..StorageImage::default()
            },
        )
    }

    fn table(name: &str) -> TableImage {
        let mut t: TableImage = serde_json::from_str(&format!(r#"{{"name":"{name}"}}"#)).unwrap();
        t.storage_descriptor = Some(StorageImage {
            location: Some(format!("s3://b/{name}/")),
            ..StorageImage::default()
        });
        t
    }

    fn id(name: &str) -> TableId {
        TableId::new("db", name)
    }

    fn state(
        tables: &[(&str, Option<TableImage>)],
        partitions: &[(&str, Vec<PartitionImage>)],
    ) -> CatalogState {
        CatalogState {
            tables: tables.iter().map(|(n, t)| (id(n), t.clone())).collect(),
            partitions: partitions.iter().map(|(n, p)| (id(n), p.clone())).collect(),
        }
    }

    fn values(images: &[PartitionImage]) -> Vec<&str> {
        images.iter().map(|p| p.values[0].as_str()).collect()
    }

    #[test]
    fn the_first_entry_of_a_partition_is_what_restore_wants() {
        let t = id("t");
        let wants = Wants::from_entries(&[
            Entry::update_partition(&t, &image("1", "s3://b/t/1/")),
            Entry::update_partition(&t, &image("1", "s3://b/t/moved/")),
            Entry::create_partition(&t, &image("2", "s3://b/t/2/")),
            Entry::delete_partition(&t, &image("2", "s3://b/t/2/")),
        ]);
        let by_values = &wants.partitions[&t];
        assert_eq!(
            by_values[&vec!["1".to_string()]],
            Want::Present(image("1", "s3://b/t/1/"))
        );
        assert!(matches!(by_values[&vec!["2".to_string()]], Want::Absent(_)));
        assert!(wants.tables.is_empty());
    }

    #[test]
    fn deleted_partitions_come_back_updated_ones_revert_and_equal_ones_stay() {
        let t = id("t");
        let entries = [
            Entry::delete_partition(&t, &image("1", "s3://b/t/1/")),
            Entry::update_partition(&t, &image("2", "s3://b/t/2/")),
            Entry::update_partition(&t, &image("3", "s3://b/t/3/")),
        ];
        let wants = Wants::from_entries(&entries);
        let now = vec![image("2", "s3://elsewhere/2/"), image("3", "s3://b/t/3/")];
        let plan = plan_restore(&wants, &state(&[("t", Some(table("t")))], &[("t", now)]));
        let table_plan = &plan.partitions[&t];
        assert_eq!(values(&table_plan.create), ["1"]);
        assert_eq!(table_plan.update.len(), 1);
        assert_eq!(table_plan.update[0].0.location(), Some("s3://b/t/2/"));
        assert_eq!(table_plan.update[0].1.location(), Some("s3://elsewhere/2/"));
        assert_eq!(plan.unchanged, 1, "3 is as the backup has it");
        assert!(!plan.is_empty());
        // Its own backup holds the catalog as it is now, to undo the restore.
        let backup = plan.backup_entries();
        assert!(
            matches!(&backup[0], Entry::CreatePartition { partition, .. } if partition.values == ["1"])
        );
        assert!(
            matches!(&backup[1], Entry::UpdatePartition { partition, .. }
            if partition.location() == Some("s3://elsewhere/2/"))
        );
    }

    #[test]
    fn created_partitions_are_deleted_only_where_they_were_created() {
        let t = id("t");
        let wants = Wants::from_entries(&[
            Entry::create_partition(&t, &image("1", "s3://b/t/1/")),
            Entry::create_partition(&t, &image("2", "s3://b/t/2/")),
            Entry::create_partition(&t, &image("3", "s3://b/t/3/")),
        ]);
        assert_eq!(
            wants.partitions_to_read(&t, true),
            PartitionRead::Values(vec![vec!["1".into()], vec!["2".into()], vec!["3".into()]])
        );
        let now = vec![image("1", "s3://b/t/1/"), image("2", "s3://b/t/moved/")];
        let plan = plan_restore(&wants, &state(&[("t", Some(table("t")))], &[("t", now)]));
        assert_eq!(values(&plan.partitions[&t].delete), ["1"]);
        assert_eq!(plan.unchanged, 1, "3 is already gone");
        assert_eq!(plan.not_restored.len(), 1);
        assert_eq!(plan.not_restored[0].values, ["2"]);
        assert!(plan.not_restored[0].reason.contains("s3://b/t/moved/"));
        // Restoring the same state twice plans the same.
        let again = plan_restore(&wants, &state(&[("t", Some(table("t")))], &[("t", vec![])]));
        assert_eq!(again.unchanged, 3);
        assert!(again.is_empty());
    }

    #[test]
    fn a_deleted_table_comes_back_before_its_partitions() {
        let t = id("t");
        let mut entries = Entry::delete_table("db", &table("t"), &[image("1", "s3://b/t/1/")]);
        entries.push(Entry::delete_partition(&t, &image("2", "s3://b/t/2/")));
        let wants = Wants::from_entries(&entries);
        assert_eq!(wants.partitions_to_read(&t, false), PartitionRead::Nothing);
        let plan = plan_restore(&wants, &state(&[("t", None)], &[]));
        assert_eq!(plan.create_tables.len(), 1);
        assert_eq!(plan.create_tables[0].1.name, "t");
        assert_eq!(values(&plan.partitions[&t].create), ["1", "2"]);
        let backup = plan.backup_entries();
        assert!(
            matches!(&backup[0], Entry::CreateTable { .. }),
            "the table first"
        );
    }

    #[test]
    fn a_created_table_is_deleted_whole_with_the_partitions_created_in_it() {
        let t = id("t");
        let entries = [
            Entry::CreateTable {
                database: "db".into(),
                table: table("t"),
            },
            Entry::create_partition(&t, &image("1", "s3://b/t/1/")),
            // A partition the backup wants back cannot come back in a
            // table restore deletes.
            Entry::delete_partition(&t, &image("7", "s3://b/t/7/")),
        ];
        let wants = Wants::from_entries(&entries);
        assert_eq!(wants.partitions_to_read(&t, true), PartitionRead::All);
        let now = vec![image("1", "s3://b/t/1/"), image("9", "s3://b/t/9/")];
        let plan = plan_restore(&wants, &state(&[("t", Some(table("t")))], &[("t", now)]));
        assert_eq!(plan.delete_tables.len(), 1);
        assert_eq!(
            values(&plan.delete_tables[0].2),
            ["1", "9"],
            "backed up whole"
        );
        assert!(!plan.partitions.contains_key(&t));
        assert_eq!(plan.not_restored.len(), 1, "{:?}", plan.not_restored);
        assert_eq!(plan.not_restored[0].values, ["7"]);
        assert!(plan.not_restored[0].reason.contains("deletes the table"));
        let backup = plan.backup_entries();
        assert_eq!(backup.len(), 3, "the table and both partitions");
    }

    #[test]
    fn partitions_of_a_vanished_table_without_its_definition_are_left_alone() {
        let t = id("gone");
        let wants =
            Wants::from_entries(&[Entry::delete_partition(&t, &image("1", "s3://b/gone/1/"))]);
        assert_eq!(wants.partitions_to_read(&t, false), PartitionRead::Nothing);
        let plan = plan_restore(&wants, &state(&[("gone", None)], &[]));
        assert!(plan.is_empty());
        assert_eq!(plan.not_restored.len(), 1);
        assert!(plan.not_restored[0].reason.contains("no longer exists"));
        assert_eq!(plan.not_restored[0].table, "db.gone");
    }

    #[test]
    fn tables_revert_unless_only_glue_s_own_fields_differ() {
        let mut before = table("t");
        before.description = Some("before".into());
        let entries = [Entry::UpdateTable {
            database: "db".into(),
            table: before.clone(),
        }];
        let wants = Wants::from_entries(&entries);
        let mut now = before.clone();
        now.version_id = Some("7".into());
        let plan = plan_restore(&wants, &state(&[("t", Some(now))], &[]));
        assert_eq!(plan.unchanged, 1);
        let mut changed = before.clone();
        changed.description = Some("after".into());
        let plan = plan_restore(&wants, &state(&[("t", Some(changed))], &[]));
        assert_eq!(plan.update_tables.len(), 1);
        assert_eq!(
            plan.update_tables[0].1.description.as_deref(),
            Some("before")
        );
    }
}
