//! Loading a policy from disk: a directory with `policy.toml`, `*.cedar` and
//! `policy.cedarschema` (the layout of `policies/default/`), or the built-in default.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use countersign_engine::Policy;
use countersign_engine::policy::{DEFAULT_SOURCES, PolicyError, PolicyProblem, PolicySources};

/// The texts of a policy directory, owned.
pub struct PolicyFiles {
    pub toml: (String, String),
    pub cedar: (String, String),
    pub schema: (String, String),
    /// Each `.cedar` file's name and first line in the joined policy text.
    cedar_parts: Vec<(String, usize)>,
}

impl PolicyFiles {
    /// Reads `dir` (or the directory of a `policy.toml` path).
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let dir: PathBuf = if path.is_dir() {
            path.to_owned()
        } else {
            path.parent().map(Path::to_owned).unwrap_or_default()
        };
        let toml_path = if path.is_dir() {
            dir.join("policy.toml")
        } else {
            path.to_owned()
        };
        let read = |p: &Path| -> anyhow::Result<(String, String)> {
            let text =
                fs::read_to_string(p).with_context(|| format!("failed to read {}", p.display()))?;
            Ok((p.display().to_string(), text))
        };
        let mut cedar_files: Vec<PathBuf> = fs::read_dir(&dir)
            .with_context(|| format!("failed to list {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "cedar"))
            .collect();
        cedar_files.sort();
        anyhow::ensure!(
            !cedar_files.is_empty(),
            "no *.cedar policy file in {}",
            dir.display()
        );
        // Several .cedar files form one policy set: join them, and map problem positions
        // back to the file they came from.
        let mut cedar_text = String::new();
        let mut cedar_parts = Vec::new();
        for p in &cedar_files {
            let (name, text) = read(p)?;
            cedar_parts.push((name, cedar_text.matches('\n').count() + 1));
            cedar_text.push_str(&text);
            if !text.ends_with('\n') {
                cedar_text.push('\n');
            }
        }
        Ok(Self {
            toml: read(&toml_path)?,
            cedar: ("*.cedar".to_owned(), cedar_text),
            schema: read(&dir.join("policy.cedarschema"))?,
            cedar_parts,
        })
    }

    pub fn sources(&self) -> PolicySources<'_> {
        PolicySources {
            toml: (&self.toml.0, &self.toml.1),
            cedar: (&self.cedar.0, &self.cedar.1),
            schema: (&self.schema.0, &self.schema.1),
        }
    }

    /// Loads and validates, returning every problem.
    pub fn load(&self) -> Result<Policy, Vec<PolicyProblem>> {
        Policy::load(&self.sources()).map_err(|PolicyError(problems)| {
            problems
                .into_iter()
                .map(|mut p| {
                    if p.file == self.cedar.0
                        && let Some((name, first)) = self
                            .cedar_parts
                            .iter()
                            .rev()
                            .find(|(_, first)| *first <= p.line)
                    {
                        p.file.clone_from(name);
                        p.line = p.line - first + 1;
                    }
                    p
                })
                .collect()
        })
    }
}

/// The policy a command runs with: `--policy DIR` or the built-in default.
pub fn load(path: Option<&Path>) -> anyhow::Result<Policy> {
    match path {
        None => Ok(Policy::default_policy().clone()),
        Some(path) => {
            let files = PolicyFiles::read(path)?;
            files.load().map_err(|problems| {
                let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
                anyhow::anyhow!(
                    "the policy at {} is invalid:\n  {}",
                    path.display(),
                    list.join("\n  ")
                )
            })
        }
    }
}

/// The built-in default's texts, for `policy show`.
pub fn default_sources() -> PolicySources<'static> {
    DEFAULT_SOURCES
}
