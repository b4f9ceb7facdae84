//! `earshot serve` as a child process on a free port of a test's database.
#![allow(dead_code)]

use std::io::BufRead;
use std::process::{Child, Stdio};

use crate::support::{self, TestEnv};

pub const READ: &str = "serve-test-read-token-0001";
pub const ADMIN: &str = "serve-test-admin-token-0001";

/// Killed on drop.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub log: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(env: &TestEnv, settings: &[(&str, &str)]) -> Server {
    let log_name = format!("{}-serve.log", env.name);
    let mut child = env
        .earshot()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("EARSHOT_SERVE__READ_TOKEN", READ)
        .env("EARSHOT_SERVE__ADMIN_TOKEN", ADMIN)
        .env("EARSHOT_SERVE__METRICS_LISTEN", "")
        .env("RUST_LOG", "warn")
        .envs(settings.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(support::log_file(&log_name)))
        .spawn()
        .expect("starting earshot serve");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("reading earshot serve's first line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| {
            panic!("earshot serve did not start (see target/test-logs/{log_name}): {line}")
        })
        .to_string();
    Server {
        child,
        base,
        log: support::repo_root().join("target/test-logs").join(log_name),
    }
}
