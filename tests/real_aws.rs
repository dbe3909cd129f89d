//! AWS as it behaves at scale and on real accounts, played by the lab where
//! moto is kinder: sustained throttling that drains the SDK's retry quota,
//! request-level conflicts and timeouts, hung requests, capped
//! BatchGetPartition answers, expired credentials and access denied
//! halfway through a write, a table dropped mid-run, a partition quota,
//! buckets in other Regions and Requester Pays buckets, archived objects,
//! stale table versions, profiles that do not exist and no credentials at
//! all. Each test has a lab of its own: its rules apply to every request.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{
    backup_path, hourly_keys, hourly_table_input, parquet_fixture, run_at, run_env, Lab,
};

const PARTITIONER: &str = env!("CARGO_BIN_EXE_partitioner");
const LIST_MISSING: &str = env!("CARGO_BIN_EXE_list-missing");
const CREATE_TABLE: &str = env!("CARGO_BIN_EXE_create-table");
const GAPS: &str = env!("CARGO_BIN_EXE_gaps");
const RESTORE: &str = env!("CARGO_BIN_EXE_restore");

/// `days` of hourly Hive data under s3://lab/t/ and an empty table
/// `db.events` over it.
fn hourly_lab(days: u32, fault_rate: f64) -> Lab {
    let lab = Lab::start(0.0, fault_rate);
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "objects", "bucket": "lab", "keys": hourly_keys("t/", days, true)},
            {"op": "table", "database": "db", "table_input": hourly_table_input("events", "s3://lab/t/")}
        ])),
    );
    lab
}

fn rules(lab: &Lab, rules: Value) {
    lab.call("/_lab/rules", Some(&rules));
}

fn count(lab: &Lab, operation: &str) -> u64 {
    lab.call("/_lab/stats", None)["counts"][operation]
        .as_u64()
        .unwrap_or(0)
}

fn catalog_len(lab: &Lab) -> usize {
    lab.call("/_lab/partitions?database=db&table=events", None)["partitions"]
        .as_array()
        .unwrap()
        .len()
}

/// The Hive values of a data key's folders (after `skip` leading ones):
/// `t/year=2019/month=01/.../data.json` -> `["2019", "01", ...]`.
fn hive_values(key: &str, skip: usize) -> Vec<String> {
    key.trim_end_matches("data.json")
        .trim_end_matches('/')
        .split('/')
        .skip(skip)
        .map(|f| f.split_once('=').unwrap().1.to_string())
        .collect()
}

/// A partition input for a data key's folder in `bucket`, valued by its
/// Hive folders (after `skip` leading ones).
fn partition_for(key: &str, skip: usize, bucket: &str) -> Value {
    let folder = key.trim_end_matches("data.json");
    json!({"Values": hive_values(key, skip), "StorageDescriptor": {"Location": format!("s3://{bucket}/{folder}")}})
}

/// No SDK debug text, no response headers: what people read.
fn assert_readable(text: &str) {
    for raw in [
        "Error {",
        "unhandled error",
        "ErrorMetadata",
        "x-amzn-requestid",
        "service error",
    ] {
        assert!(!text.contains(raw), "SDK debug text `{raw}` in:\n{text}");
    }
}

