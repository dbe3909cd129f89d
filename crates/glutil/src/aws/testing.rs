//! Clients built exactly as a run builds them ([`Aws::from_sdk_config`]),
//! whose HTTP answers come from a script instead of AWS: for what neither
//! moto nor per-operation mocks show (the SDK's own retries and quota, the
//! attempt timeout, an expired token halfway through a write). Time is
//! tokio's paused clock in these tests, so backoffs and timeouts cost
//! nothing.

use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use crate::aws::{Aws, AwsOptions};

/// One request as the script sees it.
#[derive(Debug, Clone)]
pub struct Sent {
    /// `BatchCreatePartition`, from `X-Amz-Target` (Glue, Athena), or the
    /// HTTP method and path (S3).
    pub operation: String,
    /// The body, as text.
    pub body: String,
}

/// What the script answers.
pub enum Answer {
    /// An HTTP status and body.
    Reply(u16, String),
    /// No answer, ever (a hung request).
    Hang,
}

/// A Glue error as Glue sends it.
pub fn glue_error(status: u16, code: &str, message: &str) -> Answer {
    Answer::Reply(
        status,
        serde_json::json!({"__type": code, "message": message}).to_string(),
    )
}

/// A 200 with a JSON body.
pub fn ok(body: serde_json::Value) -> Answer {
    Answer::Reply(200, body.to_string())
}

type Script = dyn Fn(&Sent, usize) -> Answer + Send + Sync;

/// An HTTP client that answers from a script, and keeps what was sent.
#[derive(Clone)]
pub struct Scripted {
    script: Arc<Script>,
    sent: Arc<Mutex<Vec<Sent>>>,
}

impl std::fmt::Debug for Scripted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scripted")
    }
}

impl Scripted {
    /// `script(request, n)` answers the n-th request (from 0).
    pub fn new(script: impl Fn(&Sent, usize) -> Answer + Send + Sync + 'static) -> Self {
        Self {
            script: Arc::new(script),
            sent: Arc::default(),
        }
    }

    /// Every request so far, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    /// How many requests of one operation were sent.
    pub fn count(&self, operation: &str) -> usize {
        self.sent()
            .iter()
            .filter(|s| s.operation == operation)
            .count()
    }

    /// An SDK config (us-east-1, static test credentials, tokio's sleep)
    /// whose requests go to this script.
    pub fn sdk(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    "AKID", "secret", None, None, "test",
                )),
            )
            .sleep_impl(aws_smithy_async::rt::sleep::SharedAsyncSleep::new(
                TokioSleep::new(),
            ))
            .http_client(SharedHttpClient::new(self.clone()))
            .build()
    }

    /// The clients a run would build over this script.
    pub fn aws(&self, options: &AwsOptions) -> Aws {
        Aws::from_sdk_config(options, &self.sdk()).unwrap()
    }
}

impl HttpClient for Scripted {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for Scripted {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.split('.').next_back())
            .map(str::to_string)
            .unwrap_or_else(|| format!("{} {}", request.method(), request.uri()));
        let body = request
            .body()
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let sent = Sent { operation, body };
        let n = {
            let mut all = self.sent.lock().unwrap();
            all.push(sent.clone());
            all.len() - 1
        };
        match (self.script)(&sent, n) {
            Answer::Reply(status, body) => {
                let response =
                    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body));
                HttpConnectorFuture::ready(Ok(response))
            }
            Answer::Hang => HttpConnectorFuture::new(std::future::pending()),
        }
    }
}

#[cfg(test)]
mod tests {
    //! A run's clients against scripted answers: what only shows at scale
    //! or on real accounts.

    use std::time::Duration;

    use aws_config::retry::RetryConfig;
    use serde_json::{json, Value};

    use super::*;
    use crate::apply::update_table_checked;
    use crate::model::definition::{PartitionImage, StorageImage, TableImage};
    use crate::model::outcome::StopReason;
    use crate::model::table::TableId;
    use crate::progress::NoProgress;

    fn throttled() -> Answer {
        glue_error(400, "ThrottlingException", "Rate exceeded")
    }

    fn table_json(version: &str, parameters: Value) -> Value {
        json!({"Table": {
            "Name": "t", "DatabaseName": "db", "VersionId": version,
            "TableType": "EXTERNAL_TABLE", "Parameters": parameters,
            "StorageDescriptor": {"Location": "s3://b/t/", "Columns": [{"Name": "x", "Type": "int"}]}
        }})
    }

    fn partitions(n: usize) -> Vec<PartitionImage> {
        (0..n)
            .map(|i| {
                PartitionImage::new(
                    vec![format!("{i:05}")],
                    StorageImage {
                        location: Some(format!("s3://b/t/{i:05}/")),
                        ..StorageImage::default()
                    },
                )
            })
            .collect()
    }

