//! `gaps` against moto: hourly and daily tables with holes in the catalog
//! only (data in S3: the partitioner adds them), and in both (nothing was
//! written), across day, month and leap-day boundaries, with inclusive
//! bounds.

use serde_json::Value;

use crate::harness::{run, Moto};

const GAPS: &str = env!("CARGO_BIN_EXE_gaps");
const PARTITIONER: &str = env!("CARGO_BIN_EXE_partitioner");

/// Every hour from 2024-02-28 22:00 to 2024-03-01 02:00 (29 slots).
fn hours() -> Vec<[String; 4]> {
    let mut out = Vec::new();
    let days = [
        ("02", "28", 22..24),
        ("02", "29", 0..24),
        ("03", "01", 0..3),
    ];
    for (month, day, range) in days {
        for h in range {
            out.push(["2024".into(), month.into(), day.into(), format!("{h:02}")]);
        }
    }
    out
}

fn folder(v: &[String; 4]) -> String {
    format!("t/year={}/month={}/day={}/hour={}/", v[0], v[1], v[2], v[3])
}

/// Holes: 02-29 00:00 (catalog only: data in S3), 02-29 05:00-07:00
/// (catalog only), 02-29 23:00 (neither), 03-01 00:00 (neither).
async fn hourly_table(moto: &Moto) -> (String, String, String) {
    let (bucket, db, table) = moto
        .bucket_and_table(
            "gaps",
            "t",
            &[
                ("year", "string"),
                ("month", "string"),
                ("day", "string"),
                ("hour", "string"),
            ],
        )
        .await;
    let no_data = |v: &[String; 4]| v[2] == "29" && v[3] == "23" || v[2] == "01" && v[3] == "00";
    let not_in_catalog = |v: &[String; 4]| {
        no_data(v) || v[2] == "29" && ["00", "05", "06", "07"].contains(&v[3].as_str())
    };
    let all = hours();
    moto.put(
        &bucket,
        all.iter()
            .filter(|v| !no_data(v))
            .map(|v| format!("{}part-0.parquet", folder(v))),
    )
    .await;
    let partitions: Vec<(Vec<String>, String)> = all
        .iter()
        .filter(|v| !not_in_catalog(v))
        .map(|v| (v.to_vec(), format!("s3://{bucket}/{}", folder(v))))
        .collect();
    moto.add_partitions(&db, &table, &partitions).await;
    (bucket, db, table)
}