#[test]
fn half_of_all_requests_throttled_drain_no_retry_quota() {
    // 400 partitions outside the table location: list-missing probes each
    // one (a listing apiece), so with half of all answers throttled the
    // run retries hundreds of times, more than the SDK's default quota of
    // 500 tokens (5 a retry) allows.
    let lab = Lab::start(0.0, 0.0);
    let days = 17;
    let keys = hourly_keys("old/", days, true);
    let partitions: Vec<Value> = keys
        .iter()
        .map(|k| partition_for(k, 1, "archive"))
        .collect();
    assert_eq!(partitions.len(), 408);
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "objects", "bucket": "archive", "keys": keys},
            {"op": "objects", "bucket": "lab", "keys": ["t/"]},
            {"op": "table", "database": "db", "table_input": hourly_table_input("events", "s3://lab/t/")},
            {"op": "partitions", "database": "db", "table": "events", "partition_inputs": partitions}
        ])),
    );
    lab.call("/_lab/config", Some(&json!({"fault_rate": 0.5})));
    let r = run_at(
        &lab.endpoint,
        LIST_MISSING,
        &["db", "events", "--output", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let json = r.json();
    assert_eq!(json["examined"], 408);
    assert_eq!(json["missing"].as_array().unwrap().len(), 0, "{json}");
    let faults: u64 = lab.call("/_lab/stats", None)["faults"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(faults > 300, "too few throttles to drain a quota: {faults}");
}

#[test]
fn request_level_conflicts_and_operation_timeouts_are_sent_again() {
    let lab = hourly_lab(10, 0.0);
    rules(
        &lab,
        json!([
            {"op": "Glue:BatchCreatePartition", "times": 2,
             "error": {"status": 400, "code": "ConcurrentModificationException", "message": "busy"}},
            {"op": "Glue:BatchCreatePartition", "after": 2, "times": 2,
             "error": {"status": 400, "code": "OperationTimeoutException", "message": "slow"}}
        ]),
    );
    let r = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["db", "events", "--concurrency", "1", "--output", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["created"], 240);
    assert_eq!(catalog_len(&lab), 240);
    assert_eq!(count(&lab, "Glue:BatchCreatePartition"), 3 + 4);
}

#[test]
fn a_request_whose_answer_never_comes_is_abandoned_after_the_attempt_timeout() {
    let lab = hourly_lab(1, 0.0);
    rules(
        &lab,
        json!([{"op": "Glue:GetTable", "times": 2, "hang_s": 60}]),
    );
    let started = Instant::now();
    let r = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["db", "events", "--attempt-timeout", "1s", "-q"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(count(&lab, "Glue:GetTable"), 3);
    assert_eq!(catalog_len(&lab), 24);

    let bad = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["db", "events", "--attempt-timeout", "soon"],
    );
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("--attempt-timeout"), "{}", bad.stderr);
}

#[test]
fn batch_gets_keep_going_while_glue_answers_a_fifth_of_the_keys() {
    // A table keyed region/year/month/day/hour: `--prefix` narrows the
    // walk, so the catalog is asked by values (BatchGetPartition).
    let lab = Lab::start(0.0, 0.0);
    let mut table = hourly_table_input("events", "s3://lab/t/");
    table["PartitionKeys"]
        .as_array_mut()
        .unwrap()
        .insert(0, json!({"Name": "region", "Type": "string"}));
    let keys = hourly_keys("t/region=eu/", 30, true);
    let present: Vec<Value> = keys
        .iter()
        .step_by(2)
        .map(|k| partition_for(k, 1, "lab"))
        .collect();
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "objects", "bucket": "lab", "keys": keys},
            {"op": "table", "database": "db", "table_input": table},
            {"op": "partitions", "database": "db", "table": "events", "partition_inputs": present}
        ])),
    );
    rules(
        &lab,
        json!([{"op": "Glue:BatchGetPartition", "unprocessed": 0.8}]),
    );
    let r = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["db", "events", "--prefix", "eu", "--output", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let json = r.json();
    assert_eq!(json["already_present"], 360, "{}", json["requests"]);
    assert_eq!(json["created"], 360);
    assert!(
        count(&lab, "Glue:BatchGetPartition") > 10,
        "more rounds than the old limit of 9"
    );
}

/// A partitioner run of 20 days (5 batches of 100, one at a time) whose
/// third BatchCreatePartition and every later one is answered `error`.
fn refused_write(code: &str, message: &str) -> (Lab, crate::harness::Run) {
    let lab = hourly_lab(20, 0.0);
    rules(
        &lab,
        json!([{"op": "Glue:BatchCreatePartition", "after": 2,
                "error": {"status": 400, "code": code, "message": message}}]),
    );
    let r = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["db", "events", "--concurrency", "1", "--output", "json"],
    );
    (lab, r)
}

