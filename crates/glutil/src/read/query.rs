//! Waiting for an Athena query and reading its results: polls that back
//! off from about 200 ms to about 5 s with jitter and give up at a
//! deadline, and results read a page at a time (every page followed, the
//! header row dropped only where Athena sends one, at most `max_rows`).
//! Stopping a query is the caller's decision: on a timeout, or when the
//! user presses Ctrl-C while the wait is in progress.

use std::time::{Duration, Instant};

use crate::aws::athena::{Athena, MAX_PAGE_ROWS};
use crate::error::Result;
use crate::model::athena::{has_header_row, poll_delay, QueryStatus, ResultColumn, ResultRow};

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

/// A finished query's results, read one page at a time.
#[derive(Debug)]
pub struct Results {
    athena: Athena,
    id: String,
    header: bool,
    token: Option<String>,
    started: bool,
    finished: bool,
    left: Option<u64>,
    truncated: bool,
    columns: Vec<ResultColumn>,
}

impl Results {
    /// The results of a SUCCEEDED query, `max_rows` rows at most (all
    /// when `None`; at least one is read, for the columns).
    pub fn new(athena: &Athena, status: &QueryStatus, max_rows: Option<u64>) -> Self {
        Self {
            athena: athena.clone(),
            id: status.id.clone(),
            header: has_header_row(status.statement_type.as_deref()),
            token: None,
            started: false,
            finished: false,
            left: max_rows.map(|n| n.max(1)),
            truncated: false,
            columns: Vec::new(),
        }
    }

    /// The next rows, or `None` after the last page (or `max_rows`). The
    /// columns are known after the first call.
    pub async fn next_rows(&mut self) -> Result<Option<Vec<ResultRow>>> {
        if self.finished {
            return Ok(None);
        }
        let skip = usize::from(self.header && !self.started);
        let wanted = self
            .left
            .map_or(MAX_PAGE_ROWS as u64, |left| left + skip as u64);
        let page = self
            .athena
            .page(
                &self.id,
                self.token.take(),
                wanted.min(MAX_PAGE_ROWS as u64) as i32,
            )
            .await?;
        if !self.started {
            self.columns = page.columns;
            self.started = true;
        }
        let mut rows: Vec<ResultRow> = page.rows.into_iter().skip(skip).collect();
        if let Some(left) = self.left.as_mut() {
            if rows.len() as u64 >= *left {
                let more = rows.len() as u64 > *left || page.next_token.is_some();
                rows.truncate(*left as usize);
                self.truncated = more;
                self.finished = true;
            }
            *left -= rows.len() as u64;
        }
        self.token = page.next_token;
        self.finished |= self.token.is_none();
        Ok(Some(rows))
    }

    /// The result set's columns (empty until the first page is read).
    pub fn columns(&self) -> &[ResultColumn] {
        &self.columns
    }

    /// True when `max_rows` cut the results short.
    pub fn truncated(&self) -> bool {
        self.truncated
    }
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
        }
    }

    async fn all_rows(results: &mut Results) -> Vec<ResultRow> {
        let mut rows = Vec::new();
        while let Some(page) = results.next_rows().await.unwrap() {
            rows.extend(page);
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
