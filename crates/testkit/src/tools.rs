//! The repository's Python tools (`scripts/python-tools` makes the git-ignored `.venv`)
//! and the `countersign` binary, each found or built once per test process.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::{Component, missing, repo_root};

/// The tools venv's python (`scripts/python-tools` creates it and installs its pinned
/// tools), once per test process.
pub fn python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let script = repo_root().join("scripts/python-tools");
            let out = std::process::Command::new("bash").arg(&script).output();
            match out {
                Ok(o) if o.status.success() => {
                    let path = String::from_utf8_lossy(&o.stdout).trim().to_owned();
                    Some(PathBuf::from(path))
                }
                Ok(o) => {
                    missing(
                        Component::Tools,
                        "the Python tools venv",
                        &format!(
                            "scripts/python-tools failed: {}",
                            String::from_utf8_lossy(&o.stderr).trim()
                        ),
                    );
                    None
                }
                Err(e) => {
                    missing(
                        Component::Tools,
                        "bash",
                        &format!("cannot run scripts/python-tools: {e}"),
                    );
                    None
                }
            }
        })
        .clone()
}

/// The `countersign` binary, built (or found up to date) in this test's target directory
/// and profile, once per test process.
pub fn countersign_binary() -> Option<PathBuf> {
    static BIN: OnceLock<Option<PathBuf>> = OnceLock::new();
    BIN.get_or_init(|| {
        // target/<profile>/deps/api-<hash>
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent()?.parent()?.to_path_buf();
        let target_dir = profile_dir.parent()?.to_path_buf();
        let profile = profile_dir.file_name()?.to_string_lossy().into_owned();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut cmd = std::process::Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "countersign",
            "--bin",
            "countersign",
        ])
        .env("CARGO_TARGET_DIR", &target_dir)
        .current_dir(repo_root());
        match profile.as_str() {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        let status = cmd.status();
        let bin = profile_dir.join("countersign");
        match status {
            Ok(s) if s.success() && bin.exists() => Some(bin),
            other => {
                missing(
                    Component::Tools,
                    "the countersign binary",
                    &format!("cargo build -p countersign: {other:?}"),
                );
                None
            }
        }
    })
    .clone()
}

/// The source of axe-core (`scripts/node-tools` installs the pinned version into the
/// git-ignored `.node/`), read once per test process; for the browser tests.
pub fn axe_core() -> Option<String> {
    static AXE: OnceLock<Option<String>> = OnceLock::new();
    AXE.get_or_init(|| {
        let out = std::process::Command::new("bash")
            .arg(repo_root().join("scripts/node-tools"))
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let path = String::from_utf8_lossy(&o.stdout).trim().to_owned();
                std::fs::read_to_string(path).ok()
            }
            Ok(o) => {
                missing(
                    Component::Chromium,
                    "axe-core",
                    &format!(
                        "scripts/node-tools failed: {}",
                        String::from_utf8_lossy(&o.stderr).trim()
                    ),
                );
                None
            }
            Err(e) => {
                missing(
                    Component::Chromium,
                    "bash",
                    &format!("cannot run scripts/node-tools: {e}"),
                );
                None
            }
        }
    })
    .clone()
}
