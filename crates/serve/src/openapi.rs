//! `/api/openapi.json`, written by hand from [`ROUTES`], the list the tests hold the
//! router to: every route is documented and every documented path answers.

use serde_json::{Value, json};

use crate::auth::Access;

/// (path, access, summary, parameters, CSV export?)
pub struct Route {
    pub path: &'static str,
    /// None: no token needed.
    pub access: Option<Access>,
    pub summary: &'static str,
    pub parameters: &'static [&'static str],
    pub csv: bool,
}

const SCOPE: &[&str] = &[
    "brand",
    "from",
    "to",
    "grain",
    "platform",
    "language",
    "cohort",
    "source_type",
    "sentiment",
    "origin",
];

pub const ROUTES: &[Route] = &[
    Route {
        path: "/healthz",
        access: None,
        summary: "Liveness: the process answers.",
        parameters: &[],
        csv: false,
    },
    Route {
        path: "/readyz",
        access: None,
        summary: "Readiness: ClickHouse answers and has the schema.",
        parameters: &[],
        csv: false,
    },
    Route {
        path: "/api/openapi.json",
        access: None,
        summary: "This document.",
        parameters: &[],
        csv: false,
    },
    Route {
        path: "/api/v1/brands",
        access: Some(Access::Read),
        summary: "Configured brands, their mention counts and the span of their data.",
        parameters: &[],
        csv: false,
    },
    Route {
        path: "/api/v1/kpis",
        access: Some(Access::Read),
        summary: "Per brand: mentions, unique authors, likes, reposts, replies, reach, complaints and net sentiment, each with the previous period of the same length and the change.",
        parameters: SCOPE,
        csv: false,
    },
    Route {
        path: "/api/v1/volume",
        access: Some(Access::Read),
        summary: "Measures per brand per bucket (minute for hours, hour for days, day for months unless `grain` says), including positive/neutral/negative counts.",
        parameters: &[
            "brand",
            "from",
            "to",
            "grain",
            "platform",
            "language",
            "cohort",
            "source_type",
            "sentiment",
            "origin",
            "format",
        ],
        csv: true,
    },
    Route {
        path: "/api/v1/share-of-voice",
        access: Some(Access::Read),
        summary: "Each brand's share of all mentions in the scope.",
        parameters: &[
            "brand",
            "from",
            "to",
            "grain",
            "platform",
            "language",
            "cohort",
            "source_type",
            "sentiment",
            "origin",
            "format",
        ],
        csv: true,
    },
    Route {
        path: "/api/v1/mix/{dimension}",
        access: Some(Access::Read),
        summary: "How each brand's mentions split by cohort, source_type, language, platform or sentiment.",
        parameters: &[
            "dimension",
            "brand",
            "from",
            "to",
            "grain",
            "platform",
            "language",
            "cohort",
            "source_type",
            "sentiment",
            "origin",
            "format",
        ],
        csv: true,
    },
    Route {
        path: "/api/v1/top-authors",
        access: Some(Access::Read),
        summary: "Authors with the most mentions (then engagement).",
        parameters: &[
            "brand",
            "from",
            "to",
            "grain",
            "platform",
            "language",
            "cohort",
            "source_type",
            "sentiment",
            "origin",
            "limit",
            "format",
        ],
        csv: true,
    },
    Route {
        path: "/api/v1/mentions",
        access: Some(Access::Read),
        summary: "Mention search: text, filters, author, id, paging; each tag with its confidence and evidence. `sort=engagement` gives the most engaged mentions.",
        parameters: &[
            "brand",
            "from",
            "to",
            "grain",
            "platform",
            "language",
            "cohort",
            "source_type",
            "sentiment",
            "origin",
            "q",
            "author",
            "id",
            "sort",
            "page",
            "page_size",
            "format",
        ],
        csv: true,
    },
    Route {
        path: "/api/v1/alerts",
        access: Some(Access::Read),
        summary: "Alerts raised by `earshot detect` whose window starts in the range, newest first, with their example mentions and an explanation.",
        parameters: &["brand", "from", "to", "limit"],
        csv: false,
    },
    Route {
        path: "/api/v1/admin/status",
        access: Some(Access::Admin),
        summary: "Version, schema version and configured brands (admin token).",
        parameters: &[],
        csv: false,
    },
];

