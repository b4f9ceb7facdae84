//! `earshot replay-server`: serve sample posts in each platform's API shape, so the
//! collectors (and the demo) run without reaching the real platforms.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

#[derive(Debug, Clone, clap::Args)]
pub struct ReplayServerArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Sample files to serve; each file's directory names its platform
    /// (samples/mastodon/statuses.json). Repeat the flag for several.
    #[arg(long = "data", required = true)]
    pub data: Vec<PathBuf>,
}

pub async fn run(args: &ReplayServerArgs) -> anyhow::Result<()> {
    let dataset = earshot_replay::Dataset::from_files(&args.data).context("loading replay data")?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!(
        "replaying {} sample files at http://{addr}",
        args.data.len()
    );
    println!("point a collector at it, e.g. [collectors.mastodon] instances = [\"http://{addr}\"]");
    earshot_replay::serve(listener, dataset, crate::telemetry::shutdown_signal())
        .await
        .context("replay server failed")?;
    Ok(())
}
