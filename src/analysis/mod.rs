//! The analyses: domain cut sets, resource SPOFs, concentration, what-if propagation, and
//! the impact of an outage on the business functions it stops.
//! All are exact (checked against brute force by property tests) and near-linear.

pub mod concentration;
pub mod explain;
pub mod impact;
pub mod killsets;
pub mod propagate;

use petgraph::visit::Dfs;

use crate::graph::{CriticalService, DomainIx, Estate, ResourceIx};
pub use concentration::{Concentration, Population, Share, UNPINNED_BUCKET, UnpinnedShare};
pub use explain::{Explainer, Lost, render_path, simulated_path};
pub use killsets::{Components, KillSets, components, domain_kill_sets, resource_kill_sets};
pub use propagate::{DownCause, Failure, Outcome, propagate};

/// Everything the analyses found about an estate.
pub struct Analysis {
    /// Critical services and everything they transitively require.
    pub critical_scope: Vec<bool>,
    /// Per resource, the single domains whose loss takes it down.
    pub domain_sets: KillSets<DomainIx>,
    /// Per resource in the critical scope, the single resources whose loss takes it down.
    pub resource_sets: KillSets<ResourceIx>,
    /// Per critical service (in the order of [`Estate::critical`]), its single-domain cut sets.
    pub cut_sets: Vec<(CriticalService, Vec<DomainIx>)>,
    /// Per critical service, the single resources (other than itself) whose loss stops it.
    pub spofs: Vec<(CriticalService, Vec<ResourceIx>)>,
    pub concentration: Vec<Concentration>,
    /// The strongly connected components of the requirement graph, members first.
    pub components: Components,
}

/// Run the analyses.
pub fn analyse(estate: &Estate) -> Analysis {
    let critical_scope = critical_scope(estate);
    let components = killsets::components(estate);
    let domain_sets = domain_kill_sets(estate, &components);
    let resource_sets = resource_kill_sets(estate, &components, &critical_scope);
    let cut_sets = estate
        .critical
        .iter()
        .map(|service| {
            let mut domains = domain_sets[service.resource.index()].clone();
            domains.sort_by(|&a, &b| {
                let (a, b) = (estate.domain(a), estate.domain(b));
                (a.kind, &a.id).cmp(&(b.kind, &b.id))
            });
            (*service, domains)
        })
        .collect();
    let spofs = estate
        .critical
        .iter()
        .map(|service| {
            let mut spofs: Vec<ResourceIx> = resource_sets[service.resource.index()]
                .iter()
                .copied()
                .filter(|&ix| ix != service.resource)
                .collect();
            spofs.sort_by(|&a, &b| estate.resource(a).id.cmp(&estate.resource(b).id));
            (*service, spofs)
        })
        .collect();
    let concentration = concentration::concentration(estate, &critical_scope);
    Analysis {
        critical_scope,
        domain_sets,
        resource_sets,
        cut_sets,
        spofs,
        concentration,
        components,
    }
}

/// Critical services and everything they transitively require.
pub fn critical_scope(estate: &Estate) -> Vec<bool> {
    let mut scope = vec![false; estate.len()];
    // One search for all services: the discovered set carries over, so each resource is
    // visited once however many services share it.
    let mut dfs = Dfs::empty(&estate.graph);
    for service in &estate.critical {
        dfs.move_to(service.resource.node());
        while let Some(node) = dfs.next(&estate.graph) {
            scope[node.index()] = true;
        }
    }
    scope
}
