//! S3 event notifications, however they arrive (S3 directly, SQS, SNS,
//! SNS through SQS, EventBridge), read into the objects they announce.
//! Pure: JSON in, objects out.

use serde_json::Value;

/// One object an event says was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedObject {
    /// The bucket.
    pub bucket: String,
    /// The object key, decoded.
    pub key: String,
    /// Its size in bytes (0 when the event does not say).
    pub size: i64,
    /// The SQS message that carried it, for partial batch responses.
    pub message_id: Option<String>,
}

/// What an invocation's event holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notifications {
    /// Objects created.
    pub created: Vec<CreatedObject>,
    /// Records acknowledged and ignored: test events, removals, other
    /// event types.
    pub ignored: u64,
    /// The event came from SQS: failures are answered per message.
    pub from_sqs: bool,
    /// SQS messages whose body could not be read (answered as failures,
    /// so they go to the dead-letter queue rather than vanish).
    pub unreadable_messages: Vec<String>,
}

/// True when `event` is a notification batch (records or an EventBridge
/// event) rather than a scheduled run's table list.
pub fn is_notification(event: &Value) -> bool {
    event.get("Records").is_some_and(Value::is_array)
        || event.get("source").and_then(Value::as_str) == Some("aws.s3")
        || event.get("Event").and_then(Value::as_str) == Some("s3:TestEvent")
}

/// Reads a notification event of any shape.
pub fn read_notifications(event: &Value) -> Notifications {
    let mut out = Notifications::default();
    read_into(event, None, &mut out);
    out
}

fn read_into(event: &Value, message_id: Option<&str>, out: &mut Notifications) {
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        for record in records {
            read_record(record, message_id, out);
        }
    } else if event.get("source").and_then(Value::as_str) == Some("aws.s3") {
        read_eventbridge(event, message_id, out);
    } else if event.get("Type").and_then(Value::as_str) == Some("Notification") {
        // An SNS envelope (SNS to SQS without raw delivery).
        read_text(event.get("Message"), message_id, out);
    } else {
        // s3:TestEvent, or something that announces no object.
        out.ignored += 1;
    }
}

/// A JSON document carried as a string (SQS body, SNS message).
fn read_text(text: Option<&Value>, message_id: Option<&str>, out: &mut Notifications) {
    match text
        .and_then(Value::as_str)
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
    {
        Some(inner) => read_into(&inner, message_id, out),
        None => match message_id {
            Some(id) => out.unreadable_messages.push(id.to_string()),
            None => out.ignored += 1,
        },
    }
}