#[test]
fn expired_credentials_halfway_stop_the_run_with_a_true_summary() {
    let (lab, r) = refused_write(
        "ExpiredTokenException",
        "The security token included in the request is expired",
    );
    assert_eq!(r.code, 2, "{r:?}");
    let json = r.json();
    assert_eq!(json["created"], 200);
    assert_eq!(json["failed"].as_array().unwrap().len(), 100);
    assert_eq!(json["not_attempted"], 180);
    assert_eq!(json["stopped"]["reason"], "credentials");
    assert_eq!(json["stopped"]["code"], "ExpiredTokenException");
    assert_eq!(
        count(&lab, "Glue:BatchCreatePartition"),
        3,
        "nothing sent after the refusal"
    );
    assert_eq!(catalog_len(&lab), 200);
    let warning = r
        .stderr
        .lines()
        .find(|l| l.starts_with("warning: "))
        .unwrap();
    assert!(
        warning.contains("AWS refused the credentials (ExpiredTokenException on BatchCreatePartition: The security token included in the request is expired); 180 were not sent; they came from the environment (AWS_ACCESS_KEY_ID)"),
        "{warning}"
    );
    assert_readable(&r.stderr);
    assert_readable(&r.stdout);

    // Refused on a read: one sentence, exit 2, no request after it.
    let lab = hourly_lab(1, 0.0);
    rules(
        &lab,
        json!([{"op": "Glue:GetTable", "error": {"status": 400, "code": "ExpiredTokenException",
                "message": "The security token included in the request is expired"}}]),
    );
    let r = run_at(&lab.endpoint, PARTITIONER, &["db", "events"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        r.stderr.trim(),
        "error: AWS refused the credentials on Glue GetTable (ExpiredTokenException: The security token included in the request is expired); they came from the environment (AWS_ACCESS_KEY_ID): set fresh AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (or unset them to use a profile), then run again"
    );
    assert_eq!(lab.call("/_lab/stats", None)["requests"], 1);
}

#[test]
fn access_denied_on_a_write_names_the_action_and_stops_the_table() {
    let denied = "User: arn:aws:iam::123456789012:user/etl is not authorized to perform: glue:BatchCreatePartition on resource: arn:aws:glue:us-east-1:123456789012:table/db/events because no identity-based policy allows the glue:BatchCreatePartition action";
    let (lab, r) = refused_write("AccessDeniedException", denied);
    assert_eq!(r.code, 1, "{r:?}");
    let json = r.json();
    assert_eq!(json["stopped"]["reason"], "access_denied");
    assert_eq!(json["stopped"]["message"], denied);
    assert_eq!(json["created"], 200);
    assert_eq!(count(&lab, "Glue:BatchCreatePartition"), 3);
    assert!(
        r.stderr.contains(&format!(
            "warning: writes stopped: AccessDeniedException on BatchCreatePartition: {denied}; 180 were not sent; grant that action on that resource"
        )),
        "{}",
        r.stderr
    );
    assert_readable(&r.stderr);
}

#[test]
fn a_table_dropped_mid_run_and_a_full_quota_stop_the_writes() {
    let lab = hourly_lab(20, 0.0);
    rules(
        &lab,
        json!([{"op": "Glue:BatchCreatePartition", "after": 2, "times": 1, "drop_table": true}]),
    );
    let r = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["db", "events", "--concurrency", "1", "--output", "json"],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["stopped"]["reason"], "not_found");
    assert_eq!(count(&lab, "Glue:BatchCreatePartition"), 3);
    assert!(
        r.stderr.contains("the table or database is gone"),
        "{}",
        r.stderr
    );

    let (lab, r) = refused_write(
        "ResourceNumberLimitExceededException",
        "Number of partitions for this table exceeds the limit of 10000000",
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["stopped"]["reason"], "quota");
    assert_eq!(count(&lab, "Glue:BatchCreatePartition"), 3);
    assert!(r.stderr.contains("raise the quota"), "{}", r.stderr);
}

