//! The Lambda handler end to end against moto: event in, summary out,
//! partitions created. The Lambda runtime itself is not involved.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use partitioner_lambda::handle;
use serde_json::json;

use crate::harness::{endpoint, hourly_keys, Moto, REGION};
use crate::partitioner::date_back;

/// The configuration a function would load, pointed at moto.
pub(crate) async fn sdk() -> SdkConfig {
    let creds = aws_sdk_glue::config::Credentials::new("testing", "testing", None, None, "test");
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(glutil::aws::https_client())
        .region(Region::new(REGION))
        .endpoint_url(endpoint())
        .credentials_provider(creds)
        .load()
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_in_creates_partitions_and_a_summary_comes_out() {
    let moto = Moto::connect().await;
    let keys = [
        ("year", "string"),
        ("month", "string"),
        ("day", "string"),
        ("hour", "string"),
    ];
    let (bucket, db, table) = moto.bucket_and_table("lambda", "e", &keys).await;
    moto.put(&bucket, hourly_keys("e/", 2, true)).await;
    let sdk = sdk().await;

    let summary = handle(&json!({"database": db, "table": table}), &sdk, 8)
        .await
        .unwrap();
    assert_eq!(summary.created, 48);
    assert_eq!(summary.tables_failed, 0);
    let t = &summary.tables[0];
    assert_eq!(
        (t.found, t.already_present, t.created, t.region.as_str()),
        (48, 0, 48, REGION)
    );
    assert_eq!(moto.partitions(&db, &table).await.len(), 48);
    // The answer is JSON with the documented fields.
    let answer = serde_json::to_value(summary.clone().into_result().unwrap()).unwrap();
    assert_eq!(answer["tables"][0]["database"], db.as_str());
    assert_eq!(answer["created"], 48);

    // The next hour's run finds them all present.
    let again = handle(&json!({"database": db, "table": table}), &sdk, 8)
        .await
        .unwrap();
    assert_eq!((again.created, again.tables[0].already_present), (0, 48));
}

#[tokio::test(flavor = "multi_thread")]
async fn several_tables_in_one_event_and_a_bad_one_fails_the_invocation() {
    let moto = Moto::connect().await;
    let daily = [("year", "string"), ("month", "string"), ("day", "string")];
    let (bucket, db, recent) = moto.bucket_and_table("lambda-many", "r", &daily).await;
    let mut objects = Vec::new();
    for back in [0, 1, 30] {
        let (y, m, d) = date_back(back);
        objects.push(format!("r/year={y}/month={m:02}/day={d:02}/a.json"));
    }
    moto.put(&bucket, objects).await;
    let sdk = sdk().await;

    let event = json!({
        "region": REGION,
        "tables": [
            {"database": db, "table": recent, "limit_days": 1, "dry_run": true},
            {"database": db, "table": "no_such_table"},
            {"database": db, "table": recent, "limit_days": 1},
        ]
    });
    let summary = handle(&event, &sdk, 4).await.unwrap();
    assert_eq!(summary.tables.len(), 3);
    assert_eq!(summary.tables_failed, 1);
    // The dry run counts what it would create and creates nothing; the
    // real run after it creates today's and yesterday's partitions only.
    assert!(summary.tables[0].dry_run);
    assert_eq!(
        (summary.tables[0].to_create, summary.tables[0].created),
        (2, 0)
    );
    let error = summary.tables[1].error.as_deref().unwrap();
    assert!(error.contains("`no_such_table`"), "{error}");
    assert_eq!(summary.tables[2].created, 2);
    assert_eq!(summary.created, 2);
    assert_eq!(moto.partitions(&db, &recent).await.len(), 2);
    let failure = summary.into_result().unwrap_err();
    assert!(failure.contains("1 of 3 tables failed"), "{failure}");

    // A malformed event is refused before any request.
    let err = handle(&json!({"database": db}), &sdk, 4).await.unwrap_err();
    assert!(err.contains("missing field `table`"), "{err}");
    let bad_region = handle(
        &json!({"database": db, "table": recent, "region": "Mars 1"}),
        &sdk,
        4,
    )
    .await
    .unwrap();
    assert!(
        bad_region.tables[0]
            .error
            .as_deref()
            .unwrap()
            .contains("`Mars 1`"),
        "{bad_region:?}"
    );
}
