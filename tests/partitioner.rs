//! End-to-end tests of the `partitioner` binary against moto.

use crate::harness::{hourly_keys, run, run_into_closed_pipe, strings, Moto, Run};

const BIN: &str = env!("CARGO_BIN_EXE_partitioner");

fn ymdh() -> Vec<(&'static str, &'static str)> {
    vec![
        ("year", "string"),
        ("month", "string"),
        ("day", "string"),
        ("hour", "string"),
    ]
}

/// A bucket, database and table at `s3://bucket/prefix` with `keys`.
type Partitions = Vec<(Vec<String>, String)>;

/// Seeds `objects` (keys relative to the bucket) under a new table at
/// `s3://bucket/prefix` with `keys`, runs the partitioner (which must
/// succeed) with `args`, and returns the bucket, the run and the catalog's
/// partitions afterwards.
async fn partition(
    prefix: &str,
    keys: &[(&str, &str)],
    objects: &[&str],
    args: &[&str],
) -> (String, Run, Partitions) {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto.bucket_and_table("part", prefix, keys).await;
    moto.put(&bucket, strings(objects)).await;
    let mut all = vec![db.as_str(), table.as_str()];
    all.extend_from_slice(args);
    let r = run(BIN, &all);
    assert_eq!(r.code, 0, "{r:?}");
    let parts = moto.partitions(&db, &table).await;
    (bucket, r, parts)
}

/// Expected partitions: values and a location relative to the bucket.
fn located(bucket: &str, expected: &[(&[&str], &str)]) -> Partitions {
    expected
        .iter()
        .map(|(values, rel)| (strings(values), format!("s3://{bucket}/{rel}")))
        .collect()
}

