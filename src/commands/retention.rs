use earshot_storage::Store;

use crate::settings::Settings;

pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let store = Store::new(&settings.clickhouse)?;
    let report = store.enforce_retention(chrono::Utc::now()).await?;
    if report.dropped.is_empty() {
        println!("nothing is past retention");
    }
    for partition in report.dropped {
        println!("dropped {partition}");
    }
    Ok(())
}
