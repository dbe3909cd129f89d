//! deploy/partitioner.yaml: passes cfn-lint, deploys on moto's
//! CloudFormation, and declares what the docs say (queue with a
//! dead-letter queue, the function's runtime, handler, memory and
//! environment, partial batch responses, least-privilege actions).

use std::process::Command;

use serde_json::Value;

use crate::harness::{endpoint, lab_python, repo_root};

fn template() -> String {
    repo_root()
        .join("deploy/partitioner.yaml")
        .display()
        .to_string()
}

#[test]
fn the_template_passes_cfn_lint() {
    let lint = std::path::Path::new(lab_python()).with_file_name("cfn-lint");
    let out = Command::new(lint)
        .arg(template())
        .output()
        .expect("run cfn-lint");
    assert!(
        out.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // moto does not keep a function's architecture: read it from the file.
    let text = std::fs::read_to_string(template()).unwrap();
    assert!(text.contains("Architectures: [arm64]"), "arm64");
    assert!(
        text.contains("MaximumRetryAttempts: 0"),
        "no async retry for the schedule"
    );
}

#[test]
fn the_template_deploys_on_moto_and_declares_what_the_docs_say() {
    let script = repo_root().join("tests/fixtures/deploy_check.py");
    let out = Command::new(lab_python())
        .arg(script)
        .arg(endpoint())
        .arg(template())
        .output()
        .expect("run deploy_check.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "CREATE_COMPLETE", "{doc}");
    assert_eq!(
        doc["redrive"]["deadLetterTargetArn"], doc["dlq_arn"],
        "{doc}"
    );
    assert_eq!(doc["redrive"]["maxReceiveCount"], 5, "{doc}");
    assert_eq!(doc["runtime"], "provided.al2023");
    assert_eq!(doc["handler"], "bootstrap");
    assert_eq!(doc["memory"], 128);
    assert_eq!(doc["environment"]["GLUTIL_WATCH"], "sales.orders,sales.*");
    let mapping = &doc["mappings"][0];
    assert_eq!(mapping["source"], doc["queue_arn"], "{doc}");
    assert_eq!(
        mapping["response_types"],
        serde_json::json!(["ReportBatchItemFailures"])
    );
    let actions: Vec<&str> = doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for needed in [
        "glue:GetTable",
        "glue:GetTables",
        "glue:GetDatabase",
        "glue:BatchGetPartition",
        "glue:BatchCreatePartition",
        "s3:ListBucket",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "logs:PutLogEvents",
    ] {
        assert!(actions.contains(&needed), "{needed} missing: {actions:?}");
    }
    for action in &actions {
        assert!(!action.contains('*'), "no wildcard actions: {action}");
        assert!(
            ["glue:", "s3:ListBucket", "sqs:", "logs:"]
                .iter()
                .any(|p| action.starts_with(p)),
            "unexpected action {action}"
        );
    }
    assert!(
        !actions
            .iter()
            .any(|a| a.contains("Delete") && a.starts_with("glue:")),
        "never deletes: {actions:?}"
    );
}
