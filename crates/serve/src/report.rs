//! The weekly digest of one brand: the seed plan's KPIs (mentions, reach, likes, shares,
//! comments) against the week before, the mixes, the alerts with example mentions and
//! the most engaged mentions, as one self-contained HTML page (no scripts, no remote
//! assets), plus a short text summary for a webhook. Reads through [`ListeningData`].

use std::fmt::Write;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::data::*;

/// An ISO week: Monday 00:00 UTC to the next Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week {
    pub monday: NaiveDate,
}

impl Week {
    /// `2026-W48`, or any date (`2026-11-26`) of the week.
    pub fn parse(raw: &str) -> Result<Week, String> {
        let monday = if let Some((year, week)) = raw.split_once("-W") {
            let year: i32 = year.parse().map_err(|_| format!("`{raw}`: bad year"))?;
            let week: u32 = week.parse().map_err(|_| format!("`{raw}`: bad week"))?;
            NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon)
                .ok_or_else(|| format!("`{raw}` is not an ISO week"))?
        } else {
            let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
                format!("`{raw}` is neither an ISO week (2026-W48) nor a date (2026-11-26)")
            })?;
            day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()))
        };
        Ok(Week { monday })
    }

    pub fn window(&self) -> Window {
        let from = self
            .monday
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp();
        Window {
            from: u32::try_from(from).unwrap_or(0),
            to: u32::try_from(from + 7 * 86_400).unwrap_or(u32::MAX),
        }
    }

    pub fn label(&self) -> String {
        let iso = self.monday.iso_week();
        format!("{}-W{:02}", iso.year(), iso.week())
    }
}

/// What the digest says, gathered once and rendered twice (HTML, text).
pub struct Digest {
    pub brand: String,
    pub week: Week,
    pub now: Measures,
    pub before: Measures,
    pub mixes: Vec<(MixDimension, Vec<MixRow>)>,
    pub alerts: Vec<Alert>,
    pub top_mentions: Vec<Mention>,
}

pub async fn gather(
    data: &dyn ListeningData,
    brand: &str,
    week: Week,
) -> Result<Digest, DataError> {
    let scope = Scope {
        brands: vec![brand.to_string()],
        window: week.window(),
        grain: Grain::Hour,
        filters: Filters::default(),
    };
    let previous = Scope {
        window: scope.window.previous(),
        ..scope.clone()
    };
    let pick = |rows: Vec<BrandMeasures>| {
        rows.into_iter()
            .find(|r| r.brand == brand)
            .map(|r| r.measures)
            .unwrap_or_default()
    };
    let now = pick(data.totals(&scope).await?);
    let before = pick(data.totals(&previous).await?);
    let mut mixes = Vec::new();
    for dimension in MixDimension::ALL {
        mixes.push((dimension, data.mix(&scope, dimension).await?));
    }
    let alerts = data
        .alerts(&AlertQuery {
            brands: vec![brand.to_string()],
            window: scope.window,
            limit: 20,
        })
        .await?;
    let top_mentions = data
        .mentions(&MentionSearch {
            scope,
            text: None,
            author_handle: None,
            mention_id: None,
            sort: MentionSort::Engagement,
            page: 1,
            page_size: 5,
        })
        .await?
        .mentions;
    Ok(Digest {
        brand: brand.to_string(),
        week,
        now,
        before,
        mixes,
        alerts,
        top_mentions,
    })
}

/// HTML-escapes text for element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn change(now: u64, before: u64) -> String {
    if before == 0 {
        "new".into()
    } else {
        let c = (now as f64 - before as f64) / before as f64 * 100.0;
        format!("{c:+.0}%")
    }
}

