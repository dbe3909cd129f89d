//! The Glue Data Catalog: table reads, partition reads in parallel, and
//! batched partition and table writes with per-entry error handling. Speaks
//! the model's types; the SDK's stay in here.

use std::collections::BTreeMap;

use aws_sdk_glue::error::{DisplayErrorContext, SdkError};
use aws_sdk_glue::types::{
    BatchUpdatePartitionRequestEntry, ErrorDetail, Partition, PartitionError, PartitionValueList,
    Segment,
};
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::aws::batch::{backoff, write_in_batches, BatchRule, ENTRY_RETRY_ROUNDS};
use crate::error::{Error, Result};
use crate::model::definition::{PartitionImage, StorageImage, TableImage};
use crate::model::location::S3Location;
use crate::model::outcome::{Failure, Outcome};
use crate::model::table::{PartitionKey, Table, TableEntry, TableName};
use crate::progress::Progress;

/// BatchCreatePartition takes at most 100 partitions per request; a
/// partition that already exists was made by someone else.
const CREATE: BatchRule = BatchRule {
    size: 100,
    already_done: Some("AlreadyExistsException"),
};
/// BatchUpdatePartition takes at most 100 entries per request.
const UPDATE: BatchRule = BatchRule {
    size: 100,
    already_done: None,
};
/// BatchDeletePartition takes at most 25 partitions per request; one that
/// is gone already needs no delete.
const DELETE: BatchRule = BatchRule {
    size: 25,
    already_done: Some("EntityNotFoundException"),
};
/// BatchDeleteTable takes at most 100 names per request.
const DELETE_TABLES: BatchRule = BatchRule {
    size: 100,
    already_done: Some("EntityNotFoundException"),
};
/// BatchGetPartition takes at most 1000 keys per request.
pub const GET_BATCH: usize = 1000;
/// GetPartitions splits a table into at most 10 segments read in parallel.
pub const MAX_SEGMENTS: i32 = 10;

/// How much of each partition a read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every field: what backups and updates need.
    Whole,
    /// Without the column lists (`ExcludeColumnSchema`), most of each
    /// partition's size: enough for values and locations.
    Locations,
}

/// The Glue Data Catalog, through one client and an optional catalog id.
#[derive(Debug, Clone)]
pub struct Catalog {
    glue: aws_sdk_glue::Client,
    catalog_id: Option<String>,
}

impl Catalog {
    /// A catalog over a Glue client; `catalog_id` is the owning account when
    /// it is not the caller's.
    pub fn new(glue: aws_sdk_glue::Client, catalog_id: Option<String>) -> Self {
        Self { glue, catalog_id }
    }

    /// Reads a table and checks that its location is in S3. Tells an
    /// unknown database from an unknown table.
    pub async fn table(&self, database: &str, name: &str) -> Result<Table> {
        let table = self
            .table_definition(database, name)
            .await?
            .ok_or_else(|| Error::TableNotFound {
                database: database.to_string(),
                table: name.to_string(),
            })?;
        usable_table(database, table)
    }

