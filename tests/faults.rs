//! Commands under throttling: the lab answers 15% of requests with Glue
//! `ThrottlingException` (HTTP 400) or S3 `SlowDown` (HTTP 503), and every
//! command must end exactly as it would without faults.

use serde_json::{json, Value};

use crate::harness::{hourly_keys, run_at, Lab};

const PARTITIONER: &str = env!("CARGO_BIN_EXE_partitioner");
const DELETE_ALL: &str = env!("CARGO_BIN_EXE_delete-all");
const UPDATE_PARTITIONS: &str = env!("CARGO_BIN_EXE_update-partitions");

fn table_input(name: &str, location: &str) -> Value {
    json!({
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "PartitionKeys": [
            {"Name": "year", "Type": "string"},
            {"Name": "month", "Type": "string"},
            {"Name": "day", "Type": "string"},
            {"Name": "hour", "Type": "string"}
        ],
        "StorageDescriptor": {
            "Location": location,
            "Columns": [{"Name": "x", "Type": "int"}],
            "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"}
        }
    })
}

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
            {"op": "table", "database": "faultdb", "table_input": table_input("events", table_location)},
            {"op": "partitions", "database": "faultdb", "table": "events", "partition_inputs": partitions}
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
    let keys = hourly_keys("t/", 60, true);
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "objects", "bucket": "faults", "keys": keys},
            {"op": "table", "database": "faultdb", "table_input": table_input("events", "s3://faults/t/")}
        ])),
    );

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
