//! Applying a restore plan.

use std::collections::BTreeMap;

use crate::apply::{update_table_checked, Writes};
use crate::aws::Catalog;
use crate::backup::Entry;
use crate::error::Result;
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
    /// Tables someone else changed between the plan and the write: the
    /// table and what they changed. Each was read again and compared with
    /// the backup again before it was written.
    pub changed_by_others: Vec<(String, Vec<String>)>,
    /// Why a write stopped early, if one did.
    pub stopped: Option<crate::model::outcome::Stopped>,
}

/// Applies a plan: tables first (so their partitions have a home), then
/// partition creates, updates and deletes, then table deletes. A stop
/// (Ctrl-C) is honoured between every request.
/// `record` appends to this restore's own backup (a table read again after
/// a concurrent change).
pub async fn apply_restore(
    catalog: &Catalog,
    plan: &RestorePlan,
    concurrency: usize,
    progress: &dyn Progress,
    record: &(dyn Fn(&Entry) -> Result<()> + Sync),
) -> RestoreOutcome {
    let mut outcome = RestoreOutcome::default();
    restore_tables(catalog, plan, progress, record, &mut outcome).await;
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
            if outcome.stopped.is_none() {
                outcome.stopped = done.stopped;
            }
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
        if outcome.stopped.is_none() {
            outcome.stopped = done.stopped;
        }
    }
    outcome
}

/// Re-creates and reverts tables, one request each. A table reverted
/// only as it was read: if someone changed it since, it is read again and
/// compared with the backup again.
async fn restore_tables(
    catalog: &Catalog,
    plan: &RestorePlan,
    progress: &dyn Progress,
    record: &(dyn Fn(&Entry) -> Result<()> + Sync),
    outcome: &mut RestoreOutcome,
) {
    for (database, image) in &plan.create_tables {
        if progress.should_stop() {
            outcome.not_attempted += 1;
            continue;
        }
        match catalog.create_table(database, image).await {
            Ok(()) => outcome.tables_created += 1,
            Err(err) => outcome.failed_tables.push(table_failure(&image.name, &err)),
        }
    }
    for (database, image, now) in &plan.update_tables {
        if progress.should_stop() {
            outcome.not_attempted += 1;
            continue;
        }
        let replan = |fresh: &crate::model::definition::TableImage| {
            Ok((!image.same_definition(fresh)).then(|| image.clone()))
        };
        let reread = |fresh: &crate::model::definition::TableImage| {
            record(&Entry::RereadTable {
                database: database.clone(),
                table: fresh.clone(),
            })
        };
        match update_table_checked(catalog, database, now, image, replan, reread).await {
            Ok(update) => {
                if update.written {
                    outcome.tables_updated += 1;
                }
                if let Some(changed) = update.changed_by_others {
                    outcome
                        .changed_by_others
                        .push((format!("{database}.{}", image.name), changed));
                }
            }
            Err(err) => outcome.failed_tables.push(table_failure(&image.name, &err)),
        }
    }
}

/// A table write that failed, with the error in words.
fn table_failure(name: &str, err: &crate::Error) -> Failure {
    let code = err
        .failure()
        .map(|f| f.code_text())
        .unwrap_or_else(|| "Error".to_string());
    Failure::table(name, code, err.to_string())
}
