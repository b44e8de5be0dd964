//! The signatures of AI writing tools, sequencers, trackers and extensions: a TOML file
//! that ships with the policy (`policies/default/signatures.toml`), extended without a
//! rebuild (`scan --signatures FILE`), and versioned like the policy (its `version` and
//! content hash are printed with every report).
//!
//! ```toml
//! version = "2026-12-07"
//! [[tool]]
//! name = "Lavender"
//! category = "ai_writing"          # ai_writing | sequencer | tracker | ai_assistant | crm_integration
//! headers = ["x-lavender-id", "x-mailer: lavender"]   # a header name, or `name: substring`
//! domains = ["lavender.ai"]        # in Message-IDs, links and images (subdomains too)
//! extension_ids = ["necbalcggglceeioaehdbkpbldmoabii"]
//! extension_names = ["Lavender"]
//! apps = ["Lavender"]              # connected-app / OAuth app names in CRM exports
//! ```

use serde::Deserialize;

/// The categories a signature may have.
pub const CATEGORIES: [&str; 5] = [
    "ai_writing",
    "sequencer",
    "tracker",
    "ai_assistant",
    "crm_integration",
];

#[derive(Debug, thiserror::Error)]
pub enum SignaturesError {
    #[error("{file}: {problem}")]
    Invalid { file: String, problem: String },
}

/// One tool and how to recognise it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSignature {
    pub name: String,
    pub category: String,
    /// A header name (`x-lavender-id`), or `name: substring` matched without case.
    #[serde(default)]
    pub headers: Vec<String>,
    /// Domains (lower case) in Message-IDs, links and images; subdomains match.
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub extension_ids: Vec<String>,
    /// Extension names, matched without case as whole words of the installed name.
    #[serde(default)]
    pub extension_names: Vec<String>,
    /// Connected-app names in CRM login and app exports, matched without case.
    #[serde(default)]
    pub apps: Vec<String>,
}

/// The signature file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signatures {
    pub version: String,
    #[serde(default, rename = "tool")]
    pub tools: Vec<ToolSignature>,
}

/// The shipped signatures.
pub const DEFAULT: &str = include_str!("../../../policies/default/signatures.toml");

impl Signatures {
    /// Parses and checks a signature file; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, SignaturesError> {
        let invalid = |problem: String| SignaturesError::Invalid {
            file: file.to_owned(),
            problem,
        };
        let mut s: Signatures =
            toml::from_str(text).map_err(|e| invalid(e.message().to_owned()))?;
        if s.version.trim().is_empty() {
            return Err(invalid("`version` is empty".to_owned()));
        }
        for (i, t) in s.tools.iter_mut().enumerate() {
            if t.name.trim().is_empty() {
                return Err(invalid(format!("tool[{i}]: `name` is empty")));
            }
            if !CATEGORIES.contains(&t.category.as_str()) {
                return Err(invalid(format!(
                    "tool `{}`: category `{}` is not one of {}",
                    t.name,
                    t.category,
                    CATEGORIES.join(", ")
                )));
            }
            for d in &mut t.domains {
                *d = d.trim().trim_start_matches('.').to_lowercase();
            }
            for h in &mut t.headers {
                *h = h.trim().to_lowercase();
            }
            for x in &mut t.extension_ids {
                *x = x.trim().to_lowercase();
            }
        }
        Ok(s)
    }

    /// The shipped file.
    pub fn shipped() -> Self {
        Self::parse("signatures.toml", DEFAULT).unwrap_or_default()
    }

    pub fn tool(&self, name: &str) -> Option<&ToolSignature> {
        self.tools
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// The tool a domain belongs to (the domain itself or a parent of it).
    pub fn by_domain(&self, domain: &str) -> Option<&ToolSignature> {
        let domain = domain.trim().trim_end_matches('.').to_lowercase();
        self.tools.iter().find(|t| {
            t.domains
                .iter()
                .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
        })
    }

    /// The tool a header (name and value) belongs to.
    pub fn by_header(&self, name: &str, value: &str) -> Option<(&ToolSignature, String)> {
        let name = name.trim().to_lowercase();
        let value_lower = value.to_lowercase();
        self.tools.iter().find_map(|t| {
            t.headers.iter().find_map(|h| match h.split_once(':') {
                Some((n, needle)) if n.trim() == name && value_lower.contains(needle.trim()) => {
                    Some((t, format!("{name}: {}", value.trim())))
                }
                None if *h == name => Some((t, format!("{name}: {}", value.trim()))),
                _ => None,
            })
        })
    }

    /// The tool an extension (id or name) belongs to.
    pub fn by_extension(&self, id: &str, name: &str) -> Option<&ToolSignature> {
        let id = id.trim().to_lowercase();
        let name = name.to_lowercase();
        let words: Vec<&str> = name
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        self.tools.iter().find(|t| {
            t.extension_ids.contains(&id)
                || t.extension_names.iter().any(|n| {
                    let n = n.to_lowercase();
                    let want: Vec<&str> = n
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .collect();
                    !want.is_empty() && words.windows(want.len()).any(|w| w == want.as_slice())
                })
        })
    }

    /// The tool a connected app's name belongs to.
    pub fn by_app(&self, app: &str) -> Option<&ToolSignature> {
        let app = app.trim().to_lowercase();
        self.tools
            .iter()
            .find(|t| t.apps.iter().any(|a| a.to_lowercase() == app))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_parses_and_matches_by_each_kind_of_evidence() {
        let s = Signatures::parse("signatures.toml", DEFAULT).unwrap();
        assert!(!s.tools.is_empty());
        let by_domain = s.by_domain("click.t.outreach.io").map(|t| t.name.as_str());
        assert_eq!(by_domain, Some("Outreach"));
        assert!(s.by_domain("notoutreach.io").is_none());
        let (t, said) = s
            .by_header("X-Mailer", "Lavender/2.1 (+https://lavender.ai)")
            .unwrap();
        assert_eq!(t.name, "Lavender");
        assert_eq!(said, "x-mailer: Lavender/2.1 (+https://lavender.ai)");
        assert_eq!(
            s.by_extension("", "Lavender - AI Email Coach")
                .map(|t| t.name.as_str()),
            Some("Lavender")
        );
        assert!(s.by_extension("", "Lavenderfield Notes").is_none());
    }

    #[test]
    fn a_bad_category_or_toml_is_refused_naming_the_file() {
        let err = Signatures::parse(
            "mine.toml",
            "version = \"1\"\n[[tool]]\nname = \"X\"\ncategory = \"spy\"\n",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("mine.toml: tool `X`: category `spy`"),
            "{err}"
        );
        assert!(Signatures::parse("mine.toml", "version = ").is_err());
    }
}
