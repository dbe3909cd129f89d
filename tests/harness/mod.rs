//! The end-to-end harness: one moto server for the whole test binary, SDK
//! clients to seed and inspect it, and a runner for the real binaries.
//!
//! The server comes from, in order: `MOTO_ENDPOINT` (e.g. a `docker compose
//! up` container), a container started with testcontainers when built with
//! `--features docker`, or a local moto process in the project's venv
//! (created by `scripts/moto-venv.sh` if needed). moto keeps state for its
//! whole life, so every test names its buckets, databases and tables
//! uniquely.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use aws_sdk_glue::types::{Column, DatabaseInput, SerDeInfo, StorageDescriptor, TableInput};
use aws_sdk_s3::primitives::ByteStream;
use futures::stream::{self, StreamExt};

/// The region every test uses.
pub const REGION: &str = "us-east-1";

static ENDPOINT: OnceLock<String> = OnceLock::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The endpoint of the shared moto server, starting it on first use.
pub fn endpoint() -> &'static str {
    ENDPOINT.get_or_init(|| {
        if let Ok(endpoint) = std::env::var("MOTO_ENDPOINT") {
            return endpoint.trim_end_matches('/').to_string();
        }
        #[cfg(feature = "docker")]
        {
            docker::start()
        }
        #[cfg(not(feature = "docker"))]
        {
            start_local_moto()
        }
    })
}

fn start_local_moto() -> String {
    Lab::start(0.0, 0.0).endpoint
}

/// The project venv's python, creating the venv on first use.
pub fn lab_python() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let setup = Command::new(repo_root().join("scripts/moto-venv.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run scripts/moto-venv.sh (needs python3 with venv and pip)");
        assert!(
            setup.status.success(),
            "scripts/moto-venv.sh failed; install python3-venv or set MOTO_ENDPOINT"
        );
        String::from_utf8(setup.stdout)
            .expect("utf-8 path")
            .trim()
            .to_string()
    })
}

/// A moto lab process of its own (tests/fixtures/moto_lab.py): latency,
/// throttling faults, request counts and in-process seeding. It exits when
/// this test process does.
pub struct Lab {
    pub endpoint: String,
}

