//! The partitioner as an AWS Lambda function, the crawler replacement run on
//! a schedule. The event names one table or several; the handler runs the
//! partitioner on each (read, plan, create) and returns what it found and
//! created. The Lambda runtime lives in this crate's binary; the handler is
//! a plain async function over the glutil library, so it is tested
//! without the runtime.

use std::time::{Duration, SystemTime};

use aws_config::{Region, SdkConfig};
use glutil::apply::Writes;
use glutil::aws::{Aws, AwsOptions, DEFAULT_ATTEMPT_TIMEOUT};
use glutil::model::outcome::Failure;
use glutil::model::scope::{Date, WalkScope};
use glutil::plan::create::plan_snapshot;
use glutil::progress::NoProgress;
use glutil::read::snapshot::read_scoped;
use serde::{Deserialize, Serialize};

pub mod events;

pub use events::{EventState, EventSummary};

/// Requests in flight per stage, as the command-line default.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// One table to partition.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableEvent {
    /// Glue database.
    pub database: String,
    /// Table in that database.
    pub table: String,
    /// Region of the catalog and bucket; default: the function's region
    /// (or the event's top-level `region`).
    #[serde(default)]
    pub region: Option<String>,
    /// Only today and the N days before it (keys year, month, day first).
    #[serde(default)]
    pub limit_days: Option<u32>,
    /// Fixed values for the leading partition keys.
    #[serde(default)]
    pub prefix: Vec<String>,
    /// Plan only; create nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Several tables in one event; `region` applies to those without one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManyTables {
    tables: Vec<TableEvent>,
    #[serde(default)]
    region: Option<String>,
}

/// Reads an event: `{"database": ..., "table": ...}` with optional
/// `region`, `limit_days`, `prefix` and `dry_run`, or `{"tables": [...]}`
/// of those. The error names what is wrong.
pub fn parse_event(event: &serde_json::Value) -> Result<Vec<TableEvent>, String> {
    let invalid = |e: serde_json::Error| format!("invalid event: {e}");
    if event.get("tables").is_some() {
        let many: ManyTables = serde_json::from_value(event.clone()).map_err(invalid)?;
        if many.tables.is_empty() {
            return Err("invalid event: `tables` is empty".into());
        }
        Ok(many
            .tables
            .into_iter()
            .map(|mut t| {
                if t.region.is_none() {
                    t.region = many.region.clone();
                }
                t
            })
            .collect())
    } else {
        let one: TableEvent = serde_json::from_value(event.clone()).map_err(invalid)?;
        Ok(vec![one])
    }
}

/// What the partitioner did to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableSummary {
    /// Glue database.
    pub database: String,
    /// The table.
    pub table: String,
    /// The region used.
    pub region: String,
    /// True when nothing was written.
    pub dry_run: bool,
    /// Partitions found in S3.
    pub found: u64,
    /// Of those, partitions the catalog already had.
    pub already_present: u64,
    /// Partitions found and not in the catalog: to create.
    pub to_create: u64,
    /// Partitions created (none in a dry run).
    pub created: u64,
    /// Values claimed by two folders; not created.
    pub conflicts: u64,
    /// Partitions that could not be created.
    pub failed: Vec<Failure>,
    /// Why the table could not be partitioned at all, if it could not.
    pub error: Option<String>,
    /// What the run did that may not be what was meant: partitions
    /// registered on a table with Athena partition projection (Athena
    /// ignores them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The handler's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LambdaSummary {
    /// One entry per table, in event order.
    pub tables: Vec<TableSummary>,
    /// Partitions created over all tables.
    pub created: u64,
    /// Tables with an error or failed partitions.
    pub tables_failed: u64,
}

impl LambdaSummary {
    /// The invocation's result: the summary, or an error carrying it when
    /// some table failed (so that Lambda's error metrics and alarms see it).
    pub fn into_result(self) -> Result<Self, String> {
        if self.tables_failed == 0 {
            Ok(self)
        } else {
            Err(format!(
                "{} of {} tables failed: {}",
                self.tables_failed,
                self.tables.len(),
                serde_json::to_string(&self).unwrap_or_default()
            ))
        }
    }
}

/// Handles one event. `sdk` is the function's AWS configuration, loaded
/// once per cold start; a table's `region` overrides its region. Every
/// table is tried even when an earlier one fails.
pub async fn handle(
    event: &serde_json::Value,
    sdk: &SdkConfig,
    concurrency: usize,
) -> Result<LambdaSummary, String> {
    handle_until(event, sdk, concurrency, None).await
}

