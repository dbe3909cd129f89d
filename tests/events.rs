//! The Lambda's event path end to end against moto: S3 notifications (in
//! SQS, SNS and EventBridge shapes) register exactly the partitions a
//! partitioner run would, once, and a replay costs no write.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use partitioner_lambda::{handle_any, EventState};
use serde_json::{json, Value};

use crate::harness::{endpoint, hourly_table_input, run, Lab, Moto, REGION};

const PARTITIONER: &str = env!("CARGO_BIN_EXE_partitioner");

async fn sdk() -> SdkConfig {
    sdk_at(endpoint()).await
}

async fn sdk_at(endpoint: &str) -> SdkConfig {
    let creds = aws_sdk_glue::config::Credentials::new("testing", "testing", None, None, "test");
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(glutil::aws::https_client())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .load()
        .await
}

/// A key as S3 writes it into a notification: form-encoded.
fn encode(key: &str) -> String {
    key.replace('%', "%25")
        .replace('=', "%3D")
        .replace(' ', "+")
}

fn s3_notification(bucket: &str, keys: &[String]) -> Value {
    let records: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION,
                   "eventName": "ObjectCreated:Put",
                   "s3": {"bucket": {"name": bucket}, "object": {"key": encode(k), "size": 7}}})
        })
        .collect();
    json!({"Records": records})
}

/// An SQS batch: one message per chunk of `per_message` objects.
fn sqs_batch(bucket: &str, keys: &[String], per_message: usize) -> Value {
    let records: Vec<Value> = keys
        .chunks(per_message)
        .enumerate()
        .map(|(i, chunk)| {
            json!({"messageId": format!("msg-{i}"), "receiptHandle": "r", "eventSource": "aws:sqs",
                   "body": s3_notification(bucket, chunk).to_string()})
        })
        .collect();
    json!({"Records": records})
}

