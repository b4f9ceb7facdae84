use std::collections::HashSet;

use clickhouse::Client;
use earshot_runtime::InternalEvent;

use crate::internal_events::{MigrationRaceRetried, MigrationStarted, SchemaMigrated};
use crate::migrations::MIGRATIONS;
use crate::{ClickHouseConfig, Compression, Context, Error, MentionRow};

/// The table that records which migrations a database has had.
const SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS {db}.schema_migrations (
    version UInt32, name String, applied_at DateTime
) ENGINE = ReplacingMergeTree() ORDER BY version";

/// Every statement that brings an empty server to the newest schema, in order, as
/// `earshot migrate --print-sql` shows them (recording each migration's version in
/// `schema_migrations` is left out). Needs no connection.
pub fn schema_sql(config: &ClickHouseConfig) -> Vec<String> {
    let target = config.schema_target();
    let mut all = vec![target.create_database()];
    all.extend(target.render(SCHEMA_MIGRATIONS));
    for migration in MIGRATIONS {
        for statement in migration.statements() {
            all.extend(target.render(&statement));
        }
    }
    // `reasserted_statements` are left out: each is one of migration 7's, printed above.
    all
}

/// Whether a schema statement adds one column (see [`Store::migrate`]).
fn is_add_column(sql: &str) -> bool {
    sql.starts_with("ALTER TABLE ") && sql.contains(" ADD COLUMN ")
}

/// Ids per lookup query: one round trip for a whole default batch. The query text then
/// exceeds ClickHouse's default 256 KiB `max_query_size`, so the lookup raises it.
const ID_LOOKUP_CHUNK: usize = 20_000;
/// How many times [`Store::migrate`] reruns a pass that lost a race with another migrator.
/// Each race needs the other migrator to be mid-statement, so a handful is plenty.
const MIGRATION_RACE_RETRIES: u32 = 8;
const ID_LOOKUP_MAX_QUERY_BYTES: &str = "16777216";

/// Distinct days (partitions of `rollup_minute`) one INSERT may touch; ClickHouse's
/// default `max_partitions_per_insert_block` is 100.
pub const MAX_DAYS_PER_INSERT: usize = 90;

