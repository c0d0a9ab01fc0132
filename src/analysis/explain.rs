//! Explanations: the chain of requirements from a critical service down to the failure that
//! stops it. Every finding and every downed resource carries one.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::rc::Rc;

use super::killsets::KillSets;
use super::propagate::{DownCause, Outcome};
use crate::graph::{DomainIx, Estate, Group, GroupIx, ResourceIx};
use crate::model::{NOT_PINNED, PathStep, StepCause};

/// The step of a path at resource `ix`, down because of `cause`.
fn step(estate: &Estate, ix: ResourceIx, cause: StepCause) -> PathStep {
    let resource = estate.resource(ix);
    PathStep {
        resource: resource.id.clone(),
        name: resource.label().to_string(),
        kind: resource.kind.clone(),
        cause,
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
            StepCause::Placement {
                placement,
                domains,
                reason,
            } => {
                let names: Vec<String> = domains.iter().map(ToString::to_string).collect();
                text.push_str(&format!(" [{placement}] ← {} down", names.join(", ")));
                if let Some(reason) = reason {
                    text.push_str(&format!(" ({reason})"));
                }
            }
            StepCause::Failed => text.push_str(" ← failed"),
        }
    }
    text
}

/// The path a simulation recorded for a downed resource.
pub fn simulated_path(estate: &Estate, outcome: &Outcome, mut ix: ResourceIx) -> Vec<PathStep> {
    let mut path = Vec::new();
    while let Some(cause) = &outcome.causes[ix.index()] {
        match cause {
            DownCause::Failed => {
                path.push(step(estate, ix, StepCause::Failed));
                break;
            }
            DownCause::Placement(domains) => {
                let cause = placement_step(estate, ix, domains);
                path.push(step(estate, ix, cause));
                break;
            }
            DownCause::Group { group, member } => {
                let down = outcome.losses[group.index()];
                let group = &estate.groups[group.index()];
                path.push(step(estate, ix, group_step(estate, group, *member, down)));
                ix = *member;
            }
        }
    }
    path
}

/// What an [`Explainer`] explains the loss of: a failure domain ([`DomainIx`], kill sets from
/// `domain_kill_sets`) or a single resource ([`ResourceIx`], from `resource_kill_sets`).
pub trait Lost: Copy + Ord + Hash {
    /// How losing `self` takes the resource `ix` down directly, if it does.
    fn direct(self, estate: &Estate, ix: ResourceIx) -> Option<StepCause>;
}

/// The last step of a path: the resource `ix` lost `domains` (all failed) by its placement.
/// Zones that take an unpinned resource down say why: it is not pinned to a zone. (A failed
/// region or provider is the whole cause on its own, and is never listed with zones.)
fn placement_step(estate: &Estate, ix: ResourceIx, domains: &[DomainIx]) -> StepCause {
    let unpinned = !domains.is_empty() && domains.iter().all(|&d| estate.is_unpinned_loss(ix, d));
    StepCause::Placement {
        placement: estate.resource(ix).placement.type_name().to_string(),
        domains: domains.iter().map(|&d| estate.domain(d).to_ref()).collect(),
        reason: unpinned.then(|| NOT_PINNED.to_string()),
    }
}

impl Lost for DomainIx {
    fn direct(self, estate: &Estate, ix: ResourceIx) -> Option<StepCause> {
        estate
            .is_lethal(ix, self)
            .then(|| placement_step(estate, ix, &[self]))
    }
}

impl Lost for ResourceIx {
    fn direct(self, _estate: &Estate, ix: ResourceIx) -> Option<StepCause> {
        (ix == self).then_some(StepCause::Failed)
    }
}

/// The two sweeps over a resource's broken groups: members taken down directly first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Direct,
    All,
}

/// What losing a target does to one requirement group: the members it takes down, and the
/// first of those it takes down directly.
#[derive(Clone)]
struct Breakage {
    broken: Rc<[ResourceIx]>,
    first_direct: Option<ResourceIx>,
}