fn slots(doc: &Value, has_data: bool) -> Vec<String> {
    doc["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["has_data"] == has_data)
        .map(|m| m["slot"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn hourly_gaps_split_into_what_s3_holds_and_what_it_does_not() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = hourly_table(&moto).await;
    let json = run(GAPS, &[&db, &table, "--every", "hour", "--output", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let doc = json.json();
    assert_eq!(doc["since"], "2024-02-28T22:00:00Z");
    assert_eq!(doc["until"], "2024-03-01T02:00:00Z");
    assert_eq!(doc["slots"], 29);
    assert_eq!(doc["present"], 23);
    assert_eq!(
        slots(&doc, true),
        [
            "2024-02-29T00:00:00Z",
            "2024-02-29T05:00:00Z",
            "2024-02-29T06:00:00Z",
            "2024-02-29T07:00:00Z"
        ]
    );
    assert_eq!(
        slots(&doc, false),
        ["2024-02-29T23:00:00Z", "2024-03-01T00:00:00Z"]
    );
    assert_eq!(
        doc["missing"][0]["values"],
        serde_json::json!(["2024", "02", "29", "00"])
    );
    assert_eq!(
        doc["missing"][0]["location"],
        format!("s3://{bucket}/t/year=2024/month=02/day=29/hour=00/")
    );
    assert_eq!(doc["repair"], format!("partitioner {db} {table}"));

    let text = run(GAPS, &[&db, &table, "--every", "hour"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout
            .contains("missing, data in S3  2024-02-29 05:00 .. 2024-02-29 07:00 (3 slots)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("2024-02-29 23:00 .. 2024-03-01 00:00 (2 slots)"),
        "{}",
        text.stdout
    );
    let last = text.stdout.lines().last().unwrap();
    assert!(
        last.contains(&format!("repair: partitioner {db} {table}")),
        "{last}"
    );

    // The repair it names closes the gaps that have data.
    let repaired = run(PARTITIONER, &[&db, &table]);
    assert_eq!(repaired.code, 0, "{}", repaired.stderr);
    let after = run(
        GAPS,
        &[
            &db,
            &table,
            "--every",
            "hour",
            "--output",
            "json",
            "--fail-if-any",
        ],
    );
    assert_eq!(after.code, 3, "two slots still have no partition");
    let doc = after.json();
    assert!(slots(&doc, true).is_empty());
    assert_eq!(slots(&doc, false).len(), 2);
    assert_eq!(doc["repair"], Value::Null);
}

#[tokio::test]
async fn bounds_are_inclusive_and_days_count_any_hour() {
    let moto = Moto::connect().await;
    let (_, db, table) = hourly_table(&moto).await;
    // Only 2024-02-29 23:00 .. 2024-03-01 00:00 lack partitions in this
    // window, and both bounds count.
    let run1 = run(
        GAPS,
        &[
            &db,
            &table,
            "--every",
            "hour",
            "--since",
            "2024-02-29T08",
            "--until",
            "2024-03-01T00:00:00Z",
            "--output",
            "json",
            "--fail-if-any",
        ],
    );
    assert_eq!(run1.code, 3, "{}", run1.stderr);
    let doc = run1.json();
    assert_eq!(doc["slots"], 17);
    assert_eq!(
        slots(&doc, false),
        ["2024-02-29T23:00:00Z", "2024-03-01T00:00:00Z"]
    );
    // Past the last partition: the writer stopped.
    let later = run(
        GAPS,
        &[
            &db,
            &table,
            "--every",
            "day",
            "--since",
            "2024-02-28",
            "--until",
            "2024-03-03",
            "--output",
            "json",
        ],
    );
    assert_eq!(later.code, 0, "{}", later.stderr);
    let doc = later.json();
    assert_eq!(doc["slots"], 5);
    assert_eq!(
        slots(&doc, false),
        ["2024-03-02T00:00:00Z", "2024-03-03T00:00:00Z"],
        "a day with any hour in the catalog is present"
    );
    let clean = run(
        GAPS,
        &[
            &db,
            &table,
            "--every",
            "hour",
            "--since",
            "2024-02-29T08",
            "--until",
            "2024-02-29T22",
            "--fail-if-any",
        ],
    );
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    assert!(clean.stdout.contains("no gaps"), "{}", clean.stdout);
}

#[tokio::test]
async fn a_formatted_key_and_a_flat_layout() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto
        .bucket_and_table("gapsdt", "d", &[("dt", "string")])
        .await;
    // Flat folders named by value; 2023-12-31 .. 2024-01-02, the 1st
    // missing from the catalog but in S3.
    moto.put(
        &bucket,
        ["2023-12-31", "2024-01-01", "2024-01-02"].map(|d| format!("d/{d}/x.json")),
    )
    .await;
    moto.add_partitions(
        &db,
        &table,
        &[
            (
                vec!["2023-12-31".into()],
                format!("s3://{bucket}/d/2023-12-31/"),
            ),
            (
                vec!["2024-01-02".into()],
                format!("s3://{bucket}/d/2024-01-02/"),
            ),
        ],
    )
    .await;
    let guessed = run(GAPS, &[&db, &table, "--every", "day", "--output", "json"]);
    assert_eq!(guessed.code, 0, "{}", guessed.stderr);
    let doc = guessed.json();
    assert_eq!(slots(&doc, true), ["2024-01-01T00:00:00Z"]);
    assert_eq!(
        doc["missing"][0]["values"],
        serde_json::json!(["2024-01-01"])
    );
    assert_eq!(
        doc["missing"][0]["location"],
        format!("s3://{bucket}/d/2024-01-01/")
    );
    let hourly = run(GAPS, &[&db, &table, "--every", "hour"]);
    assert_eq!(hourly.code, 2);
    assert!(hourly.stderr.contains("--every day"), "{}", hourly.stderr);
    let wrong = run(
        GAPS,
        &[&db, &table, "--every", "day", "--value-format", "%Y%m%d"],
    );
    assert_eq!(
        wrong.code, 2,
        "no value follows the format: {}",
        wrong.stdout
    );
}

#[tokio::test]
async fn tables_not_keyed_by_time_are_refused() {
    let moto = Moto::connect().await;
    let (_, db, table) = moto
        .bucket_and_table("gapsbad", "t", &[("region", "string"), ("day", "string")])
        .await;
    let run1 = run(GAPS, &[&db, &table, "--every", "day"]);
    assert_eq!(run1.code, 2);
    assert!(run1.stderr.contains("region"), "{}", run1.stderr);
    let bad_bound = run(
        GAPS,
        &[&db, &table, "--every", "day", "--since", "yesterday"],
    );
    assert_eq!(bad_bound.code, 2);
    assert!(
        bad_bound.stderr.contains("yesterday"),
        "{}",
        bad_bound.stderr
    );
    let missing = run(GAPS, &[&db, "no_such_table", "--every", "day"]);
    assert_eq!(missing.code, 2);
}

/// A day-long outage: the day's folder is listed once instead of each of
/// its 24 hours; when the day does hold data (the catalog alone lacks it),
/// the hours are then probed one by one.
#[test]
fn a_whole_missing_day_costs_one_listing_when_s3_has_nothing() {
    use crate::harness::{hourly_table_input, run_at, Lab};
    use serde_json::json;

    let lab = Lab::start(0.0, 0.0);
    let hour = |day: u32, h: u32| {
        let values = vec![
            "2024".to_string(),
            "03".into(),
            format!("{day:02}"),
            format!("{h:02}"),
        ];
        let folder = format!("t/year=2024/month=03/day={day:02}/hour={h:02}/",);
        (values, folder)
    };
    let mut objects = Vec::new();
    let mut partitions = Vec::new();
    for day in [1, 3] {
        for h in 0..24 {
            let (values, folder) = hour(day, h);
            objects.push(format!("{folder}data.json"));
            partitions.push(json!({"Values": values, "StorageDescriptor": {"Location": format!("s3://gapsday/{folder}")}}));
        }
    }
    let table = hourly_table_input("events", "s3://gapsday/t/");
    lab.call(
        "/_lab/seed",
        Some(&json!([
            {"op": "objects", "bucket": "gapsday", "keys": objects},
            {"op": "table", "database": "gapsdb", "table_input": table},
            {"op": "partitions", "database": "gapsdb", "table": "events", "partition_inputs": partitions}
        ])),
    );
    let gaps = |lab: &Lab| {
        lab.call("/_lab/reset", Some(&json!({})));
        let r = run_at(
            &lab.endpoint,
            GAPS,
            &["gapsdb", "events", "--every", "hour", "--output", "json"],
        );
        assert_eq!(r.code, 0, "{r:?}");
        let listings = lab.call("/_lab/stats", None)["counts"]["S3:ListObjectsV2"]
            .as_u64()
            .unwrap_or(0);
        (r.json(), listings)
    };

    let (doc, listings) = gaps(&lab);
    assert_eq!(doc["missing_without_data"], 24, "{doc}");
    assert_eq!(listings, 1, "one listing of day 02, not 24");

    // Day 02's data arrives; the catalog still lacks it.
    let arrived: Vec<String> = (0..24)
        .map(|h| format!("{}data.json", hour(2, h).1))
        .collect();
    lab.call(
        "/_lab/seed",
        Some(&json!([{"op": "objects", "bucket": "gapsday", "keys": arrived}])),
    );
    let (doc, listings) = gaps(&lab);
    assert_eq!(doc["missing_with_data"], 24, "{doc}");
    assert_eq!(listings, 25, "the day, then each hour");
}

/// Without --every each table of a run uses its own keys: hours for an
/// hourly table, days for one keyed by date.
#[tokio::test(flavor = "multi_thread")]
async fn without_every_each_table_is_checked_by_its_own_keys() {
    let moto = Moto::connect().await;
    let (bucket, db, hourly) = moto
        .bucket_and_table(
            "gapsevery",
            "h",
            &[
                ("year", "string"),
                ("month", "string"),
                ("day", "string"),
                ("hour", "string"),
            ],
        )
        .await;
    let daily = moto
        .table(
            &db,
            "daily",
            &format!("s3://{bucket}/d"),
            &[("dt", "string")],
        )
        .await;
    let h = |hour: &str| {
        (
            crate::harness::strings(&["2024", "01", "01", hour]),
            format!("s3://{bucket}/h/year=2024/month=01/day=01/hour={hour}/"),
        )
    };
    moto.add_partitions(&db, &hourly, &[h("00"), h("03")]).await;
    let d = |day: &str| {
        (
            crate::harness::strings(&[day]),
            format!("s3://{bucket}/d/dt={day}/"),
        )
    };
    moto.add_partitions(&db, &daily, &[d("2024-01-01"), d("2024-01-04")])
        .await;

    let r = run(GAPS, &[&db, "--all-tables", "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    let by_name = |name: &str| {
        doc["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == name)
            .unwrap_or_else(|| panic!("{name} not in {doc}"))
            .clone()
    };
    let hourly_doc = by_name(&hourly);
    assert_eq!(hourly_doc["every"], "hour", "{hourly_doc}");
    assert_eq!(
        hourly_doc["missing"].as_array().map(Vec::len),
        Some(2),
        "{hourly_doc}"
    );
    let daily_doc = by_name(&daily);
    assert_eq!(daily_doc["every"], "day", "{daily_doc}");
    assert_eq!(
        daily_doc["missing"].as_array().map(Vec::len),
        Some(2),
        "{daily_doc}"
    );
    // A given --every applies to every table: days cannot be checked hourly.
    let r = run(GAPS, &[&db, "--all-tables", "--every", "hour"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("use --every day"), "{}", r.stdout);
}
