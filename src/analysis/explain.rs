//! Explanations: the chain of requirements from a critical service down to the failure that
//! stops it. Every finding and every downed resource carries one.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::killsets::KillSets;
use super::propagate::{DownCause, Outcome};
use crate::graph::{DomainRef, Estate, Group, ResourceIx};

/// One link of an explanation: this resource is down because of `cause`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PathStep {
    pub resource: String,
    pub name: String,
    pub kind: String,
    pub cause: StepCause,
}

/// Why one step of a path is down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StepCause {
    /// It requires `member`, which is down (the next step).
    Requires {
        member: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
    },
    /// An `any_of` group needing `min` of `members` has `down` of them down; `member` (the
    /// next step) is one of them.
    AnyOf {
        member: String,
        down: u32,
        members: u32,
        min: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        label: Option<String>,
    },
    /// Its placement lost these domains (the end of the path).
    Placement {
        placement: String,
        domains: Vec<DomainRef>,
    },
    /// It failed itself (the end of the path).
    Failed,
}

impl PathStep {
    fn new(estate: &Estate, ix: ResourceIx, cause: StepCause) -> Self {
        let resource = estate.resource(ix);
        PathStep {
            resource: resource.id.clone(),
            name: resource.label().to_string(),
            kind: resource.kind.clone(),
            cause,
        }
    }
}

fn group_step(estate: &Estate, group: &Group, member: ResourceIx, down: u32) -> StepCause {
    let member = estate.resource(member).id.clone();
    let label = group.label.clone();
    if group.is_requires {
        StepCause::Requires { member, label }
    } else {
        StepCause::AnyOf {
            member,
            down,
            members: group.members.len() as u32,
            min: group.quorum,
            label,
        }
    }
}

/// Render a path on one line: `withdrawals → hot-wallet-quorum (2 of 3 down, needs 2) → ...`.
pub fn render_path(path: &[PathStep]) -> String {
    let mut text = String::new();
    for (i, step) in path.iter().enumerate() {
        if i > 0 {
            text.push_str(" → ");
        }
        text.push_str(&step.name);
        match &step.cause {
            StepCause::Requires {
                label: Some(label), ..
            } => {
                text.push_str(&format!(" ({label})"));
            }
            StepCause::Requires { .. } => {}
            StepCause::AnyOf {
                down,
                members,
                min,
                label,
                ..
            } => {
                text.push_str(&format!(" ({down} of {members} down, needs {min}"));
                if let Some(label) = label {
                    text.push_str(&format!("; {label}"));
                }
                text.push(')');
            }
            StepCause::Placement { placement, domains } => {
                let names: Vec<String> = domains.iter().map(ToString::to_string).collect();
                text.push_str(&format!(" [{placement}] ← {} down", names.join(", ")));
            }
            StepCause::Failed => text.push_str(" ← failed"),
        }
    }
    text
}

/// The path a simulation recorded for a downed resource.
pub fn simulated_path(estate: &Estate, outcome: &Outcome, mut ix: ResourceIx) -> Vec<PathStep> {
    let mut path = Vec::new();
    while let Some(cause) = &outcome.causes[ix as usize] {
        match cause {
            DownCause::Failed => {
                path.push(PathStep::new(estate, ix, StepCause::Failed));
                break;
            }
            DownCause::Placement(domains) => {
                let cause = StepCause::Placement {
                    placement: estate.resource(ix).placement.type_name().to_string(),
                    domains: domains.iter().map(|&d| estate.domain(d).to_ref()).collect(),
                };
                path.push(PathStep::new(estate, ix, cause));
                break;
            }
            DownCause::Group { group, member } => {
                let group = &estate.groups[*group as usize];
                let down = group
                    .members
                    .iter()
                    .filter(|&&m| outcome.is_down(m))
                    .count() as u32;
                path.push(PathStep::new(
                    estate,
                    ix,
                    group_step(estate, group, *member, down),
                ));
                ix = *member;
            }
        }
    }
    path
}

/// Explain why losing `target` (a domain or resource index, per `sets`) takes `service` down.
/// `root` says whether a resource is taken down by the target directly, and how.
///
/// Walks depth-first through resources whose kill set holds the target, only along groups the
/// target breaks; the least-fixed-point construction of the sets guarantees a resource that is
/// taken down directly is reached.
pub fn kill_path(
    estate: &Estate,
    sets: &KillSets,
    service: ResourceIx,
    target: u32,
    root: impl Fn(ResourceIx) -> Option<StepCause>,
) -> Vec<PathStep> {
    let holds = |ix: ResourceIx| sets[ix as usize].binary_search(&target).is_ok();
    // parent[v] = (previous resource, its step cause); visited when present.
    let mut parent: HashMap<ResourceIx, Option<(ResourceIx, StepCause)>> = HashMap::new();
    parent.insert(service, None);
    let mut stack = vec![service];
    let mut end = None;
    'search: while let Some(ix) = stack.pop() {
        if let Some(cause) = root(ix) {
            end = Some((ix, cause));
            break;
        }
        for group in estate.groups_of(ix) {
            let broken: Vec<ResourceIx> = group
                .members
                .iter()
                .copied()
                .filter(|&m| holds(m))
                .collect();
            if (broken.len() as u32) < group.losses_to_fail() {
                continue;
            }
            for &member in broken.iter().rev() {
                if parent.contains_key(&member) {
                    continue;
                }
                let step = group_step(estate, group, member, broken.len() as u32);
                parent.insert(member, Some((ix, step)));
                if let Some(cause) = root(member) {
                    end = Some((member, cause));
                    break 'search;
                }
                stack.push(member);
            }
        }
    }
    let Some((last, cause)) = end else {
        return Vec::new();
    };
    let mut path = vec![PathStep::new(estate, last, cause)];
    let mut at = last;
    while let Some(Some((previous, step))) = parent.get(&at) {
        path.push(PathStep::new(estate, *previous, step.clone()));
        at = *previous;
    }
    path.reverse();
    path
}
