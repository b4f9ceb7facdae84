//! Retention by dropping whole partitions, the one way that works on every ClickHouse
//! Earshot supports (18.16 has no TTL). A partition is dropped once its newest
//! possible row is older than the table's retention.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use clickhouse::Row;
use earshot_runtime::InternalEvent;
use serde::Deserialize;

use crate::internal_events::PartitionDropped;
use crate::{Error, Store};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// `table/partition` of every dropped partition.
    pub dropped: Vec<String>,
}

#[derive(Debug, Row, Deserialize)]
struct PartitionRow {
    table: String,
    partition: String,
}

/// How a table is partitioned, so the end of a partition can be computed.
#[derive(Debug, Clone, Copy)]
enum Scheme {
    Day,
    Month,
    Year,
}

impl Scheme {
    /// The first instant after the partition, or `None` if the id is not of this scheme.
    fn end_of(self, partition: &str) -> Option<DateTime<Utc>> {
        let p = partition.trim_matches('\'');
        let start = match self {
            Scheme::Day => NaiveDate::parse_from_str(p, "%Y%m%d").ok()?,
            Scheme::Month => NaiveDate::parse_from_str(&format!("{p}01"), "%Y%m%d").ok()?,
            Scheme::Year => NaiveDate::from_ymd_opt(p.parse().ok()?, 1, 1)?,
        };
        let end = match self {
            Scheme::Day => start.succ_opt()?,
            Scheme::Month if start.month() == 12 => {
                NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)?
            }
            Scheme::Month => NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)?,
            Scheme::Year => NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)?,
        };
        Some(end.and_hms_opt(0, 0, 0)?.and_utc())
    }
}

impl Store {
    /// Drops partitions older than each table's configured retention, as of `now`.
    pub async fn enforce_retention(&self, now: DateTime<Utc>) -> Result<RetentionReport, Error> {
        let retention = self.config().retention;
        let tables: [(&str, &[&str], Scheme, u32); 4] = [
            (
                "mentions",
                &["mentions", "mention_ids"],
                Scheme::Month,
                retention.mentions_days,
            ),
            (
                "rollup_minute",
                &["rollup_minute_v2"],
                Scheme::Day,
                retention.minute_rollup_days,
            ),
            (
                "rollup_hour",
                &["rollup_hour_v2"],
                Scheme::Month,
                retention.hour_rollup_days,
            ),
            (
                "rollup_day",
                &["rollup_day_v2"],
                Scheme::Year,
                retention.day_rollup_days,
            ),
        ];
        let database = self.config().database.clone();
        let target = self.config().schema_target();
        // On a cluster every node holds its own parts of the node-local tables.
        let parts_source = match target.cluster {
            Some(cluster) => format!(
                "clusterAllReplicas('{}', system.parts)",
                cluster.replace(['\\', '\''], "")
            ),
            None => "system.parts".to_string(),
        };
        let parts: Vec<PartitionRow> = self
            .client()
            .query(&format!(
                "SELECT DISTINCT table, partition FROM {parts_source} \
                 WHERE database = ? AND active ORDER BY table, partition"
            ))
            .bind(database.as_str())
            .fetch_all()
            .await
            .map_err(|source| Error::ClickHouse {
                action: "listing partitions".into(),
                source,
            })?;
        let mut report = RetentionReport::default();
        for (_, names, scheme, days) in tables {
            if days == 0 {
                continue;
            }
            let cutoff = now - chrono::Duration::days(days.into());
            for part in parts.iter().filter(|p| {
                let logical = match target.cluster {
                    Some(_) => p.table.strip_suffix(crate::LOCAL_SUFFIX).unwrap_or(""),
                    None => p.table.as_str(),
                };
                names.contains(&logical)
            }) {
                match scheme.end_of(&part.partition) {
                    Some(end) if end <= cutoff => {
                        let id = part.partition.trim_matches('\'');
                        // Partition ids are digits (checked by `end_of`), table names ours.
                        let on_cluster = match target.cluster {
                            Some(c) => format!(" ON CLUSTER {}", crate::escape_identifier(c)),
                            None => String::new(),
                        };
                        self.execute(&format!(
                            "ALTER TABLE {{db}}.{}{on_cluster} DROP PARTITION {id}",
                            crate::store::escape_identifier(&part.table)
                        ))
                        .await?;
                        PartitionDropped {
                            table: &part.table,
                            partition: id,
                        }
                        .emit();
                        report.dropped.push(format!("{}/{id}", part.table));
                    }
                    _ => {}
                }
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_ends() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            Scheme::Day.end_of("20261120"),
            Some(at("2026-11-21T00:00:00Z"))
        );
        assert_eq!(
            Scheme::Month.end_of("202612"),
            Some(at("2027-01-01T00:00:00Z"))
        );
        assert_eq!(
            Scheme::Year.end_of("2026"),
            Some(at("2027-01-01T00:00:00Z"))
        );
        assert_eq!(Scheme::Month.end_of("x; DROP"), None);
    }
}
