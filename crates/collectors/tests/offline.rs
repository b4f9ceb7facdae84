//! The offline tier: collectors run end to end (config -> jobs -> HTTP -> mapping ->
//! sink and cursors) against a local fake API, with the in-memory sink and cursor
//! store. No broker; seconds. The Kafka-backed tier is behind `--features stack`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use earshot_collectors::platforms::lemmy::LemmyConfig;
use earshot_collectors::{CollectorsConfig, CursorStoreExt, JobContext, collect_once};
use earshot_model::{Brand, Origin, Platform};
use earshot_runtime::events::EventRecorder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/lemmy/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A Lemmy-shaped server: page 1 of a search is the fixture for its `type_`, later
/// pages are empty. Returns its base URL and how many requests it served.
async fn fake_lemmy() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut request = vec![0u8; 8192];
            let n = socket.read(&mut request).await.unwrap_or(0);
            let line = String::from_utf8_lossy(&request[..n])
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            assert!(line.starts_with("GET /api/v3/search?"), "{line}");
            assert!(
                line.contains("sort=New") && line.contains("q=orlen"),
                "{line}"
            );
            let body = match (line.contains("page=1&"), line.contains("type_=Comments")) {
                (true, false) => fixture("search_posts.json"),
                (true, true) => fixture("search_comments.json"),
                (false, _) => {
                    r#"{"type_":"All","comments":[],"posts":[],"communities":[],"users":[]}"#.into()
                }
            };
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (format!("http://{addr}"), served)
}

fn config(base_url: String) -> CollectorsConfig {
    CollectorsConfig {
        lemmy: LemmyConfig {
            enabled: true,
            base_url,
            page_limit: 3,
            // Far enough back that the fixture's March 2026 items are all in the window.
            initial_lookback_hours: 24 * 365 * 20,
            ..LemmyConfig::default()
        },
        ..CollectorsConfig::default()
    }
}

fn brands() -> Vec<Brand> {
    vec![Brand {
        name: "Orlen".into(),
        keywords: vec!["Orlen".into()],
        ..Brand::default()
    }]
}

#[tokio::test]
async fn lemmy_collects_posts_and_comments_once_each() {
    let (base, served) = fake_lemmy().await;
    let config = config(base);
    let (ctx, sink, cursors) = JobContext::in_memory(Origin::Live);
    let recorder = EventRecorder::start();

    let report = collect_once(&config, &brands(), ctx.clone(), &[Platform::Lemmy])
        .await
        .unwrap();
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let mentions = sink.mentions();
    let mut ids: Vec<&str> = mentions.iter().map(|m| m.platform_id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "https://lemmy.ml/comment/5521",
            "https://lemmy.ml/post/12",
            "https://lemmy.ml/post/1843",
            "https://sh.itjust.works/post/977",
        ]
    );
    assert!(
        mentions
            .iter()
            .all(|m| m.platform == Platform::Lemmy && m.origin == Origin::Live)
    );
    assert!(
        mentions
            .iter()
            .all(|m| m.source.starts_with("lemmy:127.0.0.1:")),
        "{:?}",
        mentions[0].source
    );
    // A full page (3 posts) asks for page 2; the comments page (2 < 3) ends its sweep.
    assert_eq!(served.load(Ordering::SeqCst), 3);
    assert_eq!(
        recorder.count("ItemUnmapped"),
        1,
        "the comment without `published`"
    );
    assert_eq!(recorder.count("PollCompleted"), 2);

    // The sweep ended, so the watermark is the newest post: the next poll stops there.
    let cursor: serde_json::Value = cursors.get("lemmy:127.0.0.1:posts:orlen").unwrap().unwrap();
    assert_eq!(cursor["newest"], "2026-03-12T07:30:00.123456Z");
    assert!(cursor["sweep"].is_null());

    let again = collect_once(&config, &brands(), ctx, &[Platform::Lemmy])
        .await
        .unwrap();
    assert!(again.failures().is_empty());
    // Each job sends again only its item at the watermark (`>=`, so items of the same
    // instant are not lost; the processor drops the repeat by id).
    assert_eq!(
        again.mentions(),
        2,
        "the newest post and the newest comment"
    );
}
