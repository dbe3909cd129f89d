//! The Glue Data Catalog, writes: partitions created, updated and deleted
//! and tables deleted through the batching routine (AWS's batch limits,
//! per-entry errors, retries, Ctrl-C between batches), and single table
//! creates and updates.

use aws_sdk_glue::types::{
    BatchUpdatePartitionRequestEntry, ErrorDetail, PartitionError, PartitionInput,
};

use crate::aws::batch::{write_in_batches, BatchRule};
use crate::aws::failure::FailureKind;
use crate::aws::glue::{value_list, Catalog};
use crate::error::{Error, Result};
use crate::model::definition::{PartitionImage, TableImage};
use crate::model::outcome::{Failure, Outcome};
use crate::model::partition::DiscoveredPartition;
use crate::model::table::{Table, TableName};
use crate::model::values::Values;
use crate::progress::Progress;

/// BatchCreatePartition takes at most 100 partitions per request; a
/// partition that already exists was made by someone else.
const CREATE: BatchRule = BatchRule {
    operation: "BatchCreatePartition",
    size: 100,
    already_done: Some("AlreadyExistsException"),
};
/// BatchUpdatePartition takes at most 100 entries per request.
const UPDATE: BatchRule = BatchRule {
    operation: "BatchUpdatePartition",
    size: 100,
    already_done: None,
};
/// BatchDeletePartition takes at most 25 partitions per request; one that
/// is gone already needs no delete.
const DELETE: BatchRule = BatchRule {
    operation: "BatchDeletePartition",
    size: 25,
    already_done: Some("EntityNotFoundException"),
};
/// BatchDeleteTable takes at most 100 names per request.
const DELETE_TABLES: BatchRule = BatchRule {
    operation: "BatchDeleteTable",
    size: 100,
    already_done: Some("EntityNotFoundException"),
};

impl Catalog {
    /// Creates partitions found in S3, each defined as the table defines
    /// its storage when its batch is sent (see [`Catalog::create_partitions`]).
    pub async fn create_found(
        &self,
        table: &Table,
        found: &[DiscoveredPartition],
        concurrency: usize,
        progress: &dyn Progress,
    ) -> Outcome {
        let define = |p: &DiscoveredPartition| p.definition(table).to_input();
        self.create_each(
            table,
            found,
            |p| p.values.clone(),
            &define,
            concurrency,
            progress,
        )
        .await
    }

    /// Creates partitions from complete definitions with
    /// BatchCreatePartition, 100 per request and up to `concurrency`
    /// requests in flight. A partition that already exists was made by
    /// someone else and counts as already done; other per-entry errors are
    /// retried if transient and reported otherwise.
    pub async fn create_partitions(
        &self,
        table: &impl TableName,
        partitions: &[PartitionImage],
        concurrency: usize,
        progress: &dyn Progress,
    ) -> Outcome {
        let define = |p: &PartitionImage| p.to_input();
        self.create_each(
            table,
            partitions,
            |p| Values::from(p.values.as_slice()),
            &define,
            concurrency,
            progress,
        )
        .await
    }

    /// BatchCreatePartition over `items`, each turned into its input as its
    /// batch is sent.
    async fn create_each<T>(
        &self,
        table: &impl TableName,
        items: &[T],
        values_of: impl Fn(&T) -> Values + Copy,
        input_of: &dyn Fn(&T) -> PartitionInput,
        concurrency: usize,
        progress: &dyn Progress,
    ) -> Outcome {
        write_in_batches(
            items,
            values_of,
            CREATE,
            concurrency,
            self.rounds,
            progress,
            |batch| async move {
                let inputs = batch.into_iter().map(input_of).collect();
                let output = self
                    .glue
                    .batch_create_partition()
                    .set_catalog_id(self.catalog_id.clone())
                    .database_name(table.database_name())
                    .table_name(table.table_name())
                    .set_partition_input_list(Some(inputs))
                    .send()
                    .await
                    .map_err(|e| self.failure(&e))?;
                Ok(partition_failures(output.errors()))
            },
        )
        .await
    }

