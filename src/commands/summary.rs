//! A plain-text report a person can read: what was heard, per minute and language,
//! and per brand, straight from the rollups a BI tool would read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use earshot_storage::{Store, TotalsSource};

use crate::settings::Settings;

pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let store = Store::new(&settings.clickhouse)?;
    print!("{}", render(&store, &settings.clickhouse.database).await?);
    Ok(())
}

pub async fn render(store: &Store, database: &str) -> anyhow::Result<String> {
    use std::fmt::Write;
    let rows = store.mentions_per_language_minute().await?;
    let mut out = String::new();
    let languages: Vec<String> = {
        let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
        for r in &rows {
            *totals.entry(&r.language).or_default() += r.mentions;
        }
        let mut by_volume: Vec<_> = totals.into_iter().collect();
        by_volume.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        by_volume.into_iter().map(|(l, _)| l.to_string()).collect()
    };
    let mut minutes: BTreeMap<u32, BTreeMap<&str, u64>> = BTreeMap::new();
    for r in &rows {
        *minutes
            .entry(r.minute)
            .or_default()
            .entry(&r.language)
            .or_default() += r.mentions;
    }
    writeln!(
        out,
        "\nMentions per minute by language (ClickHouse `{database}.mentions_per_minute`)\n"
    )?;
    write!(out, "{:<17}", "minute (UTC)")?;
    for l in &languages {
        write!(out, "{l:>6}")?;
    }
    writeln!(out, "{:>7}", "total")?;
    for (minute, counts) in &minutes {
        let at = DateTime::<Utc>::from_timestamp(i64::from(*minute), 0).unwrap_or_default();
        write!(out, "{:<17}", at.format("%Y-%m-%d %H:%M"))?;
        for l in &languages {
            write!(out, "{:>6}", counts.get(l.as_str()).copied().unwrap_or(0))?;
        }
        writeln!(out, "{:>7}", counts.values().sum::<u64>())?;
    }
    writeln!(out, "\nPer brand (all minutes)\n")?;
    writeln!(
        out,
        "{:<12}{:>9}{:>9}{:>9}{:>9}{:>12}",
        "brand", "mentions", "likes", "reposts", "replies", "reach"
    )?;
    for t in store
        .brand_totals(TotalsSource::Rollup("rollup_day"))
        .await?
    {
        writeln!(
            out,
            "{:<12}{:>9}{:>9}{:>9}{:>9}{:>12}",
            t.brand, t.mentions, t.likes, t.reposts, t.replies, t.potential_reach
        )?;
    }
    Ok(out)
}