/// Explains why losing one element (a domain or a resource) takes critical services down.
/// It remembers, per requirement group and target, which members the target takes down, so
/// many paths through one wide group cost one scan of it.
pub struct Explainer<'a, T: Lost> {
    estate: &'a Estate,
    sets: &'a KillSets<T>,
    cache: HashMap<(GroupIx, T), Breakage>,
}

impl<'a, T: Lost> Explainer<'a, T> {
    pub fn new(estate: &'a Estate, sets: &'a KillSets<T>) -> Self {
        Explainer {
            estate,
            sets,
            cache: HashMap::new(),
        }
    }

    /// How losing `target` takes `ix` down directly, if it does.
    fn direct(&self, ix: ResourceIx, target: T) -> Option<StepCause> {
        target.direct(self.estate, ix)
    }

    fn breakage(&mut self, group: GroupIx, target: T) -> Breakage {
        if let Some(known) = self.cache.get(&(group, target)) {
            return known.clone();
        }
        let broken: Rc<[ResourceIx]> = self.estate.groups[group.index()]
            .members
            .iter()
            .copied()
            .filter(|&m| self.sets[m.index()].binary_search(&target).is_ok())
            .collect();
        let first_direct = broken
            .iter()
            .copied()
            .find(|&m| self.direct(m, target).is_some());
        let breakage = Breakage {
            broken,
            first_direct,
        };
        self.cache.insert((group, target), breakage.clone());
        breakage
    }

    /// The members of a group that losing `target` takes down.
    pub fn broken(&mut self, group: GroupIx, target: T) -> Rc<[ResourceIx]> {
        self.breakage(group, target).broken
    }

    /// Why losing `target` takes `service` down: a shortest path from the service to a
    /// resource the target takes down directly.
    ///
    /// A breadth-first search through resources whose kill set holds the target, only along
    /// groups the target breaks; a resource's directly taken-down members are tried before
    /// the rest. The least-fixed-point construction of the sets guarantees it ends at one.
    pub fn path(&mut self, service: ResourceIx, target: T) -> Vec<PathStep> {
        let estate = self.estate;
        // parent[v] = the resource that led here and its step; present when reached.
        let mut parent: HashMap<ResourceIx, Option<(ResourceIx, StepCause)>> = HashMap::new();
        parent.insert(service, None);
        let mut queue = VecDeque::from([service]);
        let mut end = self.direct(service, target).map(|cause| (service, cause));
        'search: while end.is_none() {
            let Some(ix) = queue.pop_front() else {
                break;
            };
            for pass in [Pass::Direct, Pass::All] {
                for group_ix in estate.group_ixs(ix) {
                    let breakage = self.breakage(group_ix, target);
                    let group = &estate.groups[group_ix.index()];
                    let down = breakage.broken.len() as u32;
                    if down < group.losses_to_fail() {
                        continue;
                    }
                    let candidates: &[ResourceIx] = match (pass, &breakage.first_direct) {
                        (Pass::Direct, Some(member)) => std::slice::from_ref(member),
                        (Pass::Direct, None) => &[],
                        (Pass::All, _) => &breakage.broken,
                    };
                    for &member in candidates {
                        if parent.contains_key(&member) {
                            continue;
                        }
                        let step = group_step(estate, group, member, down);
                        parent.insert(member, Some((ix, step)));
                        if let Some(cause) = self.direct(member, target) {
                            end = Some((member, cause));
                            break 'search;
                        }
                        queue.push_back(member);
                    }
                }
            }
        }
        let Some((last, cause)) = end else {
            return Vec::new();
        };
        let mut path = vec![step(estate, last, cause)];
        let mut at = last;
        while let Some(Some((previous, cause))) = parent.get(&at) {
            path.push(step(estate, *previous, cause.clone()));
            at = *previous;
        }
        path.reverse();
        path
    }
}
