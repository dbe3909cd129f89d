//! Waiting for an Athena query and reading its results: polls that back
//! off from about 200 ms to about 5 s with jitter and give up at a
//! deadline, and results read a page at a time (every page followed, the
//! header row dropped only where Athena sends one, at most `max_rows`).
//! Stopping a query is the caller's decision: on a timeout, or when the
//! user presses Ctrl-C while the wait is in progress.

use std::time::{Duration, Instant};

use crate::aws::athena::{Athena, MAX_PAGE_ROWS};
use crate::aws::failure::{AwsFailure, FailureKind};
use crate::aws::s3::{ObjectReader, S3Clients};
use crate::error::Result;
use crate::model::athena::{
    has_header_row, is_csv_result, poll_delay, result_object, QueryStatus, ResultColumn, RowBatch,
};
use crate::model::csv::CsvReader;

/// How a wait ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waited {
    /// The query reached SUCCEEDED, FAILED or CANCELLED.
    Finished(QueryStatus),
    /// The deadline passed first; the status is the last one read.
    TimedOut(QueryStatus),
}

/// Polls a query until it finishes or the deadline passes. `polls` counts
/// the GetQueryExecution calls made. Dropping the future stops polling
/// (and nothing else).
pub async fn wait(
    athena: &Athena,
    id: &str,
    deadline: Option<Instant>,
    polls: &mut u32,
) -> Result<Waited> {
    let mut jitter = Jitter::new(id);
    let mut attempt = 0;
    loop {
        let status = athena.status(id).await?;
        *polls += 1;
        if status.state.is_final() {
            return Ok(Waited::Finished(status));
        }
        let mut pause = poll_delay(attempt, jitter.next());
        attempt += 1;
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(Waited::TimedOut(status));
            }
            pause = pause.min(left);
        }
        tokio::time::sleep(pause).await;
    }
}

/// Which way a result is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Via {
    /// GetQueryResults for the first page; when there is more, the rest
    /// from the CSV result file, falling back to GetQueryResults when the
    /// file cannot be read.
    #[default]
    Auto,
    /// GetQueryResults only (pages of 1,000 rows, one after another).
    Results,
    /// The result file only (GetQueryResults once, for the column types);
    /// a file that cannot be read is an error.
    File,
}

/// Where a result's rows come from now.
enum Source {
    /// GetQueryResults pages; `skip` rows already read another way are
    /// dropped first.
    Pages { skip: u64 },
    /// The result file; `skip` rows (the header, the first page's rows)
    /// are dropped first.
    File {
        reader: Box<ObjectReader>,
        csv: CsvReader,
        skip: u64,
        /// Rows parsed and not returned yet.
        pending: RowBatch,
        eof: bool,
    },
}

/// A finished query's results, read a page (or a chunk of the result
/// file) at a time.
pub struct Results {
    athena: Athena,
    s3: Option<S3Clients>,
    via: Via,
    id: String,
    header: bool,
    output: Option<(String, String)>,
    token: Option<String>,
    started: bool,
    finished: bool,
    left: Option<u64>,
    truncated: bool,
    columns: Vec<ResultColumn>,
    source: Source,
    /// Data rows returned so far, and how many of them came from pages.
    returned: u64,
    from_pages: u64,
    notes: Vec<String>,
    gets: u32,
    file_bytes: u64,
}

impl std::fmt::Debug for Results {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Results")
            .field("id", &self.id)
            .field("via", &self.via)
            .field("returned", &self.returned)
            .finish_non_exhaustive()
    }
}

impl Results {
    /// The results of a SUCCEEDED query through GetQueryResults only,
    /// `max_rows` rows at most (all when `None`; at least one is read, for
    /// the columns).
    pub fn new(athena: &Athena, status: &QueryStatus, max_rows: Option<u64>) -> Self {
        Self::reading(athena, None, status, max_rows, Via::Results)
    }