/// Splits rows into groups that each span at most `max_days` distinct UTC days, keeping
/// every row of one day together and the rows' order within a day.
pub fn chunks_by_day(rows: &[MentionRow], max_days: usize) -> Vec<Vec<&MentionRow>> {
    let mut by_day: std::collections::BTreeMap<u32, Vec<&MentionRow>> = Default::default();
    for row in rows {
        by_day
            .entry(row.published_at / 86_400)
            .or_default()
            .push(row);
    }
    let days: Vec<Vec<&MentionRow>> = by_day.into_values().collect();
    days.chunks(max_days.max(1))
        .map(|group| group.iter().flatten().copied().collect())
        .collect()
}

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
            .with_validation(false)
            // Rollups are read with `FINAL`, which on 18.16 opens every part at once with
            // a read buffer per column: at the default 1 MiB, a few hundred parts of the
            // day-partitioned minute rollup need gigabytes. 64 KiB keeps it to megabytes.
            .with_setting("max_read_buffer_size", "65536")
            .with_compression(match config.compression {
                Compression::Lz4 => clickhouse::Compression::Lz4,
                Compression::None => clickhouse::Compression::None,
            });
        let client = match config.cluster.as_deref() {
            // A write to a Distributed table returns once every shard has it, so the
            // processor's "stored, then commit" order still holds.
            Some(_) => client.with_setting("insert_distributed_sync", "1"),
            None => client,
        };
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
        let ping = self.client.query("SELECT 1").fetch_one::<u8>();
        crate::rollups::with_timeout(self.config.insert_timeout(), ping)
            .await
            .map(|_| ())
            .context(|| format!("could not reach ClickHouse at {}", self.config.url))
    }

    /// Brings the schema to the newest version. Safe to run concurrently and repeatedly.
    ///
    /// ClickHouse has no lock a migrator could hold, so racing migrators interleave: one
    /// drops a table another is copying from, or both create it. Every statement is
    /// idempotent, so a migration whose statement lost such a race is run again from its
    /// start, and after the migrations every migrator re-asserts the objects a racing or
    /// killed migrator may have dropped and not yet recreated
    /// ([`crate::migrations::reasserted_statements`]).
    ///
    /// A statement the server rejects is an [`Error::Statement`] naming it, which
    /// retrying cannot fix; an unreachable server is an ordinary, transient error.
    pub async fn migrate(&self) -> Result<Vec<u32>, Error> {
        let target = self.config.schema_target();
        let mut bootstrap = vec![target.create_database()];
        bootstrap.extend(target.render(SCHEMA_MIGRATIONS));
        self.run_schema_statements(&bootstrap, 0, "schema_migrations")
            .await?;
        let db = self.db();
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
            MigrationStarted {
                version: migration.version,
                name: migration.name,
            }
            .emit();
            let statements: Vec<String> = migration
                .statements()
                .iter()
                .flat_map(|s| target.render(s))
                .collect();
            self.run_schema_statements(&statements, migration.version, migration.name)
                .await?;
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
        let reasserted: Vec<String> = crate::migrations::reasserted_statements()
            .iter()
            .flat_map(|s| target.render(s))
            .collect();
        let latest = MIGRATIONS.last().map_or(0, |m| m.version);
        self.run_schema_statements(&reasserted, latest, "reasserted objects")
            .await?;
        SchemaMigrated {
            version: latest,
            applied: newly_applied.len(),
        }
        .emit();
        Ok(newly_applied)
    }

    /// Runs `statements` in order; when one loses a race with another migrator, runs
    /// them all again from the first (each is idempotent), a few times at most.
    async fn run_schema_statements(
        &self,
        statements: &[String],
        version: u32,
        name: &'static str,
    ) -> Result<(), Error> {
        let mut attempt = 0;
        'attempts: loop {
            for sql in statements {
                match self.run_schema_statement(sql, version, name).await {
                    Ok(()) => {}
                    Err(Error::Statement { ref message, .. })
                        if attempt < MIGRATION_RACE_RETRIES
                            && crate::server_error_code(message)
                                .is_some_and(crate::is_concurrent_schema_change_code) =>
                    {
                        attempt += 1;
                        MigrationRaceRetried {
                            version,
                            name,
                            attempt,
                            error: message,
                        }
                        .emit();
                        tokio::time::sleep(std::time::Duration::from_millis(
                            50 * u64::from(attempt),
                        ))
                        .await;
                        continue 'attempts;
                    }
                    Err(other) => return Err(other),
                }
            }
            return Ok(());
        }
    }

    async fn run_schema_statement(
        &self,
        sql: &str,
        version: u32,
        name: &'static str,
    ) -> Result<(), Error> {
        match self.client.query(sql).execute().await {
            Ok(()) => Ok(()),
            // 18.16 has no `ADD COLUMN IF NOT EXISTS`: a column already there is a
            // statement that ran before (a concurrent or interrupted migration).
            Err(clickhouse::error::Error::BadResponse(message))
                if is_add_column(sql) && crate::server_error_code(&message) == Some(44) =>
            {
                Ok(())
            }
            // Migration 7 copies each old rollup before dropping it: a copy whose source
            // is gone (UNKNOWN_TABLE) or going (TABLE_IS_DROPPED, a racing migrator
            // dropping it mid-copy) already ran, in an interrupted or concurrent migration.
            Err(clickhouse::error::Error::BadResponse(message))
                if sql.starts_with("INSERT INTO ")
                    && matches!(crate::server_error_code(&message), Some(60 | 218)) =>
            {
                Ok(())
            }
            Err(clickhouse::error::Error::BadResponse(message))
                if !crate::server_error_code(&message).is_some_and(crate::is_transient_code) =>
            {
                Err(Error::Statement {
                    migration: version,
                    name,
                    statement: sql.to_string(),
                    message,
                })
            }
            Err(source) => Err(Error::ClickHouse {
                action: format!("migration {version} ({name})"),
                source,
            }),
        }
    }

    /// The schema version the database is at (0 before any migration).
    pub async fn schema_version(&self) -> Result<u32, Error> {
        let db = self.db();
        let read = self
            .client
            .query(&format!("SELECT max(version) FROM {db}.schema_migrations"))
            .fetch_one::<u32>();
        crate::rollups::with_timeout(self.config.insert_timeout(), read)
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
        let _timed = StepTimer::start("dedup_lookup");
        for chunk in ids.chunks(ID_LOOKUP_CHUNK) {
            let lookup = self
                .client
                .query(&sql)
                .bind(chunk)
                .with_setting("max_query_size", ID_LOOKUP_MAX_QUERY_BYTES)
                .fetch_all::<String>();
            let found = crate::rollups::with_timeout(self.config.insert_timeout(), lookup)
                .await
                .context(|| format!("looking up {} mention ids", chunk.len()))?;
            stored.extend(found);
        }
        Ok(stored)
    }

    /// Writes one batch and brings every rollup bucket it touches up to date: the rows
    /// (see [`Store::insert_mention_rows`]), then [`Store::refresh_rollups`]. Safe to
    /// repeat, whole or after a failure part-way.
    pub async fn insert_mentions(&self, rows: &[MentionRow]) -> Result<(), Error> {
        self.insert_mention_rows(rows).await?;
        self.refresh_rollups(&crate::TouchedBuckets::of(rows)).await
    }

    /// Writes mention rows (and, through its view, the dedup index `mention_ids`), not
    /// the rollups.
    ///
    /// ClickHouse refuses an INSERT block that touches more than
    /// `max_partitions_per_insert_block` (100) partitions, so the batch is written as one
    /// INSERT per run of at most [`MAX_DAYS_PER_INSERT`] days. A crash between two
    /// leaves the written ones to be recognised as stored on the retry; a row written
    /// twice (a timed-out INSERT that completed) is merged away by `mentions`'
    /// ReplacingMergeTree and never counted twice, since rollups read `mentions FINAL`.
    pub async fn insert_mention_rows(&self, rows: &[MentionRow]) -> Result<(), Error> {
        let _timed = StepTimer::start("insert_rows");
        for chunk in chunks_by_day(rows, MAX_DAYS_PER_INSERT) {
            self.insert_mention_block(&chunk).await?;
        }
        Ok(())
    }

    async fn insert_mention_block(&self, rows: &[&MentionRow]) -> Result<(), Error> {
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
                insert.write(*row).await?;
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
        let read = self
            .client
            .query(&sql.replace("{db}", &self.db()))
            .fetch_all::<T>();
        crate::rollups::with_timeout(self.config.insert_timeout(), read)
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

/// Emits [`WriteStepTimed`](crate::internal_events::WriteStepTimed) for a step when
/// dropped: on success, on error and when the caller's future is cancelled alike.
pub(crate) struct StepTimer {
    step: &'static str,
    started: std::time::Instant,
}

impl StepTimer {
    pub(crate) fn start(step: &'static str) -> Self {
        Self {
            step,
            started: std::time::Instant::now(),
        }
    }
}

impl Drop for StepTimer {
    fn drop(&mut self) {
        crate::internal_events::WriteStepTimed {
            step: self.step,
            elapsed: self.started.elapsed(),
        }
        .emit();
    }
}

#[cfg(test)]
mod tests {
    use super::{chunks_by_day, escape_identifier};
    use crate::{MentionRow, Origin8};

    fn row(id: u32, published_at: u32) -> MentionRow {
        MentionRow {
            mention_id: id.to_string(),
            brand: "b".into(),
            platform: "x",
            platform_id: id.to_string(),
            url: String::new(),
            text: String::new(),
            published_at,
            collected_at: published_at,
            processed_at: published_at,
            origin: Origin8::Live,
            language: "pl",
            language_confidence: 1.0,
            language_evidence: String::new(),
            cohort: "unknown",
            cohort_confidence: 0.0,
            cohort_evidence: String::new(),
            source_type: "customer",
            source_type_confidence: 0.0,
            source_type_evidence: String::new(),
            brand_confidence: 1.0,
            brand_evidence: String::new(),
            author_id: String::new(),
            author_handle: String::new(),
            author_name: String::new(),
            author_bio: String::new(),
            author_followers: 0,
            author_verified: 0,
            author_created_at: 0,
            likes: 0,
            reposts: 0,
            replies: 0,
            collector_source: String::new(),
            kafka_partition: 0,
            kafka_offset: 0,
            sentiment: "neutral",
            sentiment_score: 0.0,
            sentiment_confidence: 0.5,
            sentiment_evidence: String::new(),
            complaint: 0,
        }
    }

    #[test]
    fn a_batch_over_many_days_is_split_into_inserts_of_at_most_n_days() {
        // 300 rows over 150 days, two rows a day, interleaved.
        let rows: Vec<MentionRow> = (0..300).map(|i| row(i, (i % 150) * 86_400 + i)).collect();
        let chunks = chunks_by_day(&rows, 90);
        assert_eq!(chunks.len(), 2);
        for chunk in &chunks {
            let days: std::collections::BTreeSet<u32> =
                chunk.iter().map(|r| r.published_at / 86_400).collect();
            assert!(days.len() <= 90);
        }
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 300);
        let mut ids: Vec<&str> = chunks
            .iter()
            .flatten()
            .map(|r| r.mention_id.as_str())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 300, "every row exactly once");
        assert_eq!(chunks_by_day(&rows[..10], 90).len(), 1);
        assert!(chunks_by_day(&[], 90).is_empty());
    }

    #[test]
    fn identifiers_cannot_break_out_of_quotes() {
        assert_eq!(escape_identifier("earshot"), "`earshot`");
        assert_eq!(
            escape_identifier("a`; DROP TABLE x; --"),
            "`a\\`; DROP TABLE x; --`"
        );
        assert_eq!(escape_identifier("a\\`b"), "`a\\\\\\`b`");
    }
    /// `clickhouse.url` accepts `https://`, so the client must speak TLS to it: the
    /// first bytes it sends are a TLS handshake record (0x16, version 3.x), not an
    /// HTTP request line, and not an "unsupported scheme" error before connecting.
    #[tokio::test]
    async fn an_https_url_is_spoken_to_with_tls() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let first_bytes = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 3];
            socket.read_exact(&mut head).await.unwrap();
            head
        });
        let config = crate::ClickHouseConfig {
            url: format!("https://127.0.0.1:{port}"),
            ..Default::default()
        };
        let store = super::Store::new(&config).unwrap();
        // The handshake cannot complete (the listener never answers); only the
        // client's opening bytes matter here.
        let ping = tokio::spawn(async move { store.ping().await });
        let head = tokio::time::timeout(std::time::Duration::from_secs(10), first_bytes)
            .await
            .expect("the client never connected: https:// was refused before any I/O")
            .unwrap();
        ping.abort();
        assert_eq!(head[0], 0x16, "not a TLS handshake record: {head:?}");
        assert_eq!(head[1], 0x03, "not a TLS record version: {head:?}");
    }
}
