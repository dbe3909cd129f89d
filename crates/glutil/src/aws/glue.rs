//! The Glue Data Catalog, reads: tables (telling an unknown database from an
//! unknown table), partitions by values (BatchGetPartition) and whole
//! tables of partitions (GetPartitions in parallel segments). The writes
//! are in `aws::write`. Speaks the model's types; the SDK's stay in here.

use aws_sdk_glue::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_glue::types::{Partition, PartitionValueList, Segment};
use aws_smithy_runtime_api::http::Response;
use futures::stream::{self, StreamExt, TryStreamExt};

use crate::aws::batch::backoff;
use crate::aws::failure::{from_sdk, AwsFailure, FailureKind, Rounds};
use crate::error::{Error, Result};
use crate::model::definition::{PartitionImage, StorageImage, TableImage};
use crate::model::kind::TableKind;
use crate::model::location::S3Location;
use crate::model::partition::StoredPartition;
use crate::model::table::{DatabaseInfo, PartitionKey, Table, TableEntry, TableName};
use crate::model::values::Values;

/// BatchGetPartition takes at most 1000 keys per request.
pub const GET_BATCH: usize = 1000;
/// GetPartitions splits a table into at most 10 segments read in parallel.
pub const MAX_SEGMENTS: i32 = 10;

/// How much of each partition a read returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every field: what backups and updates need.
    Whole,
    /// Values and locations only: the column lists are not even sent
    /// (`ExcludeColumnSchema`), and nothing else is kept.
    Locations,
}

/// What a catalog read keeps of each partition.
pub trait FromPartition: Send + Sized {
    /// Keeps what `detail` asks for of a partition as Glue returned it.
    fn from_partition(partition: &Partition, detail: Detail) -> Self;
    /// Compares by values, to sort and deduplicate by.
    fn cmp_values(&self, other: &Self) -> std::cmp::Ordering;
}

fn stored_location(partition: &Partition) -> Option<String> {
    partition
        .storage_descriptor()
        .and_then(|sd| sd.location())
        .map(str::to_string)
}

impl FromPartition for PartitionImage {
    /// Whole, or only its values and location (what audits, gaps and the
    /// partitioner need).
    fn from_partition(partition: &Partition, detail: Detail) -> Self {
        match detail {
            Detail::Whole => PartitionImage::from(partition),
            Detail::Locations => PartitionImage::new(
                partition.values().to_vec(),
                StorageImage {
                    location: stored_location(partition),
                    ..StorageImage::default()
                },
            ),
        }
    }

    fn cmp_values(&self, other: &Self) -> std::cmp::Ordering {
        self.values.cmp(&other.values)
    }
}

impl FromPartition for StoredPartition {
    fn from_partition(partition: &Partition, _detail: Detail) -> Self {
        StoredPartition {
            values: Values::new(partition.values()),
            location: stored_location(partition),
        }
    }

    fn cmp_values(&self, other: &Self) -> std::cmp::Ordering {
        self.values.cmp(&other.values)
    }
}

/// The Glue Data Catalog, through one client and an optional catalog id.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub(super) glue: aws_sdk_glue::Client,
    pub(super) catalog_id: Option<String>,
    pub(super) rounds: Rounds,
}

impl Catalog {
    /// A catalog over a Glue client; `catalog_id` is the owning account when
    /// it is not the caller's.
    pub fn new(glue: aws_sdk_glue::Client, catalog_id: Option<String>) -> Self {
        Self {
            glue,
            catalog_id,
            rounds: Rounds::default(),
        }
    }

    /// The same catalog, sending a request again in `rounds` while it fails
    /// with errors that may pass.
    pub fn with_rounds(self, rounds: Rounds) -> Self {
        Self { rounds, ..self }
    }

    /// glutil's rounds for this catalog's requests.
    pub fn rounds(&self) -> Rounds {
        self.rounds
    }

