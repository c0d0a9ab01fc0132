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
//! components (Kosaraju, iterative) are processed members-first. Inside a cyclic component
//! each candidate element is propagated through the component on its own (the least fixed
//! point: a cycle does not take itself down). Cost: O((V + E) · s · log s) where `s` is the
//! size of a kill set — a handful of domains per resource, and for resources the length of
//! the requirement chains below a critical service; inside a cycle, proportional to the
//! input plus what each element takes down.

use petgraph::algo::kosaraju_scc;

use crate::graph::{DomainIx, Estate, GroupIx, ResourceIx};

/// Per-resource sorted sets of elements: [`DomainIx`]s for domain kill sets, [`ResourceIx`]s
/// for resource kill sets.
pub type KillSets<E> = Vec<Vec<E>>;

/// Strongly connected components of the requirement graph, members before the resources
/// that need them. Computed once per audit and shared by both kinds of kill set and the rule
/// facts; held flat (one list of resources, one end per component) rather than as a vector
/// per component.
#[derive(Debug, Clone, Default)]
pub struct Components {
    members: Vec<ResourceIx>,
    ends: Vec<u32>,
}

impl Components {
    /// Each component's members, members before the resources that need them.
    pub fn iter(&self) -> impl Iterator<Item = &[ResourceIx]> + '_ {
        (0..self.ends.len()).map(|c| {
            let start = if c == 0 { 0 } else { self.ends[c - 1] };
            &self.members[start as usize..self.ends[c] as usize]
        })
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// The strongly connected components of the estate's requirement graph.
pub fn components(estate: &Estate) -> Components {
    let mut components = Components {
        members: Vec::with_capacity(estate.len()),
        ends: Vec::new(),
    };
    for component in kosaraju_scc(&estate.graph) {
        let members = component.iter().map(|&n| ResourceIx::of_node(n));
        components.members.extend(members);
        components.ends.push(components.members.len() as u32);
    }
    components
}

/// The single domains whose loss takes each resource down. A resource's own set is
/// [`Estate::lethal_domains`]: its home and the home's ancestors, the zone of a one-zone
/// placement, and for an unpinned resource every declared zone of its region (any one of them
/// may be the zone it is in), so two unpinned members of one `any_of` group share every zone
/// and give it no redundancy against any of them.
pub fn domain_kill_sets(estate: &Estate, components: &Components) -> KillSets<DomainIx> {
    solve(estate, components, None, |ix| estate.lethal_domains(ix))
}

/// The single resources whose loss takes each resource in `scope` down. `scope` must be closed
/// under requirements (every member of an in-scope resource's groups is in scope); resources
/// outside it get empty sets. Logical resources (functions, quorum groups) and the stand-ins
/// of domains third parties run on are never counted as single points of failure: they have
/// no failure of their own.
pub fn resource_kill_sets(
    estate: &Estate,
    components: &Components,
    scope: &[bool],
) -> KillSets<ResourceIx> {
    solve(estate, components, Some(scope), |ix| {
        if estate.is_logical(ix) || estate.stands_for_domain(ix) {
            Vec::new()
        } else {
            vec![ix]
        }
    })
}

fn solve<E: Copy + Ord>(
    estate: &Estate,
    components: &Components,
    scope: Option<&[bool]>,
    own: impl Fn(ResourceIx) -> Vec<E>,
) -> KillSets<E> {
    let mut sets: KillSets<E> = vec![Vec::new(); estate.len()];
    let mut cycles = CycleSolver::new(estate);
    for members in components.iter() {
        // A component is in scope as a whole: scope is closed under requirements.
        if scope.is_some_and(|scope| !scope[members[0].index()]) {
            continue;
        }
        let cyclic = members.len() > 1
            || estate
                .groups_of(members[0])
                .iter()
                .any(|group| group.members.contains(&members[0]));
        if cyclic {
            cycles.solve(members, &own, &mut sets);
        } else {
            let ix = members[0];
            sets[ix.index()] = evaluate(estate, &sets, ix, &own(ix));
        }
    }
    sets
}

/// Kill sets inside one cyclic component, element by element.
///
/// Iterating the equations over the whole component until nothing changes costs up to
/// O(n³) on a ring of n resources. Instead, for each element that can matter (one a member
/// owns, or one in the final set of a member outside the component), propagate its loss
/// through the component with per-group counters, seeded by the outside members it takes
/// down. That is the definition of the kill sets applied to one element, so the result is the
/// least fixed point, at a cost of the input plus, per element, what it takes down.
struct CycleSolver<'a> {
    estate: &'a Estate,
    /// Component-local index of each resource (valid for the current component only).
    local: Vec<u32>,
    /// Component-local index of each group owned inside the current component.
    group_local: Vec<u32>,
    /// Whether each resource is in the current component (cleared after each).
    inside: Vec<bool>,
}

impl<'a> CycleSolver<'a> {
    fn new(estate: &'a Estate) -> Self {
        CycleSolver {
            estate,
            local: vec![0; estate.len()],
            group_local: vec![0; estate.groups.len()],
            inside: vec![false; estate.len()],
        }
    }

