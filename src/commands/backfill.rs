//! `earshot backfill`: page through a brand's history on one platform into
//! `mentions.raw` with `origin = backfill`. Interrupt it at will: running the same
//! command again resumes where it stopped, and a finished range does nothing.

use anyhow::Context;
use earshot_collectors::backfill::{self, BackfillRequest};
use earshot_collectors::{CollectorsConfig, RateBudgets};
use earshot_kafka::KafkaConfig;
use earshot_model::{Brand, Platform};

#[derive(Debug, Clone, clap::Args)]
pub struct BackfillArgs {
    /// Brand name as configured under [[brands]] (case-insensitive).
    #[arg(long)]
    pub brand: String,
    /// Platform to page through: hacker_news, mastodon, bluesky, reddit, x or youtube
    /// (RSS feeds only list their latest items).
    #[arg(long)]
    pub platform: Platform,
    /// Start: a date (2026-03-01, from its midnight UTC) or an RFC 3339 timestamp.
    #[arg(long, value_parser = |s: &str| backfill::parse_bound(s, false))]
    pub from: chrono::DateTime<chrono::Utc>,
    /// End: a date (that whole day is included) or an RFC 3339 timestamp (exclusive).
    #[arg(long, value_parser = |s: &str| backfill::parse_bound(s, true))]
    pub to: chrono::DateTime<chrono::Utc>,
    /// Never draw the progress bar (it is hidden anyway when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

pub async fn run(
    args: &BackfillArgs,
    kafka: &KafkaConfig,
    brands: &[Brand],
    collectors: &CollectorsConfig,
) -> anyhow::Result<()> {
    let brand = brands
        .iter()
        .find(|b| b.name.to_lowercase() == args.brand.to_lowercase())
        .with_context(|| {
            let known: Vec<&str> = brands.iter().map(|b| b.name.as_str()).collect();
            format!(
                "no brand named `{}`; configured: {}",
                args.brand,
                known.join(", ")
            )
        })?;
    let request = BackfillRequest {
        brand: brand.clone(),
        platform: args.platform,
        from: args.from,
        to: args.to,
    };
    let report = backfill::run(
        collectors,
        kafka,
        &request,
        // Leaves part of every rate-limit window to `earshot collect`, which draws on the
        // same credentials from its own process.
        &RateBudgets::with_reserve(collectors.backfill_reserve),
        (!args.no_progress).then(|| {
            std::sync::Arc::new(TerminalProgress::new(&request))
                as std::sync::Arc<dyn earshot_collectors::ProgressObserver>
        }),
        crate::telemetry::shutdown_signal(),
    )
    .await
    .context("backfill failed to start")?;
    println!(
        "backfilled {} mentions in {} pages for {} on {} ({} .. {})",
        report.mentions(),
        report.pages(),
        brand.name,
        args.platform,
        args.from.to_rfc3339(),
        args.to.to_rfc3339()
    );
    let failures = report.failures();
    if !failures.is_empty() {
        for (job, error) in &failures {
            eprintln!("{job}: {error}");
        }
        anyhow::bail!("backfill incomplete; run the same command again to resume");
    }
    Ok(())
}

/// The backfill's progress as a bar on stderr: a counter with the rate until a platform
/// says how many items the range holds (Hacker News, Bluesky), then a bar with an ETA.
/// indicatif hides it by itself when stderr is not a terminal.
struct TerminalProgress {
    bar: indicatif::ProgressBar,
}

impl TerminalProgress {
    fn new(request: &BackfillRequest) -> Self {
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{elapsed_precise}] {spinner} {pos} mentions ({per_sec})",
            )
            .expect("valid template"),
        );
        bar.set_message(format!(
            "backfill {} on {}",
            request.brand.name, request.platform
        ));
        bar.enable_steady_tick(std::time::Duration::from_millis(250));
        TerminalProgress { bar }
    }
}

impl earshot_collectors::ProgressObserver for TerminalProgress {
    fn total_known(&self, more: u64) {
        if self.bar.length().is_none() {
            self.bar.set_length(0);
            self.bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} mentions ({per_sec}, ETA {eta})",
                )
                .expect("valid template"),
            );
        }
        self.bar.inc_length(more);
    }

    fn produced(&self, mentions: u64) {
        self.bar.inc(mentions);
    }

    fn finished(&self, interrupted: bool) {
        if interrupted {
            self.bar
                .abandon_with_message("interrupted; run the same command again to resume");
        } else {
            self.bar.finish();
        }
    }
}
