use std::collections::HashSet;

use clickhouse::Client;
use clickhouse::sql::Identifier;

use crate::migrations::MIGRATIONS;
use crate::{ClickHouseConfig, Context, Error, MentionRow};

/// Ids per lookup query: one round trip for a whole default batch. The query text then
/// exceeds ClickHouse's default 256 KiB `max_query_size`, so the lookup raises it.
const ID_LOOKUP_CHUNK: usize = 20_000;
const ID_LOOKUP_MAX_QUERY_BYTES: &str = "16777216";

/// A handle on Earshot's ClickHouse database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    client: Client,
    config: ClickHouseConfig,
}

impl Store {
    pub fn new(config: &ClickHouseConfig) -> Result<Self, Error> {
        config.validate()?;
        let client = Client::default()
            .with_url(&config.url)
            .with_user(&config.user)
            .with_password(&config.password)
            // ClickHouse 18.16 knows neither RowBinaryWithNamesAndTypes nor the
            // settings schema validation sends.
            .with_validation(false);
        Ok(Self {
            client,
            config: config.clone(),
        })
    }

    pub fn config(&self) -> &ClickHouseConfig {
        &self.config
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The database name, escaped for use in SQL text.
    pub(crate) fn db(&self) -> String {
        escape_identifier(&self.config.database)
    }

    /// Runs `SELECT 1`, for readiness checks and start-up waits.
    pub async fn ping(&self) -> Result<(), Error> {
        self.client
            .query("SELECT 1")
            .fetch_one::<u8>()
            .await
            .map(|_| ())
            .context(|| format!("could not reach ClickHouse at {}", self.config.url))
    }

    /// Brings the schema to the newest version. Safe to run concurrently and repeatedly.
    pub async fn migrate(&self) -> Result<Vec<u32>, Error> {
        self.client
            .query("CREATE DATABASE IF NOT EXISTS ?")
            .bind(Identifier(&self.config.database))
            .execute()
            .await
            .context(|| format!("creating database {}", self.config.database))?;
        let db = self.db();
        self.client
            .query(&format!(
                "CREATE TABLE IF NOT EXISTS {db}.schema_migrations (
                    version UInt32, name String, applied_at DateTime
                ) ENGINE = ReplacingMergeTree() ORDER BY version"
            ))
            .execute()
            .await
            .context(|| "creating schema_migrations".into())?;
        let applied: HashSet<u32> = self
            .client
            .query(&format!(
                "SELECT DISTINCT version FROM {db}.schema_migrations"
            ))
            .fetch_all::<u32>()
            .await
            .context(|| "reading schema_migrations".into())?
            .into_iter()
            .collect();
        let mut newly_applied = Vec::new();
        for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
            tracing::info!(
                version = migration.version,
                name = migration.name,
                "applying migration"
            );
            for statement in migration.statements() {
                let sql = statement.replace("{db}", &db);
                self.client
                    .query(&sql)
                    .execute()
                    .await
                    .context(|| format!("migration {} ({})", migration.version, migration.name))?;
            }
            self.client
                .query(&format!(
                    "INSERT INTO {db}.schema_migrations (version, name, applied_at) \
                     SELECT ?, ?, now()"
                ))
                .bind(migration.version)
                .bind(migration.name)
                .execute()
                .await
                .context(|| format!("recording migration {}", migration.version))?;
            newly_applied.push(migration.version);
        }
        Ok(newly_applied)
    }

    /// The schema version the database is at (0 before any migration).
    pub async fn schema_version(&self) -> Result<u32, Error> {
        let db = self.db();
        self.client
            .query(&format!("SELECT max(version) FROM {db}.schema_migrations"))
            .fetch_one::<u32>()
            .await
            .context(|| "reading schema version".into())
    }

    /// Which of `ids` already have rows. The processor drops those before inserting, so
    /// a redelivered batch, or a mention collected twice, never feeds the rollups again.
    pub async fn stored_mention_ids(&self, ids: &[&str]) -> Result<HashSet<String>, Error> {
        let db = self.db();
        let sql = format!(
            "SELECT DISTINCT mention_id FROM {db}.mention_ids \
             WHERE mention_id IN (SELECT arrayJoin(?))"
        );
        let mut stored = HashSet::new();
        for chunk in ids.chunks(ID_LOOKUP_CHUNK) {
            let found = self
                .client
                .query(&sql)
                .bind(chunk)
                .with_setting("max_query_size", ID_LOOKUP_MAX_QUERY_BYTES)
                .fetch_all::<String>()
                .await
                .context(|| format!("looking up {} mention ids", chunk.len()))?;
            stored.extend(found);
        }
        Ok(stored)
    }

    /// Writes one batch in a single INSERT, which also feeds the dedup index and every
    /// rollup through their materialized views.
    pub async fn insert_mentions(&self, rows: &[MentionRow]) -> Result<(), Error> {
        if rows.is_empty() {
            return Ok(());
        }
        let table = format!("{}.mentions", self.db());
        let write = async {
            let mut insert = self
                .client
                .insert_unescaped::<MentionRow>(&table)
                .await?
                .with_timeouts(
                    Some(self.config.insert_timeout()),
                    Some(self.config.insert_timeout()),
                );
            for row in rows {
                insert.write(row).await?;
            }
            insert.end().await
        };
        write
            .await
            .context(|| format!("inserting {} mention rows", rows.len()))
    }

    /// Runs a statement (DDL or maintenance). `{db}` is replaced by the database name.
    pub async fn execute(&self, sql: &str) -> Result<(), Error> {
        self.client
            .query(&sql.replace("{db}", &self.db()))
            .execute()
            .await
            .context(|| format!("running `{}`", first_line(sql)))
    }

    pub(crate) async fn fetch_all<T>(&self, sql: &str) -> Result<Vec<T>, Error>
    where
        T: clickhouse::RowOwned + clickhouse::RowRead,
    {
        self.client
            .query(&sql.replace("{db}", &self.db()))
            .fetch_all::<T>()
            .await
            .context(|| format!("running `{}`", first_line(sql)))
    }
}

fn first_line(sql: &str) -> &str {
    sql.trim().lines().next().unwrap_or("")
}

/// Backquotes an identifier for ClickHouse, escaping `\` and `` ` ``.
pub fn escape_identifier(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('`');
    for c in name.chars() {
        if c == '`' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('`');
    out
}

#[cfg(test)]
mod tests {
    use super::escape_identifier;

    #[test]
    fn identifiers_cannot_break_out_of_quotes() {
        assert_eq!(escape_identifier("earshot"), "`earshot`");
        assert_eq!(
            escape_identifier("a`; DROP TABLE x; --"),
            "`a\\`; DROP TABLE x; --`"
        );
        assert_eq!(escape_identifier("a\\`b"), "`a\\\\\\`b`");
    }
}
