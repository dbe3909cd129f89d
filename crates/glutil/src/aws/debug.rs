//! One record per request attempt (service, operation, what it is about,
//! HTTP status, AWS error code, attempt number, milliseconds), handed to a
//! caller's function: the binaries print them with `--debug`, so throttling
//! and access denials show as they happen. Headers are never looked at, so
//! credentials and signatures cannot leak into a record.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// One request attempt, as `--debug` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// `Glue`, `S3`, `Athena`.
    pub service: String,
    /// The API operation.
    pub operation: String,
    /// What it is about: `db.table`, `bucket/prefix`, a query id.
    pub target: String,
    /// The HTTP status, if a response came.
    pub status: Option<u16>,
    /// AWS's error code for an error response (`ThrottlingException`).
    pub error_code: Option<String>,
    /// The attempt number, 1 for the first try.
    pub attempt: u32,
    /// How long the attempt took.
    pub millis: u64,
}

impl fmt::Display for RequestRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self
            .status
            .map_or("no response".to_string(), |s| s.to_string());
        write!(f, "{} {}", self.service, self.operation)?;
        if !self.target.is_empty() {
            write!(f, " {}", self.target)?;
        }
        write!(f, " -> {status}")?;
        if let Some(code) = &self.error_code {
            write!(f, " {code}")?;
        }
        write!(f, ", attempt {}, {} ms", self.attempt, self.millis)
    }
}

/// Where records go.
#[derive(Clone)]
pub struct RequestLog(pub Arc<dyn Fn(&RequestRecord) + Send + Sync>);

impl fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestLog")
    }
}

/// When an attempt was sent, and what it was about (read from the request
/// before it is handed to the HTTP client).
#[derive(Debug, Clone)]
struct AttemptStarted(Instant, String);

impl Storable for AttemptStarted {
    type Storer = StoreReplace<Self>;
}

impl Intercept for RequestLog {
    fn name(&self) -> &'static str {
        "RequestLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let service = cfg
            .load::<Metadata>()
            .map(|m| m.service().to_string())
            .unwrap_or_default();
        let request = context.request();
        let target = target_of(
            &service,
            request.uri(),
            request.body().bytes().unwrap_or_default(),
        );
        cfg.interceptor_state()
            .store_put(AttemptStarted(Instant::now(), target));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = cfg
            .load::<Metadata>()
            .map(|m| (m.service().to_string(), m.name().to_string()))
            .unwrap_or_default();
        let (millis, target) = cfg
            .load::<AttemptStarted>()
            .map_or((0, String::new()), |s| {
                (s.0.elapsed().as_millis() as u64, s.1.clone())
            });
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        let status = context.response().map(|r| r.status().as_u16());
        let error_code = context
            .response()
            .filter(|r| r.status().as_u16() >= 400)
            .and_then(|r| r.body().bytes())
            .and_then(error_code);
        (self.0)(&RequestRecord {
            service,
            operation,
            target,
            status,
            error_code,
            attempt,
            millis,
        });
        Ok(())
    }
}

/// What a request is about: Glue's database and table, S3's bucket and
/// prefix or key, Athena's query id.
fn target_of(service: &str, uri: &str, body: &[u8]) -> String {
    if service.eq_ignore_ascii_case("s3") {
        return s3_target(uri);
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::new();
    };
    let field = |name: &str| json.get(name).and_then(|v| v.as_str());
    match (field("DatabaseName"), field("TableName"), field("Name")) {
        (Some(db), Some(table), _) | (Some(db), None, Some(table)) => format!("{db}.{table}"),
        (Some(db), None, None) => db.to_string(),
        (None, _, Some(name)) => name.to_string(),
        _ => field("QueryExecutionId").unwrap_or_default().to_string(),
    }
}

/// `bucket/key` from a path-style or virtual-host URI, plus the listing
/// prefix when there is one.
fn s3_target(uri: &str) -> String {
    let without_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let (host, path_and_query) = without_scheme
        .split_once('/')
        .unwrap_or((without_scheme, ""));
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let bucket_host = host
        .split(".s3")
        .next()
        .filter(|b| *b != host && !b.is_empty());
    let mut target = match bucket_host {
        Some(bucket) => format!("{bucket}/{path}"),
        None => path.to_string(),
    };
    if let Some(prefix) = query.split('&').find_map(|kv| kv.strip_prefix("prefix=")) {
        target.push_str(&percent_decode(prefix));
    }
    target
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The error code of a JSON (`__type`) or XML (`<Code>`) error body.
fn error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        let code = json.get("__type").or_else(|| json.get("code"))?.as_str()?;
        // `aws.protocoltests#ThrottlingException` or `...:http://...`.
        let code = code.rsplit('#').next()?.split(':').next()?;
        return Some(code.to_string());
    }
    let start = text.find("<Code>")? + "<Code>".len();
    let end = text[start..].find("</Code>")? + start;
    Some(text[start..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_the_table_the_folder_or_the_query() {
        let glue = br#"{"DatabaseName":"db","TableName":"t","Segment":{}}"#;
        assert_eq!(target_of("Glue", "https://glue", glue), "db.t");
        assert_eq!(target_of("Glue", "https://glue", br#"{"Name":"db"}"#), "db");
        let get_table = br#"{"DatabaseName":"db","Name":"t"}"#;
        assert_eq!(target_of("Glue", "https://glue", get_table), "db.t");
        assert_eq!(
            target_of("Athena", "https://athena", br#"{"QueryExecutionId":"q-1"}"#),
            "q-1"
        );
        assert_eq!(
            target_of(
                "S3",
                "http://127.0.0.1:5000/b/?list-type=2&prefix=t%2Fyear%3D2024%2F",
                b""
            ),
            "b/t/year=2024/"
        );
        assert_eq!(
            target_of(
                "S3",
                "https://b.s3.us-east-1.amazonaws.com/t/x.parquet",
                b""
            ),
            "b/t/x.parquet"
        );
    }

    #[test]
    fn error_codes_come_from_json_and_xml_bodies() {
        assert_eq!(
            error_code(br#"{"__type":"com.amazonaws#ThrottlingException","message":"x"}"#),
            Some("ThrottlingException".into())
        );
        assert_eq!(
            error_code(b"<Error><Code>SlowDown</Code></Error>"),
            Some("SlowDown".into())
        );
        assert_eq!(error_code(b"not an error body"), None);
        let record = RequestRecord {
            service: "Glue".into(),
            operation: "GetPartitions".into(),
            target: "db.t".into(),
            status: Some(400),
            error_code: Some("ThrottlingException".into()),
            attempt: 2,
            millis: 31,
        };
        assert_eq!(
            record.to_string(),
            "Glue GetPartitions db.t -> 400 ThrottlingException, attempt 2, 31 ms"
        );
    }
}