    /// The results of a SUCCEEDED query, read `via` GetQueryResults or
    /// the result file (through `s3`; without it, pages only).
    pub fn reading(
        athena: &Athena,
        s3: Option<S3Clients>,
        status: &QueryStatus,
        max_rows: Option<u64>,
        via: Via,
    ) -> Self {
        let output = status
            .output_location
            .as_deref()
            .filter(|_| !status.client_side_encrypted)
            .and_then(|location| result_object(location, &status.id));
        Self {
            athena: athena.clone(),
            via: if s3.is_some() { via } else { Via::Results },
            s3,
            id: status.id.clone(),
            header: has_header_row(status.statement_type.as_deref()),
            output,
            token: None,
            started: false,
            finished: false,
            left: max_rows.map(|n| n.max(1)),
            truncated: false,
            columns: Vec::new(),
            source: Source::Pages { skip: 0 },
            returned: 0,
            from_pages: 0,
            notes: Vec::new(),
            gets: 0,
            file_bytes: 0,
        }
    }

    /// The next rows, or `None` after the last (or `max_rows`). The
    /// columns are known after the first call.
    pub async fn next_rows(&mut self) -> Result<Option<RowBatch>> {
        if self.finished {
            return Ok(None);
        }
        if !self.started {
            return self.first_page().await.map(Some);
        }
        let rows = if matches!(self.source, Source::File { .. }) {
            self.next_from_file().await?
        } else {
            self.next_page().await?
        };
        self.returned += rows.len() as u64;
        Ok(Some(rows))
    }

    /// The first GetQueryResults page: the columns, and the first rows
    /// (none when the file is to give them all). When more pages follow,
    /// the result file takes over where it may.
    async fn first_page(&mut self) -> Result<RowBatch> {
        let file_only = self.via == Via::File && self.file_object().is_some();
        let skip = u64::from(self.header);
        let wanted = if file_only {
            1 + skip
        } else {
            self.left.map_or(MAX_PAGE_ROWS as u64, |left| left + skip)
        };
        let answer = self
            .athena
            .page(&self.id, None, wanted.min(MAX_PAGE_ROWS as u64) as i32)
            .await;
        let page = match answer {
            Ok(page) => page,
            Err(err) if file_only && is_denied(&err) => {
                return self.file_without_types(&err, skip).await;
            }
            Err(err) => return Err(err),
        };
        self.started = true;
        self.columns = page.columns;
        self.token = page.next_token;
        if file_only {
            self.open_file(skip).await?;
            return Ok(RowBatch::new());
        }
        let mut rows = RowBatch::from_rows(page.rows.iter().skip(skip as usize));
        self.take_page_rows(&mut rows);
        self.from_pages = rows.len() as u64;
        self.returned = rows.len() as u64;
        if !self.finished && self.via == Via::Auto && self.file_object().is_some() {
            self.open_file(skip + self.from_pages).await?;
        }
        if self.via == Via::File && !self.finished {
            self.notes.push(self.not_a_csv_note());
        }
        Ok(rows)
    }

    /// `--via file` for a caller that may not call GetQueryResults: the
    /// columns are named by the file's header and every value is text.
    async fn file_without_types(
        &mut self,
        err: &crate::error::Error,
        skip: u64,
    ) -> Result<RowBatch> {
        self.notes.push(format!(
            "GetQueryResults was refused ({}): the column types are unknown, so every value is read from the result file as text",
            crate::error::full_message(err)
        ));
        self.started = true;
        self.open_file(skip).await?;
        let header = self.header;
        if let Source::File {
            reader,
            csv,
            pending,
            eof,
            ..
        } = &mut self.source
        {
            while pending.is_empty() && !*eof {
                fill(reader, csv, pending, eof).await?;
            }
            let names: Vec<String> = match pending.iter().next() {
                Some(first) if header => first.map(|c| c.unwrap_or_default().to_string()).collect(),
                Some(first) => (0..first.count()).map(|i| format!("_col{i}")).collect(),
                None => Vec::new(),
            };
            self.columns = names
                .into_iter()
                .map(|name| ResultColumn {
                    name,
                    type_name: "varchar".to_string(),
                    precision: None,
                    scale: None,
                })
                .collect();
        }
        Ok(RowBatch::new())
    }

    fn not_a_csv_note(&self) -> String {
        match &self.output {
            Some((bucket, key)) => format!(
                "the result of {} is s3://{bucket}/{key}, not a CSV file (Athena writes DDL and UTILITY results as text for people): reading it through GetQueryResults",
                self.id
            ),
            None => format!(
                "query {} has no result file to read (none in S3, or encrypted on the client side): reading it through GetQueryResults",
                self.id
            ),
        }
    }

