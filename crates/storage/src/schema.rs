//! Turns the migrations' statements into the SQL one server or one cluster runs.
//!
//! The migrations are written once, for a single server. With `clickhouse.cluster` set,
//! each table becomes a replicated table on every node (`T_local`, Replicated*MergeTree)
//! plus a `Distributed` table named `T` over them, so every query, insert and BI tool
//! keeps using the plain names; materialized views run on each node from the local
//! mentions table into the local rollups; every DDL statement gets `ON CLUSTER`.
//!
//! The statements follow a few fixed shapes (checked by the tests below), which is what
//! lets this module rewrite them by their leading words instead of parsing SQL.

use crate::store::escape_identifier;

/// Where a schema is installed: one server, or every node of a cluster.
#[derive(Debug, Clone, Copy)]
pub struct SchemaTarget<'a> {
    pub database: &'a str,
    /// The cluster name from the servers' `remote_servers` config (`clickhouse.cluster`).
    pub cluster: Option<&'a str>,
}

/// The suffix of the node-local table behind each `Distributed` table in cluster mode.
pub const LOCAL_SUFFIX: &str = "_local";

/// Tables (not views) that a migration drops by name.
const DROPPED_TABLES: &[&str] = &["rollup_minute", "rollup_hour", "rollup_day"];

/// How rows of each table are spread over shards: by mention id where a
/// ReplacingMergeTree must see every copy of a mention on one shard to merge it away.
fn sharding_key(table: &str) -> &'static str {
    match table {
        "mentions" | "mention_ids" => "cityHash64(mention_id)",
        "alerts" => "cityHash64(alert_id)",
        // One bucket's rows must meet on one shard for `FINAL` to replace them.
        "rollup_minute_v2" => "cityHash64(brand, minute)",
        "rollup_hour_v2" => "cityHash64(brand, hour)",
        "rollup_day_v2" => "cityHash64(brand, day)",
        _ => "rand()",
    }
}

impl SchemaTarget<'_> {
    fn db(&self) -> String {
        escape_identifier(self.database)
    }

    fn on_cluster(&self) -> String {
        match self.cluster {
            Some(c) => format!(" ON CLUSTER {}", escape_identifier(c)),
            None => String::new(),
        }
    }

    /// `CREATE DATABASE`, first of all statements.
    pub fn create_database(&self) -> String {
        format!(
            "CREATE DATABASE IF NOT EXISTS {}{}",
            self.db(),
            self.on_cluster()
        )
    }

    /// The table name that DDL against stored data (DROP PARTITION) must address.
    pub fn storage_table(&self, table: &str) -> String {
        match self.cluster {
            Some(_) => format!("{table}{LOCAL_SUFFIX}"),
            None => table.to_string(),
        }
    }

    /// Renders one migration statement (with `{db}` placeholders) into the statements
    /// to run, in order.
    pub fn render(&self, statement: &str) -> Vec<String> {
        let db = self.db();
        let sql = statement.trim().replace("{db}", &db);
        let Some(cluster) = self.cluster else {
            return vec![sql];
        };
        let on_cluster = self.on_cluster();
        let prefix_table = format!("CREATE TABLE IF NOT EXISTS {db}.");
        let prefix_mv = format!("CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.");
        let prefix_view = format!("CREATE VIEW IF NOT EXISTS {db}.");
        // 18.16 has no DROP VIEW; DROP TABLE drops views on every version.
        let prefix_drop_view = format!("DROP TABLE IF EXISTS {db}.");
        let prefix_alter = format!("ALTER TABLE {db}.");
        if let Some(rest) = sql.strip_prefix(&prefix_table) {
            let (name, body) = split_name(rest);
            let local = format!("{name}{LOCAL_SUFFIX}");
            let body = replicate_engine(body, self.database, &local);
            vec![
                format!("{prefix_table}{local}{on_cluster} {body}"),
                format!(
                    "{prefix_table}{name}{on_cluster} AS {db}.{local} \
                     ENGINE = Distributed({}, {}, {local}, {})",
                    quote(cluster),
                    quote(self.database),
                    sharding_key(name)
                ),
            ]
        } else if let Some(rest) = sql.strip_prefix(&prefix_mv) {
            // `V TO db.T AS SELECT ... FROM db.S ...`: node-local source and target.
            let (name, body) = split_name(rest);
            let body = localize_after(body, &format!("TO {db}."));
            let body = localize_after(&body, &format!("FROM {db}."));
            vec![format!("{prefix_mv}{name}{on_cluster} {body}")]
        } else if let Some(rest) = sql.strip_prefix(&prefix_view) {
            let (name, body) = split_name(rest);
            vec![format!("{prefix_view}{name}{on_cluster} {body}")]
        } else if let Some(rest) = sql.strip_prefix(&prefix_alter) {
            // The node-local table holds the data; the Distributed table over it must
            // show the same columns.
            let (name, body) = split_name(rest);
            vec![
                format!("{prefix_alter}{name}{LOCAL_SUFFIX}{on_cluster} {body}"),
                format!("{prefix_alter}{name}{on_cluster} {body}"),
            ]
        } else if let Some(rest) = sql.strip_prefix(&prefix_drop_view) {
            let mut out = vec![format!("{prefix_drop_view}{rest}{on_cluster}")];
            // A table dropped by name (the old rollups in migration 7) is a Distributed
            // table here, with the data in the node-local one.
            if DROPPED_TABLES.contains(&rest) {
                out.push(format!(
                    "{prefix_drop_view}{rest}{LOCAL_SUFFIX}{on_cluster}"
                ));
            }
            out
        } else if sql.starts_with(&format!("INSERT INTO {db}.")) {
            // Data, not DDL: one node runs it through the Distributed tables.
            vec![sql]
        } else {
            panic!("schema statement of a shape cluster mode does not know: {sql}")
        }
    }
}