    async fn not_found(&self, database: &str, name: &str) -> Error {
        let database_lookup = self
            .glue
            .get_database()
            .set_catalog_id(self.catalog_id.clone())
            .name(database)
            .send()
            .await;
        match database_lookup {
            Ok(_) => Error::TableNotFound {
                database: database.to_string(),
                table: name.to_string(),
            },
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_entity_not_found_exception()) =>
            {
                Error::DatabaseNotFound {
                    database: database.to_string(),
                }
            }
            Err(err) => glue_error("GetDatabase", database.to_string(), err),
        }
    }

    /// Looks up partitions by values with BatchGetPartition, 1000 per
    /// request and several requests in flight; keys Glue leaves unprocessed
    /// are asked again. Returns those that exist, whole.
    pub async fn partitions_by_values(
        &self,
        table: &impl TableName,
        values: &[Vec<String>],
        concurrency: usize,
    ) -> Result<Vec<PartitionImage>> {
        let found: Vec<Vec<PartitionImage>> = stream::iter(values.chunks(GET_BATCH))
            .map(|chunk| self.batch_get(table, chunk))
            .buffer_unordered(concurrency.max(1))
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn batch_get(
        &self,
        table: &impl TableName,
        chunk: &[Vec<String>],
    ) -> Result<Vec<PartitionImage>> {
        let mut keys: Vec<PartitionValueList> = chunk.iter().map(|v| value_list(v)).collect();
        let mut found = Vec::new();
        for round in 0..=ENTRY_RETRY_ROUNDS {
            if keys.is_empty() {
                return Ok(found);
            }
            if round > 0 {
                tokio::time::sleep(backoff(round)).await;
            }
            let output = self
                .glue
                .batch_get_partition()
                .set_catalog_id(self.catalog_id.clone())
                .database_name(table.database_name())
                .table_name(table.table_name())
                .set_partitions_to_get(Some(keys))
                .send()
                .await
                .map_err(|e| glue_error("BatchGetPartition", table.qualified(), e))?;
            found.extend(output.partitions().iter().map(PartitionImage::from));
            keys = output.unprocessed_keys().to_vec();
        }
        Err(Error::Glue {
            operation: "BatchGetPartition",
            target: table.qualified(),
            source: format!(
                "{} keys were still unprocessed after {} rounds of retries",
                keys.len(),
                ENTRY_RETRY_ROUNDS
            )
            .into(),
        })
    }

    /// Reads every partition of a table with GetPartitions, following
    /// every page. A table that fits in one page costs one request; a larger
    /// one is read again in [`MAX_SEGMENTS`] segments in parallel, so big
    /// tables take a tenth of the sequential pages. Partitions are
    /// deduplicated by values, because some servers (moto) ignore segments
    /// and return everything to each.
    pub async fn all_partitions(
        &self,
        table: &impl TableName,
        detail: Detail,
    ) -> Result<Vec<PartitionImage>> {
        let first = self
            .get_partitions(table, detail)
            .send()
            .await
            .map_err(|e| glue_error("GetPartitions", table.qualified(), e))?;
        if first.next_token().is_none() {
            return Ok(first
                .partitions()
                .iter()
                .map(PartitionImage::from)
                .collect());
        }
        self.read_segments(table, MAX_SEGMENTS, detail).await
    }

    /// Reads a table's partitions in `total` parallel segments.
    pub async fn read_segments(
        &self,
        table: &impl TableName,
        total: i32,
        detail: Detail,
    ) -> Result<Vec<PartitionImage>> {
        let total = total.clamp(1, MAX_SEGMENTS);
        let per_segment: Vec<Vec<Partition>> = stream::iter(0..total)
            .map(|number| self.read_segment(table, number, total, detail))
            .buffer_unordered(total as usize)
            .try_collect()
            .await?;
        let mut by_values = BTreeMap::new();
        for partition in per_segment.iter().flatten() {
            by_values
                .entry(partition.values())
                .or_insert_with(|| PartitionImage::from(partition));
        }
        Ok(by_values.into_values().collect())
    }

    fn get_partitions(
        &self,
        table: &impl TableName,
        detail: Detail,
    ) -> aws_sdk_glue::operation::get_partitions::builders::GetPartitionsFluentBuilder {
        self.glue
            .get_partitions()
            .set_catalog_id(self.catalog_id.clone())
            .database_name(table.database_name())
            .table_name(table.table_name())
            .exclude_column_schema(detail == Detail::Locations)
    }

    async fn read_segment(
        &self,
        table: &impl TableName,
        number: i32,
        total: i32,
        detail: Detail,
    ) -> Result<Vec<Partition>> {
        let segment = Segment::builder()
            .segment_number(number)
            .total_segments(total)
            .build()
            .expect("segment fields are set");
        let mut pages = self
            .get_partitions(table, detail)
            .segment(segment)
            .into_paginator()
            .send();
        let mut partitions = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| glue_error("GetPartitions", table.qualified(), e))?;
            partitions.extend(page.partitions.unwrap_or_default());
        }
        Ok(partitions)
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
        write_in_batches(
            partitions,
            |p| p.values.as_slice(),
            CREATE,
            concurrency,
            progress,
            |batch| async move {
                let inputs = batch.iter().map(|p| p.to_input()).collect();
                let output = self
                    .glue
                    .batch_create_partition()
                    .set_catalog_id(self.catalog_id.clone())
                    .database_name(table.database_name())
                    .table_name(table.table_name())
                    .set_partition_input_list(Some(inputs))
                    .send()
                    .await
                    .map_err(request_failed)?;
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
        values: &[Vec<String>],
        concurrency: usize,
        progress: &dyn Progress,
    ) -> Outcome {
        write_in_batches(
            values,
            |v| v.as_slice(),
            DELETE,
            concurrency,
            progress,
            |batch| async move {
                let keys = batch.iter().map(|v| value_list(v)).collect();
                let output = self
                    .glue
                    .batch_delete_partition()
                    .set_catalog_id(self.catalog_id.clone())
                    .database_name(table.database_name())
                    .table_name(table.table_name())
                    .set_partitions_to_delete(Some(keys))
                    .send()
                    .await
                    .map_err(request_failed)?;
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
            |p| p.values.as_slice(),
            UPDATE,
            concurrency,
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
                    .map_err(request_failed)?;
                Ok(output
                    .errors()
                    .iter()
                    .map(|e| entry_failure(e.partition_value_list().to_vec(), e.error_detail()))
                    .collect())
            },
        )
        .await
    }

    /// Every table of a database with its S3 location (if it has one).
    pub async fn tables(&self, database: &str) -> Result<Vec<TableEntry>> {
        let mut pages = self
            .glue
            .get_tables()
            .set_catalog_id(self.catalog_id.clone())
            .database_name(database)
            .into_paginator()
            .send();
        let mut tables = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| match e.as_service_error() {
                Some(service) if service.is_entity_not_found_exception() => {
                    Error::DatabaseNotFound {
                        database: database.to_string(),
                    }
                }
                _ => glue_error("GetTables", database.to_string(), e),
            })?;
            tables.extend(page.table_list().iter().map(|t| {
                TableEntry {
                    name: t.name().to_string(),
                    location: t
                        .storage_descriptor()
                        .and_then(|sd| sd.location())
                        .and_then(|l| S3Location::parse(l).ok()),
                }
            }));
        }
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tables)
    }

    /// A table exactly as Glue holds it, or `None` when it does not exist
    /// (an unknown database is an error).
    pub async fn table_definition(&self, database: &str, name: &str) -> Result<Option<TableImage>> {
        let response = self
            .glue
            .get_table()
            .set_catalog_id(self.catalog_id.clone())
            .database_name(database)
            .name(name)
            .send()
            .await;
        match response {
            Ok(output) => Ok(output.table().map(TableImage::from)),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_entity_not_found_exception()) =>
            {
                match self.not_found(database, name).await {
                    Error::TableNotFound { .. } => Ok(None),
                    other => Err(other),
                }
            }
            Err(err) => Err(glue_error("GetTable", format!("{database}.{name}"), err)),
        }
    }

    /// Creates a table; one that exists already counts as created.
    pub async fn create_table(&self, database: &str, table: &TableImage) -> Result<()> {
        match self
            .glue
            .create_table()
            .set_catalog_id(self.catalog_id.clone())
            .database_name(database)
            .table_input(table.to_input())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_already_exists_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(glue_error(
                "CreateTable",
                format!("{database}.{}", table.name),
                err,
            )),
        }
    }

    /// Replaces a table's definition.
    pub async fn update_table(&self, database: &str, table: &TableImage) -> Result<()> {
        self.glue
            .update_table()
            .set_catalog_id(self.catalog_id.clone())
            .database_name(database)
            .table_input(table.to_input())
            .send()
            .await
            .map(|_| ())
            .map_err(|err| glue_error("UpdateTable", format!("{database}.{}", table.name), err))
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
            std::slice::from_ref,
            DELETE_TABLES,
            concurrency,
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
                    .map_err(request_failed)?;
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

/// A table from its definition, checked for what the partition commands
/// need: a storage descriptor with an S3 location.
fn usable_table(database: &str, table: TableImage) -> Result<Table> {
    let qualified = format!("{database}.{}", table.name);
    let unusable = |problem: &str| Error::UnusableTable {
        table: qualified.clone(),
        problem: problem.to_string(),
    };
    let storage_descriptor: StorageImage = table
        .storage_descriptor
        .ok_or_else(|| unusable("it has no storage descriptor, so no S3 location"))?;
    let raw_location = storage_descriptor
        .location
        .as_deref()
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| unusable("it has no location (StorageDescriptor.Location is empty)"))?;
    let location = S3Location::parse(raw_location).map_err(|source| Error::NotS3Location {
        table: qualified.clone(),
        location: raw_location.to_string(),
        source: Box::new(source),
    })?;
    let partition_keys = table
        .partition_keys
        .unwrap_or_default()
        .iter()
        .map(|c| PartitionKey::new(&c.name, c.type_name.as_deref().unwrap_or("string")))
        .collect();
    Ok(Table {
        database: database.to_string(),
        name: table.name,
        location,
        partition_keys,
        storage_descriptor,
    })
}