    fn solve<E: Copy + Ord>(
        &mut self,
        members: &[ResourceIx],
        own: &impl Fn(ResourceIx) -> Vec<E>,
        sets: &mut KillSets<E>,
    ) {
        let groups = self.enter(members);
        let seeds = self.seeds(members, own, sets);
        let mut spread = Spread::new(groups, members.len());
        let mut start = 0;
        while start < seeds.len() {
            let element = seeds[start].0;
            let mut end = start;
            while end < seeds.len() && seeds[end].0 == element {
                end += 1;
            }
            self.spread(&mut spread, &seeds[start..end]);
            for &ix in &spread.fallen {
                sets[ix.index()].push(element);
                spread.down[self.local[ix.index()] as usize] = false;
            }
            spread.fallen.clear();
            for &local in &spread.touched_groups {
                spread.losses[local as usize] = 0;
            }
            spread.touched_groups.clear();
            start = end;
        }
        for &ix in members {
            self.inside[ix.index()] = false;
        }
    }

    /// Number the component's members and the groups they own; returns how many groups.
    fn enter(&mut self, members: &[ResourceIx]) -> usize {
        let estate = self.estate;
        let mut groups = 0;
        for (i, &ix) in members.iter().enumerate() {
            self.local[ix.index()] = i as u32;
            self.inside[ix.index()] = true;
            for group in estate.group_ixs(ix) {
                self.group_local[group.index()] = groups as u32;
                groups += 1;
            }
        }
        groups
    }

    /// Seeds, sorted by element: (element, Seed) — a member owning it, or one outside
    /// member of a group that it takes down.
    fn seeds<E: Copy + Ord>(
        &self,
        members: &[ResourceIx],
        own: &impl Fn(ResourceIx) -> Vec<E>,
        sets: &KillSets<E>,
    ) -> Vec<(E, Seed)> {
        let estate = self.estate;
        let mut seeds: Vec<(E, Seed)> = Vec::new();
        for &ix in members {
            seeds.extend(own(ix).into_iter().map(|e| (e, Seed::Owned(ix))));
            for group in estate.group_ixs(ix) {
                for &member in &estate.groups[group.index()].members {
                    if !self.inside[member.index()] {
                        let set = &sets[member.index()];
                        seeds.extend(set.iter().map(|&e| (e, Seed::Outside(group))));
                    }
                }
            }
        }
        seeds.sort_unstable();
        seeds
    }

    /// Propagate the loss of one element, given by its seeds, through the component.
    fn spread<E>(&self, spread: &mut Spread, seeds: &[(E, Seed)]) {
        let estate = self.estate;
        for &(_, seed) in seeds {
            match seed {
                Seed::Owned(ix) => spread.fall(ix, self.local[ix.index()] as usize),
                Seed::Outside(group) => {
                    let local = self.group_local[group.index()] as usize;
                    let group = &estate.groups[group.index()];
                    if spread.lose(local) == group.losses_to_fail() {
                        spread.fall(group.owner, self.local[group.owner.index()] as usize);
                    }
                }
            }
        }
        while let Some(member) = spread.queue.pop() {
            for (owner, group) in estate.dependents(member) {
                if !self.inside[owner.index()] {
                    continue;
                }
                let local = self.group_local[group.index()] as usize;
                if spread.lose(local) == estate.groups[group.index()].losses_to_fail() {
                    spread.fall(owner, self.local[owner.index()] as usize);
                }
            }
        }
    }
}

/// What the loss of one element takes down inside a component; cleared after each element.
struct Spread {
    /// Lost members of each of the component's groups (by local index).
    losses: Vec<u32>,
    /// Whether each member (by local index) is down.
    down: Vec<bool>,
    /// The members taken down, in the order they fell.
    fallen: Vec<ResourceIx>,
    /// The local groups whose losses are not zero.
    touched_groups: Vec<u32>,
    /// Fallen members whose dependents are still to be counted.
    queue: Vec<ResourceIx>,
}

impl Spread {
    /// Nothing down in a component of `groups` groups and `members` members.
    fn new(groups: usize, members: usize) -> Self {
        Spread {
            losses: vec![0u32; groups],
            down: vec![false; members],
            fallen: Vec::new(),
            touched_groups: Vec::new(),
            queue: Vec::new(),
        }
    }

    /// Mark `ix` (local index `local`) down unless it already is.
    fn fall(&mut self, ix: ResourceIx, local: usize) {
        if !self.down[local] {
            self.down[local] = true;
            self.fallen.push(ix);
            self.queue.push(ix);
        }
    }

    /// Count one more lost member of the local group `local`; the losses so far.
    fn lose(&mut self, local: usize) -> u32 {
        if self.losses[local] == 0 {
            self.touched_groups.push(local as u32);
        }
        self.losses[local] += 1;
        self.losses[local]
    }
}

/// Why an element is considered inside a cyclic component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Seed {
    /// A member's own placement (or identity) is taken down by it.
    Owned(ResourceIx),
    /// It takes down one outside member of this group.
    Outside(GroupIx),
}

/// `own ∪` what each group of `ix` contributes, given the members' current sets.
fn evaluate<E: Copy + Ord>(
    estate: &Estate,
    sets: &KillSets<E>,
    ix: ResourceIx,
    own: &[E],
) -> Vec<E> {
    let mut result = own.to_vec();
    for group in estate.groups_of(ix) {
        let threshold = group.losses_to_fail() as usize;
        if let [member] = group.members[..] {
            result.extend_from_slice(&sets[member.index()]);
            continue;
        }
        let mut all: Vec<E> = group
            .members
            .iter()
            .flat_map(|&member| sets[member.index()].iter().copied())
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
