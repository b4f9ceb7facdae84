//! A plain-text report a person can read: what was heard, per minute and language,
//! and per brand, straight from the rollups a BI tool would read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use earshot_storage::{Dimension, Store, TotalsSource};

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
    // Wide time ranges are shown in coarser steps so the table stays readable.
    let span = rows.last().map_or(0, |r| r.minute) - rows.first().map_or(0, |r| r.minute);
    let step = [1u32, 5, 10, 15, 30, 60, 240, 1440]
        .into_iter()
        .find(|m| span / (m * 60) < 30)
        .unwrap_or(1440);
    let mut buckets: BTreeMap<u32, BTreeMap<&str, u64>> = BTreeMap::new();
    for r in &rows {
        let bucket = r.minute / (step * 60) * (step * 60);
        *buckets
            .entry(bucket)
            .or_default()
            .entry(&r.language)
            .or_default() += r.mentions;
    }
    let unit = if step == 1 {
        "minute".to_string()
    } else {
        format!("{step} minutes")
    };
    writeln!(
        out,
        "\nMentions per {unit} by language (from ClickHouse `{database}.rollup_minute`)\n"
    )?;
    write!(out, "{:<17}", "from (UTC)")?;
    for l in &languages {
        write!(out, "{l:>6}")?;
    }
    writeln!(out, "{:>7}", "total")?;
    for (start, counts) in &buckets {
        let at = DateTime::<Utc>::from_timestamp(i64::from(*start), 0).unwrap_or_default();
        write!(out, "{:<17}", at.format("%Y-%m-%d %H:%M"))?;
        for l in &languages {
            write!(out, "{:>6}", counts.get(l.as_str()).copied().unwrap_or(0))?;
        }
        writeln!(out, "{:>7}", counts.values().sum::<u64>())?;
    }
    writeln!(
        out,
        "\nPer brand (all minutes; sentiment toward the brand, net = (pos - neg) / judged)\n"
    )?;
    writeln!(
        out,
        "{:<12}{:>9}{:>9}{:>9}{:>9}{:>12}{:>7}{:>7}{:>7}{:>7}{:>11}",
        "brand",
        "mentions",
        "likes",
        "reposts",
        "replies",
        "reach",
        "pos",
        "neu",
        "neg",
        "net",
        "complaints"
    )?;
    for t in store
        .brand_totals(TotalsSource::Rollup("rollup_day"))
        .await?
    {
        writeln!(
            out,
            "{:<12}{:>9}{:>9}{:>9}{:>9}{:>12}{:>7}{:>7}{:>7}{:>+7.2}{:>11}",
            t.brand,
            t.mentions,
            t.likes,
            t.reposts,
            t.replies,
            t.potential_reach,
            t.positive,
            t.neutral,
            t.negative,
            t.net_sentiment(),
            t.complaints
        )?;
    }
    for (title, dimension) in [
        ("Who is talking (source type)", Dimension::SourceType),
        ("Generation cohorts", Dimension::Cohort),
    ] {
        writeln!(out, "\n{title}, share of each brand's mentions\n")?;
        let mix = store.brand_mix(dimension).await?;
        let mut by_brand: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
        for m in &mix {
            by_brand
                .entry(&m.brand)
                .or_default()
                .push((&m.value, m.mentions));
        }
        for (brand, values) in by_brand {
            let total: u64 = values.iter().map(|(_, n)| n).sum::<u64>().max(1);
            let parts: Vec<String> = values
                .iter()
                .map(|(value, n)| format!("{value} {:.0}%", 100.0 * *n as f64 / total as f64))
                .collect();
            writeln!(out, "{brand:<12}{}", parts.join(", "))?;
        }
    }
    Ok(out)
}
