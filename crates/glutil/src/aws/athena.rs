//! Athena, one request at a time: start a query, read its status, stop it,
//! read one page of its results. Waiting and paging policies live with the
//! callers; this file speaks the model's types and keeps the SDK's here.
//!
//! Throttling (`TooManyRequestsException` on StartQueryExecution, Athena's
//! answer at the account's concurrency limit) is retried by the SDK's
//! standard retry mode with backoff and jitter, `--max-attempts` times, and
//! then in glutil's rounds; the one client request token set per statement
//! makes all those attempts start one query, not several.

use aws_sdk_athena::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_athena::operation::get_query_results::GetQueryResultsOutput;
use aws_sdk_athena::types::{QueryExecution, QueryExecutionContext, ResultConfiguration};
use aws_smithy_runtime_api::http::Response;

use crate::aws::failure::{from_sdk, jitter, AwsFailure, FailureKind, Rounds};
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
    rounds: Rounds,
}

impl Athena {
    pub(crate) fn new(client: aws_sdk_athena::Client) -> Self {
        Self {
            client,
            rounds: Rounds::default(),
        }
    }

    /// The same client, sending a request again in `rounds` while it fails
    /// with errors that may pass.
    pub(crate) fn with_rounds(self, rounds: Rounds) -> Self {
        Self { rounds, ..self }
    }

    /// Sends one request (`call` makes it), in rounds; an error becomes
    /// the library's, named by `operation` and `target`.
    async fn send<T, E, F, Fut>(&self, operation: &'static str, target: &str, call: F) -> Result<T>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, SdkError<E, Response>>>,
    {
        let attempts = self.rounds.attempts_per_round;
        self.rounds
            .run(|| {
                let sent = call();
                async move { sent.await.map_err(|e| from_sdk(&e, attempts)) }
            })
            .await
            .map_err(|failure| athena_error(operation, target, failure))
    }

    /// Starts one statement and returns its query execution id;
    /// `parameters` (SQL literals) fill its `?` placeholders in order
    /// (`ExecutionParameters`), the text itself is sent unchanged.
    pub async fn start(
        &self,
        sql: &str,
        parameters: &[String],
        context: &QueryContext,
    ) -> Result<String> {
        let parameters = (!parameters.is_empty()).then(|| parameters.to_vec());
        let execution_context = QueryExecutionContext::builder()
            .set_database(context.database.clone())
            .set_catalog(context.catalog.clone())
            .build();
        let result_configuration = context.output_location.as_ref().map(|location| {
            ResultConfiguration::builder()
                .output_location(location)
                .build()
        });
        // One token for every attempt and round: Athena starts one query
        // for it, however often it is asked.
        let token = request_token();
        let output = self
            .send("StartQueryExecution", "the statement", || {
                self.client
                    .start_query_execution()
                    .query_string(sql)
                    .client_request_token(&token)
                    .query_execution_context(execution_context.clone())
                    .set_execution_parameters(parameters.clone())
                    .set_result_configuration(result_configuration.clone())
                    .set_work_group(context.workgroup.clone())
                    .send()
            })
            .await?;
        output
            .query_execution_id
            .ok_or_else(|| missing("StartQueryExecution", "a query execution id"))
    }

    /// The state and statistics of one query.
    pub async fn status(&self, id: &str) -> Result<QueryStatus> {
        let output = self
            .send("GetQueryExecution", id, || {
                self.client
                    .get_query_execution()
                    .query_execution_id(id)
                    .send()
            })
            .await?;
        let execution = output
            .query_execution
            .ok_or_else(|| missing("GetQueryExecution", "the query execution"))?;
        to_status(id, execution)
    }

    /// Asks Athena to stop a query. Stopping one that already finished is
    /// not an error.
    pub async fn stop(&self, id: &str) -> Result<()> {
        self.send("StopQueryExecution", id, || {
            self.client
                .stop_query_execution()
                .query_execution_id(id)
                .send()
        })
        .await?;
        Ok(())
    }

    /// One page of a finished query's results, `max_rows` at most (1000).
    pub async fn page(&self, id: &str, token: Option<String>, max_rows: i32) -> Result<ResultPage> {
        let output = self
            .send("GetQueryResults", id, || {
                self.client
                    .get_query_results()
                    .query_execution_id(id)
                    .set_next_token(token.clone())
                    .max_results(max_rows.clamp(1, MAX_PAGE_ROWS))
                    .send()
            })
            .await?;
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
        client_side_encrypted: execution
            .result_configuration
            .as_ref()
            .and_then(|c| c.encryption_configuration.as_ref())
            .is_some_and(|e| e.encryption_option.as_str() == "CSE_KMS"),
        output_location: execution
            .result_configuration
            .and_then(|c| c.output_location),
        parameters: execution.execution_parameters.unwrap_or_default(),
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
fn athena_error(operation: &'static str, target: &str, failure: AwsFailure) -> Error {
    if failure.code.as_deref() == Some("InvalidRequestException") {
        Error::AthenaRejected {
            operation,
            target: target.to_string(),
            message: failure.message_text(),
        }
    } else {
        Error::athena(operation, target, failure)
    }
}

/// A client request token: 32 to 128 characters, new for each statement.
fn request_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "glutil-{nanos:032x}-{:08x}-{:016x}",
        std::process::id(),
        jitter(u64::MAX)
    )
}

fn missing(operation: &'static str, what: &str) -> Error {
    Error::athena(
        operation,
        "",
        AwsFailure::local(
            FailureKind::Other,
            "UnexpectedAnswer",
            format!("the answer holds no {what}"),
        ),
    )
}
