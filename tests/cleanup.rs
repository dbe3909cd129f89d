//! End-to-end tests of `list-missing`, `delete-missing`, `delete-bad` and
//! `delete-all` against moto, on a catalog that mixes every case
//! docs/rules.md names.

use crate::harness::{run, run_into_closed_pipe, strings, Moto};

const LIST_MISSING: &str = env!("CARGO_BIN_EXE_list-missing");
const DELETE_MISSING: &str = env!("CARGO_BIN_EXE_delete-missing");
const DELETE_BAD: &str = env!("CARGO_BIN_EXE_delete-bad");
const DELETE_ALL: &str = env!("CARGO_BIN_EXE_delete-all");

/// A table at s3://bucket/t/ keyed (year, month) whose catalog holds:
/// - 01: good, Hive folder with data
/// - 02: good, flat folder with data
/// - 03: its folder holds only a folder marker and a `_temporary` file
/// - 04: points at 01's folder (data there), its own folder 04 has data
/// - 05: outside the table location, with data
/// - 06: outside the table location, without data
/// - 07: in a bucket that does not exist
/// - 08: not an S3 location
/// - 09: its folder (a valid leaf path under the table) does not exist
/// - 10: a folder under the table that is not a partition folder, with data
struct Mixed {
    bucket: String,
    db: String,
    table: String,
}

async fn mixed(moto: &Moto) -> Mixed {
    let bucket = moto.bucket("clean").await;
    let db = moto.database("clean").await;
    let table = moto
        .table(
            &db,
            "events",
            &format!("s3://{bucket}/t"),
            &[("year", "string"), ("month", "string")],
        )
        .await;
    moto.put(
        &bucket,
        strings(&[
            "t/year=2020/month=01/a.json",
            "t/2020/02/a.json",
            "t/year=2020/month=03/",
            "t/year=2020/month=03/_temporary/0/part",
            "t/year=2020/month=04/a.json",
            "elsewhere/05/a.json",
            "elsewhere/06/",
            "t/custom/a.json",
        ]),
    )
    .await;
    let b = |rel: &str| format!("s3://{bucket}/{rel}");
    moto.add_partitions(
        &db,
        &table,
        &[
            (strings(&["2020", "01"]), b("t/year=2020/month=01/")),
            (strings(&["2020", "02"]), b("t/2020/02")),
            (strings(&["2020", "03"]), b("t/year=2020/month=03/")),
            (strings(&["2020", "04"]), b("t/year=2020/month=01/")),
            (strings(&["2020", "05"]), b("elsewhere/05/")),
            (strings(&["2020", "06"]), b("elsewhere/06/")),
            (
                strings(&["2020", "07"]),
                "s3://glutil-no-such-bucket-for-tests/t/07/".to_string(),
            ),
            (
                strings(&["2020", "08"]),
                "hdfs://namenode/t/08/".to_string(),
            ),
            (strings(&["2020", "09"]), b("t/year=2020/month=09/")),
            (strings(&["2020", "10"]), b("t/custom/")),
        ],
    )
    .await;
    Mixed { bucket, db, table }
}

async fn months(moto: &Moto, m: &Mixed) -> Vec<String> {
    moto.partitions(&m.db, &m.table)
        .await
        .into_iter()
        .map(|(values, _)| values[1].clone())
        .collect()
}

fn json_months(json: &serde_json::Value, field: &str) -> Vec<String> {
    json[field]
        .as_array()
        .unwrap_or_else(|| panic!("no {field} in {json}"))
        .iter()
        .map(|p| p["values"][1].as_str().unwrap().to_string())
        .collect()
}

const ALL: [&str; 10] = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"];