/// How long one AWS attempt may take when the invocation ends at
/// `deadline`: the command line's 30 s, or less when less time is left (a
/// second kept back to answer), and at least a second.
pub fn attempt_timeout(deadline: Option<SystemTime>, now: SystemTime) -> Duration {
    let Some(deadline) = deadline else {
        return DEFAULT_ATTEMPT_TIMEOUT;
    };
    let left = deadline.duration_since(now).unwrap_or(Duration::ZERO);
    left.saturating_sub(Duration::from_secs(1))
        .clamp(Duration::from_secs(1), DEFAULT_ATTEMPT_TIMEOUT)
}

/// [`handle`] for an invocation that must answer by `deadline` (from the
/// runtime's context): no AWS attempt waits past it.
pub async fn handle_until(
    event: &serde_json::Value,
    sdk: &SdkConfig,
    concurrency: usize,
    deadline: Option<SystemTime>,
) -> Result<LambdaSummary, String> {
    let tables = parse_event(event)?;
    Ok(run_tables(tables, sdk, concurrency, deadline).await)
}

/// Partitions each table in turn; every table is tried even when an
/// earlier one fails.
async fn run_tables(
    tables: Vec<TableEvent>,
    sdk: &SdkConfig,
    concurrency: usize,
    deadline: Option<SystemTime>,
) -> LambdaSummary {
    let mut summary = LambdaSummary::default();
    for t in tables {
        let options = AwsOptions {
            attempt_timeout: Some(attempt_timeout(deadline, SystemTime::now())),
            ..AwsOptions::default()
        };
        let result = partition_one(&t, sdk, &options, concurrency).await;
        let entry = match result {
            Ok(entry) => entry,
            Err((region, err)) => TableSummary {
                database: t.database.clone(),
                table: t.table.clone(),
                region,
                dry_run: t.dry_run,
                error: Some(err),
                ..TableSummary::default()
            },
        };
        summary.created += entry.created;
        if entry.error.is_some() || !entry.failed.is_empty() {
            summary.tables_failed += 1;
        }
        summary.tables.push(entry);
    }
    summary
}

/// Handles any event the function receives: S3 notifications (directly,
/// through SQS, SNS or EventBridge) on the event path for the tables
/// `state` watches, anything else as a scheduled run's table list. The
/// answer is the summary (or, for SQS, the partial batch response); an
/// error fails the invocation so that Lambda retries it. `log` receives
/// the event path's summary, for the function's log.
pub async fn handle_any(
    event: &serde_json::Value,
    sdk: &SdkConfig,
    concurrency: usize,
    deadline: Option<SystemTime>,
    state: &EventState,
    log: impl FnOnce(&EventSummary),
) -> Result<serde_json::Value, String> {
    if glutil::model::events::is_notification(event) {
        let answer = events::handle_notifications(event, sdk, concurrency, deadline, state).await;
        log(&answer.summary);
        return answer.into_result();
    }
    let summary = match event.get("watched").and_then(serde_json::Value::as_bool) {
        // The schedule's safety net: walk every watched table.
        Some(true) => {
            let scheduled = events::watched_walk(event, sdk, deadline, state).await?;
            run_tables(scheduled, sdk, concurrency, deadline).await
        }
        _ => handle_until(event, sdk, concurrency, deadline).await?,
    };
    serde_json::to_value(summary.into_result()?).map_err(|e| e.to_string())
}

/// Serves invocations from the Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API`
/// and the other variables Lambda sets) until the process ends: each
/// event goes to [`handle_any`] with the invocation's deadline; `log`
/// receives the event path's summaries.
pub async fn serve(
    sdk: std::sync::Arc<SdkConfig>,
    concurrency: usize,
    state: std::sync::Arc<EventState>,
    log: fn(&EventSummary),
) -> Result<(), lambda_runtime::Error> {
    use lambda_runtime::{service_fn, LambdaEvent};
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let (sdk, state) = (std::sync::Arc::clone(&sdk), std::sync::Arc::clone(&state));
        async move {
            let deadline = std::time::UNIX_EPOCH + Duration::from_millis(event.context.deadline);
            let answer = handle_any(
                &event.payload,
                &sdk,
                concurrency,
                Some(deadline),
                &state,
                log,
            )
            .await?;
            Ok::<_, lambda_runtime::Error>(answer)
        }
    }))
    .await
}