impl Lab {
    pub fn start(latency_ms: f64, fault_rate: f64) -> Self {
        let mut child = Command::new(lab_python())
            .arg(repo_root().join("tests/fixtures/moto_lab.py"))
            .args(["--latency-ms", &latency_ms.to_string()])
            .args(["--fault-rate", &fault_rate.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read moto's port");
        let port = line
            .trim()
            .strip_prefix("port ")
            .unwrap_or_else(|| panic!("moto did not report a port: {line:?}"))
            .to_string();
        // The child watches this process and exits with it.
        std::mem::forget(child);
        Self {
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Calls a `/_lab/` control endpoint: POST with a JSON body, or GET.
    pub fn call(&self, path: &str, body: Option<&serde_json::Value>) -> serde_json::Value {
        use std::io::{Read, Write};
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("connect to the lab");
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let method = if body.is_some() { "POST" } else { "GET" };
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
            payload.len()
        )
        .expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
        assert!(
            head.starts_with("HTTP/1.1 20") || head.starts_with("HTTP/1.0 20"),
            "{response}"
        );
        if body.trim().is_empty() {
            // moto's own /moto-api/ endpoints answer with no body.
            return serde_json::Value::Null;
        }
        serde_json::from_str(body).expect("JSON from the lab")
    }
}

#[cfg(feature = "docker")]
mod docker {
    use testcontainers::core::{IntoContainerPort, WaitFor};
    use testcontainers::runners::SyncRunner;
    use testcontainers::GenericImage;

    /// The image docker-compose.yml pins.
    const IMAGE: &str = "motoserver/moto";
    const TAG: &str = "5.2.5";

    pub fn start() -> String {
        // The blocking runner has its own runtime, which must not start
        // inside a test's Tokio runtime: start it from a plain thread.
        let port = std::thread::spawn(|| {
            let container = GenericImage::new(IMAGE, TAG)
                .with_exposed_port(5000.tcp())
                .with_wait_for(WaitFor::message_on_stderr("Running on"))
                .start()
                .expect("start the moto container (is a Docker engine running?)");
            let port = container
                .get_host_port_ipv4(5000.tcp())
                .expect("mapped port");
            // Keep the container for the whole test binary.
            std::mem::forget(container);
            port
        })
        .join()
        .expect("container start thread");
        format!("http://127.0.0.1:{port}")
    }
}

/// A name no other test (or earlier run against the same server) uses.
pub fn unique(name: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{name}-{}-{n}-{nanos:x}", std::process::id()).to_lowercase()
}

/// Clients for seeding and inspecting moto.
pub struct Moto {
    pub glue: aws_sdk_glue::Client,
    pub s3: aws_sdk_s3::Client,
}

impl Moto {
    pub async fn connect() -> Self {
        let creds =
            aws_sdk_glue::config::Credentials::new("testing", "testing", None, None, "test");
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(glutil::aws::https_client())
            .region(aws_config::Region::new(REGION))
            .endpoint_url(endpoint())
            .credentials_provider(creds)
            .load()
            .await;
        let s3 = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build();
        Self {
            glue: aws_sdk_glue::Client::new(&sdk),
            s3: aws_sdk_s3::Client::from_conf(s3),
        }
    }

    pub async fn bucket(&self, name: &str) -> String {
        let bucket = unique(name);
        self.s3
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        bucket
    }

    /// Puts objects, 64 at a time. Keys ending in `/` become zero-byte
    /// folder markers; others get a little data.
    pub async fn put(&self, bucket: &str, keys: impl IntoIterator<Item = String>) {
        let results: Vec<_> = stream::iter(keys)
            .map(|key| {
                let body = if key.ends_with('/') {
                    ByteStream::from_static(b"")
                } else {
                    ByteStream::from_static(b"{\"x\":1}\n")
                };
                self.s3
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .body(body)
                    .send()
            })
            .buffer_unordered(64)
            .collect()
            .await;
        for r in results {
            r.unwrap();
        }
    }

    /// Puts one object with the given bytes.
    pub async fn put_bytes(&self, bucket: &str, key: &str, bytes: Vec<u8>) {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .unwrap();
    }

    pub async fn database(&self, name: &str) -> String {
        let db = unique(name).replace('-', "_");
        self.glue
            .create_database()
            .database_input(DatabaseInput::builder().name(&db).build().unwrap())
            .send()
            .await
            .unwrap();
        db
    }

    /// A new bucket and database named after `name`, and a table `events`
    /// in them at `s3://bucket/prefix` keyed by `keys`: (bucket, db, table).
    pub async fn bucket_and_table(
        &self,
        name: &str,
        prefix: &str,
        keys: &[(&str, &str)],
    ) -> (String, String, String) {
        let bucket = self.bucket(name).await;
        let db = self.database(name).await;
        let location = if prefix.is_empty() {
            format!("s3://{bucket}")
        } else {
            format!("s3://{bucket}/{prefix}")
        };
        let table = self.table(&db, "events", &location, keys).await;
        (bucket, db, table)
    }

    /// Creates a Parquet-style table with `keys` as (name, type) pairs.
    pub async fn table(
        &self,
        db: &str,
        name: &str,
        location: &str,
        keys: &[(&str, &str)],
    ) -> String {
        let table = unique(name).replace('-', "_");
        let storage = StorageDescriptor::builder()
            .location(location)
            .columns(Column::builder().name("x").r#type("int").build().unwrap())
            .input_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
            .output_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat")
            .serde_info(
                SerDeInfo::builder()
                    .serialization_library(
                        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                    )
                    .build(),
            )
            .build();
        let mut input = TableInput::builder()
            .name(&table)
            .table_type("EXTERNAL_TABLE")
            .storage_descriptor(storage);
        for (k, t) in keys {
            input = input.partition_keys(Column::builder().name(*k).r#type(*t).build().unwrap());
        }
        self.glue
            .create_table()
            .database_name(db)
            .table_input(input.build().unwrap())
            .send()
            .await
            .unwrap();
        table
    }

    /// Adds partitions with the given values and locations (and a custom
    /// parameter), through BatchCreatePartition.
    pub async fn add_partitions(
        &self,
        db: &str,
        table: &str,
        partitions: &[(Vec<String>, String)],
    ) {
        let inputs = partitions
            .iter()
            .map(|(values, location)| {
                aws_sdk_glue::types::PartitionInput::builder()
                    .set_values(Some(values.clone()))
                    .storage_descriptor(StorageDescriptor::builder().location(location).build())
                    .parameters("owner", "tests")
                    .build()
            })
            .collect();
        self.add_partition_inputs(db, table, inputs).await;
    }

    /// Creates partitions as given, 100 per BatchCreatePartition, and
    /// asserts every one was created.
    pub async fn add_partition_inputs(
        &self,
        db: &str,
        table: &str,
        inputs: Vec<aws_sdk_glue::types::PartitionInput>,
    ) {
        for chunk in inputs.chunks(100) {
            let out = self
                .glue
                .batch_create_partition()
                .database_name(db)
                .table_name(table)
                .set_partition_input_list(Some(chunk.to_vec()))
                .send()
                .await
                .unwrap();
            assert!(out.errors().is_empty(), "{:?}", out.errors());
        }
    }

    /// The names of a database's tables, sorted.
    pub async fn table_names(&self, db: &str) -> Vec<String> {
        let out = self
            .glue
            .get_tables()
            .database_name(db)
            .send()
            .await
            .unwrap();
        let mut names: Vec<String> = out
            .table_list()
            .iter()
            .map(|t| t.name().to_string())
            .collect();
        names.sort();
        names
    }

    /// A table as Glue returns it, or `None` when it does not exist.
    pub async fn get_table(&self, db: &str, name: &str) -> Option<aws_sdk_glue::types::Table> {
        self.glue
            .get_table()
            .database_name(db)
            .name(name)
            .send()
            .await
            .ok()
            .and_then(|o| o.table)
    }

    /// Every partition of a table, whole, as moto returns them.
    pub async fn full_partitions(
        &self,
        db: &str,
        table: &str,
    ) -> Vec<aws_sdk_glue::types::Partition> {
        let mut pages = self
            .glue
            .get_partitions()
            .database_name(db)
            .table_name(table)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            out.extend(page.unwrap().partitions().iter().cloned());
        }
        out
    }

    /// Every partition of a table as (values, location), sorted.
    pub async fn partitions(&self, db: &str, table: &str) -> Vec<(Vec<String>, String)> {
        let mut out: Vec<_> = self
            .full_partitions(db, table)
            .await
            .iter()
            .map(|p| {
                let location = p
                    .storage_descriptor()
                    .and_then(|sd| sd.location())
                    .unwrap_or_default()
                    .to_string();
                (p.values().to_vec(), location)
            })
            .collect();
        out.sort();
        out
    }
}

/// The value a text summary shows for `label` (`to create: 3` gives
/// `Some("3")`), whatever the column it is aligned to.
pub fn summary_value(text: &str, label: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix(label)?.strip_prefix(':')?;
        Some(rest.trim().to_string())
    })
}

/// What a binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs a built binary against the shared moto with test credentials and
/// no profile.
pub fn run(binary: &str, args: &[&str]) -> Run {
    run_at(endpoint(), binary, args)
}

/// Runs a built binary against another server (a lab of its own).
pub fn run_at(endpoint: &str, binary: &str, args: &[&str]) -> Run {
    run_env(endpoint, binary, args, &[])
}

/// Runs a built binary with extra environment variables.
pub fn run_env(endpoint: &str, binary: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = command(endpoint, binary, args)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("run {binary}: {e}"));
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Where the binaries keep default backups during the tests.
pub fn state_home() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("state")
}

/// A fresh path for a backup file.
pub fn backup_path(name: &str) -> String {
    state_home()
        .join("explicit")
        .join(format!("{}.jsonl", unique(name)))
        .display()
        .to_string()
}

/// A command for a binary, set up for a server with test credentials.
pub fn command_at(endpoint: &str, binary: &str, args: &[&str]) -> Command {
    command(endpoint, binary, args)
}

/// Bytes as standard base64, for the lab's `body_b64` seeds.
pub fn base64(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(DIGITS[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A table's parameters on a lab, or null when it does not exist.
pub fn lab_table_parameters(lab: &Lab, database: &str, table: &str) -> serde_json::Value {
    lab.call(
        &format!("/_lab/table_parameters?database={database}&table={table}"),
        None,
    )
}

fn command(endpoint: &str, binary: &str, args: &[&str]) -> Command {
    let mut command = Command::new(binary);
    command
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_DEFAULT_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // Default backups go under the build's scratch folder, not ~.
        .env("XDG_STATE_HOME", state_home())
        .stdin(Stdio::null());
    command
}

/// Starts a built binary against a server without waiting for it, its
/// output piped.
pub fn spawn_at(endpoint: &str, binary: &str, args: &[&str]) -> std::process::Child {
    command(endpoint, binary, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {binary}: {e}"))
}

/// Runs a binary whose stdout reader goes away after the first line, as
/// `| head -n 1` does; returns the exit code and stderr.
pub fn run_into_closed_pipe(binary: &str, args: &[&str]) -> (i32, String) {
    let mut child = command(endpoint(), binary, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read one line");
    // The reader is dropped here: the pipe closes.
    let output = child.wait_with_output().expect("wait");
    assert!(!first.is_empty(), "no output before the pipe closed");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A Glue `TableInput` (as lab seed JSON) for an hourly table keyed
/// year/month/day/hour at `location`, JSON rows.
pub fn hourly_table_input(name: &str, location: &str) -> serde_json::Value {
    serde_json::json!({
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

/// A table's columns as (name, type), in order.
pub fn columns(t: &aws_sdk_glue::types::Table) -> Vec<(String, String)> {
    t.storage_descriptor()
        .expect("a storage descriptor")
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.r#type().unwrap_or("").to_string()))
        .collect()
}

/// Hive-style hourly keys for `days` days from 2019-01-01, one object each.
pub fn hourly_keys(prefix: &str, days: u32, hive: bool) -> Vec<String> {
    let mut keys = Vec::new();
    for d in 0..days {
        let (month, day) = (1 + d / 28, 1 + d % 28);
        for h in 0..24 {
            keys.push(if hive {
                format!("{prefix}year=2019/month={month:02}/day={day:02}/hour={h:02}/data.json")
            } else {
                format!("{prefix}2019/{month:02}/{day:02}/{h:02}/data.json")
            });
        }
    }
    keys
}

pub fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| s.to_string()).collect()
}

/// Each fixture file's name and its columns' (name, Glue type).
pub type FixtureColumns = Vec<(String, Vec<(String, String)>)>;
/// The fixtures' folder and columns.
pub type Fixtures = (std::path::PathBuf, FixtureColumns);

/// The Parquet fixtures (tests/fixtures/parquet_files.py, written once per
/// test run with pyarrow): their folder, and for each file the Glue type of
/// each column, in file order, as the script says they must map.
pub fn parquet_fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = std::env::temp_dir().join(unique("glutil-parquet"));
        let out = Command::new(lab_python())
            .arg(repo_root().join("tests/fixtures/parquet_files.py"))
            .arg(&dir)
            .output()
            .expect("run tests/fixtures/parquet_files.py");
        assert!(
            out.status.success(),
            "parquet_files.py: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let files = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let columns = v["columns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|pair| {
                        let text = |i: usize| pair[i].as_str().unwrap().to_string();
                        (text(0), text(1))
                    })
                    .collect();
                (v["file"].as_str().unwrap().to_string(), columns)
            })
            .collect();
        (dir, files)
    })
}

/// The bytes of one Parquet fixture.
pub fn parquet_fixture(name: &str) -> Vec<u8> {
    std::fs::read(parquet_fixtures().0.join(name)).unwrap()
}
