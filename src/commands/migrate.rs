use anyhow::Context;
use earshot_storage::Store;

use crate::settings::Settings;

pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let store = Store::new(&settings.clickhouse)?;
    let applied = store
        .migrate()
        .await
        .context("migrating the ClickHouse schema")?;
    let version = store.schema_version().await?;
    if applied.is_empty() {
        println!(
            "schema of `{}` is up to date at version {version}",
            settings.clickhouse.database
        );
    } else {
        println!(
            "applied migrations {applied:?}; schema of `{}` is at version {version}",
            settings.clickhouse.database
        );
    }
    Ok(())
}