    /// Deletes partitions by values with BatchDeletePartition, 25 per
    /// request and up to `concurrency` requests in flight. A partition that
    /// is already gone counts as already done; other per-entry errors are
    /// retried if transient and reported otherwise.
    pub async fn delete_partitions(
        &self,
        table: &impl TableName,
        values: &[Values],
        concurrency: usize,
        progress: &dyn Progress,
    ) -> Outcome {
        write_in_batches(
            values,
            Values::clone,
            DELETE,
            concurrency,
            self.rounds,
            progress,
            |batch| async move {
                let keys = batch.iter().map(|v| value_list(v.to_vec())).collect();
                let output = self
                    .glue
                    .batch_delete_partition()
                    .set_catalog_id(self.catalog_id.clone())
                    .database_name(table.database_name())
                    .table_name(table.table_name())
                    .set_partitions_to_delete(Some(keys))
                    .send()
                    .await
                    .map_err(|e| self.failure(&e))?;
                Ok(partition_failures(output.errors()))
            },
        )
        .await
    }

    /// Replaces partitions with their new complete definitions through
    /// BatchUpdatePartition, 100 per request and up to `concurrency`
    /// requests in flight. Per-entry errors are retried if transient and
    /// reported otherwise.
    pub async fn update_partitions(
        &self,
        table: &impl TableName,
        partitions: &[PartitionImage],
        concurrency: usize,
        progress: &dyn Progress,
    ) -> Outcome {
        write_in_batches(
            partitions,
            |p| Values::from(p.values.as_slice()),
            UPDATE,
            concurrency,
            self.rounds,
            progress,
            |batch| async move {
                let entries = batch
                    .iter()
                    .map(|p| {
                        BatchUpdatePartitionRequestEntry::builder()
                            .set_partition_value_list(Some(p.values.clone()))
                            .partition_input(p.to_input())
                            .build()
                            .expect("values and input are set")
                    })
                    .collect();
                let output = self
                    .glue
                    .batch_update_partition()
                    .set_catalog_id(self.catalog_id.clone())
                    .database_name(table.database_name())
                    .table_name(table.table_name())
                    .set_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|e| self.failure(&e))?;
                Ok(output
                    .errors()
                    .iter()
                    .map(|e| entry_failure(e.partition_value_list().to_vec(), e.error_detail()))
                    .collect())
            },
        )
        .await
    }

    /// Creates a table; one that exists already counts as created.
    pub async fn create_table(&self, database: &str, table: &TableImage) -> Result<()> {
        let created = self
            .send(|| {
                self.glue
                    .create_table()
                    .set_catalog_id(self.catalog_id.clone())
                    .database_name(database)
                    .table_input(table.to_input())
                    .send()
            })
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(failure) if failure.code.as_deref() == Some("AlreadyExistsException") => Ok(()),
            Err(failure) => Err(Error::glue(
                "CreateTable",
                format!("{database}.{}", table.name),
                failure,
            )),
        }
    }

    /// Replaces a table's definition, only if the table is still at
    /// `version` (the `VersionId` glutil read; `None` sends none, for a
    /// table read without one). A change someone else made since then
    /// (a crawler, another run) makes Glue refuse the update with
    /// ConcurrentModificationException, which is [`Error::TableChanged`]:
    /// it is never overwritten.
    pub async fn update_table(
        &self,
        database: &str,
        table: &TableImage,
        version: Option<&str>,
    ) -> Result<()> {
        let qualified = format!("{database}.{}", table.name);
        let updated = self
            .rounds
            .run(|| {
                let sent = self
                    .glue
                    .update_table()
                    .set_catalog_id(self.catalog_id.clone())
                    .database_name(database)
                    .table_input(table.to_input())
                    .set_version_id(version.map(str::to_string))
                    .send();
                async move {
                    sent.await.map_err(|e| {
                        let mut failure = self.failure(&e);
                        // With a version, a concurrent change will not pass
                        // by asking again: it is a conflict.
                        if version.is_some() && is_concurrent_change(&failure) {
                            failure.kind = FailureKind::Other;
                        }
                        failure
                    })
                }
            })
            .await;
        match updated {
            Ok(_) => Ok(()),
            Err(failure) if version.is_some() && is_concurrent_change(&failure) => {
                Err(Error::TableChanged {
                    table: qualified,
                    version: version.unwrap_or_default().to_string(),
                })
            }
            Err(failure) => Err(Error::glue("UpdateTable", qualified, failure)),
        }
    }

    /// Deletes tables with BatchDeleteTable, 100 names per request, through
    /// the same batching as partition writes (transient per-entry errors
    /// retried, Ctrl-C honoured). A table already gone counts as already
    /// done; other errors are reported by name.
    pub async fn delete_tables(
        &self,
        database: &str,
        names: &[String],
        concurrency: usize,
        progress: &dyn Progress,
    ) -> Outcome {
        let mut outcome = write_in_batches(
            names,
            |name| Values::new([name]),
            DELETE_TABLES,
            concurrency,
            self.rounds,
            progress,
            |batch| async move {
                let names = batch.into_iter().cloned().collect();
                let output = self
                    .glue
                    .batch_delete_table()
                    .set_catalog_id(self.catalog_id.clone())
                    .database_name(database)
                    .set_tables_to_delete(Some(names))
                    .send()
                    .await
                    .map_err(|e| self.failure(&e))?;
                Ok(output
                    .errors()
                    .iter()
                    .map(|e| {
                        let name = e.table_name().unwrap_or_default().to_string();
                        entry_failure(vec![name], e.error_detail())
                    })
                    .collect())
            },
        )
        .await;
        // The batching keys tables by a one-element list; report names.
        for failure in &mut outcome.failed {
            let name = std::mem::take(&mut failure.values)
                .pop()
                .unwrap_or_default();
            failure.name = Some(name);
        }
        outcome
    }
}