fn parameter(name: &str) -> Value {
    let (description, schema, location) = match name {
        "brand" => (
            "A configured brand; repeat or comma-separate to compare. Default: all.",
            json!({"type": "string"}),
            "query",
        ),
        "from" => (
            "Start, unix seconds or RFC 3339 (inclusive). Default: `to` minus 7 days.",
            json!({"type": "string"}),
            "query",
        ),
        "to" => (
            "End, unix seconds or RFC 3339 (exclusive). Default: now.",
            json!({"type": "string"}),
            "query",
        ),
        "grain" => (
            "Bucket; the range is widened to whole buckets. At most 5000 buckets.",
            json!({"type": "string", "enum": ["auto", "minute", "hour", "day"]}),
            "query",
        ),
        "platform" => (
            "Platform.",
            json!({"type": "string", "enum": ["mastodon", "bluesky", "reddit", "hacker_news", "rss", "youtube", "x", "lemmy"]}),
            "query",
        ),
        "language" => (
            "Language code (`pl`, `en`, `unknown`).",
            json!({"type": "string", "pattern": "^([a-z]{2,3}(-[a-z]{2,3})*|unknown)$"}),
            "query",
        ),
        "cohort" => (
            "Generation cohort.",
            json!({"type": "string", "enum": ["gen_z", "millennials", "gen_x", "boomers", "silent", "unknown"]}),
            "query",
        ),
        "source_type" => (
            "Who is speaking relative to the brand.",
            json!({"type": "string", "enum": ["customer", "employee", "brand_account", "press", "other", "unknown"]}),
            "query",
        ),
        "sentiment" => (
            "Sentiment tag (reads the mentions table).",
            json!({"type": "string", "enum": ["positive", "neutral", "negative", "unknown"]}),
            "query",
        ),
        "origin" => (
            "Live collection or backfill.",
            json!({"type": "string", "enum": ["live", "backfill"]}),
            "query",
        ),
        "format" => (
            "`csv` for a CSV file.",
            json!({"type": "string", "enum": ["json", "csv"]}),
            "query",
        ),
        "limit" => (
            "How many.",
            json!({"type": "integer", "minimum": 1}),
            "query",
        ),
        "q" => (
            "Case-insensitive text to find (≤ 200 characters).",
            json!({"type": "string", "maxLength": 200}),
            "query",
        ),
        "author" => ("Author handle.", json!({"type": "string"}), "query"),
        "id" => (
            "Mention id (`platform:platform_id`).",
            json!({"type": "string"}),
            "query",
        ),
        "sort" => (
            "Order.",
            json!({"type": "string", "enum": ["recent", "engagement"]}),
            "query",
        ),
        "page" => (
            "1-based page.",
            json!({"type": "integer", "minimum": 1}),
            "query",
        ),
        "page_size" => (
            "Mentions per page (≤ serve.max_page_size).",
            json!({"type": "integer", "minimum": 1, "default": 25}),
            "query",
        ),
        "dimension" => (
            "Dimension to split by.",
            json!({"type": "string", "enum": ["cohort", "source_type", "language", "platform", "sentiment"]}),
            "path",
        ),
        other => panic!("undocumented parameter {other}"),
    };
    json!({"name": name, "in": location, "required": location == "path", "description": description, "schema": schema})
}

pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for route in ROUTES {
        let mut responses = json!({
            "200": {"description": "OK", "content": {"application/json": {}}},
            "400": {"$ref": "#/components/responses/Error"},
        });
        if route.csv {
            responses["200"]["content"]["text/csv"] = json!({});
        }
        let mut operation = json!({
            "summary": route.summary,
            "parameters": route.parameters.iter().map(|p| parameter(p)).collect::<Vec<_>>(),
            "responses": responses,
        });
        match route.access {
            None => operation["security"] = json!([]),
            Some(access) => {
                operation["responses"]["401"] = json!({"$ref": "#/components/responses/Error"});
                if access == Access::Admin {
                    operation["responses"]["403"] = json!({"$ref": "#/components/responses/Error"});
                    operation["description"] = json!("Needs the admin token.");
                }
                if route.parameters.contains(&"brand") {
                    operation["responses"]["404"] = json!({"$ref": "#/components/responses/Error"});
                }
            }
        }
        paths.insert(route.path.into(), json!({ "get": operation }));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Earshot API",
            "version": "1",
            "description": "Brand mentions heard by Earshot, read from ClickHouse. Send `Authorization: Bearer <token>`. Times are unix seconds (UTC).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {
                "description": "A refused request",
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string"}, "message": {"type": "string"}, "parameter": {"type": "string"}
                    }}}
                }}}
            }},
        },
    })
}
