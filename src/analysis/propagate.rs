//! Failure propagation: what goes down when some domains and resources fail, and why.
//!
//! Liveness is the greatest fixed point of the up-rules: every resource starts up, the failed
//! domains and resources go down, and a resource goes down when its placement loses its
//! domains or one of its requirement groups has fewer than `quorum` members up. Each group
//! keeps a counter of members down, so every edge is looked at once: O(resources + edges).
//! An unpinned resource loses its placement with any zone of its region: the lost zones are
//! gathered per region once, so that costs O(domains), not O(resources × zones).
//!
//! Requirement cycles: a cycle of resources that need one another stays up unless a failure
//! reaches it from outside (or from one of its members' own domains). It does not take itself
//! down, because nothing in it has failed.

use std::collections::VecDeque;

use crate::graph::{DomainIx, Estate, Footing, GroupIx, ResourceIx};
use crate::model::DomainKind;

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
        let zone_losses = zone_losses(estate, &domain_down);
        for (ix, footing) in estate.footing.iter().enumerate() {
            if let Some(domains) = placement_loss(footing, &domain_down, &zone_losses) {
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

/// Per region (by domain index; empty elsewhere), the failed domains that took its zones
/// down, sorted: what downs an unpinned resource of the region. One pass over the domains, so
/// no resource looks at its region's zones.
fn zone_losses(estate: &Estate, domain_down: &[Option<DomainIx>]) -> Vec<Vec<DomainIx>> {
    let mut losses: Vec<Vec<DomainIx>> = vec![Vec::new(); estate.domains.len()];
    for (ix, domain) in estate.domains.iter().enumerate() {
        if let (Some(region), Some(by)) = (domain.parent, domain_down[ix])
            && domain.kind == DomainKind::Zone
        {
            losses[region.index()].push(by);
        }
    }
    for by in &mut losses {
        by.sort_unstable();
        by.dedup();
    }
    losses
}

/// The failed domains that take a resource down by its placement, if they do: its home (or
/// an ancestor); for an unpinned resource, any lost zone of its region; otherwise every one
/// of its zones.
fn placement_loss(
    footing: &Footing,
    domain_down: &[Option<DomainIx>],
    zone_losses: &[Vec<DomainIx>],
) -> Option<Vec<DomainIx>> {
    if let Some(home) = footing.home {
        if let Some(domain) = domain_down[home.index()] {
            return Some(vec![domain]);
        }
        // A region without declared zones has no losses here: regional behaviour.
        let lost = &zone_losses[home.index()];
        if footing.any_zone && !lost.is_empty() {
            return Some(lost.clone());
        }
    }
    if footing.zones.is_empty() {
        return None;
    }
    let mut by: Vec<DomainIx> = Vec::with_capacity(footing.zones.len());
    for &zone in &footing.zones {
        by.push(domain_down[zone.index()]?);
    }
    by.sort_unstable();
    by.dedup();
    Some(by)
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
