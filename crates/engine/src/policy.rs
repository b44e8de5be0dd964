//! A policy: the TOML rules ([`PolicyConfig`]) plus the Cedar authorization ([`Authz`]),
//! identified by a content hash ([`PolicyVersion`]) that every decision carries.
//!
//! The engine never reads files: callers hand it the sources. The default policy is
//! compiled into the binary from `policies/default/`.

pub mod authz;
pub mod config;

use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use authz::{Authorization, Authz, Principal, ProposalFacts, Verb};
pub use config::{
    CategoryRule, DataClass, Guards, Limits, ModelSettings, PolicyConfig, Rule, Sensitivity,
    Violation,
};

/// The shipped default policy sources, as `(file name, text)`.
pub const DEFAULT_SOURCES: PolicySources<'static> = PolicySources {
    toml: (
        "policy.toml",
        include_str!("../../../policies/default/policy.toml"),
    ),
    cedar: (
        "policy.cedar",
        include_str!("../../../policies/default/policy.cedar"),
    ),
    schema: (
        "policy.cedarschema",
        include_str!("../../../policies/default/policy.cedarschema"),
    ),
};

/// The three texts a policy is made of, each with the file name used in problem reports.
#[derive(Debug, Clone, Copy)]
pub struct PolicySources<'a> {
    pub toml: (&'a str, &'a str),
    pub cedar: (&'a str, &'a str),
    pub schema: (&'a str, &'a str),
}

/// `sha256:` and the first 16 hex digits of the hash over all three sources.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PolicyVersion(String);

impl PolicyVersion {
    fn of(sources: &PolicySources<'_>) -> Self {
        let mut h = Sha256::new();
        // Length-prefix each part so moving text between files changes the hash.
        for (_, text) in [sources.toml, sources.cedar, sources.schema] {
            h.update((text.len() as u64).to_be_bytes());
            h.update(text.as_bytes());
        }
        Self(format!("sha256:{}", &hex::encode(h.finalize())[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PolicyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One problem in a policy file, with a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyProblem {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl PolicyProblem {
    /// A problem at byte `offset` of `src`.
    pub fn at(file: &str, src: &str, offset: usize, message: &str) -> Self {
        let offset = offset.min(src.len());
        let before = src.get(..offset).unwrap_or(src);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Self {
            file: file.to_owned(),
            line,
            column,
            message: message.lines().next().unwrap_or_default().trim().to_owned(),
        }
    }
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Every problem found while loading a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy has {} problem(s): {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct PolicyError(pub Vec<PolicyProblem>);

/// A loaded, validated policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub config: PolicyConfig,
    pub authz: Authz,
    pub version: PolicyVersion,
}

impl Policy {
    /// Parses and validates all three sources, reporting every problem in every file.
    pub fn load(sources: &PolicySources<'_>) -> Result<Self, PolicyError> {
        let config = PolicyConfig::parse(sources.toml.0, sources.toml.1);
        let authz = Authz::parse(
            sources.schema.0,
            sources.schema.1,
            sources.cedar.0,
            sources.cedar.1,
        );
        match (config, authz) {
            (Ok(config), Ok(authz)) => Ok(Self {
                config,
                authz,
                version: PolicyVersion::of(sources),
            }),
            (config, authz) => {
                let mut problems = config.err().unwrap_or_default();
                problems.extend(authz.err().unwrap_or_default());
                Err(PolicyError(problems))
            }
        }
    }

    /// The policy shipped in the binary.
    pub fn default_policy() -> &'static Policy {
        static DEFAULT: LazyLock<Policy> = LazyLock::new(|| {
            #[expect(
                clippy::expect_used,
                reason = "the shipped policy is validated by tests"
            )]
            Policy::load(&DEFAULT_SOURCES).expect("the default policy is valid")
        });
        &DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_loads_and_has_a_stable_version() {
        let p = Policy::default_policy();
        assert_eq!(p.version, PolicyVersion::of(&DEFAULT_SOURCES));
        assert!(p.version.as_str().starts_with("sha256:"));
    }

    #[test]
    fn every_problem_is_reported_with_line_and_column() {
        let toml = DEFAULT_SOURCES
            .toml
            .1
            .replace(
                "roles = [\"security\"]\n\n[categories.pressure]",
                "roles = [\"securty\"]\n\n[categories.pressure]",
            )
            .replace("security = [\"security\"]", "secrity = [\"security\"]");
        let err = PolicyConfig::parse("p.toml", &toml).unwrap_err();
        assert_eq!(err.len(), 2, "{err:?}");
        assert!(
            err.iter()
                .any(|p| p.message.contains("role `securty` is not declared"))
        );
        assert!(err.iter().any(|p| {
            p.message
                .contains("`secrity` is not a subtopic of `objection`")
        }));
        assert!(err.iter().all(|p| p.line > 1 && p.column > 1));
    }

    #[test]
    fn two_spellings_of_one_crm_field_are_a_policy_problem() {
        let toml = format!(
            "{}\n[crm_fields.CloseDate]\ntier = \"automation_safe\"\n",
            DEFAULT_SOURCES.toml.1
        );
        let err = PolicyConfig::parse("p.toml", &toml).unwrap_err();
        assert!(
            err.iter()
                .any(|p| p.message.contains("are one CRM field")
                    && p.message.contains("`CloseDate`")),
            "{err:?}"
        );
    }

    #[test]
    fn service_levels_and_triage_limits_are_checked_where_they_are_written() {
        let p = Policy::default_policy();
        assert_eq!(p.config.triage.next_step_days, 21);
        assert_eq!(
            p.config.review.roles["deal_desk"].within,
            chrono::Duration::hours(4)
        );
        let toml = DEFAULT_SOURCES
            .toml
            .1
            .replace("next_step_days = 21", "next_step_days = 0")
            .replace("remind_after = \"2h\"", "remind_after = \"6h\"")
            .replace("within = \"16h\"\nremind_after = \"8h\"\nescalate_to = [\"manager\"]\n\n[review.roles.security]", "within = \"soon\"\nremind_after = \"8h\"\nescalate_to = [\"manager\"]\n\n[review.roles.security]");
        let err = PolicyConfig::parse("p.toml", &toml).unwrap_err();
        let said: Vec<&str> = err.iter().map(|p| p.message.as_str()).collect();
        assert!(
            said.iter()
                .any(|m| m.contains("triage.next_step_days: `0` must be more than 0")),
            "{said:?}"
        );
        assert!(
            said.iter()
                .any(|m| m.contains("remind_after `6h` must be shorter than within `4h`")),
            "{said:?}"
        );
        assert!(
            said.iter().any(|m| m.contains("`soon` is not a time span")),
            "{said:?}"
        );
        assert!(err.iter().all(|p| p.line > 1), "{err:?}");
    }

    #[test]
    fn toml_syntax_error_has_its_position() {
        let err = PolicyConfig::parse("p.toml", "name = \"x\"\nroles = [\n").unwrap_err();
        assert_eq!(err[0].file, "p.toml");
        assert!(err[0].line >= 2, "{err:?}");
    }

    #[test]
    fn cedar_policy_naming_a_missing_attribute_fails_validation() {
        let bad = "permit(principal is Countersign::Tool, action == Countersign::Action::\"propose\", resource)\n  when { principal.colour == \"red\" };\n";
        let err = Authz::parse("s", DEFAULT_SOURCES.schema.1, "bad.cedar", bad).unwrap_err();
        assert_eq!(err[0].file, "bad.cedar");
        assert_eq!(err[0].line, 2, "{err:?}");
    }
}
