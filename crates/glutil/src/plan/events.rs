//! From created objects to the partitions to create: which watched table
//! an object belongs to (the longest table location that holds it), which
//! partition (the walk's rules, `object_partition`), deduplicated within
//! an invocation and against the partitions a warm container already knows
//! exist. Pure.

use std::collections::{BTreeMap, HashSet, VecDeque};

use crate::model::events::CreatedObject;
use crate::model::layout::{object_partition, ObjectSkip};
use crate::model::partition::DiscoveredPartition;
use crate::model::table::Table;
use crate::model::values::Values;

/// One entry of `GLUTIL_WATCH`: a table, or every table of a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Watched {
    /// `DATABASE.TABLE`.
    Table(String, String),
    /// `DATABASE.*`: every Hive-style table of the database.
    Database(String),
}

/// Reads `GLUTIL_WATCH`: comma-separated `DATABASE.TABLE` or `DATABASE.*`.
pub fn parse_watch(text: &str) -> Result<Vec<Watched>, String> {
    let entries: Vec<Watched> = text
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| match entry.split_once('.') {
            Some((db, "*")) if !db.is_empty() => Ok(Watched::Database(db.to_ascii_lowercase())),
            Some((db, t)) if !db.is_empty() && !t.is_empty() && !t.contains('.') => Ok(
                Watched::Table(db.to_ascii_lowercase(), t.to_ascii_lowercase()),
            ),
            _ => Err(format!(
                "GLUTIL_WATCH entry `{entry}` is not DATABASE.TABLE or DATABASE.*"
            )),
        })
        .collect::<Result<_, _>>()?;
    if entries.is_empty() {
        return Err("GLUTIL_WATCH is empty: name the tables to serve, e.g. GLUTIL_WATCH=sales.orders,logs.*".into());
    }
    Ok(entries)
}

/// The table an object belongs to: the one whose location is the longest
/// prefix of `s3://bucket/key`.
pub fn route<'t>(tables: &'t [Table], bucket: &str, key: &str) -> Option<&'t Table> {
    tables
        .iter()
        .filter(|t| t.location.bucket() == bucket && key.starts_with(t.location.prefix()))
        .max_by_key(|t| t.location.prefix().len())
}

/// Partitions known to exist, per warm container: at most `capacity`, the
/// oldest forgotten first. Forgetting costs one more (idempotent) create.
#[derive(Debug)]
pub struct KnownPartitions {
    set: HashSet<(String, Values)>,
    order: VecDeque<(String, Values)>,
    capacity: usize,
}

impl KnownPartitions {
    /// An empty set that holds at most `capacity` partitions.
    pub fn new(capacity: usize) -> Self {
        Self {
            set: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// True when the partition is known to exist.
    pub fn contains(&self, table: &str, values: &Values) -> bool {
        self.set.contains(&(table.to_string(), values.clone()))
    }

    /// Remembers a partition that exists.
    pub fn insert(&mut self, table: &str, values: Values) {
        let entry = (table.to_string(), values);
        if self.set.contains(&entry) {
            return;
        }
        if self.order.len() == self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.set.remove(&oldest);
            }
        }
        self.set.insert(entry.clone());
        self.order.push_back(entry);
    }

    /// How many are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when none are.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// What an invocation's objects ask of one table.
#[derive(Debug, Default)]
pub struct TableEvents {
    /// Objects that belong to this table.
    pub objects: u64,
    /// Partitions not known to exist, once each.
    pub new: Vec<DiscoveredPartition>,
    /// Objects whose partition is known to exist (no request at all).
    pub known: u64,
    /// Objects skipped, by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// For each new partition (by values), the SQS messages that asked.
    pub messages: BTreeMap<Values, Vec<String>>,
}

/// What an invocation's objects ask, per table (by qualified name).
#[derive(Debug, Default)]
pub struct EventPlan {
    /// Per table.
    pub tables: BTreeMap<String, TableEvents>,
    /// Objects under no watched table.
    pub unmatched: u64,
}

fn skip_name(skip: ObjectSkip) -> &'static str {
    match skip {
        ObjectSkip::Elsewhere => "elsewhere",
        ObjectSkip::Shallow => "too_shallow",
        ObjectSkip::NoMatch => "not_matching_keys",
        ObjectSkip::NotData => "not_data",
    }
}