async fn invoke(
    event: &Value,
    sdk: &SdkConfig,
    state: &EventState,
) -> (Result<Value, String>, partitioner_lambda::EventSummary) {
    let mut logged = None;
    let answer = handle_any(event, sdk, 8, None, state, |s| logged = Some(s.clone())).await;
    (answer, logged.expect("the event path logs its summary"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sqs_batch_registers_what_the_partitioner_would_and_a_replay_writes_nothing() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("events").await;
    let db = moto.database("events").await;
    let hive = moto
        .table(
            &db,
            "hive",
            &format!("s3://{bucket}/hive"),
            &[("year", "string"), ("month", "string"), ("day", "string")],
        )
        .await;
    let flat = moto
        .table(
            &db,
            "flat",
            &format!("s3://{bucket}/flat"),
            &[("year", "string"), ("month", "string")],
        )
        .await;
    let dt = moto
        .table(&db, "dt", &format!("s3://{bucket}/dt"), &[("dt", "string")])
        .await;
    let mut keys: Vec<String> = Vec::new();
    for day in ["01", "02", "03"] {
        for part in 0..4 {
            keys.push(format!(
                "hive/year=2024/month=01/day={day}/part-{part} a.parquet"
            ));
        }
    }
    keys.extend(
        [
            "flat/2024/01/x.json",
            "flat/2024/02/x.json",
            "flat/2024/02/y.json",
        ]
        .map(String::from),
    );
    keys.extend(["dt/2024/01/31/05/x.gz", "dt/2024/01/31/06/x.gz"].map(String::from));
    // Not data, or not a partition: nothing for these.
    let noise: Vec<String> = [
        "hive/year=2024/month=01/day=01/_temporary/0/x",
        "hive/year=2024/month=01/day=04/",
        "hive/year=2024/month=01_$folder$",
        "hive/year=2024/x.parquet",
        "elsewhere/year=2024/month=01/day=01/x",
    ]
    .map(String::from)
    .to_vec();
    moto.put(&bucket, keys.iter().chain(&noise).cloned()).await;
    let sdk = sdk().await;
    let state = EventState::new(Some(format!("{db}.*")), Duration::from_secs(300));
    let all: Vec<String> = keys.iter().chain(&noise).cloned().collect();
    let batch = sqs_batch(&bucket, &all, 3);

    let (answer, summary) = invoke(&batch, &sdk, &state).await;
    assert_eq!(
        answer.unwrap(),
        json!({"batchItemFailures": []}),
        "{summary:?}"
    );
    assert_eq!(summary.created, 3 + 2 + 2, "{summary:?}");
    assert_eq!(summary.unmatched, 1, "{summary:?}");
    let h = &summary.tables[&format!("{db}.{hive}")];
    assert_eq!(
        (h.objects, h.new_partitions, h.created),
        (16, 3, 3),
        "{h:?}"
    );
    assert_eq!(h.skipped.values().sum::<u64>(), 4, "{h:?}");

    // What a partitioner run finds is exactly what the events created.
    for table in [&hive, &flat, &dt] {
        let r = run(PARTITIONER, &[&db, table, "--dry-run", "--output", "json"]);
        let doc = r.json();
        assert_eq!(
            doc["to_create"].as_array().map(Vec::len),
            Some(0),
            "{table}: {doc}"
        );
        assert_eq!(doc["already_present"], doc["found"], "{table}: {doc}");
    }
    let dt_parts = moto.partitions(&db, &dt).await;
    assert!(
        dt_parts.contains(&(
            vec!["2024-01-31-05".to_string()],
            format!("s3://{bucket}/dt/2024/01/31/05/")
        )),
        "{dt_parts:?}"
    );
    let full = moto.full_partitions(&db, &hive).await;
    let table = moto.get_table(&db, &hive).await.unwrap();
    let table_sd = table.storage_descriptor().unwrap();
    for p in &full {
        let sd = p.storage_descriptor().unwrap();
        assert_eq!(sd.input_format(), table_sd.input_format());
        assert_eq!(sd.serde_info(), table_sd.serde_info());
        assert_eq!(sd.columns(), table_sd.columns());
    }

    // The same batch again, warm: every object's partition is known.
    let (answer, summary) = invoke(&batch, &sdk, &state).await;
    assert_eq!(answer.unwrap(), json!({"batchItemFailures": []}));
    assert_eq!(summary.created, 0);
    assert!(
        summary.tables.values().all(|t| t.new_partitions == 0),
        "no request: {summary:?}"
    );
    // Cold (a new container): created by someone else, counted as present.
    let cold = EventState::new(
        Some(format!("{db}.{hive},{db}.{flat},{db}.{dt}")),
        Duration::from_secs(300),
    );
    let (answer, summary) = invoke(&batch, &sdk, &cold).await;
    assert_eq!(answer.unwrap(), json!({"batchItemFailures": []}));
    assert_eq!(summary.created, 0);
    assert_eq!(
        summary
            .tables
            .values()
            .map(|t| t.already_present)
            .sum::<u64>(),
        7
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sns_and_eventbridge_shapes_and_what_is_ignored() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto
        .bucket_and_table("evshapes", "t", &[("dt", "string")])
        .await;
    moto.put(
        &bucket,
        ["t/dt=a b/1.json".to_string(), "t/dt=c/1.json".to_string()],
    )
    .await;
    let sdk = sdk().await;
    let state = EventState::new(Some(format!("{db}.{table}")), Duration::from_secs(300));
    let s3 = s3_notification(&bucket, &["t/dt=a b/1.json".to_string()]);
    let sns = json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": s3.to_string()}}]});
    let (answer, summary) = invoke(&sns, &sdk, &state).await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(summary.created, 1, "{summary:?}");
    let bridge = json!({"source": "aws.s3", "detail-type": "Object Created",
        "detail": {"bucket": {"name": bucket}, "object": {"key": "t/dt=c/1.json", "size": 3}}});
    let (answer, summary) = invoke(&bridge, &sdk, &state).await;
    assert!(answer.is_ok(), "{answer:?}");
    assert_eq!(summary.created, 1, "{summary:?}");
    let mut values: Vec<Vec<String>> = moto
        .partitions(&db, &table)
        .await
        .into_iter()
        .map(|p| p.0)
        .collect();
    values.sort();
    assert_eq!(values, [vec!["a b".to_string()], vec!["c".to_string()]]);
    // A test event and a removal are acknowledged, nothing else.
    let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": bucket});
    let (answer, summary) = invoke(&test, &sdk, &state).await;
    assert!(answer.is_ok());
    assert_eq!((summary.ignored, summary.created), (1, 0));
    // Without GLUTIL_WATCH the function says what to set, and fails.
    let unset = EventState::new(None, Duration::from_secs(300));
    let (answer, summary) = invoke(&sns, &sdk, &unset).await;
    assert!(answer.unwrap_err().contains("GLUTIL_WATCH"), "{summary:?}");
}

/// The schedule's safety net, `{"watched": true}`, walks every watched
/// table as a scheduled run would.
#[tokio::test(flavor = "multi_thread")]
async fn the_scheduled_walk_covers_every_watched_table() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto
        .bucket_and_table("evwalk", "t", &[("dt", "string")])
        .await;
    moto.put(&bucket, ["t/dt=1/a".to_string(), "t/dt=2/a".to_string()])
        .await;
    let sdk = sdk().await;
    let state = EventState::new(Some(format!("{db}.*")), Duration::from_secs(300));
    let answer = handle_any(&json!({"watched": true}), &sdk, 4, None, &state, |_| {})
        .await
        .unwrap();
    assert_eq!(answer["created"], 2, "{answer}");
    assert_eq!(answer["tables"][0]["table"], table.as_str(), "{answer}");
    let bad = handle_any(
        &json!({"watched": true, "limit": 1}),
        &sdk,
        4,
        None,
        &state,
        |_| {},
    )
    .await;
    assert!(
        bad.unwrap_err().contains("limit"),
        "unknown fields are refused"
    );
}

/// Half of all requests throttled: each message's partition is either in
/// the catalog or the message is named for a retry, and retrying the named
/// ones converges.
#[tokio::test(flavor = "multi_thread")]
async fn under_throttling_every_message_is_created_or_named_for_a_retry() {
    let lab = Lab::start(0.0, 0.0);
    lab.call(
        "/_lab/seed",
        Some(&json!([{"op": "table", "database": "ev", "table_input": hourly_table_input("t", "s3://evlake/t/")}])),
    );
    lab.call("/_lab/config", Some(&json!({"fault_rate": 0.5})));
    let sdk = sdk_at(&lab.endpoint).await;
    let state = EventState::new(Some("ev.t".into()), Duration::from_secs(300));
    let keys: Vec<String> = (0..30)
        .map(|h| {
            format!(
                "t/year=2024/month=01/day={:02}/hour={:02}/x.json",
                1 + h / 24,
                h % 24
            )
        })
        .collect();
    let mut batch = sqs_batch("evlake", &keys, 1);
    for round in 0..20 {
        let (answer, _) = invoke(&batch, &sdk, &state).await;
        let failures: Vec<String> = answer.unwrap()["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
            .collect();
        let partitions = lab.call("/_lab/partitions?database=ev&table=t", None)["partitions"]
            .as_array()
            .unwrap()
            .len();
        // Every message not named has its partition in the catalog.
        assert!(
            partitions >= 30 - failures.len(),
            "round {round}: {partitions} partitions, {failures:?}"
        );
        if failures.is_empty() {
            assert_eq!(partitions, 30);
            return;
        }
        // Only the named messages come back from the queue.
        let records: Vec<Value> = batch["Records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| failures.iter().any(|f| r["messageId"] == f.as_str()))
            .cloned()
            .collect();
        batch = json!({"Records": records});
    }
    panic!("did not converge in 20 rounds");
}

/// A stand-in for the Lambda Runtime API: hands out `events` one per
/// `invocation/next`, records each `response` or `error` body.
struct RuntimeApi {
    address: String,
    answers: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl RuntimeApi {
    fn start(events: Vec<Value>) -> Self {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::from(
            events,
        )));
        let answers = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (q, a) = (queue.clone(), answers.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (queue, answers) = (q.clone(), a.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut stream = stream;
                    let mut served = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let path = line
                            .split_whitespace()
                            .nth(1)
                            .unwrap_or_default()
                            .to_string();
                        let mut length = 0;
                        loop {
                            let mut header = String::new();
                            reader.read_line(&mut header).unwrap();
                            if header.trim().is_empty() {
                                break;
                            }
                            if let Some((k, v)) = header.split_once(':') {
                                if k.eq_ignore_ascii_case("content-length") {
                                    length = v.trim().parse().unwrap_or(0);
                                }
                            }
                        }
                        let mut body = vec![0; length];
                        reader.read_exact(&mut body).unwrap();
                        if path.ends_with("/invocation/next") {
                            let next = queue.lock().unwrap().pop_front();
                            let Some(event) = next else {
                                std::thread::sleep(Duration::from_secs(3600));
                                return;
                            };
                            served += 1;
                            let body = event.to_string();
                            let deadline = std::time::SystemTime::now()
                                .duration_since(std::time::UNIX_EPOCH)
                                .unwrap()
                                .as_millis()
                                + 60_000;
                            let head = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: req-{served}-{}\r\nLambda-Runtime-Deadline-Ms: {deadline}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:t\r\nContent-Length: {}\r\n\r\n",
                                path.len(),
                                body.len()
                            );
                            stream.write_all(head.as_bytes()).unwrap();
                            stream.write_all(body.as_bytes()).unwrap();
                        } else {
                            answers
                                .lock()
                                .unwrap()
                                .push((path, String::from_utf8_lossy(&body).into_owned()));
                            stream
                                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                                .unwrap();
                        }
                    }
                });
            }
        });
        Self { address, answers }
    }

    fn answers(&self) -> Vec<(String, String)> {
        self.answers.lock().unwrap().clone()
    }
}

