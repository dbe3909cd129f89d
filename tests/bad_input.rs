//! Bad input for every binary: each case exits with 2, names what was
//! wrong, never panics, and leaves the catalog as it was. And no output
//! ever shows credentials.

use crate::harness::{endpoint, run, run_env, strings, Moto};

const TABLE_BINARIES: [&str; 7] = [
    env!("CARGO_BIN_EXE_partitioner"),
    env!("CARGO_BIN_EXE_list-missing"),
    env!("CARGO_BIN_EXE_delete-missing"),
    env!("CARGO_BIN_EXE_delete-bad"),
    env!("CARGO_BIN_EXE_delete-all"),
    env!("CARGO_BIN_EXE_update-partitions"),
    env!("CARGO_BIN_EXE_update-storage"),
];
const DELETE_ALL: &str = env!("CARGO_BIN_EXE_delete-all");
const DELETE_BAD_TABLES: &str = env!("CARGO_BIN_EXE_delete-bad-tables");
const PARTITIONER: &str = env!("CARGO_BIN_EXE_partitioner");

/// Options every binary shares, each wrong in its own way, with the words
/// the error must contain.
fn bad_options() -> Vec<(Vec<&'static str>, &'static str)> {
    vec![
        (vec!["--concurrency", "0"], "--concurrency"),
        (vec!["--concurrency", "abc"], "--concurrency"),
        (vec!["--concurrency", "5000"], "--concurrency"),
        (vec!["--concurrency"], "--concurrency"),
        (vec!["--max-attempts", "0"], "--max-attempts"),
        (vec!["--max-attempts", "101"], "--max-attempts"),
        (vec!["--max-attempts", "-1"], "--max-attempts"),
        (vec!["--output", "xml"], "--output"),
        (vec!["--output"], "--output"),
        (vec!["--no-such-flag"], "--no-such-flag"),
        (vec!["--endpoint-url", "localhost:1"], "--endpoint-url"),
        (
            vec!["--profile", "glutil-no-such-profile"],
            "glutil-no-such-profile",
        ),
        (vec!["--region", "not a region"], "--region"),
        (vec!["--region", ""], "--region"),
        (vec!["-v", "-q"], "--quiet"),
    ]
}

