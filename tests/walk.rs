//! The S3 walk against moto on random messy layouts, with tiny pages so
//! that every page boundary case happens: its result must equal a
//! brute-force reading of the full key list.

use std::collections::BTreeMap;

use glutil::aws::s3::S3Clients;
use glutil::model::layout::{self, Conflict};
use glutil::model::scope::WalkScope;
use glutil::model::{DiscoveredPartition, PartitionKey, S3Location, Table};
use glutil::progress::NoProgress;
use glutil::read::{discover, WalkOptions};

use crate::harness::Moto;

/// A small deterministic generator (xorshift), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn keys() -> Vec<PartitionKey> {
    vec![
        PartitionKey::new("year", "string"),
        PartitionKey::new("month", "int"),
        PartitionKey::new("hour", "string"),
    ]
}

/// Random object keys relative to a table root: hive, flat and mixed
/// folders, hidden ones, wrong keys, markers, nested data, big leaves and
/// files above the leaf level.
fn random_layout(rng: &mut Rng) -> Vec<String> {
    let years = [
        "2019",
        "2020",
        "year=2019",
        "YEAR=2021",
        "_tmp",
        ".staging",
        "x=1",
        "2022",
    ];
    let months = [
        "01", "02", "month=03", "1a", "month=x", "_hidden", "10", "month=01",
    ];
    let hours = [
        "00", "hour=01", "23", "hour=", ".h", "hour=05", "07", "hour=23",
    ];
    let files = [
        "a.json",
        "sub/b.json",
        "_temporary/x",
        "sub/",
        "",
        "_SUCCESS",
        "z",
    ];
    let mut out = Vec::new();
    for _ in 0..(4 + rng.below(14)) {
        let leaf = format!(
            "{}/{}/{}",
            rng.pick(&years),
            rng.pick(&months),
            rng.pick(&hours)
        );
        let count = if rng.below(5) == 0 {
            9
        } else {
            1 + rng.below(3)
        };
        for i in 0..count {
            let file = rng.pick(&files);
            out.push(if file.is_empty() {
                format!("{leaf}/")
            } else {
                format!("{leaf}/{i}{file}")
            });
        }
    }
    for _ in 0..rng.below(3) {
        out.push(format!(
            "{}/{}/above-the-leaves",
            rng.pick(&years),
            rng.pick(&months)
        ));
    }
    out.sort();
    out.dedup();
    out
}

/// What the rules say about a full key list, without any walk.
fn reference(
    root: &S3Location,
    relative_keys: &[String],
) -> (Vec<DiscoveredPartition>, Vec<Conflict>) {
    let keys = keys();
    let mut leaves: BTreeMap<String, (Vec<String>, bool)> = BTreeMap::new();
    for key in relative_keys {
        let parts: Vec<&str> = key.splitn(keys.len() + 1, '/').collect();
        if parts.len() <= keys.len() {
            continue;
        }
        let values: Option<Vec<String>> = parts[..keys.len()]
            .iter()
            .zip(&keys)
            .map(|(name, k)| layout::folder_value(name, k))
            .collect();
        let Some(values) = values else { continue };
        let data =
            layout::is_data_object(parts[keys.len()], if key.ends_with('/') { 0 } else { 8 });
        let entry = leaves
            .entry(parts[..keys.len()].join("/"))
            .or_insert((values, false));
        entry.1 |= data;
    }
    layout::resolve_conflicts(leaves.into_iter().filter(|(_, (_, data))| *data).map(
        |(path, (values, _))| DiscoveredPartition {
            values: values.into(),
            location: root.join(&path),
        },
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn random_layouts_walk_like_the_rules_say_at_every_page_boundary() {
    let moto = Moto::connect().await;
    let bucket = moto.bucket("walk").await;
    let mut cases = Vec::new();
    let mut all_keys = Vec::new();
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let prefix = format!("case{seed}/");
        let layout = random_layout(&mut rng);
        all_keys.extend(layout.iter().map(|k| format!("{prefix}{k}")));
        cases.push((seed, prefix, layout));
    }
    // A fixed case: leaves whose names extend a sibling's (`hour=0`,
    // `hour=01`), a big leaf that ends a page, a marker-only leaf.
    let fixed: Vec<String> = [
        "2019/01/hour=0/a",
        "2019/01/hour=0/b",
        "2019/01/hour=0/c",
        "2019/01/hour=01/a",
        "2019/01/hour=02/",
        "2019/01/hour=023/a",
        "2019/1/0/a",
        "2019/1/00/a",
    ]
    .iter()
    .map(|k| k.to_string())
    .collect();
    all_keys.extend(fixed.iter().map(|k| format!("case0/{k}")));
    cases.push((0, "case0/".to_string(), fixed));
    moto.put(&bucket, all_keys).await;

    let listing = S3Clients::new(
        moto.s3.config().clone(),
        false,
        glutil::aws::Rounds::new(3),
        None,
    )
    .bucket(&bucket);
    for (seed, prefix, layout) in cases {
        let root = S3Location::new(bucket.clone(), &prefix);
        let table = Table {
            database: "db".into(),
            name: format!("case{seed}"),
            location: root.clone(),
            partition_keys: keys(),
            storage_descriptor: Default::default(),
            projected: false,
        };
        let (want_partitions, want_conflicts) = reference(&root, &layout);
        for page_size in [2, 5, 1000] {
            let options = WalkOptions {
                concurrency: 4,
                scope: WalkScope::everything(),
                page_size: Some(page_size),
            };
            let got = discover(&listing, &table, &options, &NoProgress)
                .await
                .unwrap();
            assert_eq!(
                got.partitions, want_partitions,
                "seed {seed}, page size {page_size}, layout {layout:#?}"
            );
            assert_eq!(
                got.conflicts, want_conflicts,
                "seed {seed}, page size {page_size}"
            );
        }
    }
}