    /// An SDK error as people read it, with the attempts the SDK made.
    pub(super) fn failure<E>(&self, err: &SdkError<E, Response>) -> AwsFailure
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        from_sdk(err, self.rounds.attempts_per_round)
    }

    /// Sends one request (`call` makes it), in rounds while it fails with
    /// errors that may pass.
    pub(super) async fn send<T, E, F, Fut>(&self, call: F) -> Result<T, AwsFailure>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, SdkError<E, Response>>>,
    {
        self.rounds
            .run(|| {
                let sent = call();
                async move { sent.await.map_err(|e| self.failure(&e)) }
            })
            .await
    }

    /// Reads a table and checks that its location is in S3. Tells an
    /// unknown database from an unknown table.
    pub async fn table(&self, database: &str, name: &str) -> Result<Table> {
        usable_table(database, self.existing_table(database, name).await?)
    }

    /// A table as the partition commands use it and exactly as Glue holds
    /// it, from one GetTable.
    pub async fn table_and_image(&self, database: &str, name: &str) -> Result<(Table, TableImage)> {
        let image = self.existing_table(database, name).await?;
        Ok((usable_table(database, image.clone())?, image))
    }

    /// A table exactly as Glue holds it; an unknown table (or database)
    /// is an error.
    pub async fn existing_table(&self, database: &str, name: &str) -> Result<TableImage> {
        self.table_definition(database, name)
            .await?
            .ok_or_else(|| Error::TableNotFound {
                database: database.to_string(),
                table: name.to_string(),
            })
    }

    async fn not_found(&self, database: &str, name: &str) -> Error {
        match self.check_database(database).await {
            Ok(()) => Error::TableNotFound {
                database: database.to_string(),
                table: name.to_string(),
            },
            Err(err) => err,
        }
    }

    /// Fails with [`Error::DatabaseNotFound`] when the database does not
    /// exist (one GetDatabase).
    pub async fn check_database(&self, database: &str) -> Result<()> {
        let lookup = self
            .send(|| {
                self.glue
                    .get_database()
                    .set_catalog_id(self.catalog_id.clone())
                    .name(database)
                    .send()
            })
            .await;
        match lookup {
            Ok(_) => Ok(()),
            Err(failure) if is_entity_not_found(&failure) => Err(Error::DatabaseNotFound {
                database: database.to_string(),
            }),
            Err(failure) => Err(Error::glue("GetDatabase", database, failure)),
        }
    }

    /// Looks up partitions by values with BatchGetPartition, 1000 per
    /// request and several requests in flight; keys Glue leaves unprocessed
    /// are asked again. Returns those that exist, whole.
    pub async fn partitions_by_values(
        &self,
        table: &impl TableName,
        values: &[impl ValueStrings],
        concurrency: usize,
    ) -> Result<Vec<PartitionImage>> {
        let found: Vec<Vec<PartitionImage>> = stream::iter(values.chunks(GET_BATCH))
            .map(|chunk| self.batch_get(table, chunk))
            .buffer_unordered(concurrency.max(1))
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// One BatchGetPartition chunk, asked again for the keys Glue leaves
    /// unprocessed for as long as each round makes progress: Glue caps the
    /// size of its answers, and on a wide table a round may return only a
    /// fifth of the keys. It gives up after `--max-attempts` rounds in a
    /// row that return nothing.
    async fn batch_get(
        &self,
        table: &impl TableName,
        chunk: &[impl ValueStrings],
    ) -> Result<Vec<PartitionImage>> {
        let mut keys: Vec<PartitionValueList> =
            chunk.iter().map(|v| value_list(v.strings())).collect();
        let mut found = Vec::new();
        let mut idle_rounds = 0;
        while !keys.is_empty() {
            if idle_rounds > 0 {
                tokio::time::sleep(backoff(idle_rounds)).await;
            }
            let asked = keys.len();
            let output = self
                .send(|| {
                    self.glue
                        .batch_get_partition()
                        .set_catalog_id(self.catalog_id.clone())
                        .database_name(table.database_name())
                        .table_name(table.table_name())
                        .set_partitions_to_get(Some(keys.clone()))
                        .send()
                })
                .await
                .map_err(|f| Error::glue("BatchGetPartition", table.qualified(), f))?;
            found.extend(output.partitions().iter().map(PartitionImage::from));
            keys = output.unprocessed_keys().to_vec();
            if keys.len() < asked {
                idle_rounds = 0;
            } else {
                idle_rounds += 1;
                if idle_rounds >= self.rounds.max {
                    return Err(Error::glue(
                        "BatchGetPartition",
                        table.qualified(),
                        AwsFailure::local(
                            FailureKind::Retryable,
                            "UnprocessedKeys",
                            format!(
                                "{} keys were still unprocessed after {idle_rounds} rounds in a row without progress",
                                keys.len()
                            ),
                        ),
                    ));
                }
            }
        }
        Ok(found)
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
        self.read_all(table, detail).await
    }

    /// Every partition of a table as values and location only (a tenth of
    /// a whole image's memory): what audits and the partitioner compare.
    pub async fn all_stored(&self, table: &impl TableName) -> Result<Vec<StoredPartition>> {
        self.read_all(table, Detail::Locations).await
    }

    /// Every partition of a table, each kept as `T` keeps it.
    pub async fn read_all<T: FromPartition>(
        &self,
        table: &impl TableName,
        detail: Detail,
    ) -> Result<Vec<T>> {
        let first = self
            .send(|| self.get_partitions(table, detail).send())
            .await
            .map_err(|f| Error::glue("GetPartitions", table.qualified(), f))?;
        if first.next_token().is_none() {
            return Ok(first
                .partitions()
                .iter()
                .map(|p| T::from_partition(p, detail))
                .collect());
        }
        drop(first);
        self.read_segments(table, MAX_SEGMENTS, detail).await
    }

    /// Reads a table's partitions in `total` parallel segments.
    pub async fn read_segments<T: FromPartition>(
        &self,
        table: &impl TableName,
        total: i32,
        detail: Detail,
    ) -> Result<Vec<T>> {
        let total = total.clamp(1, MAX_SEGMENTS);
        let per_segment: Vec<Vec<T>> = stream::iter(0..total)
            .map(|number| self.read_segment(table, number, total, detail))
            .buffer_unordered(total as usize)
            .try_collect()
            .await?;
        // Joined, sorted and deduplicated in place: no map (and no second
        // copy of every partition's values) beside the list.
        let mut all = Vec::with_capacity(per_segment.iter().map(Vec::len).sum());
        for segment in per_segment {
            all.extend(segment);
        }
        all.sort_by(T::cmp_values);
        all.dedup_by(|a, b| a.cmp_values(b).is_eq());
        Ok(all)
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

    async fn read_segment<T: FromPartition>(
        &self,
        table: &impl TableName,
        number: i32,
        total: i32,
        detail: Detail,
    ) -> Result<Vec<T>> {
        let segment = Segment::builder()
            .segment_number(number)
            .total_segments(total)
            .build()
            .expect("segment fields are set");
        let page = |token: Option<String>| {
            let segment = segment.clone();
            async move {
                self.send(|| {
                    self.get_partitions(table, detail)
                        .segment(segment.clone())
                        .set_next_token(token.clone())
                        .send()
                })
                .await
                .map_err(|f| Error::glue("GetPartitions", table.qualified(), f))
            }
        };
        // Each page becomes model data at once: the SDK's structs (and the
        // page's body) are not kept.
        every_page(page, |page, partitions: &mut Vec<T>| {
            partitions.extend(
                page.partitions()
                    .iter()
                    .map(|p| T::from_partition(p, detail)),
            );
            page.next_token().map(str::to_string)
        })
        .await
    }

    /// Every table of a database with its S3 location (if it has one).
    pub async fn tables(&self, database: &str) -> Result<Vec<TableEntry>> {
        let images = self.table_images(database).await?;
        Ok(images.iter().map(TableEntry::from_image).collect())
    }

    /// Every table of a database as Glue holds it, sorted by name.
    pub async fn table_images(&self, database: &str) -> Result<Vec<TableImage>> {
        let page = |token: Option<String>| async move {
            self.send(|| {
                self.glue
                    .get_tables()
                    .set_catalog_id(self.catalog_id.clone())
                    .database_name(database)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|failure| {
                if is_entity_not_found(&failure) {
                    Error::DatabaseNotFound {
                        database: database.to_string(),
                    }
                } else {
                    Error::glue("GetTables", database, failure)
                }
            })
        };
        let mut tables = every_page(page, |page, tables: &mut Vec<TableImage>| {
            tables.extend(page.table_list().iter().map(TableImage::from));
            page.next_token().map(str::to_string)
        })
        .await?;
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(tables)
    }

    /// Every database of the catalog, sorted by name.
    pub async fn databases(&self) -> Result<Vec<DatabaseInfo>> {
        let page = |token: Option<String>| async move {
            self.send(|| {
                self.glue
                    .get_databases()
                    .set_catalog_id(self.catalog_id.clone())
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|failure| Error::glue("GetDatabases", "the catalog", failure))
        };
        let mut databases = every_page(page, |page, databases: &mut Vec<DatabaseInfo>| {
            databases.extend(page.database_list().iter().map(|d| DatabaseInfo {
                name: d.name().to_string(),
                location_uri: d.location_uri().map(str::to_string),
                description: d.description().map(str::to_string),
            }));
            page.next_token().map(str::to_string)
        })
        .await?;
        databases.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(databases)
    }

    /// A table exactly as Glue holds it, or `None` when it does not exist
    /// (an unknown database is an error).
    pub async fn table_definition(&self, database: &str, name: &str) -> Result<Option<TableImage>> {
        let response = self
            .send(|| {
                self.glue
                    .get_table()
                    .set_catalog_id(self.catalog_id.clone())
                    .database_name(database)
                    .name(name)
                    .send()
            })
            .await;
        match response {
            Ok(output) => Ok(output.table().map(TableImage::from)),
            Err(failure) if is_entity_not_found(&failure) => {
                match self.not_found(database, name).await {
                    Error::TableNotFound { .. } => Ok(None),
                    other => Err(other),
                }
            }
            Err(failure) => Err(Error::glue(
                "GetTable",
                format!("{database}.{name}"),
                failure,
            )),
        }
    }
}

/// A table from its definition, checked for what the partition commands
/// need: a storage descriptor with an S3 location.
/// Every item of a listing, page after page: `page` sends the request for
/// a token, `take` moves its items into the list and gives the next token.
/// The token is kept here, not in the SDK's paginator (which ends at the
/// first error), so a page that failed every attempt is asked again with
/// the same token.
async fn every_page<O, T, Fut>(
    page: impl Fn(Option<String>) -> Fut,
    mut take: impl FnMut(O, &mut Vec<T>) -> Option<String>,
) -> Result<Vec<T>>
where
    Fut: std::future::Future<Output = Result<O>>,
{
    let mut items = Vec::new();
    let mut token = None;
    loop {
        let output = page(token.take()).await?;
        token = take(output, &mut items).filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(items);
        }
    }
}

/// A table as the partition commands use it, from its Glue definition: an
/// error names why it cannot be (a view, an Iceberg table, no S3
/// location, ...).
pub fn usable_table(database: &str, table: TableImage) -> Result<Table> {
    let qualified = format!("{database}.{}", table.name);
    let unusable = |problem: &str| Error::UnusableTable {
        table: qualified.clone(),
        problem: problem.to_string(),
    };
    let kind = TableKind::of(&table);
    if let Some(why) = kind.refusal() {
        return Err(Error::OtherFormat {
            table: qualified,
            kind: why.to_string(),
        });
    }
    let storage_descriptor: StorageImage = table
        .storage_descriptor
        .ok_or_else(|| unusable("it has no storage descriptor, so no S3 location"))?;
    let raw_location = storage_descriptor
        .location
        .as_deref()
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| unusable("it has no location (StorageDescriptor.Location is empty)"))?;
    let location = S3Location::parse(raw_location).map_err(|err| Error::NotS3Location {
        table: qualified.clone(),
        location: raw_location.to_string(),
        problem: match err {
            crate::model::location::LocationError::NotS3(_) => "which is not an S3 location".into(),
            crate::model::location::LocationError::NoBucket(_) => "which names no bucket".into(),
        },
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
        projected: kind == TableKind::Hive { projection: true },
    })
}

/// Partition values, as a list of strings or compactly.
pub trait ValueStrings: Sync {
    /// The values as strings of their own.
    fn strings(&self) -> Vec<String>;
}

impl ValueStrings for Vec<String> {
    fn strings(&self) -> Vec<String> {
        self.clone()
    }
}

impl ValueStrings for Values {
    fn strings(&self) -> Vec<String> {
        self.to_vec()
    }
}

pub(super) fn value_list(values: Vec<String>) -> PartitionValueList {
    PartitionValueList::builder()
        .set_values(Some(values))
        .build()
        .expect("values are set")
}

/// Glue's answer for a database or table that does not exist.
pub(super) fn is_entity_not_found(failure: &AwsFailure) -> bool {
    failure.code.as_deref() == Some("EntityNotFoundException")
}

#[cfg(test)]
mod tests {
    //! Mocked-SDK tests for what moto cannot show: it never pages
    //! GetPartitions, ignores segments and never leaves keys unprocessed.

    use std::sync::{Arc, Mutex};

    use aws_sdk_glue::operation::batch_get_partition::BatchGetPartitionOutput;
    use aws_sdk_glue::operation::get_partitions::GetPartitionsOutput;
    use aws_sdk_glue::types::StorageDescriptor;
    use aws_sdk_glue::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::model::table::TableId;

    fn table() -> TableId {
        TableId::new("db", "t")
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
        assert!(
            chain.starts_with("Glue GetTable on db.t failed: AccessDeniedException: User: arn:aws:iam::1:user/x is not authorized"),
            "{chain}"
        );
        assert!(chain.contains("not authorized"), "{chain}");
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
        let all: Vec<StoredPartition> = Catalog::new(glue, None)
            .read_segments(&table(), 4, Detail::Locations)
            .await
            .unwrap();
        assert_eq!(all.len(), 30);
        assert!(
            all.windows(2).all(|w| w[0].values < w[1].values),
            "sorted by values"
        );
        assert_eq!(rule.num_calls(), 4);
    }
}
