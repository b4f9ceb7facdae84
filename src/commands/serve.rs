//! `earshot serve`: the HTTP API and the web dashboard over the ClickHouse database.

use std::sync::Arc;

use anyhow::Context;
use earshot_serve::{AppState, ClickHouseData, router};
use earshot_storage::Store;

use crate::settings::Settings;
use crate::telemetry;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Overrides serve.listen (host:port; port 0 picks a free one).
    #[arg(long)]
    pub listen: Option<String>,
}

pub async fn run(args: &ServeArgs, settings: &Settings) -> anyhow::Result<()> {
    let mut config = settings.serve.clone();
    if let Some(listen) = &args.listen {
        config.listen = listen.clone();
    }
    config.validate()?;
    let store = Store::new(&settings.clickhouse)?;
    let data = ClickHouseData::new(store)
        .await
        .context("reading the ClickHouse schema (is the stack up? run deploy/local/up.sh)")?;
    if !config.static_dir.is_dir() {
        tracing::warn!(
            static_dir = %config.static_dir.display(),
            "no dashboard build here; run `bash deploy/local/web.sh` (serving the API only)"
        );
    }
    telemetry::serve_metrics(&config.metrics_listen)?;
    let listener = tokio::net::TcpListener::bind(config.listen_addr()?)
        .await
        .with_context(|| format!("serve.listen: cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let state = AppState {
        data: Arc::new(data),
        brands: Arc::new(settings.brands.iter().map(|b| b.name.clone()).collect()),
        config: Arc::new(config),
        now: earshot_serve::system_now,
    };
    // Tests and scripts read this line for the port; it holds no secret.
    println!("listening on http://{addr}");
    tracing::info!(%addr, "serving the API at /api/v1 and the dashboard at /");
    earshot_serve::run(listener, router(state), telemetry::shutdown_signal()).await?;
    Ok(())
}