#[tokio::test(flavor = "multi_thread")]
async fn list_missing_lists_partitions_without_data_at_their_own_location() {
    let moto = Moto::connect().await;
    let m = mixed(&moto).await;

    let r = run(LIST_MISSING, &[&m.db, &m.table, "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let json = r.json();
    assert_eq!(
        json_months(&json, "missing"),
        ["03", "06", "07", "08", "09"]
    );
    assert_eq!(json["examined"], 10);
    // One walk, and probes only for the four S3 locations it could not
    // see (05, 06, 07 and the non-partition folder of 10); 09's folder
    // would have been walked had it held anything.
    let listings = json["requests"]["S3:ListObjectsV2"].as_u64().unwrap();
    assert_eq!(listings, 5, "one walk listing and four probes");
    assert_eq!(json["missing"][0]["reason"]["kind"], "no_data");
    assert_eq!(json["missing"][3]["reason"]["kind"], "not_an_s3_location");
    assert_eq!(
        json["missing"][1]["location"],
        format!("s3://{}/elsewhere/06/", m.bucket)
    );

    let text = run(LIST_MISSING, &[&m.db, &m.table]);
    assert_eq!(text.code, 0, "{text:?}");
    assert!(
        text.stdout.contains("missing [2020, 03]"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("missing:  5"), "{}", text.stdout);

    let strict = run(
        LIST_MISSING,
        &[&m.db, &m.table, "--fail-if-any", "--dry-run"],
    );
    assert_eq!(strict.code, 3, "{strict:?}");
    assert_eq!(
        months(&moto, &m).await,
        ALL,
        "list-missing changed the catalog"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_missing_deletes_exactly_what_list_missing_lists() {
    let moto = Moto::connect().await;
    let m = mixed(&moto).await;

    let dry = run(
        DELETE_MISSING,
        &[&m.db, &m.table, "--dry-run", "--output", "json"],
    );
    assert_eq!(dry.code, 0, "{dry:?}");
    assert_eq!(
        json_months(&dry.json(), "to_delete"),
        ["03", "06", "07", "08", "09"]
    );
    assert_eq!(
        months(&moto, &m).await,
        ALL,
        "the dry run changed the catalog"
    );

    let r = run(DELETE_MISSING, &[&m.db, &m.table, "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let json = r.json();
    assert_eq!(json["deleted"], 5);
    assert_eq!(json["already_gone"], 0);
    assert_eq!(months(&moto, &m).await, ["01", "02", "04", "05", "10"]);

    // A second run finds nothing more.
    let again = run(DELETE_MISSING, &[&m.db, &m.table, "--output", "json"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.json()["deleted"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_bad_deletes_missing_and_misplaced_partitions_only() {
    let moto = Moto::connect().await;
    let m = mixed(&moto).await;

    let dry = run(DELETE_BAD, &[&m.db, &m.table, "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(
        dry.stdout.contains(&format!(
            "would delete [2020, 04] s3://{}/t/year=2020/month=01/ (its values are found at s3://{}/t/year=2020/month=04/)",
            m.bucket, m.bucket
        )),
        "{}",
        dry.stdout
    );
    assert_eq!(
        months(&moto, &m).await,
        ALL,
        "the dry run changed the catalog"
    );

    let r = run(DELETE_BAD, &[&m.db, &m.table, "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        json_months(&r.json(), "to_delete"),
        ["03", "04", "05", "06", "07", "08", "09", "10"]
    );
    // Only the partitions at the folder discovery finds for them stay,
    // with their own fields.
    assert_eq!(months(&moto, &m).await, ["01", "02"]);
    let kept = moto
        .glue
        .get_partition()
        .database_name(&m.db)
        .table_name(&m.table)
        .set_partition_values(Some(strings(&["2020", "02"])))
        .send()
        .await
        .unwrap();
    let kept = kept.partition().unwrap();
    assert_eq!(
        kept.parameters().unwrap().get("owner").map(String::as_str),
        Some("tests")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_all_needs_yes_without_a_terminal_and_deletes_more_than_1000() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("all").await;
    let db = moto.database("all").await;
    let table = moto
        .table(&db, "big", &format!("s3://{bucket}/t"), &[("n", "int")])
        .await;
    let partitions: Vec<(Vec<String>, String)> = (0..1030)
        .map(|n| (vec![n.to_string()], format!("s3://{bucket}/t/n={n}/")))
        .collect();
    moto.add_partitions(&db, &table, &partitions).await;

    let refused = run(DELETE_ALL, &[&db, &table]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert_eq!(moto.partitions(&db, &table).await.len(), 1030);

    let dry = run(DELETE_ALL, &[&db, &table, "--dry-run", "--output", "json"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert_eq!(dry.json()["to_delete"].as_array().unwrap().len(), 1030);
    assert_eq!(moto.partitions(&db, &table).await.len(), 1030);

    let r = run(DELETE_ALL, &[&db, &table, "--yes", "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let json = r.json();
    assert_eq!(json["deleted"], 1030);
    assert_eq!(
        json["requests"]["Glue:BatchDeletePartition"], 42,
        "ceil(1030 / 25)"
    );
    assert!(moto.partitions(&db, &table).await.is_empty());

    let empty = run(DELETE_ALL, &[&db, &table, "--yes"]);
    assert_eq!(empty.code, 0, "{empty:?}");
    assert!(empty.stdout.contains("to delete:    0"), "{}", empty.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn cleanups_on_bad_input_exit_2_and_a_closed_pipe_is_quiet() {
    let moto = Moto::connect().await;
    let m = mixed(&moto).await;
    let commands: [(&str, &[&str]); 4] = [
        (LIST_MISSING, &[]),
        (DELETE_MISSING, &[]),
        (DELETE_BAD, &[]),
        (DELETE_ALL, &["--yes"]),
    ];
    for (bin, extra) in commands {
        for (args, needle) in [
            (
                vec!["no_such_db", m.table.as_str()],
                "database `no_such_db`",
            ),
            (
                vec![m.db.as_str(), "no_such_table"],
                "table `no_such_table`",
            ),
            (
                vec![m.db.as_str(), m.table.as_str(), "--concurrency", "0"],
                "--concurrency",
            ),
        ] {
            let mut args = args.clone();
            args.extend_from_slice(extra);
            let r = run(bin, &args);
            assert_eq!(r.code, 2, "{bin} {args:?}: {r:?}");
            assert!(r.stderr.contains(needle), "{bin} {args:?}: {}", r.stderr);
        }
    }
    assert_eq!(months(&moto, &m).await, ALL);

    // Enough output to fill a pipe: 1,200 partitions without data.
    let db = moto.database("pipe").await;
    let table = moto
        .table(
            &db,
            "t",
            &format!("s3://{}/p", m.bucket),
            &[("n", "string")],
        )
        .await;
    let partitions: Vec<(Vec<String>, String)> = (0..1200)
        .map(|n| {
            (
                vec![format!("{n:05}")],
                format!("s3://{}/p/n={n:05}/", m.bucket),
            )
        })
        .collect();
    moto.add_partitions(&db, &table, &partitions).await;
    let (code, stderr) = run_into_closed_pipe(LIST_MISSING, &[&db, &table]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

/// After a bucket move the old locations are empty: those partitions are
/// "missing", but their data is under the table's location, and the audit
/// says `update-partitions` would repoint them instead of deleting them.
#[tokio::test(flavor = "multi_thread")]
async fn missing_partitions_whose_data_moved_come_with_the_repoint_hint() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("moved").await;
    let db = moto.database("moved").await;
    let table = moto
        .table(&db, "t", &format!("s3://{bucket}/new"), &[("dt", "string")])
        .await;
    moto.put(&bucket, strings(&["new/dt=1/a.json", "new/dt=3/a.json"]))
        .await;
    moto.add_partitions(
        &db,
        &table,
        &[
            (strings(&["1"]), format!("s3://{bucket}/old/dt=1/")),
            (strings(&["2"]), format!("s3://{bucket}/old/dt=2/")),
            (strings(&["3"]), format!("s3://{bucket}/old/dt=3/")),
        ],
    )
    .await;
    let hint = format!("`update-partitions {db} {table}` would repoint them");
    let r = run(LIST_MISSING, &[&db, &table, "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let doc = r.json();
    assert_eq!(doc["missing"].as_array().map(Vec::len), Some(3), "{doc}");
    assert_eq!(doc["repointable"], 2, "{doc}");
    assert!(r.stderr.contains(&hint), "{}", r.stderr);
    assert!(r.stderr.contains("2 of these partitions"), "{}", r.stderr);

    let r = run(DELETE_MISSING, &[&db, &table, "--dry-run"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains(&hint), "{}", r.stderr);
    // Repointed, nothing is missing any more except the one without data.
    let r = run(
        env!("CARGO_BIN_EXE_update-partitions"),
        &[
            &db,
            &table,
            "--backup",
            &crate::harness::backup_path("moved"),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(LIST_MISSING, &[&db, &table, "--output", "json"]);
    let doc = r.json();
    assert_eq!(doc["missing"].as_array().map(Vec::len), Some(1), "{doc}");
    assert_eq!(doc["repointable"], 0, "{doc}");
    assert!(!r.stderr.contains("repoint"), "{}", r.stderr);
}