fn is_concurrent_change(failure: &crate::aws::failure::AwsFailure) -> bool {
    failure.code.as_deref() == Some("ConcurrentModificationException")
}

/// The per-entry errors of BatchCreatePartition and BatchDeletePartition.
fn partition_failures(errors: &[PartitionError]) -> Vec<Failure> {
    errors
        .iter()
        .map(|e| entry_failure(e.partition_values().to_vec(), e.error_detail()))
        .collect()
}

/// The one place that reads Glue's per-entry error detail.
fn entry_failure(values: Vec<String>, detail: Option<&ErrorDetail>) -> Failure {
    Failure::partition(
        values,
        detail.and_then(|d| d.error_code()).unwrap_or("Unknown"),
        detail.and_then(|d| d.error_message()).unwrap_or(""),
    )
}

#[cfg(test)]
mod tests {
    //! Mocked-SDK tests for what moto cannot show: it does not enforce batch
    //! limits and never answers with per-entry errors.

    use std::sync::{Arc, Mutex};

    use aws_sdk_glue::operation::batch_create_partition::BatchCreatePartitionOutput;
    use aws_sdk_glue::operation::batch_delete_partition::BatchDeletePartitionOutput;
    use aws_sdk_glue::operation::batch_update_partition::BatchUpdatePartitionOutput;
    use aws_sdk_glue::types::BatchUpdatePartitionFailureEntry;
    use aws_sdk_glue::types::{ErrorDetail, PartitionError};
    use aws_sdk_glue::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::model::definition::StorageImage;
    use crate::model::location::S3Location;
    use crate::model::partition::DiscoveredPartition;
    use crate::model::table::{PartitionKey, Table};
    use crate::progress::NoProgress;

    fn table() -> Table {
        Table {
            database: "db".into(),
            name: "t".into(),
            location: S3Location::parse("s3://b/t").unwrap(),
            partition_keys: vec![PartitionKey::new("n", "int")],
            storage_descriptor: StorageImage {
                location: Some("s3://b/t".into()),
                input_format: Some("in".into()),
                ..StorageImage::default()
            },
            projected: false,
        }
    }

    /// New partitions 0..n, defined as the partitioner defines them.
    fn found(n: usize) -> Vec<PartitionImage> {
        let root = S3Location::parse("s3://b/t").unwrap();
        (0..n)
            .map(|i| {
                DiscoveredPartition {
                    values: Values::new([i.to_string()]),
                    location: root.join(&i.to_string()),
                }
                .definition(&table())
            })
            .collect()
    }

    fn entry_error(values: &[String], code: &str) -> PartitionError {
        PartitionError::builder()
            .set_partition_values(Some(values.to_vec()))
            .error_detail(
                ErrorDetail::builder()
                    .error_code(code)
                    .error_message(format!("{code} for {values:?}"))
                    .build(),
            )
            .build()
    }

