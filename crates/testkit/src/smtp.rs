//! A real SMTP server: `scripts/support/smtp_server.py` (aiosmtpd from the repo's `.venv`)
//! writing every accepted message to a Maildir.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{python, repo_root};

/// The running server; killed on drop.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpServer {
    /// Starts it, or `None` when the Python tools are missing and skipping was asked for.
    pub fn start() -> Option<Self> {
        let python = python()?;
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let mut child = Command::new(python)
            .arg(repo_root().join("scripts/support/smtp_server.py"))
            .arg(&maildir)
            .arg("0")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("the SMTP server did not start: {line:?}"))
            .parse()
            .unwrap();
        Some(Self {
            child,
            port,
            maildir,
            _dir: dir,
        })
    }

    /// Every message received so far, raw (headers and body), with the server's
    /// `X-RcptTo` header naming the envelope recipients.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) else {
                continue;
            };
            for e in entries.flatten() {
                if let Ok(text) = std::fs::read_to_string(e.path()) {
                    out.push(text);
                }
            }
        }
        out
    }

    /// Waits (at most `timeout`) for a message that `matches`; panics naming what came.
    pub async fn wait_for(&self, timeout: Duration, matches: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            if let Some(m) = self.messages().into_iter().find(|m| matches(m)) {
                return m;
            }
            if start.elapsed() > timeout {
                panic!(
                    "no matching message within {timeout:?}; received: {:#?}",
                    self.messages()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Message-ID → number of copies received: a duplicate delivery shows as 2.
    pub fn received(&self) -> HashMap<String, usize> {
        let mut out = HashMap::new();
        for text in self.messages() {
            let id = text
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .unwrap_or("(none)")
                .trim()
                .to_owned();
            *out.entry(id).or_insert(0) += 1;
        }
        out
    }
}
