//! `earshot report`: one brand's weekly digest as an HTML file, optionally posted to a
//! webhook.

use std::path::PathBuf;

use anyhow::{Context, bail};
use earshot_serve::ClickHouseData;
use earshot_serve::report::{self, Week};
use earshot_storage::Store;

use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A configured brand.
    #[arg(long)]
    pub brand: String,
    /// ISO week (2026-W48) or any date in it (2026-11-26); weeks start Monday 00:00 UTC.
    #[arg(long, value_parser = Week::parse)]
    pub week: Week,
    /// Where to write the HTML.
    #[arg(long)]
    pub output: PathBuf,
    /// Also post a summary as JSON (`text` and the numbers) to this URL.
    #[arg(long, env = "EARSHOT_REPORT_WEBHOOK")]
    pub webhook: Option<url::Url>,
}

pub async fn run(args: &ReportArgs, settings: &Settings) -> anyhow::Result<()> {
    if !settings.brands.iter().any(|b| b.name == args.brand) {
        let known: Vec<&str> = settings.brands.iter().map(|b| b.name.as_str()).collect();
        bail!(
            "--brand: no brand `{}` is configured; known: {}",
            args.brand,
            known.join(", ")
        );
    }
    let store = Store::new(&settings.clickhouse)?;
    let data = ClickHouseData::new(store)
        .await
        .context("reading the ClickHouse schema (is the stack up? run deploy/local/up.sh)")?;
    let digest = report::gather(&data, &args.brand, args.week).await?;
    std::fs::write(&args.output, report::render_html(&digest))
        .with_context(|| format!("writing {}", args.output.display()))?;
    println!(
        "wrote {} ({}, week {}: {} mentions, {} alerts)",
        args.output.display(),
        args.brand,
        args.week.label(),
        digest.now.mentions,
        digest.alerts.len()
    );
    if let Some(url) = &args.webhook {
        report::post_webhook(url.as_str(), &digest)
            .await
            .with_context(|| {
                format!(
                    "posting the digest to {}",
                    url.host_str().unwrap_or("the webhook")
                )
            })?;
        println!(
            "posted the digest to {}",
            url.host_str().unwrap_or("the webhook")
        );
    }
    Ok(())
}