    #[tokio::test]
    async fn creates_go_in_batches_of_exactly_100_with_the_table_storage() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let rule = mock!(Client::batch_create_partition).then_compute_output(move |req| {
            let inputs = req.partition_input_list();
            for input in inputs {
                let sd = input.storage_descriptor().unwrap();
                assert_eq!(sd.input_format(), Some("in"));
                assert_eq!(
                    sd.location(),
                    Some(format!("s3://b/t/{}/", input.values()[0]).as_str())
                );
            }
            seen.lock().unwrap().push(inputs.len());
            BatchCreatePartitionOutput::builder().build()
        });
        let glue = mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&rule]);
        let catalog = Catalog::new(glue, None);
        let outcome = catalog
            .create_partitions(&table(), &found(250), 4, &NoProgress)
            .await;
        assert_eq!(outcome.applied, 250);
        assert!(outcome.failed.is_empty());
        let mut sizes = sizes.lock().unwrap().clone();
        sizes.sort_unstable();
        assert_eq!(sizes, [50, 100, 100]);
    }

    #[tokio::test]
    async fn per_entry_errors_are_sorted_out_and_transient_ones_retried() {
        let calls = Arc::new(Mutex::new(0));
        let count = calls.clone();
        let rule = mock!(Client::batch_create_partition).then_compute_output(move |req| {
            let mut n = count.lock().unwrap();
            *n += 1;
            let mut out = BatchCreatePartitionOutput::builder();
            for input in req.partition_input_list() {
                let v = input.values();
                match v[0].as_str() {
                    "1" => out = out.errors(entry_error(v, "AlreadyExistsException")),
                    "2" => out = out.errors(entry_error(v, "InvalidInputException")),
                    // Throttled on the first request only.
                    "3" if *n == 1 => out = out.errors(entry_error(v, "ThrottlingException")),
                    _ => {}
                }
            }
            out.build()
        });
        let glue = mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&rule]);
        let catalog = Catalog::new(glue, None);
        let outcome = catalog
            .create_partitions(&table(), &found(5), 1, &NoProgress)
            .await;
        assert_eq!(outcome.applied, 3, "0, 3 (after a retry) and 4");
        assert_eq!(outcome.already_done, 1);
        assert_eq!(outcome.failed.len(), 1);
        assert_eq!(outcome.failed[0].values, ["2"]);
        assert_eq!(outcome.failed[0].code, "InvalidInputException");
        assert_eq!(
            *calls.lock().unwrap(),
            2,
            "the retry carries only the throttled entry"
        );
    }

    #[tokio::test]
    async fn a_failed_request_fails_its_batch_only() {
        let calls = Arc::new(Mutex::new(0));
        let count = calls.clone();
        let rule = mock!(Client::batch_create_partition).then_compute_response(move |req| {
            *count.lock().unwrap() += 1;
            let first = req.partition_input_list()[0].values()[0].clone();
            if first == "0" {
                aws_smithy_mocks::MockResponse::Error(
                    aws_sdk_glue::operation::batch_create_partition::BatchCreatePartitionError::InvalidInputException(
                        aws_sdk_glue::types::error::InvalidInputException::builder()
                            .message("bad batch")
                            .build(),
                    ),
                )
            } else {
                aws_smithy_mocks::MockResponse::Output(BatchCreatePartitionOutput::builder().build())
            }
        });
        let glue = mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&rule]);
        let outcome = Catalog::new(glue, None)
            .create_partitions(&table(), &found(150), 2, &NoProgress)
            .await;
        assert_eq!(outcome.applied, 50);
        assert_eq!(outcome.failed.len(), 100);
        assert!(
            outcome.failed[0].message.contains("bad batch"),
            "{:?}",
            outcome.failed[0]
        );
    }

    #[tokio::test]
    async fn deletes_go_in_batches_of_exactly_25() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let rule = mock!(Client::batch_delete_partition).then_compute_output(move |req| {
            seen.lock().unwrap().push(req.partitions_to_delete().len());
            BatchDeletePartitionOutput::builder().build()
        });
        let glue = mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&rule]);
        let values: Vec<Values> = (0..60).map(|i| Values::new([i.to_string()])).collect();
        let outcome = Catalog::new(glue, None)
            .delete_partitions(&table(), &values, 8, &NoProgress)
            .await;
        assert_eq!(outcome.applied, 60);
        let mut sizes = sizes.lock().unwrap().clone();
        sizes.sort_unstable();
        assert_eq!(sizes, [10, 25, 25]);
    }

    #[tokio::test]
    async fn delete_entry_errors_count_gone_report_failures_and_retry_throttling() {
        let calls = Arc::new(Mutex::new(0));
        let count = calls.clone();
        let rule = mock!(Client::batch_delete_partition).then_compute_output(move |req| {
            let mut n = count.lock().unwrap();
            *n += 1;
            let mut out = BatchDeletePartitionOutput::builder();
            for key in req.partitions_to_delete() {
                let v = key.values();
                match v[0].as_str() {
                    "1" => out = out.errors(entry_error(v, "EntityNotFoundException")),
                    "2" => out = out.errors(entry_error(v, "AccessDeniedException")),
                    "3" if *n == 1 => out = out.errors(entry_error(v, "ThrottlingException")),
                    _ => {}
                }
            }
            out.build()
        });
        let glue = mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&rule]);
        let values: Vec<Values> = (0..5).map(|i| Values::new([i.to_string()])).collect();
        let outcome = Catalog::new(glue, None)
            .delete_partitions(&table(), &values, 1, &NoProgress)
            .await;
        assert_eq!(outcome.applied, 3);
        assert_eq!(outcome.already_done, 1);
        assert_eq!(outcome.failed.len(), 1);
        assert_eq!(outcome.failed[0].values, ["2"]);
        assert_eq!(outcome.failed[0].code, "AccessDeniedException");
        assert_eq!(*calls.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn updates_go_in_batches_of_exactly_100_and_report_entry_errors() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let rule = mock!(Client::batch_update_partition).then_compute_output(move |req| {
            seen.lock().unwrap().push(req.entries().len());
            let mut out = BatchUpdatePartitionOutput::builder();
            for entry in req.entries() {
                let values = entry.partition_value_list();
                assert_eq!(entry.partition_input().unwrap().values(), values);
                if values[0] == "7" {
                    out = out.errors(
                        BatchUpdatePartitionFailureEntry::builder()
                            .set_partition_value_list(Some(values.to_vec()))
                            .error_detail(
                                ErrorDetail::builder()
                                    .error_code("EntityNotFoundException")
                                    .error_message("gone")
                                    .build(),
                            )
                            .build(),
                    );
                }
            }
            out.build()
        });
        let glue = mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&rule]);
        let updates: Vec<PartitionImage> = (0..230)
            .map(|i| PartitionImage::new(vec![i.to_string()], StorageImage::default()))
            .collect();
        let outcome = Catalog::new(glue, None)
            .update_partitions(&table(), &updates, 3, &NoProgress)
            .await;
        assert_eq!(outcome.applied, 229);
        assert_eq!(outcome.failed.len(), 1);
        assert_eq!(outcome.failed[0].values, ["7"]);
        let mut sizes = sizes.lock().unwrap().clone();
        sizes.sort_unstable();
        assert_eq!(sizes, [30, 100, 100]);
    }

    #[tokio::test]
    async fn table_deletes_share_the_batching_retries_and_report_names() {
        use aws_sdk_glue::operation::batch_delete_table::BatchDeleteTableOutput;
        use aws_sdk_glue::types::TableError;
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        let rule = mock!(Client::batch_delete_table).then_compute_output(move |req| {
            let names = req.tables_to_delete().to_vec();
            let mut seen = seen.lock().unwrap();
            seen.push(names.len());
            // Throttled the first time it is asked for only.
            let first_call = seen.len() == 2;
            let mut out = BatchDeleteTableOutput::builder();
            for name in names {
                let code = match name.as_str() {
                    "gone" => "EntityNotFoundException",
                    "locked" => "AccessDeniedException",
                    "busy" if first_call => "ThrottlingException",
                    _ => continue,
                };
                out = out.errors(
                    TableError::builder()
                        .table_name(name)
                        .error_detail(
                            ErrorDetail::builder()
                                .error_code(code)
                                .error_message("no")
                                .build(),
                        )
                        .build(),
                );
            }
            out.build()
        });
        let glue = mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&rule]);
        let mut names: Vec<String> = (0..120).map(|i| format!("t{i}")).collect();
        names.extend(["gone", "locked", "busy"].map(String::from));
        let outcome = Catalog::new(glue, None)
            .delete_tables("db", &names, 1, &NoProgress)
            .await;
        assert_eq!(outcome.applied, 121, "120 and busy, after a retry");
        assert_eq!(outcome.already_done, 1);
        assert_eq!(outcome.failed.len(), 1);
        assert_eq!(outcome.failed[0].name.as_deref(), Some("locked"));
        assert!(outcome.failed[0].values.is_empty());
        assert_eq!(
            *calls.lock().unwrap(),
            [100, 23, 1],
            "100 per request, then the retry"
        );
    }
}