    /// Three of every five answers throttled: a storm that empties the
    /// SDK's default retry quota after about a hundred requests.
    fn storm() -> Scripted {
        Scripted::new(|sent, n| {
            if n % 5 < 3 {
                throttled()
            } else if sent.operation == "GetTable" {
                ok(table_json("1", json!({})))
            } else {
                ok(json!({}))
            }
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_throttling_storm_never_runs_the_retries_dry() {
        let script = storm();
        let catalog = script.aws(&AwsOptions::default()).catalog();
        for i in 0..300 {
            catalog
                .table_definition("db", "t")
                .await
                .unwrap_or_else(|e| panic!("request {i} failed: {e}"));
        }
        // The same storm through a client with the SDK's standard quota:
        // this is what a long run used to meet.
        let script = storm();
        let sdk = script.sdk();
        let plain = aws_sdk_glue::Client::from_conf(
            aws_sdk_glue::config::Builder::from(&sdk)
                .retry_config(RetryConfig::standard().with_max_attempts(10))
                .build(),
        );
        let mut failed = 0;
        for _ in 0..300 {
            if plain
                .get_table()
                .database_name("db")
                .name("t")
                .send()
                .await
                .is_err()
            {
                failed += 1;
            }
        }
        assert!(failed > 0, "the SDK's own quota should have run dry");
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_that_never_comes_is_abandoned_and_retried() {
        let script = Scripted::new(|_, n| {
            if n == 0 {
                Answer::Hang
            } else {
                ok(table_json("1", json!({})))
            }
        });
        let options = AwsOptions {
            attempt_timeout: Some(Duration::from_secs(5)),
            ..AwsOptions::default()
        };
        let started = tokio::time::Instant::now();
        let table = script
            .aws(&options)
            .catalog()
            .table_definition("db", "t")
            .await
            .unwrap();
        assert!(table.is_some());
        assert_eq!(script.count("GetTable"), 2);
        assert!(started.elapsed() >= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_whole_request_that_may_pass_is_sent_again() {
        // ConcurrentModificationException and OperationTimeoutException are
        // not retried by the SDK: glutil's rounds send the batch again.
        let flaky = Scripted::new(|_, n| match n {
            0 => glue_error(400, "ConcurrentModificationException", "busy"),
            1 => glue_error(400, "OperationTimeoutException", "slow"),
            _ => ok(json!({})),
        });
        let id = TableId::new("db", "t");
        let outcome = flaky
            .aws(&AwsOptions::default())
            .catalog()
            .create_partitions(&id, &partitions(100), 1, &NoProgress)
            .await;
        assert_eq!(outcome.applied, 100);
        assert!(outcome.failed.is_empty());
        assert_eq!(flaky.count("BatchCreatePartition"), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_past_every_round_fails_the_batch_in_aws_words() {
        let script = Scripted::new(|_, _| throttled());
        let options = AwsOptions {
            max_attempts: Some(2),
            ..AwsOptions::default()
        };
        let outcome = script
            .aws(&options)
            .catalog()
            .create_partitions(&TableId::new("db", "t"), &partitions(3), 1, &NoProgress)
            .await;
        assert_eq!(outcome.failed.len(), 3);
        let failure = &outcome.failed[0];
        assert_eq!(failure.code, "ThrottlingException");
        assert_eq!(
            failure.message,
            "Rate exceeded (BatchCreatePartition, 4 attempts)"
        );
        assert_eq!(script.count("BatchCreatePartition"), 4, "2 rounds of 2");
        assert!(
            outcome.stopped.is_none(),
            "throttling does not stop a write"
        );
    }

    /// BatchCreatePartition answered by `doom` on its third request.
    async fn third_batch_refused(
        code: &str,
        message: &str,
    ) -> (crate::model::outcome::Outcome, Scripted) {
        let (code, message) = (code.to_string(), message.to_string());
        let script = Scripted::new(move |_, n| {
            if n == 2 {
                glue_error(400, &code, &message)
            } else {
                ok(json!({}))
            }
        });
        let outcome = script
            .aws(&AwsOptions::default())
            .catalog()
            .create_partitions(&TableId::new("db", "t"), &partitions(1000), 1, &NoProgress)
            .await;
        (outcome, script)
    }

    #[tokio::test(start_paused = true)]
    async fn an_expired_token_stops_the_write_with_a_true_summary() {
        let (outcome, script) = third_batch_refused(
            "ExpiredTokenException",
            "The security token included in the request is expired",
        )
        .await;
        assert_eq!(
            script.count("BatchCreatePartition"),
            3,
            "no batch after the refusal"
        );
        assert_eq!(outcome.applied, 200);
        assert_eq!(outcome.failed.len(), 100);
        assert_eq!(outcome.not_attempted, 700);
        let stopped = outcome.stopped.unwrap();
        assert_eq!(stopped.reason, StopReason::Credentials);
        assert_eq!(stopped.code, "ExpiredTokenException");
        assert_eq!(stopped.operation, "BatchCreatePartition");
    }

    #[tokio::test(start_paused = true)]
    async fn access_denied_on_a_write_stops_it_and_names_the_action() {
        let denied = "User: arn:aws:iam::123456789012:user/etl is not authorized to perform: glue:BatchCreatePartition on resource: arn:aws:glue:us-east-1:123456789012:table/db/t";
        let (outcome, script) = third_batch_refused("AccessDeniedException", denied).await;
        assert_eq!(script.count("BatchCreatePartition"), 3);
        let stopped = outcome.stopped.unwrap();
        assert_eq!(stopped.reason, StopReason::AccessDenied);
        assert_eq!(
            stopped.to_string(),
            format!("AccessDeniedException on BatchCreatePartition: {denied}")
        );
        let (gone, _) = third_batch_refused("EntityNotFoundException", "Table t not found").await;
        assert_eq!(gone.stopped.unwrap().reason, StopReason::NotFound);
        let (full, _) = third_batch_refused(
            "ResourceNumberLimitExceededException",
            "Number of partitions exceeds the limit",
        )
        .await;
        assert_eq!(full.stopped.unwrap().reason, StopReason::Quota);
    }

    #[tokio::test(start_paused = true)]
    async fn a_concurrent_change_is_read_again_and_planned_again() {
        let script = Scripted::new(|sent, _| match sent.operation.as_str() {
            "UpdateTable" if sent.body.contains("\"VersionId\":\"1\"") => glue_error(
                400,
                "ConcurrentModificationException",
                "Update table failed due to concurrent modifications.",
            ),
            "UpdateTable" => ok(json!({})),
            _ => ok(table_json("2", json!({"crawler": "ran"}))),
        });
        let catalog = script.aws(&AwsOptions::default()).catalog();
        let mut read = TableImage::named("t");
        read.version_id = Some("1".into());
        let mut wanted = read.clone();
        wanted.description = Some("glutil's change".into());
        let recorded = Mutex::new(Vec::new());
        let update = update_table_checked(
            &catalog,
            "db",
            &read,
            &wanted,
            |fresh| {
                let mut again = fresh.clone();
                again.description = Some("glutil's change".into());
                Ok(Some(again))
            },
            |fresh| {
                recorded.lock().unwrap().push(fresh.version_id.clone());
                Ok(())
            },
        )
        .await
        .unwrap();
        assert!(update.written);
        let changed = update.changed_by_others.unwrap();
        assert!(
            changed.contains(&"parameter crawler".to_string()),
            "{changed:?}"
        );
        assert_eq!(*recorded.lock().unwrap(), [Some("2".to_string())]);
        let updates: Vec<Sent> = script
            .sent()
            .into_iter()
            .filter(|s| s.operation == "UpdateTable")
            .collect();
        assert_eq!(updates.len(), 2);
        assert!(
            updates[1].body.contains("\"VersionId\":\"2\""),
            "{}",
            updates[1].body
        );
        assert!(
            updates[1].body.contains("\"crawler\":\"ran\""),
            "the crawler's change stays"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn batch_gets_go_on_while_each_round_makes_progress() {
        // A fifth of the keys per answer, the rest unprocessed: 1000 keys
        // take far more than the old 9 rounds.
        let script = Scripted::new(|sent, _| {
            let request: Value = serde_json::from_str(&sent.body).unwrap();
            let keys = request["PartitionsToGet"].as_array().unwrap().clone();
            let served = keys.len().div_ceil(5).min(40);
            let found: Vec<Value> = keys[..served]
                .iter()
                .map(|k| json!({"Values": k["Values"], "StorageDescriptor": {"Location": "s3://b/t/x/"}}))
                .collect();
            ok(json!({"Partitions": found, "UnprocessedKeys": &keys[served..]}))
        });
        let values: Vec<Vec<String>> = (0..1000).map(|i| vec![i.to_string()]).collect();
        let found = script
            .aws(&AwsOptions::default())
            .catalog()
            .partitions_by_values(&TableId::new("db", "t"), &values, 1)
            .await
            .unwrap();
        assert_eq!(found.len(), 1000);
        assert!(script.count("BatchGetPartition") > 20);

        let stuck = Scripted::new(|sent, _| {
            let request: Value = serde_json::from_str(&sent.body).unwrap();
            ok(json!({"Partitions": [], "UnprocessedKeys": request["PartitionsToGet"]}))
        });
        let options = AwsOptions {
            max_attempts: Some(3),
            ..AwsOptions::default()
        };
        let err = stuck
            .aws(&options)
            .catalog()
            .partitions_by_values(&TableId::new("db", "t"), &values[..5], 1)
            .await
            .unwrap_err();
        assert_eq!(stuck.count("BatchGetPartition"), 3);
        assert!(
            err.to_string()
                .contains("5 keys were still unprocessed after 3 rounds in a row without progress"),
            "{err}"
        );
    }
}
