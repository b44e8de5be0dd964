//! `countersign policy show|validate|test`.
//!
//! `test` runs a file (or directory) of cases, like `cedar run-tests`: each case is an
//! action and its context with the expected decision, roles and reason fragments, or a
//! Cedar authorization question (may this reviewer approve, may this tool propose) with
//! the expected answer. It prints a pass/fail table and exits 1 if any case fails.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use countersign_engine::policy::{Principal, ProposalFacts, Verb};
use countersign_engine::{Decision, Gate, Policy};
use serde::Deserialize;
use serde_json::Value;

use crate::Outcome;
use crate::commands::check::Format;
use crate::input;
use crate::policy_files::{self, PolicyFiles};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the built-in default policy (TOML, Cedar policies and Cedar schema).
    Show(ShowArgs),
    /// Check a policy directory (or its policy.toml) and report every problem with file, line and column.
    Validate(ValidateArgs),
    /// Run policy test cases and print a pass/fail table.
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Only this part.
    #[arg(long, value_parser = ["toml", "cedar", "schema"])]
    pub part: Option<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Policy directory, or the path of its policy.toml.
    pub path: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// A JSON file of cases, or a directory of them.
    pub cases: PathBuf,
    /// Policy directory (default: the built-in policy).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(cmd: PolicyCommand) -> anyhow::Result<Outcome> {
    match cmd {
        PolicyCommand::Show(args) => show(args),
        PolicyCommand::Validate(args) => validate(args),
        PolicyCommand::Test(args) => test(args),
    }
}

fn show(args: ShowArgs) -> anyhow::Result<Outcome> {
    let s = policy_files::default_sources();
    let mut out = std::io::stdout().lock();
    for (part, (name, text)) in [("toml", s.toml), ("cedar", s.cedar), ("schema", s.schema)] {
        if args.part.as_deref().is_none_or(|p| p == part) {
            if args.part.is_none() {
                writeln!(out, "# ---- {name} ----")?;
            }
            write!(out, "{text}")?;
            if args.part.is_none() {
                writeln!(out)?;
            }
        }
    }
    if args.part.is_none() {
        writeln!(out, "# version {}", Policy::default_policy().version)?;
    }
    Ok(Outcome::Success)
}

fn validate(args: ValidateArgs) -> anyhow::Result<Outcome> {
    let files = PolicyFiles::read(&args.path)?;
    let result = files.load();
    let mut out = std::io::stdout().lock();
    match (result, args.format) {
        (Ok(policy), Format::Human) => {
            writeln!(
                out,
                "policy `{}` is valid (version {})",
                policy.config.name, policy.version
            )?;
            Ok(Outcome::Success)
        }
        (Ok(policy), Format::Json) => {
            writeln!(
                out,
                "{}",
                serde_json::json!({"valid": true, "version": policy.version, "problems": []})
            )?;
            Ok(Outcome::Success)
        }
        (Err(problems), Format::Human) => {
            for p in &problems {
                writeln!(out, "{p}")?;
            }
            writeln!(out, "{} problem(s)", problems.len())?;
            Ok(Outcome::Problems)
        }
        (Err(problems), Format::Json) => {
            writeln!(
                out,
                "{}",
                serde_json::json!({"valid": false, "problems": problems})
            )?;
            Ok(Outcome::Problems)
        }
    }
}

/// One test case: either `input` (an action, an action with context, or a bare message, as
/// `check` reads them) with an expected decision, or a Cedar question (`principal`, `verb`,
/// `proposal`) with the expected answer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    input: Option<Value>,
    /// Decision time (quiet hours depend on it); default 2026-01-07T15:00:00Z (a Wednesday).
    #[serde(default)]
    now: Option<DateTime<Utc>>,
    #[serde(default)]
    principal: Option<CasePrincipal>,
    #[serde(default)]
    verb: Option<String>,
    #[serde(default)]
    proposal: Option<CaseProposal>,
    expect: Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectDecision {
    decision: Decision,
    #[serde(default)]
    roles: Option<BTreeSet<String>>,
    /// Each must appear in some reason.
    #[serde(default)]
    reasons_include: Vec<String>,
    /// Each `category` or `category/subtopic` must be among the findings.
    #[serde(default)]
    findings_include: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "type", rename_all = "snake_case")]
enum CasePrincipal {
    Tool {
        name: String,
        #[serde(default)]
        kinds: BTreeSet<String>,
        #[serde(default = "yes")]
        registered: bool,
    },
    Reviewer {
        name: String,
        roles: BTreeSet<String>,
    },
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseProposal {
    kind: String,
    #[serde(default)]
    tool: String,
    #[serde(default)]
    on_behalf_of: String,
    #[serde(default)]
    protected: bool,
    #[serde(default)]
    required_roles: BTreeSet<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectAuthorization {
    allowed: bool,
    /// `@id`s of the policies expected to decide.
    #[serde(default)]
    policies: Option<Vec<String>>,
}

/// A case's outcome.
#[derive(Debug, serde::Serialize)]
struct CaseResult {
    file: String,
    name: String,
    passed: bool,
    expected: String,
    got: String,
}

fn test(args: TestArgs) -> anyhow::Result<Outcome> {
    let policy = policy_files::load(args.policy.as_deref())?;
    let files = case_files(&args.cases)?;
    let gate = Gate::new();
    let mut results = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file)
            .with_context(|| format!("failed to read {}", file.display()))?;
        let cases: Vec<Case> = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}:{}:{}: {}",
                file.display(),
                e.line(),
                e.column(),
                e.to_string().split(" at line ").next().unwrap_or_default()
            )
        })?;
        for case in cases {
            let file_name = file.display().to_string();
            results.push(run_case(&gate, &policy, &file_name, case));
        }
    }
    let failed = results.iter().filter(|r| !r.passed).count();
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            for r in &results {
                writeln!(out, "{}", serde_json::to_string(r)?)?;
            }
        }
        Format::Human => {
            writeln!(out, "{:<6} {:<58} expected → got", "result", "case")?;
            for r in &results {
                writeln!(
                    out,
                    "{:<6} {:<58} {}",
                    if r.passed { "pass" } else { "FAIL" },
                    r.name,
                    if r.passed {
                        r.expected.clone()
                    } else {
                        format!("{} → {}", r.expected, r.got)
                    }
                )?;
            }
            writeln!(
                out,
                "\n{} passed, {} failed (policy {})",
                results.len() - failed,
                failed,
                policy.version
            )?;
        }
    }
    Ok(if failed > 0 {
        Outcome::Problems
    } else {
        Outcome::Success
    })
}

