//! Who may act on a held item: one answer, which the store enforces and the inbox shows,
//! so the inbox never offers what the store would refuse. Pure: the caller gathers the
//! facts (status, roles, approvals) and the policy's Cedar rules have the last word on
//! approving.

use std::collections::BTreeSet;
use std::fmt;

use crate::policy::authz::{Authz, Principal, ProposalFacts, Verb};

/// A held item as a reviewer meets it.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub tool: &'a str,
    /// Only held items are approved, edited or rejected.
    pub held: bool,
    /// The rep's account name.
    pub on_behalf_of: Option<&'a str>,
    /// Whether any revision is a protected moment (objection, commercial, executive).
    pub protected: bool,
    /// The roles the latest revision needs.
    pub required: &'a BTreeSet<String>,
    /// Of those, the ones no counting approval covers yet.
    pub missing: &'a BTreeSet<String>,
    /// The reviewers whose approval of the latest revision counts.
    pub approvers: &'a BTreeSet<String>,
}

/// The reviewer who would act.
#[derive(Debug, Clone, Copy)]
pub struct Reviewer<'a> {
    pub name: &'a str,
    pub roles: &'a BTreeSet<String>,
}

/// Why a reviewer may not do something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The item is not held any more.
    NotHeld,
    /// Separation of duties: the rep does not countersign their own protected moment.
    OwnProtectedMoment,
    /// The reviewer holds none of the roles the item needs.
    NoRequiredRole { required: BTreeSet<String> },
    /// Their approval already counts for this revision.
    AlreadyApproved,
    /// What is still missing are roles the reviewer does not hold.
    NotAMissingRole { missing: BTreeSet<String> },
    /// The policy's Cedar rules refuse it (or could not be evaluated: fail closed).
    Policy {
        policies: Vec<String>,
        errors: Vec<String>,
    },
}

fn join(roles: &BTreeSet<String>) -> String {
    roles.iter().cloned().collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotHeld => write!(f, "is not held"),
            Self::OwnProtectedMoment => write!(
                f,
                "is the rep the action is on behalf of, and it is a protected moment"
            ),
            Self::NoRequiredRole { required } => {
                write!(f, "holds none of the required roles ({})", join(required))
            }
            Self::AlreadyApproved => write!(f, "already approved this revision"),
            Self::NotAMissingRole { missing } => write!(
                f,
                "holds none of the roles still missing ({})",
                join(missing)
            ),
            Self::Policy { errors, .. } if !errors.is_empty() => write!(
                f,
                "the policy could not be evaluated ({})",
                errors.join("; ")
            ),
            Self::Policy { policies, .. } => {
                write!(f, "is refused by the policy ({})", policies.join(", "))
            }
        }
    }
}

/// What a reviewer may do with an item; an approval also names the Cedar policies that
/// allowed it (for the audit record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MayReview {
    pub approve: Result<Vec<String>, Refusal>,
    pub edit: Result<(), Refusal>,
    pub reject: Result<(), Refusal>,
}

/// May `reviewer` edit or reject `item`? A required role, or being the rep; the approvals
/// and the protected flag do not matter.
pub fn may_handle(item: &Item<'_>, reviewer: &Reviewer<'_>) -> Result<(), Refusal> {
    if !item.held {
        return Err(Refusal::NotHeld);
    }
    let is_rep = item.on_behalf_of == Some(reviewer.name);
    if is_rep || item.required.iter().any(|r| reviewer.roles.contains(r)) {
        Ok(())
    } else {
        Err(Refusal::NoRequiredRole {
            required: item.required.clone(),
        })
    }
}