    /// The result object, when it is a CSV file this run may read.
    fn file_object(&self) -> Option<&(String, String)> {
        self.output
            .as_ref()
            .filter(|(_, key)| is_csv_result(key))
            .filter(|_| self.s3.is_some())
    }

    /// Starts reading the result file, its first `skip` rows dropped. In
    /// `auto`, a file that cannot be opened leaves the pages in charge,
    /// with a note.
    async fn open_file(&mut self, skip: u64) -> Result<()> {
        let (Some((bucket, key)), Some(s3)) = (self.file_object().cloned(), self.s3.clone()) else {
            return Ok(());
        };
        let mut reader = s3.bucket(&bucket).read(&key);
        // The first chunk proves the object readable (the GET's answer).
        match reader.next_chunk().await {
            Ok(first) => {
                let mut csv = CsvReader::new();
                let mut pending = RowBatch::new();
                let eof = first.is_none();
                if let Some(chunk) = first {
                    csv.feed(chunk.as_ref(), &mut pending);
                }
                self.source = Source::File {
                    reader: Box::new(reader),
                    csv,
                    skip,
                    pending,
                    eof,
                };
                Ok(())
            }
            Err(err) if self.via == Via::Auto => {
                self.fall_back(&err, 0);
                Ok(())
            }
            Err(err) => Err(err),
        }
    }

    /// Leaves the file for GetQueryResults pages, saying why once.
    fn fall_back(&mut self, err: &crate::error::Error, skip: u64) {
        let reason = crate::error::full_message(err);
        let (bucket, key) = self.output.clone().unwrap_or_default();
        let object = format!("s3://{bucket}/{key}");
        // Named once: most S3 errors name the object already.
        let file = if reason.contains(&object) {
            String::new()
        } else {
            format!(" {object}")
        };
        self.notes.push(format!(
            "cannot read the result file{file} ({reason}); reading the rest through GetQueryResults"
        ));
        self.source = Source::Pages { skip };
    }

    /// The next rows from the file: a batch of a few thousand, or what is
    /// left at its end (`max_rows` applied: one more row, or the end, is
    /// read to tell whether the limit cut anything).
    async fn next_from_file(&mut self) -> Result<RowBatch> {
        let width = self.columns.len();
        let left = self.left.unwrap_or(u64::MAX);
        loop {
            let Source::File {
                reader,
                csv,
                skip,
                pending,
                eof,
            } = &mut self.source
            else {
                return self.next_page().await;
            };
            let dropped = (*skip).min(pending.len() as u64);
            pending.skip(dropped as usize);
            *skip -= dropped;
            let have = pending.len() as u64;
            let enough = *eof || have > left || (have >= FILE_BATCH_ROWS && have < left);
            if !enough {
                if let Err(err) = fill(reader, csv, pending, eof).await {
                    let rows = std::mem::take(pending);
                    return self.file_failed(err, rows).await;
                }
                continue;
            }
            let mut rows = std::mem::take(pending);
            let at_end = *eof;
            if width > 0 {
                let bad = rows.iter().position(|r| r.count() != width);
                if let Some(bad) = bad {
                    let line = csv.rows_read() - (rows.len() - bad) as u64 + 1;
                    let found = rows.row(bad).count();
                    rows.truncate(bad);
                    let err = malformed(&self.output, line, found, width);
                    return self.file_failed(err, rows).await;
                }
            }
            if rows.len() as u64 > left {
                rows.truncate(left as usize);
                self.truncated = true;
                self.finished = true;
            } else if at_end {
                self.finished = true;
            }
            if let Some(left) = self.left.as_mut() {
                *left -= rows.len() as u64;
                self.finished |= *left == 0;
            }
            if self.finished {
                self.file_done();
            }
            return Ok(rows);
        }
    }

    /// Counts what the file cost once it is done.
    fn file_done(&mut self) {
        if let Source::File { reader, .. } = &self.source {
            self.gets += reader.gets();
            self.file_bytes += reader.bytes_read();
        }
    }

    /// The file broke off (or holds a row that is not the result's): in
    /// `auto`, pages give the rows not yet returned; otherwise an error.
    async fn file_failed(&mut self, err: crate::error::Error, rows: RowBatch) -> Result<RowBatch> {
        self.file_done();
        if self.via != Via::Auto {
            self.finished = true;
            return Err(err);
        }
        let read_from_file = self.returned + rows.len() as u64 - self.from_pages;
        if let Some(left) = self.left.as_mut() {
            *left -= rows.len() as u64;
        }
        self.fall_back(&err, read_from_file);
        if rows.is_empty() {
            return self.next_page().await;
        }
        Ok(rows)
    }