/// Through the real runtime loop (lambda_runtime, as the binary runs it):
/// an SQS batch, a replay of it and an unreadable message; each answer
/// goes back to the runtime as Lambda would read it.
#[tokio::test(flavor = "multi_thread")]
async fn the_runtime_loop_answers_sqs_batches_with_partial_batch_responses() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto
        .bucket_and_table("evloop", "t", &[("dt", "string")])
        .await;
    let keys: Vec<String> = (1..=5).map(|d| format!("t/dt={d}/part.json")).collect();
    let batch = sqs_batch(&bucket, &keys, 2);
    let mut broken = batch.clone();
    broken["Records"][0]["body"] = json!("not a notification");
    let api = RuntimeApi::start(vec![batch.clone(), batch, broken]);
    for (k, v) in [
        ("AWS_LAMBDA_RUNTIME_API", api.address.as_str()),
        ("AWS_LAMBDA_FUNCTION_NAME", "glutil-test"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "1"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "s"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "g"),
    ] {
        std::env::set_var(k, v);
    }
    let sdk = std::sync::Arc::new(sdk().await);
    let state = std::sync::Arc::new(EventState::new(
        Some(format!("{db}.{table}")),
        Duration::from_secs(300),
    ));
    // The runtime loop never returns: run it until the three answers are in
    // (its future stays on this task).
    let answered = async {
        for _ in 0..200 {
            if api.answers().len() == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::select! {
        ended = partitioner_lambda::serve(sdk, 4, state, |_| {}) => panic!("the loop ended: {ended:?}"),
        () = answered => {}
    }
    let answers = api.answers();
    assert_eq!(answers.len(), 3, "{answers:?}");
    for (path, body) in &answers {
        assert!(path.ends_with("/response"), "{path}: {body}");
    }
    let body = |i: usize| serde_json::from_str::<Value>(&answers[i].1).unwrap();
    assert_eq!(body(0), json!({"batchItemFailures": []}));
    assert_eq!(body(1), json!({"batchItemFailures": []}));
    assert_eq!(
        body(2),
        json!({"batchItemFailures": [{"itemIdentifier": "msg-0"}]})
    );
    assert_eq!(moto.partitions(&db, &table).await.len(), 5);
}
