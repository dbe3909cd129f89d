//! The event path: S3 notifications (directly, through SQS, SNS or
//! EventBridge) register the partitions of the objects they announce, for
//! the tables `GLUTIL_WATCH` names. The watched tables' definitions and
//! the partitions known to exist live per warm container ([`EventState`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use aws_config::SdkConfig;
use glutil::apply::Writes;
use glutil::aws::{Aws, AwsOptions};
use glutil::model::events::{read_notifications, Notifications};
use glutil::model::outcome::Failure;
use glutil::model::Table;
use glutil::plan::events::{parse_watch, plan_events, KnownPartitions, TableEvents, Watched};
use glutil::progress::NoProgress;
use serde::Serialize;

/// Partitions a warm container remembers as existing, at most.
pub const KNOWN_CAPACITY: usize = 100_000;

/// How long the watched tables' definitions are used before they are read
/// again, by default (`GLUTIL_WATCH_TTL_SECONDS`).
pub const DEFAULT_WATCH_TTL: Duration = Duration::from_secs(300);

/// What a warm container keeps between invocations.
#[derive(Debug)]
pub struct EventState {
    watch: Option<String>,
    ttl: Duration,
    tables: Mutex<Option<(Instant, Vec<Table>)>>,
    known: Mutex<KnownPartitions>,
}

impl EventState {
    /// State for the tables `watch` names (`GLUTIL_WATCH`), read again
    /// after `ttl`.
    pub fn new(watch: Option<String>, ttl: Duration) -> Self {
        Self {
            watch,
            ttl,
            tables: Mutex::new(None),
            known: Mutex::new(KnownPartitions::new(KNOWN_CAPACITY)),
        }
    }

    /// State from `GLUTIL_WATCH` and `GLUTIL_WATCH_TTL_SECONDS`.
    pub fn from_env() -> Self {
        let ttl = std::env::var("GLUTIL_WATCH_TTL_SECONDS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_WATCH_TTL, Duration::from_secs);
        Self::new(std::env::var("GLUTIL_WATCH").ok(), ttl)
    }

    /// Partitions remembered as existing.
    pub fn known_len(&self) -> usize {
        self.known.lock().map_or(0, |k| k.len())
    }
}

/// What one table's objects led to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableEventSummary {
    /// Objects under the table's location.
    pub objects: u64,
    /// Of those, objects whose partition was known to exist: no request.
    pub known: u64,
    /// Partitions not known to exist, once each.
    pub new_partitions: u64,
    /// Partitions created.
    pub created: u64,
    /// Partitions that existed already (someone else created them).
    pub already_present: u64,
    /// Objects skipped, by reason (`not_data`, `too_shallow`, ...).
    pub skipped: BTreeMap<&'static str, u64>,
    /// Partitions that could not be created.
    pub failed: Vec<Failure>,
    /// Partitions registered on a table with Athena partition projection
    /// (Athena ignores them): said once per table.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// What an invocation of the event path did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EventSummary {
    /// Objects created, as the event announced them.
    pub objects: u64,
    /// Records acknowledged and ignored (test events, removals).
    pub ignored: u64,
    /// Objects under no watched table.
    pub unmatched: u64,
    /// Per table (`database.table`).
    pub tables: BTreeMap<String, TableEventSummary>,
    /// Partitions created over all tables.
    pub created: u64,
    /// SQS messages to retry (their partitions were not all created).
    pub failed_messages: Vec<String>,
    /// Why nothing could be done, if so (the watched tables could not be read).
    pub error: Option<String>,
}

/// The answer to an invocation of the event path.
pub struct EventAnswer {
    /// What happened (for the log).
    pub summary: EventSummary,
    /// The event came from SQS: answer with `batchItemFailures`.
    pub from_sqs: bool,
    /// Every SQS message id of the batch.
    pub messages: Vec<String>,
}