fn assert_bad(binary: &str, args: &[&str], needle: &str) {
    let r = run(binary, args);
    let name = binary.rsplit('/').next().unwrap();
    assert_eq!(r.code, 2, "{name} {args:?}: {r:?}");
    assert!(
        r.stderr.contains(needle),
        "{name} {args:?}: stderr lacks {needle:?}:\n{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("panicked"),
        "{name} {args:?}: {}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_binary_rejects_bad_input_with_2_and_changes_nothing() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("bad").await;
    moto.put(&bucket, strings(&["t/dt=1/a", "t/dt=2/a"])).await;
    let db = moto.database("bad").await;
    let keys = [("dt", "string")];
    let good = moto
        .table(&db, "good", &format!("s3://{bucket}/t"), &keys)
        .await;
    moto.add_partitions(
        &db,
        &good,
        &[(strings(&["1"]), format!("s3://{bucket}/t/dt=1/"))],
    )
    .await;
    let flat = moto
        .table(&db, "flat", &format!("s3://{bucket}/t"), &[])
        .await;
    let hdfs = moto
        .table(&db, "hdfs", "hdfs://namenode/warehouse/t", &keys)
        .await;
    let no_bucket = moto
        .table(&db, "nobucket", "s3://glutil-no-such-bucket-here/t", &keys)
        .await;
    let tables_before = moto
        .glue
        .get_tables()
        .database_name(&db)
        .send()
        .await
        .unwrap()
        .table_list()
        .len();

    for binary in TABLE_BINARIES {
        // delete-all refuses without --yes off a terminal: give it, so the
        // case under test is what stops it.
        let extra: &[&str] = if binary == DELETE_ALL {
            &["--yes"]
        } else {
            &[]
        };
        let with = |args: &[&str]| -> Vec<String> {
            args.iter().chain(extra).map(|s| s.to_string()).collect()
        };
        let mut cases: Vec<(Vec<String>, String)> = vec![
            (with(&["no_such_db", &good]), "database `no_such_db`".into()),
            (
                with(&[&db, "no_such_table"]),
                "table `no_such_table`".into(),
            ),
            (with(&["", &good]), "DATABASE".into()),
            (with(&[&db, ""]), "TABLE".into()),
            (with(&[&db]), "TABLE".into()),
            (with(&[&db, &good, "extra"]), "unexpected argument".into()),
            (with(&[&db, &hdfs]), "not an S3 location".into()),
        ];
        // Commands that read S3 also need a bucket and partition keys.
        if ![DELETE_ALL, env!("CARGO_BIN_EXE_update-storage")].contains(&binary) {
            cases.push((
                with(&[&db, &no_bucket]),
                "bucket `glutil-no-such-bucket-here`".into(),
            ));
            cases.push((with(&[&db, &flat]), "no partition keys".into()));
        }
        for (option, needle) in bad_options() {
            let mut args = with(&[&db, &good]);
            args.extend(option.iter().map(|s| s.to_string()));
            cases.push((args, needle.into()));
        }
        if binary == PARTITIONER {
            cases.push((
                with(&[&db, &good, "--limit-days", "-1"]),
                "--limit-days".into(),
            ));
            cases.push((
                with(&[&db, &good, "--limit-days", "3"]),
                "year, month, day".into(),
            ));
            cases.push((
                with(&[&db, &good, "--prefix", "a", "--prefix", "b"]),
                "--prefix".into(),
            ));
        }
        assert!(cases.len() >= 20, "{binary}: only {} cases", cases.len());
        for (args, needle) in &cases {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            assert_bad(binary, &args, needle);
        }
    }

    let mut cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["no_such_db".into()], "database `no_such_db`"),
        (vec!["".into()], "DATABASE"),
        (vec![], "DATABASE"),
        (vec![db.clone(), "extra".into()], "unexpected argument"),
        (
            vec![db.clone(), "--dry-run".into(), "--yes".into()],
            "--yes",
        ),
    ];
    for (option, needle) in bad_options() {
        let mut args = vec![db.clone()];
        args.extend(option.iter().map(|s| s.to_string()));
        cases.push((args, needle));
    }
    assert!(cases.len() >= 20);
    for (args, needle) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_bad(DELETE_BAD_TABLES, &args, needle);
    }

    // Nothing changed.
    assert_eq!(
        moto.partitions(&db, &good).await,
        vec![(strings(&["1"]), format!("s3://{bucket}/t/dt=1/"))]
    );
    for t in [&flat, &hdfs, &no_bucket] {
        assert!(moto.partitions(&db, t).await.is_empty());
    }
    let tables_after = moto
        .glue
        .get_tables()
        .database_name(&db)
        .send()
        .await
        .unwrap()
        .table_list()
        .len();
    assert_eq!(tables_before, tables_after);
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_never_reach_the_output_even_with_verbose() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("secret").await;
    moto.put(&bucket, strings(&["t/dt=1/a"])).await;
    let db = moto.database("secret").await;
    let table = moto
        .table(&db, "t", &format!("s3://{bucket}/t"), &[("dt", "string")])
        .await;
    let secret = "glutilTestSecretKey0123456789DoNotPrint";
    let token = "glutilTestSessionTokenDoNotPrint";
    let env = [
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_SESSION_TOKEN", token),
    ];
    let runs = [
        run_env(endpoint(), PARTITIONER, &[&db, &table, "-v", "-v"], &env),
        run_env(
            endpoint(),
            PARTITIONER,
            &[&db, &table, "-v", "--output", "json"],
            &env,
        ),
        run_env(endpoint(), PARTITIONER, &[&db, "no_such_table", "-v"], &env),
        run_env(
            "http://127.0.0.1:9",
            PARTITIONER,
            &[&db, &table, "-v", "--max-attempts", "1"],
            &env,
        ),
    ];
    for r in &runs {
        for text in [&r.stdout, &r.stderr] {
            for needle in [secret, token, "Signature=", "X-Amz-Credential", "AKIA"] {
                assert!(!text.contains(needle), "{needle} printed:\n{text}");
            }
        }
    }
    assert_eq!(runs[0].code, 0, "{:?}", runs[0]);
    assert_eq!(
        runs[3].code, 1,
        "an unreachable endpoint is an AWS failure: {:?}",
        runs[3]
    );
}