fn value_list(values: &[String]) -> PartitionValueList {
    PartitionValueList::builder()
        .set_values(Some(values.to_vec()))
        .build()
        .expect("values are set")
}

/// A whole batch request's failure, for every entry in it.
fn request_failed<E, R>(err: SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    DisplayErrorContext(&err).to_string()
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

fn glue_error<E, R>(operation: &'static str, target: String, err: SdkError<E, R>) -> Error
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    Error::Glue {
        operation,
        target,
        source: Box::new(err),
    }
}

#[cfg(test)]
mod tests {
    //! Mocked-SDK tests for what moto cannot show: it does not enforce batch
    //! limits, never pages GetPartitions, ignores segments and never leaves
    //! keys unprocessed.

    use std::sync::{Arc, Mutex};

    use aws_sdk_glue::operation::batch_create_partition::BatchCreatePartitionOutput;
    use aws_sdk_glue::operation::batch_delete_partition::BatchDeletePartitionOutput;
    use aws_sdk_glue::operation::batch_get_partition::BatchGetPartitionOutput;
    use aws_sdk_glue::operation::batch_update_partition::BatchUpdatePartitionOutput;
    use aws_sdk_glue::operation::get_partitions::GetPartitionsOutput;
    use aws_sdk_glue::types::BatchUpdatePartitionFailureEntry;
    use aws_sdk_glue::types::{ErrorDetail, PartitionError, StorageDescriptor};
    use aws_sdk_glue::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::model::partition::DiscoveredPartition;
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
        }
    }

    /// New partitions 0..n, defined as the partitioner defines them.
    fn found(n: usize) -> Vec<PartitionImage> {
        let root = S3Location::parse("s3://b/t").unwrap();
        (0..n)
            .map(|i| {
                DiscoveredPartition {
                    values: vec![i.to_string()],
                    location: root.join(&i.to_string()),
                }
                .definition(&table())
            })
            .collect()
    }

    fn partition(values: &[String]) -> Partition {
        Partition::builder()
            .set_values(Some(values.to_vec()))
            .storage_descriptor(
                StorageDescriptor::builder()
                    .location(format!("s3://b/t/{}/", values[0]))
                    .build(),
            )
            .build()
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
    async fn access_denied_is_an_aws_failure_that_keeps_the_reason() {
        let rule = mock!(Client::get_table).then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
                aws_smithy_types::body::SdkBody::from(
                    r#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::1:user/x is not authorized to perform: glue:GetTable"}"#,
                ),
            )
        });
        let glue = mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&rule]);
        let err = Catalog::new(glue, None).table("db", "t").await.unwrap_err();
        assert!(!err.is_bad_input(), "access denied is exit 1, not 2: {err}");
        let mut chain = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            chain.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        assert!(chain.contains("GetTable on `db.t`"), "{chain}");
        assert!(chain.contains("not authorized"), "{chain}");
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
        let values: Vec<Vec<String>> = (0..60).map(|i| vec![i.to_string()]).collect();
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
        let values: Vec<Vec<String>> = (0..5).map(|i| vec![i.to_string()]).collect();
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
    async fn batch_gets_take_1000_keys_and_retry_unprocessed_ones() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let rule = mock!(Client::batch_get_partition).then_compute_output(move |req| {
            let keys = req.partitions_to_get();
            seen.lock().unwrap().push(keys.len());
            let mut out = BatchGetPartitionOutput::builder();
            for (i, key) in keys.iter().enumerate() {
                // Leave the first 3 keys of every full batch unprocessed.
                if keys.len() == 1000 && i < 3 {
                    out = out.unprocessed_keys(key.clone());
                } else {
                    out = out.partitions(partition(key.values()));
                }
            }
            out.build()
        });
        let glue = mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&rule]);
        let catalog = Catalog::new(glue, None);
        let values: Vec<Vec<String>> = (0..2500).map(|i| vec![i.to_string()]).collect();
        let found = catalog
            .partitions_by_values(&table(), &values, 3)
            .await
            .unwrap();
        assert_eq!(found.len(), 2500);
        let mut sizes = sizes.lock().unwrap().clone();
        sizes.sort_unstable();
        assert_eq!(sizes, [3, 3, 500, 1000, 1000]);
        assert!(found.iter().all(|p| p.location().is_some()));
    }

    fn page(range: std::ops::Range<usize>, token: Option<&str>) -> GetPartitionsOutput {
        let mut out = GetPartitionsOutput::builder().set_next_token(token.map(str::to_string));
        for i in range {
            out = out.partitions(partition(&[i.to_string()]));
        }
        out.build()
    }

    #[tokio::test]
    async fn a_table_of_one_page_costs_one_request() {
        let rule = mock!(Client::get_partitions).then_compute_output(|req| {
            assert!(req.segment().is_none());
            assert_eq!(req.exclude_column_schema(), Some(true));
            page(0..700, None)
        });
        let glue = mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&rule]);
        let all = Catalog::new(glue, None)
            .all_partitions(&table(), Detail::Locations)
            .await
            .unwrap();
        assert_eq!(all.len(), 700);
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_larger_table_is_read_in_ten_segments_following_every_page() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        // Segment n holds partitions n*300 .. n*300+300, in pages of 100.
        let rule = mock!(Client::get_partitions).then_compute_output(move |req| {
            let Some(segment) = req.segment() else {
                return page(0..1000, Some("more"));
            };
            assert_eq!(segment.total_segments(), 10);
            let n = segment.segment_number() as usize;
            let offset: usize = req.next_token().map_or(0, |t| t.parse().unwrap());
            seen.lock().unwrap().push((n, offset));
            let start = n * 300 + offset;
            let next = (offset + 100 < 300).then(|| (offset + 100).to_string());
            page(start..start + 100, next.as_deref())
        });
        let glue = mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&rule]);
        let all = Catalog::new(glue, None)
            .all_partitions(&table(), Detail::Locations)
            .await
            .unwrap();
        assert_eq!(all.len(), 3000);
        let mut calls = calls.lock().unwrap().clone();
        calls.sort_unstable();
        assert_eq!(calls.len(), 30, "three pages in each of ten segments");
        assert_eq!(calls[0], (0, 0));
        assert_eq!(calls[29], (9, 200));
    }

    #[tokio::test]
    async fn segments_that_a_server_ignores_are_deduplicated() {
        // Like moto: ignore the segment and return everything each time.
        let rule = mock!(Client::get_partitions).then_compute_output(|_| page(0..30, None));
        let glue = mock_client!(aws_sdk_glue, RuleMode::MatchAny, [&rule]);
        let all = Catalog::new(glue, None)
            .read_segments(&table(), 4, Detail::Locations)
            .await
            .unwrap();
        assert_eq!(all.len(), 30);
        assert_eq!(rule.num_calls(), 4);
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
