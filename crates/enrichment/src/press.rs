//! The directory of media outlets behind the press rule: which authors are press by
//! who they are, before reading their bio.

use crate::hash::FxMap;
use crate::{ConfigError, PressConfig};

#[derive(Debug, Default)]
pub(crate) struct PressDirectory {
    domains: FxMap<Box<str>, ()>,
    accounts: FxMap<Box<str>, ()>,
}

impl PressDirectory {
    pub(crate) fn new(config: &PressConfig) -> Result<Self, ConfigError> {
        let mut dir = PressDirectory::default();
        if config.builtin_defaults {
            let mut section = "";
            for line in include_str!("../data/press.txt").lines().map(str::trim) {
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                if line.starts_with('[') {
                    section = line;
                    continue;
                }
                let map = if section == "[accounts]" {
                    &mut dir.accounts
                } else {
                    &mut dir.domains
                };
                map.insert(line.into(), ());
            }
        }
        for (index, domain) in config.domains.iter().enumerate() {
            let d = domain.trim().to_ascii_lowercase();
            let valid = d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !valid {
                return Err(ConfigError::PressDomain {
                    index,
                    value: domain.clone(),
                });
            }
            dir.domains.insert(d.into(), ());
        }
        for (index, account) in config.accounts.iter().enumerate() {
            let a = account.trim().trim_start_matches('@').to_ascii_lowercase();
            if a.is_empty() || a.contains(char::is_whitespace) || a.contains('@') {
                return Err(ConfigError::PressAccount {
                    index,
                    value: account.clone(),
                });
            }
            dir.accounts.insert(a.into(), ());
        }
        Ok(dir)
    }

    /// Whether the author's handle is an outlet's account (`tvn24`, `@bbcnews@x.y`).
    pub(crate) fn is_account(&self, handle: &str) -> bool {
        let local = handle
            .trim_start_matches('@')
            .split('@')
            .next()
            .unwrap_or("");
        with_lowercase(local, |l| self.accounts.contains_key(l))
    }

    /// Whether the author's handle lives on an outlet's domain: a Bluesky domain handle
    /// (`anna.tvn24.pl`) or a Mastodon instance (`@news@social.bbc`).
    pub(crate) fn is_domain_handle(&self, handle: &str) -> bool {
        let host = handle
            .trim_start_matches('@')
            .rsplit('@')
            .next()
            .unwrap_or("");
        with_lowercase(host, |h| host_in(h, |d| self.domains.contains_key(d)))
    }
}

/// True if `host` or any parent domain of it satisfies `known`.
pub(crate) fn host_in(host: &str, known: impl Fn(&str) -> bool) -> bool {
    let mut rest = host;
    loop {
        if rest.contains('.') && known(rest) {
            return true;
        }
        match rest.split_once('.') {
            Some((_, parent)) => rest = parent,
            None => return false,
        }
    }
}

/// Runs `f` on an ASCII-lowercased copy of `s` held on the stack; handles are short.
pub(crate) fn with_lowercase(s: &str, f: impl FnOnce(&str) -> bool) -> bool {
    let mut buf = [0u8; 128];
    if s.len() > buf.len() || !s.is_ascii() {
        return f(&s.to_lowercase());
    }
    buf[..s.len()].copy_from_slice(s.as_bytes());
    buf[..s.len()].make_ascii_lowercase();
    std::str::from_utf8(&buf[..s.len()]).is_ok_and(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_know_major_outlets() {
        let dir = PressDirectory::new(&PressConfig::default()).unwrap();
        assert!(dir.is_account("@TVN24"));
        assert!(dir.is_account("reuters@mastodon.social"));
        assert!(dir.is_domain_handle("anna.tvn24.pl"));
        assert!(dir.is_domain_handle("news@social.bbc"));
        assert!(!dir.is_domain_handle("tvn24.pl.example.com"));
        assert!(!dir.is_account("ala"));
    }

    #[test]
    fn config_extends_or_replaces_defaults() {
        let cfg = PressConfig {
            domains: vec!["lokalna.pl".into()],
            accounts: vec!["@Lokalna".into()],
            builtin_defaults: false,
        };
        let dir = PressDirectory::new(&cfg).unwrap();
        assert!(dir.is_domain_handle("jan.lokalna.pl"));
        assert!(dir.is_account("lokalna"));
        assert!(!dir.is_account("tvn24"));
    }

    #[test]
    fn bad_entries_name_their_key() {
        let cfg = PressConfig {
            domains: vec!["ok.pl".into(), "https://x.pl/".into()],
            ..PressConfig::default()
        };
        let err = PressDirectory::new(&cfg).unwrap_err().to_string();
        assert!(err.contains("enrichment.press.domains[1]"), "{err}");
        let cfg = PressConfig {
            accounts: vec!["two words".into()],
            ..PressConfig::default()
        };
        assert!(
            PressDirectory::new(&cfg)
                .unwrap_err()
                .to_string()
                .contains("enrichment.press.accounts[0]")
        );
    }
}
