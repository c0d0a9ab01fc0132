//! Failure propagation: what goes down when some domains and resources fail, and why.
//!
//! Liveness is the greatest fixed point of the up-rules: every resource starts up, the failed
//! domains and resources go down, and a resource goes down when its placement loses its
//! domains or one of its requirement groups has fewer than `quorum` members up. Each group
//! keeps a counter of members down, so every edge is looked at once: O(resources + edges).
//!
//! Requirement cycles: a cycle of resources that need one another stays up unless a failure
//! reaches it from outside (or from one of its members' own domains). It does not take itself
//! down, because nothing in it has failed.

use std::collections::VecDeque;

use crate::graph::{DomainIx, Estate, GroupIx, ResourceIx};

/// What fails at the start of a simulation.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    pub domains: Vec<DomainIx>,
    pub resources: Vec<ResourceIx>,
}

/// Why a resource went down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownCause {
    /// It was failed directly.
    Failed,
    /// Its placement lost its domains; the failed domains responsible.
    Placement(Vec<DomainIx>),
    /// One of its groups lost quorum; `member` is the loss that broke it.
    Group { group: GroupIx, member: ResourceIx },
}

/// The result of a propagation: the cause of every resource that went down.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Indexed by resource; `None` for resources still up.
    pub causes: Vec<Option<DownCause>>,
    /// Resources in the order they went down.
    pub order: Vec<ResourceIx>,
    /// Per requirement group, how many of its members went down.
    pub losses: Vec<u32>,
}

impl Outcome {
    pub fn is_down(&self, ix: ResourceIx) -> bool {
        self.causes[ix.index()].is_some()
    }
}

/// Propagate a failure through the estate.
pub fn propagate(estate: &Estate, failure: &Failure) -> Outcome {
    // For every domain, the failed domain (itself or an ancestor) that takes it down.
    let mut domain_down: Vec<Option<DomainIx>> = vec![None; estate.domains.len()];
    for &failed in &failure.domains {
        domain_down[failed.index()] = Some(failed);
    }
    // Parents precede children only by accident of construction, so resolve by walking up.
    for ix in estate.domain_ixs() {
        if domain_down[ix.index()].is_none() {
            domain_down[ix.index()] = estate
                .ancestry(ix)
                .find_map(|ancestor| domain_down[ancestor.index()]);
        }
    }

    let mut state = State {
        causes: vec![None; estate.len()],
        order: Vec::new(),
        queue: VecDeque::new(),
    };
    for &ix in &failure.resources {
        state.fall(ix, DownCause::Failed);
    }
    if !failure.domains.is_empty() {
        for (ix, footing) in estate.footing.iter().enumerate() {
            let home = footing.home.and_then(|home| domain_down[home.index()]);
            let cause = match home {
                Some(domain) => Some(vec![domain]),
                None if !footing.zones.is_empty() => {
                    let mut by: Vec<DomainIx> = Vec::with_capacity(footing.zones.len());
                    let all_down =
                        footing
                            .zones
                            .iter()
                            .all(|&zone| match domain_down[zone.index()] {
                                Some(domain) => {
                                    by.push(domain);
                                    true
                                }
                                None => false,
                            });
                    all_down.then(|| {
                        by.sort_unstable();
                        by.dedup();
                        by
                    })
                }
                None => None,
            };
            if let Some(domains) = cause {
                state.fall(ResourceIx::new(ix), DownCause::Placement(domains));
            }
        }
    }

    let mut losses: Vec<u32> = vec![0; estate.groups.len()];
    while let Some(member) = state.queue.pop_front() {
        for (owner, group) in estate.dependents(member) {
            let count = &mut losses[group.index()];
            *count += 1;
            if *count == estate.groups[group.index()].losses_to_fail() {
                state.fall(owner, DownCause::Group { group, member });
            }
        }
    }
    Outcome {
        causes: state.causes,
        order: state.order,
        losses,
    }
}

struct State {
    causes: Vec<Option<DownCause>>,
    order: Vec<ResourceIx>,
    queue: VecDeque<ResourceIx>,
}

impl State {
    fn fall(&mut self, ix: ResourceIx, cause: DownCause) {
        if self.causes[ix.index()].is_none() {
            self.causes[ix.index()] = Some(cause);
            self.order.push(ix);
            self.queue.push_back(ix);
        }
    }
}