fn case_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files: Vec<PathBuf> = fs::read_dir(path)
        .with_context(|| format!("failed to list {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    anyhow::ensure!(
        !files.is_empty(),
        "no *.json case files in {}",
        path.display()
    );
    Ok(files)
}

fn run_case(gate: &Gate, policy: &Policy, file: &str, case: Case) -> CaseResult {
    let (passed, expected, got) = match judge(gate, policy, &case) {
        Ok(r) => r,
        Err(problem) => (false, "a valid case".to_owned(), problem),
    };
    CaseResult {
        file: file.to_owned(),
        name: case.name,
        passed,
        expected,
        got,
    }
}

fn judge(gate: &Gate, policy: &Policy, case: &Case) -> Result<(bool, String, String), String> {
    let bad = |e: serde_json::Error| {
        format!(
            "expect: {}",
            e.to_string().split(" at line ").next().unwrap_or_default()
        )
    };
    Ok(
        match (&case.input, &case.principal, &case.verb, &case.proposal) {
            (Some(input), None, None, None) => {
                let expect: ExpectDecision =
                    serde_json::from_value(case.expect.clone()).map_err(bad)?;
                let now = case.now;
                match input::to_action(0, input) {
                    Err(e) => (
                        false,
                        expect.decision.to_string(),
                        format!("input error: {e}"),
                    ),
                    Ok((action, ctx)) => {
                        let now = now.unwrap_or_else(default_now);
                        let record = gate.decide(&action, &ctx, policy, now);
                        let mut problems = Vec::new();
                        if record.decision != expect.decision {
                            problems.push(format!("decision {}", record.decision));
                        }
                        if let Some(roles) = &expect.roles
                            && &record.roles != roles
                        {
                            problems.push(format!("roles {:?}", record.roles));
                        }
                        for want in &expect.reasons_include {
                            if !record
                                .reasons
                                .iter()
                                .any(|r| r.to_string().contains(want.as_str()))
                            {
                                problems.push(format!(
                                    "no reason containing {want:?} in {:?}",
                                    record.reasons
                                ));
                            }
                        }
                        for want in &expect.findings_include {
                            let hit = record.findings.iter().any(|f| {
                                *want == f.category.as_str()
                                    || *want == format!("{}/{}", f.category, f.subtopic)
                            });
                            if !hit {
                                problems.push(format!("no finding {want}"));
                            }
                        }
                        let expected = match &expect.roles {
                            Some(r) if !r.is_empty() => format!(
                                "{} ({})",
                                expect.decision,
                                r.iter().cloned().collect::<Vec<_>>().join(", ")
                            ),
                            _ => expect.decision.to_string(),
                        };
                        (problems.is_empty(), expected, problems.join("; "))
                    }
                }
            }
            (None, Some(principal), Some(verb), Some(proposal)) => {
                let expect: ExpectAuthorization =
                    serde_json::from_value(case.expect.clone()).map_err(bad)?;
                let verb = match verb.as_str() {
                    "propose" => Some(Verb::Propose),
                    "approve" => Some(Verb::Approve),
                    _ => None,
                };
                let expected = if expect.allowed { "allow" } else { "deny" }.to_owned();
                match verb {
                    None => (
                        false,
                        expected,
                        "verb must be `propose` or `approve`".to_owned(),
                    ),
                    Some(verb) => {
                        let p = match principal {
                            CasePrincipal::Tool {
                                name,
                                kinds,
                                registered,
                            } => Principal::Tool {
                                name,
                                kinds,
                                registered: *registered,
                            },
                            CasePrincipal::Reviewer { name, roles } => {
                                Principal::Reviewer { name, roles }
                            }
                        };
                        let facts = ProposalFacts {
                            id: "case",
                            kind: &proposal.kind,
                            tool: &proposal.tool,
                            on_behalf_of: &proposal.on_behalf_of,
                            protected: proposal.protected,
                            required_roles: &proposal.required_roles,
                        };
                        let a = policy.authz.authorize(&p, verb, &facts);
                        let policies_ok = expect.policies.as_ref().is_none_or(|want| {
                            let mut want = want.clone();
                            want.sort();
                            want == a.policies
                        });
                        let got = format!(
                            "{} by [{}]{}",
                            if a.allowed { "allow" } else { "deny" },
                            a.policies.join(", "),
                            if a.errors.is_empty() {
                                String::new()
                            } else {
                                format!(" errors: {}", a.errors.join("; "))
                            }
                        );
                        (a.allowed == expect.allowed && policies_ok, expected, got)
                    }
                }
            }
            _ => {
                return Err(
                    "a case needs either `input`, or `principal`, `verb` and `proposal`".to_owned(),
                );
            }
        },
    )
}

fn default_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-07T15:00:00Z")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}
