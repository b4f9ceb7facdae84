use anyhow::Context;
use earshot_storage::{Store, schema_sql};

use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// Print every statement that builds the schema from nothing, one per statement and
    /// `;`-terminated, without connecting: to review it, or to check it against your own
    /// server (`clickhouse-client --multiquery < schema.sql`). Follows
    /// `clickhouse.database` and `clickhouse.cluster`.
    #[arg(long)]
    pub print_sql: bool,
}

pub async fn run(args: &MigrateArgs, settings: &Settings) -> anyhow::Result<()> {
    if args.print_sql {
        for statement in schema_sql(&settings.clickhouse) {
            println!("{statement};");
        }
        return Ok(());
    }
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
