//! Commands under throttling: the lab answers 15% of requests with Glue
//! `ThrottlingException` (HTTP 400) or S3 `SlowDown` (HTTP 503), and every
//! command must end exactly as it would without faults.

use serde_json::{json, Value};

use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::{hourly_keys, hourly_table_input, run_at, Lab};

const PARTITIONER: &str = env!("CARGO_BIN_EXE_partitioner");
const DELETE_ALL: &str = env!("CARGO_BIN_EXE_delete-all");
const UPDATE_PARTITIONS: &str = env!("CARGO_BIN_EXE_update-partitions");

/// Asserts the lab injected throttling into each of `services`.
fn assert_faulted(lab: &Lab, services: &[&str]) {
    let stats = lab.call("/_lab/stats", None);
    let faults = stats["faults"].as_object().unwrap();
    let total: u64 = faults.values().map(|v| v.as_u64().unwrap()).sum();
    assert!(
        total >= 3,
        "the lab injected too few faults to mean anything: {stats}"
    );
    for service in services {
        assert!(
            faults.keys().any(|k| k.starts_with(service)),
            "no {service} faults: {stats}"
        );
    }
}

/// Seeds `days` days of hourly partitions in the catalog at
/// `catalog_prefix` (with a custom parameter), and their data objects
/// under `data_prefix`.
fn seed_catalog(
    lab: &Lab,
    table_location: &str,
    catalog_prefix: &str,
    data_prefix: &str,
    days: u32,
) {
    let keys: Vec<String> = hourly_keys(data_prefix, days, true);
    let partitions: Vec<Value> = hourly_keys("", days, true)
        .iter()
        .map(|key| {
            let folder = key.trim_end_matches("data.json");
            let values: Vec<&str> = folder
                .trim_end_matches('/')
                .split('/')
                .map(|f| f.split_once('=').unwrap().1)
                .collect();
            json!({
                "Values": values,
                "StorageDescriptor": {"Location": format!("s3://faults/{catalog_prefix}{folder}")},
                "Parameters": {"owner": "team-a"}
            })
        })
        .collect();
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "objects", "bucket": "faults", "keys": keys},
            {"op": "table", "database": "faultdb", "table_input": hourly_table_input("events", table_location)},
            {"op": "partitions", "database": "faultdb", "table": "events", "partition_inputs": partitions}
        ])),
    );
}

/// Seeds `days` days of hourly data under s3://faults/t/ and an empty
/// table over it.
fn seed_uncataloged(lab: &Lab, days: u32) {
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "objects", "bucket": "faults", "keys": hourly_keys("t/", days, true)},
            {"op": "table", "database": "faultdb", "table_input": hourly_table_input("events", "s3://faults/t/")}
        ])),
    );
}

fn catalog(lab: &Lab, database: &str, table: &str) -> Vec<Value> {
    lab.call(
        &format!("/_lab/partitions?database={database}&table={table}"),
        None,
    )["partitions"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn partitioner_under_15_percent_throttling_ends_as_without_faults() {
    let lab = Lab::start(0.0, 0.15);
    // 60 days hourly: more than a listing page, 15 create batches.
    seed_uncataloged(&lab, 60);

    let dry = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["faultdb", "events", "--dry-run", "--output", "json"],
    );
    assert_eq!(dry.code, 0, "{dry:?}");
    assert_eq!(dry.json()["to_create"].as_array().unwrap().len(), 1440);
    assert!(catalog(&lab, "faultdb", "events").is_empty());

    let first = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["faultdb", "events", "--output", "json"],
    );
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(first.json()["created"], 1440);
    let again = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["faultdb", "events", "--output", "json"],
    );
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.json()["already_present"], 1440);
    assert_faulted(&lab, &["Glue:", "S3:"]);

    let partitions = catalog(&lab, "faultdb", "events");
    assert_eq!(partitions.len(), 1440);
    assert_eq!(partitions[0]["values"], json!(["2019", "01", "01", "00"]));
    assert_eq!(
        partitions[0]["location"],
        "s3://faults/t/year=2019/month=01/day=01/hour=00/"
    );
}

#[test]
fn debug_shows_every_attempt_with_its_status_and_never_credentials() {
    let lab = Lab::start(0.0, 0.3);
    seed_uncataloged(&lab, 3);
    let run = run_at(
        &lab.endpoint,
        PARTITIONER,
        &["faultdb", "events", "--dry-run", "--debug", "-q"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("debug: "))
        .collect();
    let requests: u64 = lab.call("/_lab/stats", None)["requests"].as_u64().unwrap();
    assert_eq!(
        lines.len() as u64,
        requests,
        "one line per attempt:\n{}",
        run.stderr
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("debug: Glue GetTable faultdb.events -> 200, attempt ")),
        "{}",
        run.stderr
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("-> 400 ThrottlingException, attempt 1")
                || l.contains("-> 503 SlowDown, attempt 1")),
        "30% faults show as they happen:\n{}",
        run.stderr
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("debug: S3 ListObjectsV2 faults/t/")),
        "{}",
        run.stderr
    );
    for secret in ["testing", "Authorization", "Signature", "Credential"] {
        assert!(
            !run.stderr.contains(secret),
            "{secret} leaked:\n{}",
            run.stderr
        );
    }
}

