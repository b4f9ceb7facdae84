//! The dashboard in headless Chromium: `earshot serve` on demo-like rows written here,
//! then `tests/browser/dashboard.mjs` (playwright-core driving Debian's chromium) clicks
//! brand -> chart -> mention feed -> evidence and the alerts page, checks the charts
//! drew, and saves screenshots in `target/dashboard/`. Needs the local stack, Node.js
//! and /usr/bin/chromium (`deploy/local/up.sh` builds the dashboard and installs it);
//! fails, never skips, without them. About 30 s.

#[path = "browser/data.rs"]
mod data;
#[path = "browser/server.rs"]
mod server;
mod support;

use std::process::Command;

use support::TestEnv;

#[tokio::test]
async fn the_dashboard_shows_the_data_and_every_click_filters_the_feed() {
    let env = TestEnv::new("dashboard").await;
    let root = support::repo_root();
    assert!(
        root.join("web/dist/index.html").is_file(),
        "web/dist is not built; deploy/local/up.sh runs deploy/local/web.sh"
    );
    assert!(
        root.join("web/node_modules/playwright-core").is_dir(),
        "playwright-core is not installed in web/; run deploy/local/web.sh"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&chromium).is_file(),
        "{chromium} is missing: apt-get install chromium (deploy/local/web.sh does)"
    );
    data::write(&env.store).await;
    let server = server::start(&env, &[]);
    let ready: serde_json::Value = reqwest::get(format!("{}/readyz", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shots = root.join("target/dashboard");
    let output = Command::new("node")
        .arg(root.join("tests/browser/dashboard.mjs"))
        .env("EARSHOT_URL", &server.base)
        .env("EARSHOT_TOKEN", server::READ)
        .env("EARSHOT_SCREENSHOTS", &shots)
        .env("CHROMIUM", &chromium)
        .env(
            "EARSHOT_EXPECT_SENTIMENT",
            if ready["sentiment"] == true { "1" } else { "0" },
        )
        .output()
        .expect("running node (is Node.js installed?)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser test failed:\n{stdout}\n{stderr}\n(server log: {})",
        server.log.display()
    );
    println!("{stdout}");
    for shot in [
        "overview.png",
        "feed.png",
        "alerts.png",
        "phone.png",
        "chart-volume.png",
    ] {
        let size = std::fs::metadata(shots.join(shot))
            .unwrap_or_else(|e| panic!("no screenshot {shot}: {e}"))
            .len();
        assert!(size > 5_000, "{shot} is only {size} bytes");
    }
}