async fn partition_one(
    t: &TableEvent,
    sdk: &SdkConfig,
    options: &AwsOptions,
    concurrency: usize,
) -> Result<TableSummary, (String, String)> {
    let mut config = sdk.to_builder();
    if let Some(region) = &t.region {
        config.set_region(Some(Region::new(region.clone())));
    }
    let config = config.build();
    let region = config.region().map(|r| r.to_string()).unwrap_or_default();
    let fail = |err: glutil::Error| (region.clone(), glutil::error::full_message(&err));
    if let Some(r) = &t.region {
        glutil::aws::client::check_region(r).map_err(fail)?;
    }
    let aws = Aws::from_sdk_config(options, &config).map_err(fail)?;
    let scope = |table: &glutil::model::Table| {
        WalkScope::new(
            &table.partition_keys,
            t.prefix.clone(),
            t.limit_days,
            Date::today_utc(),
        )
    };
    let mut snapshot = read_scoped(&aws, &t.database, &t.table, scope, concurrency, &NoProgress)
        .await
        .map_err(fail)?;
    let plan = plan_snapshot(&mut snapshot);
    let outcome = if t.dry_run || plan.to_create.is_empty() {
        Default::default()
    } else {
        Writes::CreateFound(&snapshot.table, &plan.to_create)
            .apply(&aws.catalog(), concurrency, &NoProgress)
            .await
    };
    let warnings = snapshot
        .table
        .projected
        .then(|| glutil::model::kind::projection_warning(&snapshot.table.qualified_name()))
        .into_iter()
        .collect();
    Ok(TableSummary {
        database: snapshot.table.database,
        table: snapshot.table.name,
        region,
        dry_run: t.dry_run,
        found: plan.found,
        already_present: plan.already_present + outcome.already_done,
        to_create: plan.to_create.len() as u64,
        created: outcome.applied,
        conflicts: snapshot.discovery.conflicts.len() as u64,
        failed: outcome.failed,
        error: None,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_table_or_many_with_a_shared_region() {
        assert_eq!(
            parse_event(&json!({"database": "d", "table": "t", "limit_days": 2})).unwrap(),
            vec![TableEvent {
                database: "d".into(),
                table: "t".into(),
                region: None,
                limit_days: Some(2),
                prefix: vec![],
                dry_run: false,
            }]
        );
        let many = parse_event(&json!({
            "region": "eu-west-1",
            "tables": [
                {"database": "d", "table": "a"},
                {"database": "d", "table": "b", "region": "us-east-2"}
            ]
        }))
        .unwrap();
        let regions: Vec<_> = many.iter().map(|t| t.region.as_deref()).collect();
        assert_eq!(regions, [Some("eu-west-1"), Some("us-east-2")]);
    }

    #[test]
    fn bad_events_say_what_is_wrong() {
        for (event, needle) in [
            (json!({"table": "t"}), "missing field `database`"),
            (
                json!({"database": "d", "table": "t", "limit": 3}),
                "unknown field `limit`",
            ),
            (
                json!({"database": "d", "table": "t", "limit_days": -1}),
                "expected u32",
            ),
            (json!({"tables": []}), "`tables` is empty"),
            (
                json!({"tables": [{"database": "d"}]}),
                "missing field `table`",
            ),
            (json!("partition everything"), "invalid event"),
        ] {
            let err = parse_event(&event).unwrap_err();
            assert!(err.contains(needle), "{event}: {err}");
        }
    }

    #[test]
    fn attempts_never_wait_past_the_invocation_deadline() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(attempt_timeout(None, now), DEFAULT_ATTEMPT_TIMEOUT);
        let in_10s = Some(now + Duration::from_secs(10));
        assert_eq!(attempt_timeout(in_10s, now), Duration::from_secs(9));
        let in_5min = Some(now + Duration::from_secs(300));
        assert_eq!(attempt_timeout(in_5min, now), DEFAULT_ATTEMPT_TIMEOUT);
        let passed = Some(now - Duration::from_secs(1));
        assert_eq!(attempt_timeout(passed, now), Duration::from_secs(1));
    }

    #[test]
    fn a_failed_table_fails_the_invocation_with_the_summary() {
        let ok = LambdaSummary {
            tables: vec![TableSummary::default()],
            created: 3,
            tables_failed: 0,
        };
        assert_eq!(ok.clone().into_result(), Ok(ok));
        let failed = LambdaSummary {
            tables: vec![TableSummary {
                error: Some("table `x` was not found".into()),
                ..TableSummary::default()
            }],
            created: 0,
            tables_failed: 1,
        };
        let err = failed.into_result().unwrap_err();
        assert!(err.starts_with("1 of 1 tables failed"), "{err}");
        assert!(err.contains("table `x` was not found"), "{err}");
    }
}