#[test]
fn throttling_that_outlasts_every_attempt_reads_as_aws_said_it() {
    let lab = hourly_lab(1, 0.0);
    rules(
        &lab,
        json!([{"op": "Glue:GetTable", "error": {"status": 400, "code": "ThrottlingException", "message": "Rate exceeded"}}]),
    );
    let r = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["db", "events", "--max-attempts", "2"],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.stderr.trim(),
        "error: Glue GetTable on db.events failed after 4 attempts: ThrottlingException: Rate exceeded"
    );
    assert_eq!(count(&lab, "Glue:GetTable"), 4, "2 rounds of 2 attempts");

    let debug = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["db", "events", "--max-attempts", "1", "--debug"],
    );
    assert_eq!(debug.code, 1);
    let detail = debug
        .stderr
        .lines()
        .filter(|l| l.starts_with("debug: ") && !l.contains(" -> "))
        .collect::<Vec<_>>();
    assert!(
        detail.iter().any(|l| l.contains("ThrottlingException")),
        "--debug shows the SDK's own account:\n{}",
        debug.stderr
    );

    // A table's error in a run over several, as JSON: the same words.
    let many = run_at(
        &lab.endpoint,
        PARTITIONER,
        &[
            "db",
            "--all-tables",
            "--max-attempts",
            "1",
            "--output",
            "json",
        ],
    );
    assert_eq!(many.code, 1, "{many:?}");
    let error = many.json()["tables"][0]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        error,
        "Glue GetTable on db.events failed: ThrottlingException: Rate exceeded"
    );
}

#[test]
fn an_unknown_aws_profile_and_no_credentials_are_bad_usage_before_any_request() {
    let lab = hourly_lab(1, 0.0);
    let empty = std::env::temp_dir().join(crate::harness::unique("no-aws-config"));
    std::fs::create_dir_all(&empty).unwrap();
    let config = empty.join("config");
    std::fs::write(&config, "[profile known]\nregion = us-east-1\n").unwrap();
    let files = [
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ("AWS_SHARED_CREDENTIALS_FILE", config.to_str().unwrap()),
    ];
    let mut env = files.to_vec();
    env.push(("AWS_PROFILE", "nope"));
    let r = run_env(&lab.endpoint, PARTITIONER, &["db", "events"], &env);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("profile `nope` (from AWS_PROFILE) was not found"),
        "{}",
        r.stderr
    );
    assert_eq!(lab.call("/_lab/stats", None)["requests"], 0);

    // No keys, no profile, no role: one sentence with what to do.
    let home = empty.display().to_string();
    let mut bare = crate::harness::command_at(&lab.endpoint, PARTITIONER, &["db", "events"]);
    bare.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("HOME", &home)
        .envs(files);
    let out = bare.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim(),
        "error: no AWS credentials were found: pass --profile NAME (or set AWS_PROFILE) for a profile in ~/.aws/config, run `aws sso login` or `aws configure`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    );
    assert_eq!(lab.call("/_lab/stats", None)["requests"], 0);
}