#[test]
fn delete_all_under_15_percent_throttling_deletes_everything() {
    let lab = Lab::start(0.0, 0.15);
    seed_catalog(&lab, "s3://faults/t/", "t/", "t/", 20);
    assert_eq!(catalog(&lab, "faultdb", "events").len(), 480);
    let r = run_at(
        &lab.endpoint,
        DELETE_ALL,
        &["faultdb", "events", "--yes", "--output", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.json()["deleted"].as_u64().unwrap() + r.json()["already_gone"].as_u64().unwrap(),
        480
    );
    assert!(catalog(&lab, "faultdb", "events").is_empty());
    // delete-all sends no S3 request.
    assert_faulted(&lab, &["Glue:"]);
}

#[test]
fn update_partitions_under_15_percent_throttling_moves_everything() {
    let lab = Lab::start(0.0, 0.15);
    // The catalog still points at old/, data and table moved to new/.
    seed_catalog(&lab, "s3://faults/new/", "old/", "new/", 20);
    let r = run_at(
        &lab.endpoint,
        UPDATE_PARTITIONS,
        &["faultdb", "events", "--output", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["updated"], 480);
    assert_faulted(&lab, &["Glue:"]);
    let partitions = catalog(&lab, "faultdb", "events");
    assert_eq!(partitions.len(), 480);
    for p in &partitions {
        let location = p["location"].as_str().unwrap();
        assert!(
            location.starts_with("s3://faults/new/year=2019/"),
            "{location}"
        );
    }
}

/// Starts a binary against a lab, as a child the test can signal.
/// Starts a binary against the lab with the harness's environment (test
/// credentials, backups under the build's scratch folder, not in ~).
fn spawn_at(lab: &Lab, binary: &str, args: &[&str]) -> std::process::Child {
    crate::harness::spawn_at(&lab.endpoint, binary, args)
}

/// Waits until the catalog's partition count satisfies `ready`.
fn wait_for(lab: &Lab, ready: impl Fn(usize) -> bool) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = catalog(lab, "faultdb", "events").len();
        if ready(n) {
            return n;
        }
        assert!(
            Instant::now() < deadline,
            "the catalog never reached the expected state ({n})"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_stops_after_the_batches_in_flight_with_a_true_summary() {
    // 200 ms per request and one batch at a time: 24 batches take seconds.
    let lab = Lab::start(200.0, 0.0);
    seed_catalog(&lab, "s3://faults/t/", "t/", "t/", 25);
    let child = spawn_at(
        &lab,
        DELETE_ALL,
        &[
            "faultdb",
            "events",
            "--yes",
            "--concurrency",
            "1",
            "--output",
            "json",
        ],
    );
    wait_for(&lab, |n| n < 600);
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupted.success());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON summary");
    let deleted = report["deleted"].as_u64().unwrap();
    let not_attempted = report["not_attempted"].as_u64().unwrap();
    assert!(deleted > 0 && not_attempted > 0, "{report}");
    assert_eq!(deleted + not_attempted, 600, "{report}");
    // The summary tells the truth about the catalog.
    assert_eq!(
        catalog(&lab, "faultdb", "events").len() as u64,
        not_attempted
    );

    let rerun = run_at(
        &lab.endpoint,
        DELETE_ALL,
        &["faultdb", "events", "--yes", "--concurrency", "8"],
    );
    assert_eq!(rerun.code, 0, "{rerun:?}");
    assert!(catalog(&lab, "faultdb", "events").is_empty());
}

#[test]
fn a_partitioner_killed_while_creating_converges_on_a_plain_rerun() {
    let lab = Lab::start(200.0, 0.0);
    seed_uncataloged(&lab, 60);
    let mut child = spawn_at(
        &lab,
        PARTITIONER,
        &["faultdb", "events", "--concurrency", "1"],
    );
    let landed = wait_for(&lab, |n| n > 0);
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    let after_kill = catalog(&lab, "faultdb", "events").len();
    assert!(
        landed > 0 && after_kill < 1440,
        "killed too late: {after_kill}"
    );

    let rerun = run_at(
        &lab.endpoint,
        PARTITIONER,
        &[
            "faultdb",
            "events",
            "--concurrency",
            "8",
            "--output",
            "json",
        ],
    );
    assert_eq!(rerun.code, 0, "{rerun:?}");
    let json = rerun.json();
    assert_eq!(
        json["created"].as_u64().unwrap()
            + json["already_present"].as_u64().unwrap()
            + json["already_existed"].as_u64().unwrap(),
        1440
    );
    assert_eq!(catalog(&lab, "faultdb", "events").len(), 1440);
}
