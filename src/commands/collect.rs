//! `earshot collect`: poll the configured platforms for brand mentions into `mentions.raw`.

use anyhow::Context;
use earshot_collectors::{CollectorsConfig, RunMode, RunOptions};
use earshot_kafka::KafkaConfig;
use earshot_model::{Brand, Platform};

#[derive(Debug, Clone, clap::Args)]
pub struct CollectArgs {
    /// Poll every job until it has nothing newer, then exit (default: poll forever).
    #[arg(long)]
    pub once: bool,
    /// Only collect from these platforms (repeat the flag or separate with commas):
    /// mastodon, bluesky, reddit, hacker_news, rss, youtube, x, lemmy.
    #[arg(long = "platform", value_delimiter = ',')]
    pub platforms: Vec<Platform>,
    /// Serve Prometheus metrics (requests, rate-limit state, mentions) on this address;
    /// empty to disable.
    #[arg(long, default_value = "127.0.0.1:9466")]
    pub metrics_listen: String,
}

pub async fn run(
    args: &CollectArgs,
    kafka: &KafkaConfig,
    brands: &[Brand],
    collectors: &CollectorsConfig,
) -> anyhow::Result<()> {
    if !args.once {
        crate::telemetry::serve_metrics(&args.metrics_listen)?;
    }
    let options = RunOptions {
        mode: if args.once {
            RunMode::Once
        } else {
            RunMode::Forever
        },
        platforms: args.platforms.clone(),
    };
    let report = earshot_collectors::run(
        collectors,
        brands,
        kafka,
        &options,
        crate::telemetry::shutdown_signal(),
    )
    .await
    .context("collectors failed to start")?;
    for (job, totals) in &report.jobs {
        tracing::info!(
            job = %job,
            polls = totals.polls,
            pages = totals.pages,
            mentions = totals.mentions,
            errors = totals.errors.len(),
            "job summary"
        );
    }
    println!(
        "collected {} mentions in {} pages from {} jobs",
        report.mentions(),
        report.pages(),
        report.jobs.len()
    );
    let failures = report.failures();
    if args.once && !failures.is_empty() {
        for (job, error) in &failures {
            eprintln!("{job}: {error}");
        }
        anyhow::bail!(
            "{} of {} jobs failed their last poll",
            failures.len(),
            report.jobs.len()
        );
    }
    Ok(())
}