    /// The next GetQueryResults page, rows read another way dropped.
    async fn next_page(&mut self) -> Result<RowBatch> {
        let Some(token) = self.token.take() else {
            self.finished = true;
            return Ok(RowBatch::new());
        };
        let skip = match &self.source {
            Source::Pages { skip } => *skip,
            Source::File { .. } => 0,
        };
        let wanted = self
            .left
            .map_or(MAX_PAGE_ROWS as u64, |left| left + skip)
            .min(MAX_PAGE_ROWS as u64);
        let page = self
            .athena
            .page(&self.id, Some(token), wanted as i32)
            .await?;
        self.token = page.next_token;
        let dropped = skip.min(page.rows.len() as u64);
        self.source = Source::Pages {
            skip: skip - dropped,
        };
        let mut rows = RowBatch::from_rows(page.rows.iter().skip(dropped as usize));
        self.take_page_rows(&mut rows);
        Ok(rows)
    }

    /// Applies `max_rows` to a page's rows and notes the last page.
    fn take_page_rows(&mut self, rows: &mut RowBatch) {
        if let Some(left) = self.left.as_mut() {
            if rows.len() as u64 >= *left {
                let more = rows.len() as u64 > *left || self.token.is_some();
                rows.truncate(*left as usize);
                self.truncated = more;
                self.finished = true;
            }
            *left -= rows.len() as u64;
        }
        self.finished |= self.token.is_none();
    }

    /// The result set's columns (empty until the first page is read).
    pub fn columns(&self) -> &[ResultColumn] {
        &self.columns
    }

    /// True when `max_rows` cut the results short.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// What happened that the user should hear of (a result file that
    /// could not be read), each once.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// How the rows were read: `results` (GetQueryResults only) or `file`
    /// (the result file gave rows), with the GETs and bytes it took.
    pub fn read_via(&self) -> ReadVia {
        let mut gets = self.gets;
        let mut bytes = self.file_bytes;
        if let Source::File { reader, .. } = &self.source {
            if !self.finished {
                gets += reader.gets();
                bytes += reader.bytes_read();
            }
        }
        ReadVia {
            file: gets > 0,
            gets,
            bytes,
        }
    }
}

/// How a result was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadVia {
    /// True when the result file gave rows.
    pub file: bool,
    /// S3 GET requests sent for it.
    pub gets: u32,
    /// Bytes of it received.
    pub bytes: u64,
}

/// True when IAM (or a policy) refused the request.
fn is_denied(err: &crate::error::Error) -> bool {
    err.failure()
        .is_some_and(|f| f.kind == FailureKind::AccessDenied)
}

/// Rows returned at once from the file.
const FILE_BATCH_ROWS: u64 = 4096;

/// Reads one more chunk of the file into `pending`; the end of the file
/// sets `eof`.
async fn fill(
    reader: &mut ObjectReader,
    csv: &mut CsvReader,
    pending: &mut RowBatch,
    eof: &mut bool,
) -> Result<()> {
    match reader.next_chunk().await? {
        Some(chunk) => csv.feed(chunk.as_ref(), pending),
        None => {
            *eof = true;
            csv.finish(pending)
                .map_err(|e| bad_file(reader.bucket_name(), reader.key(), e))?;
        }
    }
    Ok(())
}

fn malformed(
    output: &Option<(String, String)>,
    line: u64,
    found: usize,
    width: usize,
) -> crate::error::Error {
    let (bucket, key) = output.clone().unwrap_or_default();
    bad_file(
        &bucket,
        &key,
        format!("row {line} has {found} values where the result has {width} columns"),
    )
}

/// A result file that is not what Athena writes.
fn bad_file(bucket: &str, key: &str, message: String) -> crate::error::Error {
    crate::error::Error::s3(
        "GetObject",
        bucket,
        key,
        AwsFailure::local(FailureKind::Other, "MalformedResultFile", message),
    )
}

/// A small xorshift generator for poll jitter, seeded from the query id
/// and the clock, so that many clients do not poll in step.
struct Jitter(u64);