/// The one answer to "may this reviewer approve, edit or reject this item?".
///
/// Editing and rejecting need a required role or being the rep. Approving needs the
/// policy's Cedar rules to allow it (by default: a required role, and not the rep of a
/// protected moment), an approval that does not count yet, and — while roles are
/// missing — one of the missing roles.
#[must_use]
pub fn may_review(authz: &Authz, item: &Item<'_>, reviewer: &Reviewer<'_>) -> MayReview {
    if !item.held {
        return MayReview {
            approve: Err(Refusal::NotHeld),
            edit: Err(Refusal::NotHeld),
            reject: Err(Refusal::NotHeld),
        };
    }
    let is_rep = item.on_behalf_of == Some(reviewer.name);
    let holds = |roles: &BTreeSet<String>| roles.iter().any(|r| reviewer.roles.contains(r));
    let no_role = || Refusal::NoRequiredRole {
        required: item.required.clone(),
    };
    let handle = may_handle(item, reviewer);
    // Cedar first: separation of duties and who may approve at all are the policy's.
    let answer = authz.authorize(
        &Principal::Reviewer {
            name: reviewer.name,
            roles: reviewer.roles,
        },
        Verb::Approve,
        &ProposalFacts {
            id: item.id,
            kind: item.kind,
            tool: item.tool,
            on_behalf_of: item.on_behalf_of.unwrap_or(""),
            protected: item.protected,
            required_roles: item.required,
        },
    );
    let approve = if !answer.allowed {
        Err(if is_rep && item.protected {
            Refusal::OwnProtectedMoment
        } else if !holds(item.required) {
            no_role()
        } else {
            Refusal::Policy {
                policies: answer.policies,
                errors: answer.errors,
            }
        })
    } else if item.approvers.contains(reviewer.name) {
        Err(Refusal::AlreadyApproved)
    } else if !item.missing.is_empty() && !holds(item.missing) {
        Err(Refusal::NotAMissingRole {
            missing: item.missing.clone(),
        })
    } else {
        Ok(answer.policies)
    };
    MayReview {
        approve,
        edit: handle.clone(),
        reject: handle,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn answer(
        reviewer: (&str, &[&str]),
        required: &[&str],
        missing: &[&str],
        approvers: &[&str],
        protected: bool,
    ) -> MayReview {
        let (required, missing, approvers, roles) =
            (set(required), set(missing), set(approvers), set(reviewer.1));
        may_review(
            &Policy::default_policy().authz,
            &Item {
                id: "act_1",
                kind: "email.send",
                tool: "agent",
                held: true,
                on_behalf_of: Some("sam.rep"),
                protected,
                required: &required,
                missing: &missing,
                approvers: &approvers,
            },
            &Reviewer {
                name: reviewer.0,
                roles: &roles,
            },
        )
    }

    #[test]
    fn a_reviewer_with_a_missing_role_approves() {
        let a = answer(
            ("dora", &["deal_desk"]),
            &["deal_desk"],
            &["deal_desk"],
            &[],
            true,
        );
        assert!(a.approve.is_ok());
        assert!(a.edit.is_ok() && a.reject.is_ok());
    }

    #[test]
    fn the_rep_edits_but_does_not_approve_a_protected_moment() {
        let a = answer(
            ("sam.rep", &["rep", "deal_desk"]),
            &["deal_desk"],
            &["deal_desk"],
            &[],
            true,
        );
        assert_eq!(a.approve, Err(Refusal::OwnProtectedMoment));
        assert!(a.edit.is_ok());
    }

    #[test]
    fn a_covered_role_or_a_second_approval_adds_nothing() {
        let a = answer(
            ("dora", &["deal_desk"]),
            &["deal_desk", "security"],
            &["security"],
            &["dee"],
            true,
        );
        assert_eq!(
            a.approve,
            Err(Refusal::NotAMissingRole {
                missing: set(&["security"])
            })
        );
        let a = answer(
            ("dora", &["deal_desk"]),
            &["deal_desk"],
            &[],
            &["dora"],
            true,
        );
        assert_eq!(a.approve, Err(Refusal::AlreadyApproved));
        // Every role covered but still held (the rep alone approved): another approver helps.
        let a = answer(
            ("dora", &["deal_desk"]),
            &["deal_desk"],
            &[],
            &["sam.rep"],
            true,
        );
        assert!(a.approve.is_ok());
    }

    #[test]
    fn without_a_required_role_nothing_is_allowed() {
        let a = answer(
            ("sid", &["security"]),
            &["deal_desk"],
            &["deal_desk"],
            &[],
            false,
        );
        assert!(matches!(a.approve, Err(Refusal::NoRequiredRole { .. })));
        assert!(a.edit.is_err() && a.reject.is_err());
        assert_eq!(
            a.approve.unwrap_err().to_string(),
            "holds none of the required roles (deal_desk)"
        );
    }
}
