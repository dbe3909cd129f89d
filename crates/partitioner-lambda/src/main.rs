//! `partitioner-lambda`: the glutil partitioner as an AWS Lambda function
//! (runtime `provided.al2023`, the binary named `bootstrap`). The event is
//! `{"database": ..., "table": ...}` with optional `region`, `limit_days`,
//! `prefix` and `dry_run`, or `{"tables": [...]}` of those; the answer is a
//! JSON summary. See the README for building, IAM and a schedule.

// The handler's future (SDK clients, walk, batched writes) nests deeper
// than rustc's default layout query limit in release builds.
#![recursion_limit = "256"]

use std::sync::Arc;

use lambda_runtime::Error;
use partitioner_lambda::{serve, EventState, DEFAULT_CONCURRENCY};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The runtime client would panic without the variables Lambda sets.
    for variable in ["AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME"] {
        if std::env::var_os(variable).is_none() {
            eprintln!(
                "error: partitioner-lambda runs inside AWS Lambda ({variable} is not set); to partition a table from a shell, use `partitioner DATABASE TABLE`"
            );
            std::process::exit(2);
        }
    }
    // Loaded once per cold start and shared by every invocation.
    let sdk = Arc::new(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(glutil::aws::https_client())
            .load()
            .await,
    );
    let concurrency = std::env::var("GLUTIL_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| (1..=1024).contains(n))
        .unwrap_or(DEFAULT_CONCURRENCY);
    // The watched tables and the partitions known to exist, per warm
    // container.
    let state = Arc::new(EventState::from_env());
    // The event path's summary goes to the log as one JSON line.
    serve(sdk, concurrency, state, |summary| {
        println!("{}", serde_json::to_string(summary).unwrap_or_default());
    })
    .await
}
