//! The `[serve]` section: where to listen, the tokens, limits and the dashboard's files.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// Tokens shorter than this are refused: a bearer token is the only thing between the
/// network and the data.
pub const MIN_TOKEN_LEN: usize = 16;

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeConfig {
    /// `host:port`; 127.0.0.1 unless an operator chooses otherwise.
    pub listen: String,
    /// Read-only token (`EARSHOT_SERVE__READ_TOKEN`): every `/api/v1` read.
    pub read_token: String,
    /// Admin token (`EARSHOT_SERVE__ADMIN_TOKEN`): reads and `/api/v1/admin/*`. Empty:
    /// admin routes refuse everyone.
    pub admin_token: String,
    /// The built dashboard (`deploy/local/web.sh` writes `web/dist`).
    pub static_dir: PathBuf,
    /// Origins allowed to call the API from a browser page served elsewhere. Empty (the
    /// default): no CORS headers, so only the dashboard served here can call it.
    pub cors_origins: Vec<String>,
    /// A request that takes longer is answered 408 and its query abandoned.
    pub request_timeout_secs: u64,
    /// Largest request body accepted (the API takes none but the limit guards the door).
    pub max_body_bytes: usize,
    /// Largest `page_size` of the mention search and `limit` of lists.
    pub max_page_size: u32,
    /// Prometheus `/metrics` (empty: off).
    pub metrics_listen: String,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8480".into(),
            read_token: String::new(),
            admin_token: String::new(),
            static_dir: PathBuf::from("web/dist"),
            cors_origins: Vec::new(),
            request_timeout_secs: 30,
            max_body_bytes: 64 * 1024,
            max_page_size: 200,
            metrics_listen: "127.0.0.1:9467".into(),
        }
    }
}

/// Tokens never reach logs, not even through `{:?}`.
impl fmt::Debug for ServeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeConfig")
            .field("listen", &self.listen)
            .field("read_token", &"<redacted>")
            .field("admin_token", &"<redacted>")
            .field("static_dir", &self.static_dir)
            .field("cors_origins", &self.cors_origins)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_page_size", &self.max_page_size)
            .field("metrics_listen", &self.metrics_listen)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("serve.{key}: {problem}")]
pub struct ConfigError {
    pub key: &'static str,
    pub problem: String,
}

fn problem(key: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        key,
        problem: problem.into(),
    }
}

impl ServeConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.listen_addr()?;
        if self.read_token.is_empty() {
            return Err(problem(
                "read_token",
                "is not set; set EARSHOT_SERVE__READ_TOKEN (at least 16 characters, e.g. `openssl rand -hex 24`)",
            ));
        }
        for (key, token) in [
            ("read_token", &self.read_token),
            ("admin_token", &self.admin_token),
        ] {
            if !token.is_empty() && token.len() < MIN_TOKEN_LEN {
                return Err(problem(
                    key,
                    format!("is shorter than {MIN_TOKEN_LEN} characters"),
                ));
            }
            if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(problem(key, "contains whitespace or control characters"));
            }
        }
        if !self.admin_token.is_empty() && self.admin_token == self.read_token {
            return Err(problem(
                "admin_token",
                "equals serve.read_token; use a different one",
            ));
        }
        if !(1..=600).contains(&self.request_timeout_secs) {
            return Err(problem("request_timeout_secs", "must be 1 to 600"));
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.max_body_bytes) {
            return Err(problem("max_body_bytes", "must be 1 KiB to 16 MiB"));
        }
        if !(1..=10_000).contains(&self.max_page_size) {
            return Err(problem("max_page_size", "must be 1 to 10000"));
        }
        for origin in &self.cors_origins {
            let parsed = url::Url::parse(origin)
                .map_err(|e| problem("cors_origins", format!("`{origin}`: {e}")))?;
            if parsed.origin().ascii_serialization() != origin.trim_end_matches('/') {
                return Err(problem(
                    "cors_origins",
                    format!("`{origin}` is not an origin (scheme://host[:port], no path)"),
                ));
            }
        }
        if !self.metrics_listen.is_empty() && self.metrics_listen.parse::<SocketAddr>().is_err() {
            return Err(problem(
                "metrics_listen",
                "must be host:port like 127.0.0.1:9467, or empty",
            ));
        }
        Ok(())
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen.parse().map_err(|_| {
            problem(
                "listen",
                format!("`{}` is not host:port like 127.0.0.1:8480", self.listen),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> ServeConfig {
        ServeConfig {
            read_token: "r".repeat(20),
            admin_token: "a".repeat(20),
            ..ServeConfig::default()
        }
    }

    #[test]
    fn defaults_bind_to_loopback_and_need_a_read_token() {
        let config = ServeConfig::default();
        assert_eq!(config.listen_addr().unwrap().ip().to_string(), "127.0.0.1");
        let error = config.validate().unwrap_err();
        assert_eq!(error.key, "read_token");
        assert!(error.to_string().contains("EARSHOT_SERVE__READ_TOKEN"));
        valid().validate().unwrap();
    }

    #[test]
    fn weak_or_shared_tokens_and_bad_values_name_their_key() {
        let short = ServeConfig {
            admin_token: "short".into(),
            ..valid()
        };
        assert_eq!(short.validate().unwrap_err().key, "admin_token");
        let same = ServeConfig {
            admin_token: "r".repeat(20),
            ..valid()
        };
        assert_eq!(same.validate().unwrap_err().key, "admin_token");
        let listen = ServeConfig {
            listen: "everywhere".into(),
            ..valid()
        };
        assert_eq!(listen.validate().unwrap_err().key, "listen");
        let cors = ServeConfig {
            cors_origins: vec!["https://bi.example/path".into()],
            ..valid()
        };
        assert_eq!(cors.validate().unwrap_err().key, "cors_origins");
    }

    #[test]
    fn debug_output_never_shows_tokens() {
        let shown = format!("{:?}", valid());
        assert!(!shown.contains(&"r".repeat(20)));
        assert!(!shown.contains(&"a".repeat(20)));
    }
}