/// The seed plan's KPIs: (label, this week, last week).
fn kpis(d: &Digest) -> [(&'static str, u64, u64); 5] {
    [
        ("Mentions", d.now.mentions, d.before.mentions),
        ("Reach", d.now.reach, d.before.reach),
        ("Likes", d.now.likes, d.before.likes),
        ("Shares", d.now.reposts, d.before.reposts),
        ("Comments", d.now.replies, d.before.replies),
    ]
}

/// Only http(s) links are written into the page.
fn safe_url(url: &str) -> Option<String> {
    (url.starts_with("https://") || url.starts_with("http://")).then(|| escape(url))
}

pub fn render_html(d: &Digest) -> String {
    let mut h = String::new();
    let w = d.week.window();
    let day = |t: u32| {
        DateTime::<Utc>::from_timestamp(i64::from(t), 0)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default()
    };
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{brand} — week {week}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <style>body{{font:15px/1.5 system-ui,sans-serif;max-width:860px;margin:24px auto;padding:0 16px;color:#111827}}\
         table{{border-collapse:collapse;width:100%;margin:8px 0 16px}}td,th{{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left}}\
         td.n{{text-align:right}}.muted{{color:#6b7280}}.kpis{{display:flex;flex-wrap:wrap;gap:8px}}\
         .kpi{{border:1px solid #e5e7eb;border-radius:8px;padding:8px 12px;min-width:120px}}.kpi b{{font-size:22px;display:block}}\
         blockquote{{margin:4px 0 12px;padding-left:10px;border-left:3px solid #e5e7eb}}</style></head><body>\
         <h1>{brand}: week {week}</h1><p class=\"muted\">{from} – {to}, against the week before. From Earshot.</p><div class=\"kpis\">",
        brand = escape(&d.brand),
        week = d.week.label(),
        from = day(w.from),
        to = day(w.to),
    );
    for (label, now, before) in kpis(d) {
        let _ = write!(
            h,
            "<div class=\"kpi\" data-kpi=\"{label}\">{label}<b>{now}</b><span class=\"muted\">{} (was {before})</span></div>",
            change(now, before)
        );
    }
    h.push_str("</div>");
    for (dimension, rows) in &d.mixes {
        let total: u64 = rows.iter().map(|r| r.mentions).sum::<u64>().max(1);
        let _ = write!(
            h,
            "<h2>By {}</h2><table><tr><th>value</th><th>mentions</th><th>share</th></tr>",
            dimension.as_str().replace('_', " ")
        );
        for r in rows {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.0}%</td></tr>",
                escape(&r.value),
                r.mentions,
                100.0 * r.mentions as f64 / total as f64
            );
        }
        h.push_str("</table>");
    }
    let _ = write!(h, "<h2>Alerts ({})</h2>", d.alerts.len());
    if d.alerts.is_empty() {
        h.push_str("<p class=\"muted\">No alerts this week.</p>");
    }
    for a in &d.alerts {
        let _ = write!(
            h,
            "<h3>{} · {}</h3><p>{}</p><ul>",
            day(a.window_start),
            escape(&a.direction),
            escape(&a.explanation)
        );
        for e in &a.examples {
            let text = escape(e.text.as_deref().unwrap_or(&e.mention_id));
            match safe_url(&e.url) {
                Some(url) => {
                    let _ = write!(h, "<li><a href=\"{url}\">{text}</a></li>");
                }
                None => {
                    let _ = write!(h, "<li>{text}</li>");
                }
            }
        }
        h.push_str("</ul>");
    }
    h.push_str("<h2>Most engaged mentions</h2>");
    for m in &d.top_mentions {
        let who = escape(if m.author_name.is_empty() {
            &m.author_handle
        } else {
            &m.author_name
        });
        let link = safe_url(&m.url)
            .map(|u| format!(" · <a href=\"{u}\">open</a>"))
            .unwrap_or_default();
        let _ = write!(
            h,
            "<p><b>{who}</b> <span class=\"muted\">{} · {} likes · {} shares · {} comments{link}</span></p><blockquote>{}</blockquote>",
            escape(&m.platform),
            m.likes,
            m.reposts,
            m.replies,
            escape(&m.text)
        );
    }
    h.push_str("</body></html>\n");
    h
}

/// A few lines for a chat webhook.
pub fn render_text(d: &Digest) -> String {
    let mut t = format!("{} — week {}\n", d.brand, d.week.label());
    for (label, now, before) in kpis(d) {
        let _ = writeln!(t, "{label}: {now} ({} vs last week)", change(now, before));
    }
    let _ = write!(t, "Alerts: {}", d.alerts.len());
    for a in d.alerts.iter().take(3) {
        let _ = write!(t, "\n- {}", a.explanation);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_parse_as_iso_weeks_or_any_day_in_them() {
        let w = Week::parse("2026-W48").unwrap();
        assert_eq!(w.monday, NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(Week::parse("2026-11-26").unwrap(), w);
        assert_eq!(w.label(), "2026-W48");
        assert_eq!(w.window().span(), 7 * 86_400);
        assert!(Week::parse("last week").is_err());
        assert!(Week::parse("2026-W60").is_err());
    }

    #[test]
    fn the_page_escapes_what_strangers_wrote_and_links_only_http() {
        let digest = Digest {
            brand: "A&B".into(),
            week: Week::parse("2026-W48").unwrap(),
            now: Measures {
                mentions: 30,
                reach: 900,
                likes: 12,
                reposts: 3,
                replies: 4,
                ..Measures::default()
            },
            before: Measures {
                mentions: 20,
                ..Measures::default()
            },
            mixes: vec![(
                MixDimension::Cohort,
                vec![MixRow {
                    brand: "A&B".into(),
                    value: "<script>".into(),
                    mentions: 3,
                }],
            )],
            alerts: vec![],
            top_mentions: vec![],
        };
        let html = render_html(&digest);
        assert!(html.contains("A&amp;B: week 2026-W48"));
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
        assert!(html.contains("Mentions<b>30</b><span class=\"muted\">+50% (was 20)"));
        assert!(html.contains("Reach<b>900</b><span class=\"muted\">new"));
        assert_eq!(safe_url("javascript:alert(1)"), None);
        let text = render_text(&digest);
        assert!(text.contains("Mentions: 30 (+50% vs last week)"));
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook: {0}")]
    Http(#[from] reqwest::Error),
    #[error("webhook answered {0}")]
    Status(reqwest::StatusCode),
}

/// Posts `{"text", "brand", "week", "kpis", "alerts"}` (Slack- and Teams-style `text`)
/// to `url`. The URL is a secret of sorts: callers log only its host.
pub async fn post_webhook(url: &str, d: &Digest) -> Result<(), WebhookError> {
    let kpis: serde_json::Map<String, serde_json::Value> = kpis(d)
        .iter()
        .map(|(label, now, before)| {
            (
                label.to_lowercase(),
                serde_json::json!({"value": now, "previous": before}),
            )
        })
        .collect();
    let body = serde_json::json!({
        "text": render_text(d),
        "brand": d.brand,
        "week": d.week.label(),
        "kpis": kpis,
        "alerts": d.alerts.iter().map(|a| &a.explanation).collect::<Vec<_>>(),
    });
    let response = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()?
        .post(url)
        .json(&body)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(WebhookError::Status(response.status()));
    }
    Ok(())
}