/// Only the values of partitions.
fn values_of(parts: &Partitions) -> Vec<Vec<String>> {
    parts.iter().map(|p| p.0.clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn hive_hourly_table_gets_every_partition_with_the_table_storage() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto.bucket_and_table("part", "events/", &ymdh()).await;
    moto.put(&bucket, hourly_keys("events/", 2, true)).await;

    let r = run(BIN, &[&db, &table]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("created:         48"), "{}", r.stdout);
    // A real run lists partitions only with -v; the summary is enough.
    assert!(!r.stdout.contains("create ["), "{}", r.stdout);

    let parts = moto.partitions(&db, &table).await;
    assert_eq!(parts.len(), 48);
    assert_eq!(parts[0].0, strings(&["2019", "01", "01", "00"]));
    assert_eq!(
        parts[0].1,
        format!("s3://{bucket}/events/year=2019/month=01/day=01/hour=00/")
    );
    // The storage descriptor is the table's, with the partition's location.
    let p = moto
        .glue
        .get_partition()
        .database_name(&db)
        .table_name(&table)
        .set_partition_values(Some(strings(&["2019", "01", "02", "23"])))
        .send()
        .await
        .unwrap();
    let sd = p.partition().unwrap().storage_descriptor().unwrap();
    assert_eq!(
        sd.serde_info().unwrap().serialization_library(),
        Some("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")
    );
    assert_eq!(sd.columns().len(), 1);
    assert_eq!(
        sd.location(),
        Some(format!("s3://{bucket}/events/year=2019/month=01/day=02/hour=23/").as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn flat_hourly_table_and_idempotent_rerun() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto.bucket_and_table("part", "firehose", &ymdh()).await;
    moto.put(&bucket, hourly_keys("firehose/", 3, false)).await;

    let first = run(BIN, &[&db, &table, "--output", "json"]);
    assert_eq!(first.code, 0, "{first:?}");
    let json = first.json();
    assert_eq!(json["found"], 72);
    assert_eq!(json["created"], 72);

    let parts = moto.partitions(&db, &table).await;
    assert_eq!(parts.len(), 72);
    assert_eq!(parts[71].0, strings(&["2019", "01", "03", "23"]));
    assert_eq!(
        parts[71].1,
        format!("s3://{bucket}/firehose/2019/01/03/23/")
    );

    let again = run(BIN, &[&db, &table, "--output", "json"]);
    assert_eq!(again.code, 0, "{again:?}");
    let json = again.json();
    assert_eq!(json["created"], 0);
    assert_eq!(json["already_present"], 72);
    assert_eq!(json["to_create"].as_array().unwrap().len(), 0);
    assert_eq!(moto.partitions(&db, &table).await, parts);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_the_plan_and_changes_nothing() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto.bucket_and_table("part", "t", &ymdh()).await;
    moto.put(&bucket, hourly_keys("t/", 1, true)).await;

    let text = run(BIN, &[&db, &table, "--dry-run"]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout.contains(&format!(
            "would create [2019, 01, 01, 05] s3://{bucket}/t/year=2019/month=01/day=01/hour=05/"
        )),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("to create:       24"),
        "{}",
        text.stdout
    );

    let json = run(BIN, &[&db, &table, "--dry-run", "--output", "json"]).json();
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["to_create"].as_array().unwrap().len(), 24);
    assert_eq!(json["created"], 0);
    assert!(moto.partitions(&db, &table).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn levels_with_more_than_1000_folders_are_followed_to_the_end() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto
        .bucket_and_table("part", "daily", &[("dt", "string"), ("hour", "int")])
        .await;
    // 1,050 day folders at the first level: two pages of common prefixes.
    let keys: Vec<String> = (0..1050)
        .map(|d| format!("daily/dt=d{d:04}/hour=00/part-0.json"))
        .collect();
    moto.put(&bucket, keys).await;

    // A reader that stops after one line (`| head -n 1`) ends the dry run
    // quietly: the plan is larger than a pipe's buffer, so writes fail.
    let (code, stderr) = run_into_closed_pipe(BIN, &[&db, &table, "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");

    let r = run(BIN, &[&db, &table, "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.json()["created"], 1050);
    let parts = moto.partitions(&db, &table).await;
    assert_eq!(parts.len(), 1050);
    assert_eq!(parts[1049].0, strings(&["d1049", "00"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partition_with_thousands_of_files_does_not_hide_its_neighbours() {
    let moto = Moto::connect().await;
    let (bucket, db, table) = moto
        .bucket_and_table("part", "big", &[("day", "string"), ("hour", "string")])
        .await;
    // Hour 01 holds 2,100 files: more than two pages of one listing.
    let mut keys: Vec<String> = (0..2100)
        .map(|i| format!("big/day=1/hour=01/part-{i:05}.json"))
        .collect();
    keys.push("big/day=1/hour=00/a.json".into());
    keys.push("big/day=1/hour=02/a.json".into());
    keys.push("big/day=1/hour=03/".into()); // marker only: no data
    keys.push("big/day=1/hour=04/b.json".into());
    moto.put(&bucket, keys).await;

    let r = run(BIN, &[&db, &table, "--output", "json", "-v"]);
    assert_eq!(r.code, 0, "{r:?}");
    let json = r.json();
    assert_eq!(json["created"], 4);
    assert_eq!(json["empty_folders"], 1);
    // Skipping past the big partition keeps the listing short.
    let listings = json["requests"]["S3:ListObjectsV2"].as_u64().unwrap();
    assert!(listings <= 4, "{listings} listings");
    let values = values_of(&moto.partitions(&db, &table).await);
    assert_eq!(
        values,
        vec![
            strings(&["1", "00"]),
            strings(&["1", "01"]),
            strings(&["1", "02"]),
            strings(&["1", "04"])
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_folders_markers_and_incomplete_paths_are_not_partitions() {
    let (_, r, parts) = partition(
        "h",
        &ymdh(),
        &[
            "h/2019/01/01/00/ok.json",
            // Hidden folders at every level.
            "h/_temporary/2019/01/01/00/x.json",
            "h/2019/.spark-staging/01/00/x.json",
            "h/2019/01/01/.hive-staging_hive_1/x.json",
            "h/2019/01/01/_SUCCESS",
            // A leaf with only a zero-byte folder marker.
            "h/2019/01/01/01/",
            // A leaf with only a marker for an empty subfolder.
            "h/2019/01/01/05/sub/",
            // A leaf whose only data is in progress under _temporary.
            "h/2019/01/01/02/_temporary/0/part-0",
            // A leaf with data nested one level down counts.
            "h/2019/01/01/03/sub/part-0",
            // Incomplete paths: data above the leaf level.
            "h/2019/01/02/file-in-a-day.json",
            "h/2019/02/file-in-a-month.json",
            // A file that is not a folder marker is data.
            "h/2019/01/01/04/_SUCCESS_MARKER_FILE",
        ],
        &["--output", "json"],
    )
    .await;
    assert_eq!(
        values_of(&parts),
        vec![
            strings(&["2019", "01", "01", "00"]),
            strings(&["2019", "01", "01", "03"]),
            strings(&["2019", "01", "01", "04"])
        ]
    );
    assert_eq!(r.json()["empty_folders"], 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn integer_keys_only_take_digit_folders_and_hive_keys_ignore_case() {
    let (bucket, _, parts) = partition(
        "ints",
        &[("year", "int"), ("month", "bigint")],
        &[
            "ints/2019/01/a",
            "ints/YEAR=2020/Month=02/a",
            "ints/2019/1a/a",
            "ints/abc/01/a",
            "ints/2019/day=03/a",
            "ints/2021/month=x/a",
        ],
        &[],
    )
    .await;
    let expected = located(
        &bucket,
        &[
            (&["2019", "01"], "ints/2019/01/"),
            (&["2020", "02"], "ints/YEAR=2020/Month=02/"),
        ],
    );
    assert_eq!(parts, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn bucket_root_location_works() {
    let (bucket, _, parts) = partition(
        "",
        &[("dt", "string")],
        &["dt=2020-01-01/a", "dt=2020-01-02/b", "_tmp/c"],
        &[],
    )
    .await;
    let expected = located(
        &bucket,
        &[
            (&["2020-01-01"], "dt=2020-01-01/"),
            (&["2020-01-02"], "dt=2020-01-02/"),
        ],
    );
    assert_eq!(parts, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn single_key_nested_flat_folders_join_with_dashes() {
    let (bucket, _, parts) = partition(
        "fh/",
        &[("dt", "string")],
        &[
            "fh/2019/01/02/03/a.gz",
            "fh/2019/01/02/03/b.gz",
            "fh/2019/01/02/04/a.gz",
            "fh/2019/01/02/05/",
            "fh/2019/_temporary/x.gz",
        ],
        &[],
    )
    .await;
    let expected = located(
        &bucket,
        &[
            (&["2019-01-02-03"], "fh/2019/01/02/03/"),
            (&["2019-01-02-04"], "fh/2019/01/02/04/"),
        ],
    );
    assert_eq!(parts, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn hive_values_are_unescaped_and_locations_keep_the_s3_path() {
    let (bucket, _, parts) = partition(
        "esc",
        &[("ts", "string")],
        &["esc/ts=2019-01-02 03%3A04%3A05/a"],
        &[],
    )
    .await;
    let expected = located(
        &bucket,
        &[(&["2019-01-02 03:04:05"], "esc/ts=2019-01-02 03%3A04%3A05/")],
    );
    assert_eq!(parts, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn conflicting_folders_are_reported_and_the_rest_is_created() {
    let (_, r, parts) = partition(
        "mix",
        &ymdh(),
        &[
            "mix/2023/01/01/02/a",
            "mix/year=2023/month=01/day=01/hour=02/a",
            "mix/2023/01/01/03/a",
            "mix/year=2023/month=01/day=01/hour=04/a",
        ],
        &["--output", "json"],
    )
    .await;
    let json = r.json();
    let conflicts = json["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        conflicts[0]["values"],
        serde_json::json!(["2023", "01", "01", "02"])
    );
    assert_eq!(conflicts[0]["locations"].as_array().unwrap().len(), 2);
    assert!(
        r.stderr.contains("claimed by more than one folder"),
        "{}",
        r.stderr
    );
    assert_eq!(
        values_of(&parts),
        vec![
            strings(&["2023", "01", "01", "03"]),
            strings(&["2023", "01", "01", "04"])
        ]
    );
}

/// Today and `days_ago` as (year, month, day), computed like the binary.
pub fn date_back(days_ago: i64) -> (i64, u32, u32) {
    let today = glutil::model::scope::Date::today_utc().days_since_epoch();
    let d = glutil::model::scope::Date::from_days_since_epoch(today - days_ago);
    (d.year, d.month, d.day)
}

#[tokio::test(flavor = "multi_thread")]
async fn limit_days_and_prefix_only_visit_the_window() {
    let moto = Moto::connect().await;
    let keys = [
        ("region", "string"),
        ("year", "string"),
        ("month", "string"),
        ("day", "string"),
    ];
    let (bucket, db, table) = moto.bucket_and_table("part", "w", &keys).await;
    let mut objects = Vec::new();
    for region in ["eu", "us"] {
        for back in [0, 1, 10, 400] {
            let (y, m, d) = date_back(back);
            objects.push(format!(
                "w/region={region}/year={y}/month={m:02}/day={d:02}/a"
            ));
        }
    }
    moto.put(&bucket, objects).await;

    let r = run(
        BIN,
        &[
            &db,
            &table,
            "--prefix",
            "eu",
            "--limit-days",
            "1",
            "--output",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let values = values_of(&moto.partitions(&db, &table).await);
    let expect = |back| {
        let (y, m, d) = date_back(back);
        vec![
            "eu".to_string(),
            y.to_string(),
            format!("{m:02}"),
            format!("{d:02}"),
        ]
    };
    let mut wanted = vec![expect(0), expect(1)];
    wanted.sort();
    assert_eq!(values, wanted);
    // Pruned, not filtered: the us side and old years were never listed.
    let listings = r.json()["requests"]["S3:ListObjectsV2"].as_u64().unwrap();
    assert!(listings <= 8, "{listings} listings");

    let bad = run(BIN, &[&db, &table, "--limit-days", "1"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("year, month, day"), "{}", bad.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_exits_2_names_the_problem_and_changes_nothing() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("bad").await;
    moto.put(&bucket, strings(&["t/dt=1/a"])).await;
    let db = moto.database("bad").await;
    let good = moto
        .table(
            &db,
            "good",
            &format!("s3://{bucket}/t"),
            &[("dt", "string")],
        )
        .await;
    let unpartitioned = moto
        .table(&db, "flat", &format!("s3://{bucket}/t"), &[])
        .await;
    let hdfs = moto
        .table(
            &db,
            "hdfs",
            "hdfs://namenode/warehouse/t",
            &[("dt", "string")],
        )
        .await;
    let no_bucket = moto
        .table(
            &db,
            "nobucket",
            "s3://glutil-no-such-bucket-here/t",
            &[("dt", "string")],
        )
        .await;

    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["no_such_db", &good], "database `no_such_db`"),
        (vec![&db, "no_such_table"], "table `no_such_table`"),
        (vec![&db, &unpartitioned], "no partition keys"),
        (vec![&db, &hdfs], "not an S3 location"),
        (vec![&db, &no_bucket], "bucket `glutil-no-such-bucket-here`"),
        (vec![&db, &good, "--concurrency", "0"], "--concurrency"),
        (vec![&db, &good, "--max-attempts", "0"], "--max-attempts"),
        (vec![&db, &good, "--output", "xml"], "--output"),
        (vec![&db, &good, "--no-such-flag"], "--no-such-flag"),
        (vec![&db], "TABLE"),
        (
            vec![&db, &good, "--prefix", "a", "--prefix", "b"],
            "--prefix",
        ),
        (
            vec![&db, &good, "--endpoint-url", "localhost:1"],
            "--endpoint-url",
        ),
        (
            vec![&db, &good, "--profile", "glutil-no-such-profile"],
            "glutil-no-such-profile",
        ),
    ];
    for (args, needle) in cases {
        let r = run(BIN, &args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(
            r.stderr.contains(needle),
            "{args:?}: stderr lacks {needle:?}:\n{}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
    }
    for t in [&good, &unpartitioned, &hdfs, &no_bucket] {
        assert!(moto.partitions(&db, t).await.is_empty(), "{t} changed");
    }
}

#[test]
fn help_documents_the_exit_codes() {
    let r = run(BIN, &["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Exit codes:"));
    assert!(r.stdout.contains("--dry-run"));
}
