//! Athena, one request at a time: start a query, read its status, stop it,
//! read one page of its results. Waiting and paging policies live with the
//! callers; this file speaks the model's types and keeps the SDK's here.
//!
//! Throttling (`TooManyRequestsException` on StartQueryExecution, Athena's
//! answer at the account's concurrency limit) is retried by the SDK's
//! standard retry mode with backoff and jitter, `--max-attempts` times;
//! the client request token the SDK fills in makes those retries start one
//! query, not several.

use aws_sdk_athena::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_athena::operation::get_query_results::GetQueryResultsOutput;
use aws_sdk_athena::types::{QueryExecution, QueryExecutionContext, ResultConfiguration};

use crate::error::{Error, Result};
use crate::model::athena::{QueryState, QueryStatus, ResultColumn, ResultPage, ResultRow};

/// GetQueryResults returns at most 1000 rows per page.
pub const MAX_PAGE_ROWS: i32 = 1000;

/// Where and how queries run.
#[derive(Debug, Clone, Default)]
pub struct QueryContext {
    /// The database unqualified names refer to.
    pub database: Option<String>,
    /// The data catalog (`AwsDataCatalog` unless told).
    pub catalog: Option<String>,
    /// The workgroup (`primary` unless told).
    pub workgroup: Option<String>,
    /// Where results go, when the workgroup does not say.
    pub output_location: Option<String>,
}

/// Athena through one client.
#[derive(Debug, Clone)]
pub struct Athena {
    client: aws_sdk_athena::Client,
}

impl Athena {
    pub(crate) fn new(client: aws_sdk_athena::Client) -> Self {
        Self { client }
    }

    /// Starts one statement and returns its query execution id.
    pub async fn start(&self, sql: &str, context: &QueryContext) -> Result<String> {
        let execution_context = QueryExecutionContext::builder()
            .set_database(context.database.clone())
            .set_catalog(context.catalog.clone())
            .build();
        let result_configuration = context.output_location.as_ref().map(|location| {
            ResultConfiguration::builder()
                .output_location(location)
                .build()
        });
        let output = self
            .client
            .start_query_execution()
            .query_string(sql)
            .query_execution_context(execution_context)
            .set_result_configuration(result_configuration)
            .set_work_group(context.workgroup.clone())
            .send()
            .await
            .map_err(|err| athena_error("StartQueryExecution", "the statement", err))?;
        output
            .query_execution_id
            .ok_or_else(|| missing("StartQueryExecution", "a query execution id"))
    }

    /// The state and statistics of one query.
    pub async fn status(&self, id: &str) -> Result<QueryStatus> {
        let output = self
            .client
            .get_query_execution()
            .query_execution_id(id)
            .send()
            .await
            .map_err(|err| athena_error("GetQueryExecution", id, err))?;
        let execution = output
            .query_execution
            .ok_or_else(|| missing("GetQueryExecution", "the query execution"))?;
        to_status(id, execution)
    }

    /// Asks Athena to stop a query. Stopping one that already finished is
    /// not an error.
    pub async fn stop(&self, id: &str) -> Result<()> {
        self.client
            .stop_query_execution()
            .query_execution_id(id)
            .send()
            .await
            .map_err(|err| athena_error("StopQueryExecution", id, err))?;
        Ok(())
    }

    /// One page of a finished query's results, `max_rows` at most (1000).
    pub async fn page(&self, id: &str, token: Option<String>, max_rows: i32) -> Result<ResultPage> {
        let output = self
            .client
            .get_query_results()
            .query_execution_id(id)
            .set_next_token(token)
            .max_results(max_rows.clamp(1, MAX_PAGE_ROWS))
            .send()
            .await
            .map_err(|err| athena_error("GetQueryResults", id, err))?;
        Ok(to_page(output))
    }
}

fn to_status(id: &str, execution: QueryExecution) -> Result<QueryStatus> {
    let status = execution
        .status
        .unwrap_or_else(|| aws_sdk_athena::types::QueryExecutionStatus::builder().build());
    let state_name = status.state.as_ref().map(|s| s.as_str()).unwrap_or("");
    let state = QueryState::parse(state_name).ok_or_else(|| {
        missing(
            "GetQueryExecution",
            &format!("a known state (got `{state_name}`)"),
        )
    })?;
    let reason = status
        .athena_error
        .and_then(|e| e.error_message)
        .or(status.state_change_reason)
        .filter(|r| !r.is_empty());
    let statistics = execution
        .statistics
        .unwrap_or_else(|| aws_sdk_athena::types::QueryExecutionStatistics::builder().build());
    let non_negative = |v: Option<i64>| v.unwrap_or(0).max(0) as u64;
    Ok(QueryStatus {
        id: id.to_string(),
        query: execution.query.unwrap_or_default(),
        state,
        reason,
        statement_type: execution.statement_type.map(|t| t.as_str().to_string()),
        bytes_scanned: non_negative(statistics.data_scanned_in_bytes),
        engine_ms: non_negative(statistics.engine_execution_time_in_millis),
        queue_ms: non_negative(statistics.query_queue_time_in_millis),
        output_location: execution
            .result_configuration
            .and_then(|c| c.output_location),
    })
}

fn to_page(output: GetQueryResultsOutput) -> ResultPage {
    let result_set = output
        .result_set
        .unwrap_or_else(|| aws_sdk_athena::types::ResultSet::builder().build());
    let columns = result_set
        .result_set_metadata
        .and_then(|m| m.column_info)
        .unwrap_or_default()
        .into_iter()
        .map(|c| ResultColumn {
            name: c.label.filter(|l| !l.is_empty()).unwrap_or(c.name),
            type_name: c.r#type,
            precision: Some(c.precision),
            scale: Some(c.scale),
        })
        .collect();
    let rows = result_set
        .rows
        .unwrap_or_default()
        .into_iter()
        .map(|row| -> ResultRow {
            row.data
                .unwrap_or_default()
                .into_iter()
                .map(|cell| cell.var_char_value)
                .collect()
        })
        .collect();
    ResultPage {
        columns,
        rows,
        next_token: output.next_token.filter(|t| !t.is_empty()),
    }
}

/// A failed request as the library's error: InvalidRequestException (an
/// unknown id, a statement Athena refuses) is the caller's mistake; the
/// rest is Athena failing.
fn athena_error<E, R>(operation: &'static str, target: &str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if err.code() == Some("InvalidRequestException") {
        Error::AthenaRejected {
            operation,
            target: target.to_string(),
            message: crate::error::full_message(&err),
        }
    } else {
        Error::Athena {
            operation,
            target: target.to_string(),
            source: err.into(),
        }
    }
}

fn missing(operation: &'static str, what: &str) -> Error {
    Error::Athena {
        operation,
        target: String::new(),
        source: format!("the answer holds no {what}").into(),
    }
}