impl EventAnswer {
    /// The invocation's result: for SQS, a partial batch response naming
    /// the messages to retry; for other sources, an error when anything
    /// failed, so that Lambda retries the event.
    pub fn into_result(self) -> Result<serde_json::Value, String> {
        let failed = !self.summary.failed_messages.is_empty() || self.summary.error.is_some();
        if self.from_sqs {
            let ids: BTreeSet<&String> = match &self.summary.error {
                Some(_) => self.messages.iter().collect(),
                None => self.summary.failed_messages.iter().collect(),
            };
            let failures: Vec<serde_json::Value> = ids
                .into_iter()
                .map(|id| serde_json::json!({"itemIdentifier": id}))
                .collect();
            return Ok(serde_json::json!({"batchItemFailures": failures}));
        }
        if failed || self.summary.tables.values().any(|t| !t.failed.is_empty()) {
            return Err(format!(
                "some partitions could not be created: {}",
                serde_json::to_string(&self.summary).unwrap_or_default()
            ));
        }
        serde_json::to_value(&self.summary).map_err(|e| e.to_string())
    }
}

/// Handles a notification event for the tables `state` watches.
pub async fn handle_notifications(
    event: &serde_json::Value,
    sdk: &SdkConfig,
    concurrency: usize,
    deadline: Option<SystemTime>,
    state: &EventState,
) -> EventAnswer {
    let notifications = read_notifications(event);
    let messages = message_ids(event);
    let mut summary = EventSummary {
        objects: notifications.created.len() as u64,
        ignored: notifications.ignored,
        failed_messages: notifications.unreadable_messages.clone(),
        ..EventSummary::default()
    };
    let answer = |summary| EventAnswer {
        summary,
        from_sqs: notifications.from_sqs,
        messages: messages.clone(),
    };
    if notifications.created.is_empty() {
        return answer(summary);
    }
    let options = AwsOptions {
        attempt_timeout: Some(crate::attempt_timeout(deadline, SystemTime::now())),
        ..AwsOptions::default()
    };
    let aws = match Aws::from_sdk_config(&options, sdk) {
        Ok(aws) => aws,
        Err(err) => {
            summary.error = Some(glutil::error::full_message(&err));
            return answer(summary);
        }
    };
    let tables = match watched_tables(&aws, state).await {
        Ok(tables) => tables,
        Err(err) => {
            summary.error = Some(err);
            return answer(summary);
        }
    };
    register(
        &aws,
        &tables,
        &notifications,
        concurrency,
        state,
        &mut summary,
    )
    .await;
    answer(summary)
}