impl Jitter {
    fn new(id: &str) -> Self {
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .subsec_nanos() as u64;
        let seed = id.bytes().fold(clock ^ 0x9E37_79B9_7F4A_7C15, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
        });
        Self(seed | 1)
    }

    /// A number in [0, 1).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_athena::operation::get_query_execution::GetQueryExecutionOutput;
    use aws_sdk_athena::operation::get_query_results::GetQueryResultsOutput;
    use aws_sdk_athena::types::{
        AthenaError, ColumnInfo, Datum, QueryExecution, QueryExecutionState,
        QueryExecutionStatistics, QueryExecutionStatus, ResultSet, ResultSetMetadata, Row,
        StatementType,
    };
    use aws_sdk_athena::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::model::athena::QueryState;

    fn execution(state: QueryExecutionState, kind: StatementType) -> GetQueryExecutionOutput {
        let mut status = QueryExecutionStatus::builder().state(state.clone());
        if state == QueryExecutionState::Failed {
            status = status.state_change_reason("generic reason").athena_error(
                AthenaError::builder()
                    .error_message("COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved")
                    .build(),
            );
        }
        let execution = QueryExecution::builder()
            .query_execution_id("q-1")
            .query("SELECT x FROM t")
            .statement_type(kind)
            .status(status.build())
            .statistics(
                QueryExecutionStatistics::builder()
                    .data_scanned_in_bytes(3 << 20)
                    .engine_execution_time_in_millis(1234)
                    .query_queue_time_in_millis(56)
                    .build(),
            )
            .build();
        GetQueryExecutionOutput::builder()
            .query_execution(execution)
            .build()
    }

    fn row(cells: &[Option<&str>]) -> Row {
        let data = cells
            .iter()
            .map(|c| {
                Datum::builder()
                    .set_var_char_value(c.map(str::to_string))
                    .build()
            })
            .collect::<Vec<_>>();
        Row::builder().set_data(Some(data)).build()
    }

    fn page(rows: Vec<Row>, next: Option<&str>) -> GetQueryResultsOutput {
        let column = |name: &str, kind: &str| {
            ColumnInfo::builder()
                .name(name)
                .r#type(kind)
                .build()
                .expect("name and type are set")
        };
        let metadata = ResultSetMetadata::builder()
            .column_info(column("n", "integer"))
            .column_info(column("s", "varchar"))
            .build();
        GetQueryResultsOutput::builder()
            .result_set(
                ResultSet::builder()
                    .result_set_metadata(metadata)
                    .set_rows(Some(rows))
                    .build(),
            )
            .set_next_token(next.map(str::to_string))
            .build()
    }

    /// Three pages of two rows each (the header on the first only, as
    /// Athena sends it), and the MaxResults each request asked for.
    /// The (NextToken, MaxResults) of each GetQueryResults request.
    type Asked = Arc<Mutex<Vec<(Option<String>, i32)>>>;

    fn paged_client(asked: Asked) -> Athena {
        let pages = mock!(Client::get_query_results)
            .match_requests(move |req| {
                asked.lock().unwrap().push((
                    req.next_token().map(str::to_string),
                    req.max_results().unwrap_or(0),
                ));
                true
            })
            .sequence()
            .output(|| {
                page(
                    vec![
                        row(&[Some("n"), Some("s")]),
                        row(&[Some("1"), None]),
                        row(&[Some("2"), Some("")]),
                    ],
                    Some("t1"),
                )
            })
            .output(|| {
                page(
                    vec![row(&[Some("3"), Some("c")]), row(&[Some("4"), Some("d")])],
                    Some("t2"),
                )
            })
            .output(|| {
                page(
                    vec![row(&[Some("5"), Some("e")]), row(&[Some("6"), Some("f")])],
                    None,
                )
            })
            .build();
        Athena::new(mock_client!(aws_sdk_athena, RuleMode::MatchAny, [&pages]))
    }

    fn status(kind: &str) -> QueryStatus {
        QueryStatus {
            id: "q-1".into(),
            query: "SELECT n, s FROM t".into(),
            state: QueryState::Succeeded,
            reason: None,
            statement_type: Some(kind.into()),
            bytes_scanned: 0,
            engine_ms: 0,
            queue_ms: 0,
            output_location: None,
            parameters: Vec::new(),
            client_side_encrypted: false,
        }
    }

    async fn all_rows(results: &mut Results) -> Vec<crate::model::athena::ResultRow> {
        let mut rows = Vec::new();
        while let Some(page) = results.next_rows().await.unwrap() {
            rows.extend(page.to_rows());
        }
        rows
    }

    #[tokio::test]
    async fn every_page_is_followed_and_only_the_first_row_of_a_dml_result_is_dropped() {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let athena = paged_client(asked.clone());
        let mut results = Results::new(&athena, &status("DML"), None);
        let rows = all_rows(&mut results).await;
        let firsts: Vec<_> = rows.iter().map(|r| r[0].clone().unwrap()).collect();
        assert_eq!(firsts, ["1", "2", "3", "4", "5", "6"]);
        assert_eq!(rows[0][1], None, "no VarCharValue is NULL");
        assert_eq!(rows[1][1].as_deref(), Some(""), "an empty string stays one");
        assert_eq!(results.columns()[0].type_name, "integer");
        assert!(!results.truncated());
        let asked = asked.lock().unwrap().clone();
        assert_eq!(
            asked,
            [
                (None, 1000),
                (Some("t1".into()), 1000),
                (Some("t2".into()), 1000)
            ]
        );
    }

    #[tokio::test]
    async fn a_utility_result_keeps_its_first_row() {
        let athena = paged_client(Arc::default());
        let mut results = Results::new(&athena, &status("UTILITY"), None);
        let rows = all_rows(&mut results).await;
        assert_eq!(rows.len(), 7);
        assert_eq!(rows[0][0].as_deref(), Some("n"));
    }

    #[tokio::test]
    async fn max_rows_asks_for_no_more_than_it_needs_and_says_it_cut() {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let athena = paged_client(asked.clone());
        let mut results = Results::new(&athena, &status("DML"), Some(3));
        let rows = all_rows(&mut results).await;
        assert_eq!(rows.len(), 3);
        assert!(results.truncated());
        // 3 rows + the header, then the one row still wanted.
        assert_eq!(
            asked.lock().unwrap().clone(),
            [(None, 4), (Some("t1".into()), 1)]
        );
    }

    #[tokio::test]
    async fn a_failed_query_carries_athenas_reason_and_its_statistics() {
        let rule = mock!(Client::get_query_execution)
            .sequence()
            .output(|| execution(QueryExecutionState::Queued, StatementType::Dml))
            .output(|| execution(QueryExecutionState::Running, StatementType::Dml))
            .output(|| execution(QueryExecutionState::Failed, StatementType::Dml))
            .build();
        let athena = Athena::new(mock_client!(aws_sdk_athena, RuleMode::MatchAny, [&rule]));
        let mut polls = 0;
        let waited = wait(&athena, "q-1", None, &mut polls).await.unwrap();
        let Waited::Finished(status) = waited else {
            panic!("finished expected: {waited:?}")
        };
        assert_eq!(status.state, QueryState::Failed);
        assert_eq!(
            status.reason.as_deref(),
            Some("COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved")
        );
        assert_eq!(status.bytes_scanned, 3 << 20);
        assert_eq!((status.engine_ms, status.queue_ms), (1234, 56));
        assert_eq!(polls, 3);
    }

    #[tokio::test]
    async fn a_wait_past_its_deadline_returns_the_last_status() {
        let rule = mock!(Client::get_query_execution)
            .then_output(|| execution(QueryExecutionState::Running, StatementType::Utility));
        let athena = Athena::new(mock_client!(aws_sdk_athena, RuleMode::MatchAny, [&rule]));
        let mut polls = 0;
        let started = Instant::now();
        let deadline = started + Duration::from_millis(700);
        let waited = wait(&athena, "q-1", Some(deadline), &mut polls)
            .await
            .unwrap();
        let Waited::TimedOut(status) = waited else {
            panic!("timed out expected: {waited:?}")
        };
        assert_eq!(status.state, QueryState::Running);
        assert_eq!(status.statement_type.as_deref(), Some("UTILITY"));
        assert!(started.elapsed() >= Duration::from_millis(700));
        assert!(started.elapsed() < Duration::from_millis(1500));
        // 100-200 ms, then 150-300, 225-450, ...: a handful of polls.
        assert!((3..=7).contains(&polls), "{polls} polls in 0.7 s");
    }
}
