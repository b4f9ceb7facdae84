//! `earshot`: the social-listening pipeline's one binary. Each stage is a subcommand,
//! so collectors, processors and the detector scale and fail independently.

mod commands;
mod settings;
mod telemetry;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Earshot listens to what customers, employees and the press say about your brands on
/// social media, and alerts when preferences shift.
///
/// Data flows collect -> Kafka `mentions.raw` -> process (language, cohort, source type,
/// brand) -> ClickHouse rollups -> detect. Start the local stack with
/// `deploy/local/up.sh`; see README.md and docs/architecture.md.
#[derive(Debug, Parser)]
#[command(name = "earshot", version, propagate_version = true)]
struct Cli {
    /// Configuration file (TOML). Every key can be overridden with
    /// EARSHOT_<SECTION>__<KEY>, e.g. EARSHOT_KAFKA__BROKERS.
    #[arg(
        long,
        global = true,
        env = "EARSHOT_CONFIG",
        default_value = "config/earshot.toml"
    )]
    config: PathBuf,

    /// Log format: `text` for people, `json` for log pipelines. Filter with RUST_LOG.
    #[arg(long, global = true, default_value = "text", value_parser = ["text", "json"])]
    log_format: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole pipeline once on the bundled sample data and print what was heard:
    /// a local Mastodon-shaped server -> collect -> Kafka -> process -> ClickHouse.
    #[cfg(feature = "demo")]
    Demo(commands::demo::DemoArgs),
    /// Poll the configured platforms for brand mentions into `mentions.raw`. Start several
    /// with one config to split the jobs; a dead one's jobs move to the others.
    Collect(commands::collect::CollectArgs),
    /// Page through a brand's history on one platform into `mentions.raw`, marked as
    /// backfill so it never triggers live alerts. Resumes after interruption.
    Backfill(commands::backfill::BackfillArgs),
    /// Create or upgrade the ClickHouse schema (numbered, idempotent migrations).
    Migrate(commands::migrate::MigrateArgs),
    /// Consume raw mentions, tag them and write them to ClickHouse (the stream processor).
    Process(commands::process::ProcessArgs),
    /// Drop ClickHouse partitions that are past their configured retention.
    Retention,
    /// Print mentions per language per minute and per-brand totals from ClickHouse.
    Summary,
    /// Serve recorded platform responses (e.g. the bundled samples) in each platform's API
    /// shape, for demos and tests with no internet.
    #[cfg(feature = "demo")]
    ReplayServer(commands::replay_server::ReplayServerArgs),
    /// Run the shift detector offline over a `timestamp,value` CSV, as a stream.
    DetectSeries(commands::detect_series::DetectSeriesArgs),
    /// Detect preference shifts in the rollups and deliver alerts; or replay history.
    Detect(commands::detect::DetectArgs),
    /// Tag mentions offline (RawMention JSON lines, or plain text with --text) and print
    /// one JSON line per input line: language, cohort and per brand its source type,
    /// each tag with its confidence and evidence.
    Enrich(commands::enrich::EnrichArgs),
    /// Serve the HTTP API (/api/v1, documented at /api/openapi.json) and the web
    /// dashboard over ClickHouse; needs EARSHOT_SERVE__READ_TOKEN.
    Serve(commands::serve::ServeArgs),
    /// Write one brand's weekly digest (KPIs vs the week before, mixes, alerts, most
    /// engaged mentions) as HTML; optionally post a summary to a webhook.
    Report(commands::report::ReportArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // A backfill's progress bar says what the info logs would, and they would tear it.
    let quiet = matches!(&cli.command, Command::Backfill(args) if !args.no_progress)
        && std::io::IsTerminal::is_terminal(&std::io::stderr());
    telemetry::init_logging(&cli.log_format, if quiet { "warn" } else { "info" });
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // Offline commands need no configuration.
    match &cli.command {
        Command::DetectSeries(args) => return commands::detect_series::run(args),
        #[cfg(feature = "demo")]
        Command::ReplayServer(args) => return commands::replay_server::run(args).await,
        Command::Enrich(args) => return commands::enrich::run(args, &cli.config),
        _ => {}
    }
    let settings = settings::Settings::load(&cli.config)?;
    match cli.command {
        Command::Migrate(args) => commands::migrate::run(&args, &settings).await,
        Command::Process(args) => commands::process::run(&args, &settings).await,
        Command::Retention => commands::retention::run(&settings).await,
        Command::Summary => commands::summary::run(&settings).await,
        #[cfg(feature = "demo")]
        Command::Demo(args) => commands::demo::run(&args, &settings).await,
        Command::Collect(args) => {
            commands::collect::run(
                &args,
                &settings.kafka,
                &settings.brands,
                &settings.collectors,
            )
            .await
        }
        Command::Backfill(args) => {
            commands::backfill::run(
                &args,
                &settings.kafka,
                &settings.brands,
                &settings.collectors,
            )
            .await
        }
        Command::Detect(args) => commands::detect::run(&args, &settings).await,
        Command::Serve(args) => commands::serve::run(&args, &settings).await,
        Command::Report(args) => commands::report::run(&args, &settings).await,
        Command::DetectSeries(_) | Command::Enrich(_) => unreachable!("handled above"),
        #[cfg(feature = "demo")]
        Command::ReplayServer(_) => unreachable!("handled above"),
    }
}