/// Plans an invocation: each object routed to its table and decoded into
/// its partition, partitions deduplicated, known ones left out.
pub fn plan_events(
    tables: &[Table],
    objects: &[CreatedObject],
    known: &KnownPartitions,
) -> EventPlan {
    let mut plan = EventPlan::default();
    for object in objects {
        let Some(table) = route(tables, &object.bucket, &object.key) else {
            plan.unmatched += 1;
            continue;
        };
        let name = table.qualified_name();
        let entry = plan.tables.entry(name.clone()).or_default();
        entry.objects += 1;
        let partition = match object_partition(table, &object.key, object.size) {
            Ok(p) => p,
            Err(skip) => {
                *entry.skipped.entry(skip_name(skip)).or_default() += 1;
                continue;
            }
        };
        if known.contains(&name, &partition.values) {
            entry.known += 1;
            continue;
        }
        let ids = entry.messages.entry(partition.values.clone()).or_default();
        if let Some(id) = &object.message_id {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        if !entry.new.iter().any(|p| p.values == partition.values) {
            entry.new.push(partition);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::location::S3Location;
    use crate::model::table::PartitionKey;

    fn table(name: &str, location: &str, keys: &[&str]) -> Table {
        Table {
            database: "d".into(),
            name: name.into(),
            location: S3Location::parse(location).unwrap(),
            partition_keys: keys
                .iter()
                .map(|k| PartitionKey::new(*k, "string"))
                .collect(),
            storage_descriptor: Default::default(),
            projected: false,
        }
    }

    fn object(key: &str, id: &str) -> CreatedObject {
        CreatedObject {
            bucket: "lake".into(),
            key: key.into(),
            size: 10,
            message_id: Some(id.into()),
        }
    }

    #[test]
    fn watch_lists_name_tables_or_databases() {
        assert_eq!(
            parse_watch(" Sales.Orders, logs.* ").unwrap(),
            [
                Watched::Table("sales".into(), "orders".into()),
                Watched::Database("logs".into())
            ]
        );
        assert!(parse_watch("").unwrap_err().contains("empty"));
        assert!(parse_watch("sales").unwrap_err().contains("`sales`"));
        assert!(parse_watch("a.b.c").is_err());
    }

    #[test]
    fn objects_go_to_the_deepest_table_that_holds_them() {
        let tables = [
            table("all", "s3://lake/logs/", &["app"]),
            table("web", "s3://lake/logs/web/", &["dt"]),
            table("other", "s3://other/logs/", &["dt"]),
        ];
        assert_eq!(
            route(&tables, "lake", "logs/web/dt=1/a").unwrap().name,
            "web"
        );
        assert_eq!(route(&tables, "lake", "logs/api/a").unwrap().name, "all");
        assert_eq!(route(&tables, "lake", "logs/webx/a").unwrap().name, "all");
        assert!(route(&tables, "lake", "data/a").is_none());
        assert_eq!(
            route(&tables, "other", "logs/dt=1/a").unwrap().name,
            "other"
        );
    }

    #[test]
    fn an_invocation_creates_each_new_partition_once() {
        let tables = [
            table("t", "s3://lake/t/", &["dt"]),
            table("h", "s3://lake/h/", &["y", "m"]),
        ];
        let mut objects: Vec<CreatedObject> = (0..42)
            .map(|i| object(&format!("t/dt=1/part-{i}"), &format!("m{}", i % 3)))
            .collect();
        objects.push(object("t/dt=2/a", "m9"));
        objects.push(object("t/dt=1/_temporary/x", "m9"));
        objects.push(object("h/2024/a", "m9"));
        objects.push(object("elsewhere/a", "m9"));
        let mut known = KnownPartitions::new(10);
        let plan = plan_events(&tables, &objects, &known);
        let t = &plan.tables["d.t"];
        assert_eq!(t.objects, 44);
        assert_eq!(t.new.len(), 2);
        assert_eq!(t.messages[&Values::new(["1"])], ["m0", "m1", "m2"]);
        assert_eq!(t.skipped["not_data"], 1);
        assert_eq!(plan.tables["d.h"].skipped["too_shallow"], 1);
        assert_eq!(plan.unmatched, 1);
        known.insert("d.t", Values::new(["1"]));
        let again = plan_events(&tables, &objects, &known);
        assert_eq!(again.tables["d.t"].new.len(), 1);
        assert_eq!(again.tables["d.t"].known, 42);
    }

    #[test]
    fn the_known_set_forgets_the_oldest_beyond_its_bound() {
        let mut known = KnownPartitions::new(3);
        for i in 0..5 {
            known.insert("d.t", Values::new([i.to_string()]));
            known.insert("d.t", Values::new([i.to_string()]));
        }
        assert_eq!(known.len(), 3);
        assert!(!known.contains("d.t", &Values::new(["1"])));
        assert!(known.contains("d.t", &Values::new(["4"])));
    }
}