/// `name rest` → (`name`, `rest`) for our own unquoted table names.
fn split_name(rest: &str) -> (&str, &str) {
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (&rest[..end], rest[end..].trim_start())
}

/// Appends the local suffix to the table name that follows `marker`.
fn localize_after(sql: &str, marker: &str) -> String {
    match sql.find(marker) {
        Some(at) => {
            let start = at + marker.len();
            let (name, _) = split_name(&sql[start..]);
            let end = start + name.len();
            format!("{}{LOCAL_SUFFIX}{}", &sql[..end], &sql[end..])
        }
        None => sql.to_string(),
    }
}

/// `ENGINE = XMergeTree(args)` → `ENGINE = ReplicatedXMergeTree('path', '{replica}', args)`.
fn replicate_engine(body: &str, database: &str, local: &str) -> String {
    let marker = "ENGINE = ";
    let at = body
        .find(marker)
        .unwrap_or_else(|| panic!("a table without ENGINE: {body}"));
    let engine_start = at + marker.len();
    let open = engine_start
        + body[engine_start..]
            .find('(')
            .expect("engine arguments in parentheses");
    let close = open + body[open..].find(')').expect("closing parenthesis");
    let engine = &body[engine_start..open];
    let args = body[open + 1..close].trim();
    let path = format!("'/clickhouse/tables/{{shard}}/{database}/{local}', '{{replica}}'");
    let args = if args.is_empty() {
        path
    } else {
        format!("{path}, {args}")
    };
    format!(
        "{}Replicated{engine}({args}){}",
        &body[..engine_start],
        &body[close + 1..]
    )
}

/// A single-quoted SQL string literal.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::MIGRATIONS;

    fn cluster() -> SchemaTarget<'static> {
        SchemaTarget {
            database: "earshot",
            cluster: Some("earshot_cluster"),
        }
    }

    #[test]
    fn single_server_only_fills_in_the_database() {
        let t = SchemaTarget {
            database: "earshot",
            cluster: None,
        };
        let out = t.render("CREATE VIEW IF NOT EXISTS {db}.v AS SELECT 1");
        assert_eq!(
            out,
            vec!["CREATE VIEW IF NOT EXISTS `earshot`.v AS SELECT 1"]
        );
    }

    #[test]
    fn every_migration_statement_has_a_cluster_form() {
        for m in MIGRATIONS {
            for s in m.statements() {
                for out in cluster().render(&s) {
                    if out.starts_with("INSERT INTO ") {
                        continue;
                    }
                    assert!(out.contains(" ON CLUSTER `earshot_cluster`"), "{out}");
                    assert!(!out.contains("{db}"), "{out}");
                }
            }
        }
    }

    #[test]
    fn a_table_becomes_replicated_local_plus_distributed() {
        let out = cluster().render(
            "CREATE TABLE IF NOT EXISTS {db}.mention_ids (mention_id String) \
             ENGINE = ReplacingMergeTree() ORDER BY mention_id",
        );
        assert_eq!(out.len(), 2);
        assert!(out[0].starts_with(
            "CREATE TABLE IF NOT EXISTS `earshot`.mention_ids_local ON CLUSTER `earshot_cluster` (mention_id String)"
        ));
        assert!(out[0].contains(
            "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/earshot/mention_ids_local', '{replica}') ORDER BY"
        ));
        assert_eq!(
            out[1],
            "CREATE TABLE IF NOT EXISTS `earshot`.mention_ids ON CLUSTER `earshot_cluster` AS `earshot`.mention_ids_local \
             ENGINE = Distributed('earshot_cluster', 'earshot', mention_ids_local, cityHash64(mention_id))"
        );
    }

    #[test]
    fn engine_arguments_follow_the_replication_path() {
        let out = cluster().render(
            "CREATE TABLE IF NOT EXISTS {db}.mentions (x DateTime) ENGINE = ReplacingMergeTree(processed_at) ORDER BY x",
        );
        assert!(
            out[0].contains("'{replica}', processed_at) ORDER BY x"),
            "{}",
            out[0]
        );
    }

    #[test]
    fn materialized_views_read_and_write_node_local_tables() {
        let out = cluster().render(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rollup_day_mv TO {db}.rollup_day AS \
             SELECT count() FROM {db}.mentions GROUP BY day",
        );
        assert_eq!(
            out,
            vec![
                "CREATE MATERIALIZED VIEW IF NOT EXISTS `earshot`.rollup_day_mv ON CLUSTER `earshot_cluster` \
                 TO `earshot`.rollup_day_local AS SELECT count() FROM `earshot`.mentions_local GROUP BY day"
            ]
        );
    }

    #[test]
    fn a_new_column_reaches_the_local_table_and_the_distributed_one() {
        let out = cluster().render("ALTER TABLE {db}.mentions ADD COLUMN complaint UInt8");
        assert_eq!(
            out,
            vec![
                "ALTER TABLE `earshot`.mentions_local ON CLUSTER `earshot_cluster` ADD COLUMN complaint UInt8",
                "ALTER TABLE `earshot`.mentions ON CLUSTER `earshot_cluster` ADD COLUMN complaint UInt8",
            ]
        );
    }
}