#[test]
fn buckets_in_other_regions_are_followed_and_requester_pays_is_said() {
    let lab = hourly_lab(2, 0.0);
    lab.call(
        "/_lab/s3",
        Some(&json!({"bucket_regions": {"lab": "eu-west-1"}})),
    );
    let r = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["db", "events", "-v", "--dry-run"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("bucket lab is in eu-west-1: its requests go to eu-west-1"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| l.starts_with("would create ["))
            .count(),
        48
    );

    // An opt-in Region answers 400 without the header: HeadBucket tells.
    lab.call(
        "/_lab/s3",
        Some(&json!({"bucket_regions": {"lab": "ap-east-1"}, "opt_in": ["lab"]})),
    );
    lab.call("/_lab/reset", Some(&json!({})));
    let r = run_at(&lab.endpoint, PARTITIONER, &["db", "events", "-q"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(catalog_len(&lab), 48);
    assert_eq!(count(&lab, "S3:HeadBucket"), 1);

    lab.call("/_lab/s3", Some(&json!({"requester_pays": ["lab"]})));
    let refused = run_at(&lab.endpoint, LIST_MISSING, &["db", "events"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("S3 ListObjectsV2 on s3://lab/t/ failed: AccessDenied: Access Denied"),
        "{}",
        refused.stderr
    );
    let paid = run_at(
        &lab.endpoint,
        LIST_MISSING,
        &[
            "db",
            "events",
            "--request-payer",
            "requester",
            "--output",
            "json",
        ],
    );
    assert_eq!(paid.code, 0, "{paid:?}");
    assert_eq!(paid.json()["examined"], 48);
}

#[test]
fn directory_buckets_are_refused_with_a_sentence() {
    let lab = Lab::start(0.0, 0.0);
    lab.call(
        "/_lab/seed",
        Some(&json!([{"op": "table", "database": "db",
            "table_input": hourly_table_input("events", "s3://fast--use1-az4--x-s3/t/")}])),
    );
    let r = run_at(&lab.endpoint, PARTITIONER, &["db", "events"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("is an S3 directory bucket (S3 Express One Zone)"),
        "{}",
        r.stderr
    );
    assert_eq!(count(&lab, "S3:ListObjectsV2"), 0);
}

#[test]
fn create_table_reads_around_archived_files_and_names_them() {
    let lab = Lab::start(0.0, 0.0);
    let body = |name: &str| crate::harness::base64(&parquet_fixture(name));
    let v1 = body("v1.parquet");
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "database", "database": "db"},
            {"op": "objects", "bucket": "cold", "keys": ["t/dt=1/a.parquet", "t/dt=2/c.parquet", "t/dt=3/e.parquet"], "body_b64": v1},
            {"op": "objects", "bucket": "cold", "keys": ["t/dt=1/b.parquet", "t/dt=2/d.parquet"], "body_b64": v1, "storage_class": "GLACIER"},
            {"op": "objects", "bucket": "cold", "keys": ["t/dt=3/f.parquet"], "body_b64": v1, "storage_class": "DEEP_ARCHIVE"},
            {"op": "objects", "bucket": "cold", "keys": ["all/dt=1/x.parquet"], "body_b64": v1, "storage_class": "GLACIER"}
        ])),
    );
    // An Intelligent-Tiering archive tier shows only when it is read.
    rules(
        &lab,
        json!([{"op": "S3:GetObject", "key": "t/dt=3/e.parquet",
                "error": {"status": 403, "code": "InvalidObjectState", "message": "The operation is not valid for the object's access tier"}}]),
    );
    let r = run_at(
        &lab.endpoint,
        CREATE_TABLE,
        &["db", "events", "s3://cold/t/", "--output", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let json = r.json();
    let archived: Vec<(String, String)> = json["files"]["archived"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["file"].as_str().unwrap().into(),
                a["storage_class"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        archived,
        [
            (
                "s3://cold/t/dt=1/b.parquet".to_string(),
                "GLACIER".to_string()
            ),
            (
                "s3://cold/t/dt=2/d.parquet".to_string(),
                "GLACIER".to_string()
            ),
            (
                "s3://cold/t/dt=3/f.parquet".to_string(),
                "DEEP_ARCHIVE".to_string()
            ),
            (
                "s3://cold/t/dt=3/e.parquet".to_string(),
                "archived".to_string()
            ),
        ]
    );
    assert_eq!(
        json["created"], 3,
        "archived files are data: every folder is a partition"
    );
    let table = lab.call("/_lab/table?database=db&table=events", None);
    assert_eq!(table["columns"], json!([["id", "int"], ["name", "string"]]));

    let none = run_at(
        &lab.endpoint,
        CREATE_TABLE,
        &["db", "cold", "s3://cold/all/"],
    );
    assert_eq!(none.code, 2, "{none:?}");
    assert!(
        none.stderr.contains("no readable Parquet file under s3://cold/all/: 1 archived file(s) cannot be read until restored: s3://cold/all/dt=1/x.parquet (GLACIER)"),
        "{}",
        none.stderr
    );
    assert!(lab
        .call("/_lab/table?database=db&table=cold", None)
        .is_null());
}

#[test]
fn gaps_look_under_the_table_location_even_when_the_first_partition_is_elsewhere() {
    let lab = Lab::start(0.0, 0.0);
    let hours = hourly_keys("", 1, true);
    let under = |prefix: &str, i: usize| format!("{prefix}{}", hours[i]);
    // Hour 00 lives in an archive bucket; hours 01..05 under the table;
    // hour 03 has data under the table but no partition.
    let mut partitions = vec![partition_for(&under("old/", 0), 1, "archive")];
    for i in [1, 2, 4, 5] {
        partitions.push(partition_for(&under("t/", i), 1, "lab"));
    }
    let data: Vec<String> = (1..6).map(|i| under("t/", i)).collect();
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "objects", "bucket": "archive", "keys": [under("old/", 0)]},
            {"op": "objects", "bucket": "lab", "keys": data},
            {"op": "table", "database": "db", "table_input": hourly_table_input("events", "s3://lab/t/")},
            {"op": "partitions", "database": "db", "table": "events", "partition_inputs": partitions}
        ])),
    );
    let r = run_at(
        &lab.endpoint,
        GAPS,
        &["db", "events", "--every", "hour", "--output", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let json = r.json();
    assert_eq!(json["missing_with_data"], 1, "{json}");
    assert_eq!(
        json["missing"][0]["location"],
        "s3://lab/t/year=2019/month=01/day=01/hour=03/"
    );
    assert_eq!(json["repair"], "partitioner db events");
    assert_eq!(json["style_from_partitions"], true);

    // Only partitions elsewhere: the table's location, and a warning.
    let lab = Lab::start(0.0, 0.0);
    let elsewhere: Vec<Value> = [0, 2]
        .iter()
        .map(|&i| partition_for(&under("old/", i), 1, "archive"))
        .collect();
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "objects", "bucket": "lab", "keys": [under("t/", 1)]},
            {"op": "table", "database": "db", "table_input": hourly_table_input("events", "s3://lab/t/")},
            {"op": "partitions", "database": "db", "table": "events", "partition_inputs": elsewhere}
        ])),
    );
    let r = run_at(
        &lab.endpoint,
        GAPS,
        &["db", "events", "--every", "hour", "--output", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["missing_with_data"], 1, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("no partition of db.events lies under its location s3://lab/t/"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_table_changed_between_read_and_write_is_read_again_and_never_overwritten() {
    let lab = Lab::start(0.0, 0.0);
    let body = |name: &str| crate::harness::base64(&parquet_fixture(name));
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "database", "database": "db"},
            {"op": "objects", "bucket": "lab", "keys": ["u/dt=1/a.parquet"], "body_b64": body("v1.parquet")}
        ])),
    );
    let created = run_at(
        &lab.endpoint,
        CREATE_TABLE,
        &["db", "events", "s3://lab/u/"],
    );
    assert_eq!(created.code, 0, "{created:?}");
    lab.call(
        "/_lab/seed",
        Some(&json!([{"op": "objects", "bucket": "lab", "keys": ["u/dt=2/b.parquet"], "body_b64": body("v2.parquet")}])),
    );
    // A crawler updates the table between glutil's read and its write.
    rules(
        &lab,
        json!([{"op": "Glue:UpdateTable", "times": 1, "concurrent_update": {"crawler_run": "2026-12-01"}}]),
    );
    let path = backup_path("version-conflict");
    let r = run_at(
        &lab.endpoint,
        CREATE_TABLE,
        &["db", "events", "s3://lab/u/", "--update", "--backup", &path],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("table db.events was changed by someone else after it was read (parameter crawler_run); it was read again and the change planned again"),
        "{}",
        r.stdout
    );
    assert_eq!(count(&lab, "Glue:UpdateTable"), 2);
    let table = lab.call("/_lab/table?database=db&table=events", None);
    assert_eq!(
        table["columns"],
        json!([["id", "bigint"], ["name", "string"], ["score", "double"]])
    );
    let backup = std::fs::read_to_string(&path).unwrap();
    assert!(backup.contains("\"reread_table\""), "{backup}");

    // Undo: the table as it was just before glutil's write, crawler's
    // change included.
    rules(&lab, json!([]));
    let undone = run_at(&lab.endpoint, RESTORE, &[&path]);
    assert_eq!(undone.code, 0, "{undone:?}");
    let table = lab.call("/_lab/table?database=db&table=events", None);
    assert_eq!(table["columns"], json!([["id", "int"], ["name", "string"]]));
    let parameters = crate::harness::lab_table_parameters(&lab, "db", "events");
    assert_eq!(parameters["crawler_run"], "2026-12-01", "{parameters}");
}
