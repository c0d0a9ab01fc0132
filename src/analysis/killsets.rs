//! Kill sets: for every resource, the single domains (or single resources) whose loss alone
//! takes it down. These give the domain cut sets and the resource SPOFs of critical services.
//!
//! For one failed element `x`, propagation marks `v` down iff `x` is in `v`'s own lethal set,
//! or some group of `v` has at least `members − quorum + 1` members that `x` takes down. So the
//! kill sets are the least solution of
//!
//! ```text
//! K(v) = own(v) ∪ ⋃ over groups g of v { x : x ∈ K(m) for ≥ losses_to_fail(g) members m of g }
//! ```
//!
//! which is exactly what propagation computes for each `x` separately. Strongly connected
//! components (Kosaraju, iterative) are processed members-first; inside a cyclic component the
//! equations are iterated from `own(v)` upwards until nothing changes (the least fixed point:
//! a cycle does not take itself down). Cost: O((V + E) · s · log s) where `s` is the size of a
//! kill set — a handful of domains per resource, and for resources the length of the
//! requirement chains below a critical service.

use petgraph::algo::kosaraju_scc;

use crate::graph::{Estate, ResourceIx};

/// Per-resource sorted sets of domain or resource indices.
pub type KillSets = Vec<Vec<u32>>;

/// Strongly connected components of the requirement graph, members before the resources
/// that need them. Computed once and shared by both kinds of kill set.
pub fn components(estate: &Estate) -> Vec<Vec<ResourceIx>> {
    kosaraju_scc(&estate.graph)
        .into_iter()
        .map(|component| component.iter().map(|n| n.index() as ResourceIx).collect())
        .collect()
}

/// The single domains whose loss takes each resource down.
pub fn domain_kill_sets(estate: &Estate, components: &[Vec<ResourceIx>]) -> KillSets {
    solve(estate, components, None, |ix| estate.lethal_domains(ix))
}

/// The single resources whose loss takes each resource in `scope` down. `scope` must be closed
/// under requirements (every member of an in-scope resource's groups is in scope); resources
/// outside it get empty sets. Logical resources (functions, quorum groups) are never counted
/// as single points of failure: they have no failure of their own.
pub fn resource_kill_sets(
    estate: &Estate,
    components: &[Vec<ResourceIx>],
    scope: &[bool],
) -> KillSets {
    solve(estate, components, Some(scope), |ix| {
        if estate.is_logical(ix) {
            Vec::new()
        } else {
            vec![ix]
        }
    })
}

fn solve(
    estate: &Estate,
    components: &[Vec<ResourceIx>],
    scope: Option<&[bool]>,
    own: impl Fn(ResourceIx) -> Vec<u32>,
) -> KillSets {
    let mut sets: KillSets = vec![Vec::new(); estate.len()];
    for members in components {
        // A component is in scope as a whole: scope is closed under requirements.
        if scope.is_some_and(|scope| !scope[members[0] as usize]) {
            continue;
        }
        let cyclic = members.len() > 1
            || estate
                .groups_of(members[0])
                .iter()
                .any(|group| group.members.contains(&members[0]));
        for &ix in members {
            sets[ix as usize] = own(ix);
        }
        loop {
            let mut changed = false;
            for &ix in members {
                let next = evaluate(estate, &sets, ix, &sets[ix as usize]);
                if next.len() != sets[ix as usize].len() {
                    sets[ix as usize] = next;
                    changed = true;
                }
            }
            if !cyclic || !changed {
                break;
            }
        }
    }
    sets
}

/// `own ∪` what each group of `ix` contributes, given the members' current sets.
fn evaluate(estate: &Estate, sets: &KillSets, ix: ResourceIx, own: &[u32]) -> Vec<u32> {
    let mut result = own.to_vec();
    for group in estate.groups_of(ix) {
        let threshold = group.losses_to_fail() as usize;
        if let [member] = group.members[..] {
            result.extend_from_slice(&sets[member as usize]);
            continue;
        }
        let mut all: Vec<u32> = group
            .members
            .iter()
            .flat_map(|&member| sets[member as usize].iter().copied())
            .collect();
        all.sort_unstable();
        if threshold == 1 {
            result.extend(all);
            continue;
        }
        let mut start = 0;
        while start < all.len() {
            let mut end = start + 1;
            while end < all.len() && all[end] == all[start] {
                end += 1;
            }
            if end - start >= threshold {
                result.push(all[start]);
            }
            start = end;
        }
    }
    result.sort_unstable();
    result.dedup();
    result
}