fn message_ids(event: &serde_json::Value) -> Vec<String> {
    event
        .get("Records")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .filter(|r| r.get("eventSource").and_then(|s| s.as_str()) == Some("aws:sqs"))
        .filter_map(|r| {
            r.get("messageId")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .collect()
}

/// Plans and creates the new partitions, table by table.
async fn register(
    aws: &Aws,
    tables: &[Table],
    notifications: &Notifications,
    concurrency: usize,
    state: &EventState,
    summary: &mut EventSummary,
) {
    let plan = {
        let known = state.known.lock().unwrap_or_else(|p| p.into_inner());
        plan_events(tables, &notifications.created, &known)
    };
    summary.unmatched = plan.unmatched;
    for (name, events) in plan.tables {
        let Some(table) = tables.iter().find(|t| t.qualified_name() == name) else {
            continue;
        };
        let entry = create_new(
            aws,
            table,
            &events,
            concurrency,
            state,
            &mut summary.failed_messages,
        )
        .await;
        summary.created += entry.created;
        summary.tables.insert(name, entry);
    }
    summary.failed_messages.sort();
    summary.failed_messages.dedup();
}

async fn create_new(
    aws: &Aws,
    table: &Table,
    events: &TableEvents,
    concurrency: usize,
    state: &EventState,
    failed_messages: &mut Vec<String>,
) -> TableEventSummary {
    let mut entry = TableEventSummary {
        objects: events.objects,
        known: events.known,
        new_partitions: events.new.len() as u64,
        skipped: events.skipped.clone(),
        warnings: table
            .projected
            .then(|| glutil::model::kind::projection_warning(&table.qualified_name()))
            .into_iter()
            .collect(),
        ..TableEventSummary::default()
    };
    if events.new.is_empty() {
        return entry;
    }
    let outcome = Writes::CreateFound(table, &events.new)
        .apply(&aws.catalog(), concurrency, &NoProgress)
        .await;
    entry.created = outcome.applied;
    entry.already_present = outcome.already_done;
    // When writes stopped early, which partitions were not sent is not
    // known: every message of the table is retried (creates are idempotent).
    let unsure = outcome.not_attempted > 0 || outcome.stopped.is_some();
    let failed: BTreeSet<Vec<String>> = outcome.failed.iter().map(|f| f.values.clone()).collect();
    let mut known = state.known.lock().unwrap_or_else(|p| p.into_inner());
    for partition in &events.new {
        let values = partition.values.to_vec();
        if unsure || failed.contains(&values) {
            failed_messages.extend(
                events
                    .messages
                    .get(&partition.values)
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
        } else {
            known.insert(&table.qualified_name(), partition.values.clone());
        }
    }
    entry.failed = outcome.failed;
    entry
}

/// The watched tables, read once per `ttl` per warm container.
async fn watched_tables(aws: &Aws, state: &EventState) -> Result<Vec<Table>, String> {
    if let Some((read_at, tables)) = state.tables.lock().map_err(|e| e.to_string())?.as_ref() {
        if read_at.elapsed() < state.ttl {
            return Ok(tables.clone());
        }
    }
    let text = state.watch.as_deref().ok_or(
        "GLUTIL_WATCH is not set: name the tables this function serves, e.g. GLUTIL_WATCH=sales.orders,logs.*",
    )?;
    let catalog = aws.catalog();
    let mut tables = Vec::new();
    for watched in parse_watch(text)? {
        let names = match &watched {
            Watched::Table(db, t) => vec![(db.clone(), t.clone())],
            Watched::Database(db) => catalog
                .tables(db)
                .await
                .map_err(|e| glutil::error::full_message(&e))?
                .into_iter()
                .filter(|t| t.skip_reason().is_none())
                .map(|t| (db.clone(), t.name))
                .collect(),
        };
        for (db, name) in names {
            let table = catalog
                .table(&db, &name)
                .await
                .map_err(|e| glutil::error::full_message(&e))?;
            table.check_partitioned().map_err(|e| e.to_string())?;
            tables.push(table);
        }
    }
    *state.tables.lock().map_err(|e| e.to_string())? = Some((Instant::now(), tables.clone()));
    Ok(tables)
}

/// The watched tables as a scheduled run's table list, for the event
/// `{"watched": true}` with optional `limit_days` and `dry_run`.
pub async fn watched_walk(
    event: &serde_json::Value,
    sdk: &SdkConfig,
    deadline: Option<SystemTime>,
    state: &EventState,
) -> Result<Vec<crate::TableEvent>, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Walk {
        #[allow(dead_code)]
        watched: bool,
        #[serde(default)]
        limit_days: Option<u32>,
        #[serde(default)]
        dry_run: bool,
    }
    let walk: Walk =
        serde_json::from_value(event.clone()).map_err(|e| format!("invalid event: {e}"))?;
    let options = AwsOptions {
        attempt_timeout: Some(crate::attempt_timeout(deadline, SystemTime::now())),
        ..AwsOptions::default()
    };
    let aws = Aws::from_sdk_config(&options, sdk).map_err(|e| glutil::error::full_message(&e))?;
    let tables = watched_tables(&aws, state).await?;
    Ok(tables
        .into_iter()
        .map(|t| crate::TableEvent {
            database: t.database,
            table: t.name,
            region: None,
            limit_days: walk.limit_days,
            prefix: Vec::new(),
            dry_run: walk.dry_run,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(from_sqs: bool, failed: &[&str], error: Option<&str>) -> EventAnswer {
        EventAnswer {
            summary: EventSummary {
                failed_messages: failed.iter().map(|s| s.to_string()).collect(),
                error: error.map(str::to_string),
                ..EventSummary::default()
            },
            from_sqs,
            messages: vec!["a".into(), "b".into(), "c".into()],
        }
    }

    #[test]
    fn sqs_answers_name_only_the_messages_to_retry() {
        let ok = answer(true, &[], None).into_result().unwrap();
        assert_eq!(ok, serde_json::json!({"batchItemFailures": []}));
        let some = answer(true, &["b"], None).into_result().unwrap();
        assert_eq!(
            some,
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "b"}]})
        );
        // When the watched tables cannot be read, every message is retried.
        let all = answer(true, &[], Some("AccessDenied"))
            .into_result()
            .unwrap();
        assert_eq!(all["batchItemFailures"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn other_sources_fail_the_invocation_so_lambda_retries() {
        assert!(answer(false, &[], None).into_result().is_ok());
        assert!(answer(false, &[], Some("GLUTIL_WATCH is not set"))
            .into_result()
            .unwrap_err()
            .contains("GLUTIL_WATCH"));
    }
}