fn read_record(record: &Value, message_id: Option<&str>, out: &mut Notifications) {
    let source = record
        .get("eventSource")
        .or_else(|| record.get("EventSource"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    match source {
        "aws:sqs" => {
            out.from_sqs = true;
            let id = record.get("messageId").and_then(Value::as_str);
            read_text(record.get("body"), id, out);
        }
        "aws:sns" => read_text(
            record.get("Sns").and_then(|s| s.get("Message")),
            message_id,
            out,
        ),
        "aws:s3" => read_s3_record(record, message_id, out),
        _ => out.ignored += 1,
    }
}

fn read_s3_record(record: &Value, message_id: Option<&str>, out: &mut Notifications) {
    let name = record
        .get("eventName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let s3 = record.get("s3");
    let bucket = s3
        .and_then(|s| s.pointer("/bucket/name"))
        .and_then(Value::as_str);
    let key = s3
        .and_then(|s| s.pointer("/object/key"))
        .and_then(Value::as_str);
    match (name.starts_with("ObjectCreated:"), bucket, key) {
        (true, Some(bucket), Some(key)) => out.created.push(CreatedObject {
            bucket: bucket.to_string(),
            key: decode_form(key),
            size: s3
                .and_then(|s| s.pointer("/object/size"))
                .and_then(Value::as_i64)
                .unwrap_or(0),
            message_id: message_id.map(str::to_string),
        }),
        _ => out.ignored += 1,
    }
}

fn read_eventbridge(event: &Value, message_id: Option<&str>, out: &mut Notifications) {
    let kind = event
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let detail = event.get("detail");
    let bucket = detail
        .and_then(|d| d.pointer("/bucket/name"))
        .and_then(Value::as_str);
    let key = detail
        .and_then(|d| d.pointer("/object/key"))
        .and_then(Value::as_str);
    match (kind == "Object Created", bucket, key) {
        // EventBridge keys are not URL-encoded.
        (true, Some(bucket), Some(key)) => out.created.push(CreatedObject {
            bucket: bucket.to_string(),
            key: key.to_string(),
            size: detail
                .and_then(|d| d.pointer("/object/size"))
                .and_then(Value::as_i64)
                .unwrap_or(0),
            message_id: message_id.map(str::to_string),
        }),
        _ => out.ignored += 1,
    }
}

/// Decodes a key as S3 encodes it in notifications, like an HTML form:
/// `+` is a space, `%XX` a byte (UTF-8 sequences become their
/// characters). A `%` not followed by two hex digits stays as it is.
pub fn decode_form(encoded: &str) -> String {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s3_record(name: &str, key: &str) -> Value {
        json!({
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2024-01-31T05:00:01.000Z",
            "eventName": name,
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "glutil",
                "bucket": {"name": "lake", "arn": "arn:aws:s3:::lake"},
                "object": {"key": key, "size": 1024, "eTag": "x", "sequencer": "0A1B"}
            }
        })
    }

    #[test]
    fn keys_decode_as_s3_encodes_them() {
        assert_eq!(
            decode_form("t/dt%3D2024-01-31/a+b.parquet"),
            "t/dt=2024-01-31/a b.parquet"
        );
        assert_eq!(decode_form("t/x%2By/f"), "t/x+y/f");
        assert_eq!(decode_form("t/city%3DM%C3%BCnchen/f"), "t/city=München/f");
        assert_eq!(decode_form("t/100%/f%2"), "t/100%/f%2");
        assert_eq!(decode_form("plain/key"), "plain/key");
    }

    #[test]
    fn s3_directly_with_removals_and_test_events_ignored() {
        let event = json!({"Records": [
            s3_record("ObjectCreated:Put", "t/dt%3D1/a.parquet"),
            s3_record("ObjectRemoved:Delete", "t/dt%3D1/b.parquet"),
            s3_record("ObjectCreated:CompleteMultipartUpload", "t/dt%3D2/c.parquet"),
        ]});
        assert!(is_notification(&event));
        let n = read_notifications(&event);
        assert_eq!(n.created.len(), 2);
        assert_eq!(n.created[0].key, "t/dt=1/a.parquet");
        assert_eq!(n.created[0].size, 1024);
        assert_eq!(n.ignored, 1);
        assert!(!n.from_sqs);
        let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2024-01-31T05:00:00.000Z", "Bucket": "lake"});
        assert!(is_notification(&test));
        assert_eq!(
            read_notifications(&test),
            Notifications {
                ignored: 1,
                ..Default::default()
            }
        );
    }

    #[test]
    fn sqs_sns_and_eventbridge_shapes() {
        let s3 = json!({"Records": [s3_record("ObjectCreated:Put", "t/dt%3D1/a.parquet")]});
        let sns_envelope = json!({"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": s3.to_string()});
        let sqs = json!({"Records": [
            {"messageId": "id-1", "receiptHandle": "r", "body": s3.to_string(), "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:1:q"},
            {"messageId": "id-2", "receiptHandle": "r", "body": sns_envelope.to_string(), "eventSource": "aws:sqs"},
            {"messageId": "id-3", "receiptHandle": "r", "body": "{\"Event\":\"s3:TestEvent\"}", "eventSource": "aws:sqs"},
            {"messageId": "id-4", "receiptHandle": "r", "body": "not json", "eventSource": "aws:sqs"}
        ]});
        let n = read_notifications(&sqs);
        assert!(n.from_sqs);
        assert_eq!(n.created.len(), 2);
        assert_eq!(n.created[0].message_id.as_deref(), Some("id-1"));
        assert_eq!(n.created[1].message_id.as_deref(), Some("id-2"));
        assert_eq!(n.ignored, 1);
        assert_eq!(n.unreadable_messages, ["id-4"]);

        let sns = json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "Sns": {"Type": "Notification", "Message": s3.to_string()}}]});
        let n = read_notifications(&sns);
        assert_eq!(n.created[0].key, "t/dt=1/a.parquet");

        let bridge = json!({
            "version": "0", "id": "e", "detail-type": "Object Created", "source": "aws.s3",
            "account": "1", "time": "2024-01-31T05:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:s3:::lake"],
            "detail": {"version": "0", "bucket": {"name": "lake"}, "object": {"key": "t/dt=1/a b.parquet", "size": 5}, "reason": "PutObject"}
        });
        assert!(is_notification(&bridge));
        let n = read_notifications(&bridge);
        assert_eq!(n.created[0].key, "t/dt=1/a b.parquet", "not URL-decoded");
        let deleted = json!({"detail-type": "Object Deleted", "source": "aws.s3", "detail": {"bucket": {"name": "lake"}, "object": {"key": "k"}}});
        assert_eq!(read_notifications(&deleted).created.len(), 0);
        assert!(!is_notification(&json!({"database": "d", "table": "t"})));
    }
}
