//! Applying a restore plan.

use std::collections::BTreeMap;

use crate::apply::Writes;
use crate::aws::Catalog;
use crate::model::outcome::Failure;
use crate::model::table::TableName;
use crate::model::values::Values;
use crate::plan::restore::RestorePlan;
use crate::progress::Progress;

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
    pub failed_tables: Vec<Failure>,
    /// Partition changes that failed, with their table.
    pub failed: Vec<(String, Failure)>,
    /// Partition changes never sent because the run was stopped.
    pub not_attempted: u64,
}

/// Applies a plan: tables first (so their partitions have a home), then
/// partition creates, updates and deletes, then table deletes. A stop
/// (Ctrl-C) is honoured between every request.
pub async fn apply_restore(
    catalog: &Catalog,
    plan: &RestorePlan,
    concurrency: usize,
    progress: &dyn Progress,
) -> RestoreOutcome {
    let mut outcome = RestoreOutcome::default();
    restore_tables(catalog, plan, progress, &mut outcome).await;
    for (id, table_plan) in &plan.partitions {
        let updates: Vec<_> = table_plan
            .update
            .iter()
            .map(|(image, _)| image.clone())
            .collect();
        let deletes: Vec<Values> = table_plan
            .delete
            .iter()
            .map(|p| Values::from(p.values.as_slice()))
            .collect();
        let writes = [
            Writes::CreatePartitions(id.clone(), &table_plan.create),
            Writes::UpdatePartitions(id.clone(), &updates),
            Writes::DeletePartitions(id.clone(), &deletes),
        ];
        for write in writes.iter().filter(|w| !w.is_empty()) {
            let done = write.apply(catalog, concurrency, progress).await;
            let count = done.applied + done.already_done;
            match write {
                Writes::CreatePartitions(..) => outcome.created += count,
                Writes::UpdatePartitions(..) => outcome.updated += count,
                _ => outcome.deleted += count,
            }
            let qualified = id.qualified();
            outcome
                .failed
                .extend(done.failed.into_iter().map(|f| (qualified.clone(), f)));
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
        let done = Writes::DeleteTables(database.to_string(), &names)
            .apply(catalog, concurrency, progress)
            .await;
        outcome.tables_deleted += done.applied + done.already_done;
        outcome.failed_tables.extend(done.failed);
        outcome.not_attempted += done.not_attempted;
    }
    outcome
}

/// Re-creates and reverts tables, one request each.
async fn restore_tables(
    catalog: &Catalog,
    plan: &RestorePlan,
    progress: &dyn Progress,
    outcome: &mut RestoreOutcome,
) {
    let creates = plan.create_tables.iter().map(|(db, t)| (db, t, true));
    let updates = plan.update_tables.iter().map(|(db, t, _)| (db, t, false));
    for (database, image, create) in creates.chain(updates) {
        if progress.should_stop() {
            outcome.not_attempted += 1;
            continue;
        }
        let done = if create {
            catalog.create_table(database, image).await
        } else {
            catalog.update_table(database, image).await
        };
        match done {
            Ok(()) if create => outcome.tables_created += 1,
            Ok(()) => outcome.tables_updated += 1,
            Err(err) => outcome.failed_tables.push(Failure::table(
                &image.name,
                "RequestFailed",
                crate::error::full_message(&err),
            )),
        }
    }
}
