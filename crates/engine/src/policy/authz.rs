//! The Cedar half of a policy: who may propose and who may approve what.
//!
//! Cedar is pure (no I/O, no logging) and returns which policies decided, which we turn
//! into plain-word reasons. The schema is checked at load time in strict mode, so a policy
//! that names a missing attribute fails `policy validate`, not a live approval.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet, Request,
    RestrictedExpression, Schema, ValidationMode, Validator,
};
use miette::Diagnostic;

use super::PolicyProblem;

/// Who is asking Cedar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal<'a> {
    Tool {
        name: &'a str,
        kinds: &'a BTreeSet<String>,
        registered: bool,
    },
    Reviewer {
        name: &'a str,
        roles: &'a BTreeSet<String>,
    },
}

/// The Cedar action: propose or approve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Propose,
    Approve,
}

impl Verb {
    fn as_str(self) -> &'static str {
        match self {
            Verb::Propose => "propose",
            Verb::Approve => "approve",
        }
    }
}

/// The proposal as Cedar sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposalFacts<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub tool: &'a str,
    pub on_behalf_of: &'a str,
    pub protected: bool,
    pub required_roles: &'a BTreeSet<String>,
}

/// Cedar's answer, with the ids of the policies that decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub allowed: bool,
    /// `@id` annotations of the policies that determined the answer.
    pub policies: Vec<String>,
    /// Evaluation errors; any error means "not allowed" (fail closed).
    pub errors: Vec<String>,
}

/// A validated Cedar policy set with its schema.
#[derive(Debug, Clone)]
pub struct Authz {
    policies: PolicySet,
    schema: Schema,
    authorizer: Authorizer,
    ids: HashMap<String, String>,
}

impl Authz {
    /// Parses the schema and policies and validates them in strict mode.
    pub fn parse(
        schema_file: &str,
        schema_src: &str,
        policy_file: &str,
        policy_src: &str,
    ) -> Result<Self, Vec<PolicyProblem>> {
        let schema = Schema::from_cedarschema_str(schema_src)
            .map(|(schema, _warnings)| schema)
            .map_err(|e| diagnostics(schema_file, schema_src, &e))?;
        let policies = PolicySet::from_str(policy_src)
            .map_err(|e| diagnostics(policy_file, policy_src, &e))?;
        let result = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        let problems: Vec<PolicyProblem> = result
            .validation_errors()
            .flat_map(|e| diagnostics(policy_file, policy_src, e))
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        let ids = policies
            .policies()
            .map(|p| {
                let id = p.id().to_string();
                let label = p.annotation("id").map_or_else(|| id.clone(), str::to_owned);
                (id, label)
            })
            .collect();
        Ok(Self {
            policies,
            schema,
            authorizer: Authorizer::new(),
            ids,
        })
    }

    /// Asks whether `principal` may `verb` the proposal. Any error is a refusal.
    pub fn authorize(
        &self,
        principal: &Principal<'_>,
        verb: Verb,
        proposal: &ProposalFacts<'_>,
    ) -> Authorization {
        match self.try_authorize(principal, verb, proposal) {
            Ok(a) => a,
            Err(e) => Authorization {
                allowed: false,
                policies: Vec::new(),
                errors: vec![e],
            },
        }
    }

    fn try_authorize(
        &self,
        principal: &Principal<'_>,
        verb: Verb,
        proposal: &ProposalFacts<'_>,
    ) -> Result<Authorization, String> {
        let (principal_entity, principal_uid) = match principal {
            Principal::Tool {
                name,
                kinds,
                registered,
            } => entity(
                "Countersign::Tool",
                name,
                [
                    ("kinds", string_set(kinds.iter())),
                    ("registered", RestrictedExpression::new_bool(*registered)),
                ],
            )?,
            Principal::Reviewer { name, roles } => entity(
                "Countersign::Reviewer",
                name,
                [
                    ("name", RestrictedExpression::new_string((*name).to_owned())),
                    ("roles", string_set(roles.iter())),
                ],
            )?,
        };
        let (resource_entity, resource_uid) = entity(
            "Countersign::Proposal",
            proposal.id,
            [
                (
                    "kind",
                    RestrictedExpression::new_string(proposal.kind.to_owned()),
                ),
                (
                    "tool",
                    RestrictedExpression::new_string(proposal.tool.to_owned()),
                ),
                (
                    "on_behalf_of",
                    RestrictedExpression::new_string(proposal.on_behalf_of.to_owned()),
                ),
                (
                    "protected",
                    RestrictedExpression::new_bool(proposal.protected),
                ),
                ("required_roles", string_set(proposal.required_roles.iter())),
            ],
        )?;
        let action = EntityUid::from_type_name_and_id(
            type_name("Countersign::Action")?,
            EntityId::new(verb.as_str()),
        );
        // Entities are built from our own typed values, so schema validation of each
        // request would only re-check what the constructors guarantee; it is skipped for speed.
        let entities = Entities::from_entities([principal_entity, resource_entity], None)
            .map_err(|e| e.to_string())?;
        let request = Request::new(principal_uid, action, resource_uid, Context::empty(), None)
            .map_err(|e| e.to_string())?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.policies, &entities);
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(ToString::to_string)
            .collect();
        let mut policies: Vec<String> = response
            .diagnostics()
            .reason()
            .map(|id| {
                self.ids
                    .get(&id.to_string())
                    .cloned()
                    .unwrap_or_else(|| id.to_string())
            })
            .collect();
        policies.sort();
        Ok(Authorization {
            allowed: errors.is_empty() && response.decision() == cedar_policy::Decision::Allow,
            policies,
            errors,
        })
    }

    /// The schema, for callers that want to validate entities themselves.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }
}

fn type_name(name: &str) -> Result<EntityTypeName, String> {
    EntityTypeName::from_str(name).map_err(|e| e.to_string())
}

fn entity<const N: usize>(
    type_: &str,
    id: &str,
    attrs: [(&str, RestrictedExpression); N],
) -> Result<(Entity, EntityUid), String> {
    let uid = EntityUid::from_type_name_and_id(type_name(type_)?, EntityId::new(id));
    let attrs: HashMap<String, RestrictedExpression> =
        attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    let entity = Entity::new(uid.clone(), attrs, HashSet::new()).map_err(|e| e.to_string())?;
    Ok((entity, uid))
}

fn string_set<'a>(items: impl Iterator<Item = &'a String>) -> RestrictedExpression {
    RestrictedExpression::new_set(items.map(|s| RestrictedExpression::new_string(s.clone())))
}

/// Turns a miette diagnostic (Cedar's error type) into positioned problems.
fn diagnostics(file: &str, src: &str, d: &dyn Diagnostic) -> Vec<PolicyProblem> {
    let mut out = Vec::new();
    collect(file, src, d, &mut out);
    if out.is_empty() {
        out.push(PolicyProblem::at(file, src, 0, &d.to_string()));
    }
    out
}

fn collect(file: &str, src: &str, d: &dyn Diagnostic, out: &mut Vec<PolicyProblem>) {
    let mut message = d.to_string();
    if let Some(help) = d.help() {
        message = format!("{message} ({help})");
    }
    match d.labels().and_then(|mut l| l.next()) {
        Some(label) => out.push(PolicyProblem::at(file, src, label.offset(), &message)),
        None => {
            let before = out.len();
            if let Some(related) = d.related() {
                for r in related {
                    collect(file, src, r, out);
                }
            }
            if out.len() == before {
                out.push(PolicyProblem::at(file, src, 0, &message));
            }
        }
    }
}
