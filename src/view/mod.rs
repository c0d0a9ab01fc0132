//! Dependency views: the part of the requirement graph a picture shows, with each resource's
//! failure domains so renderers can draw providers, regions and zones as nested clusters.
//! Built by a breadth-first walk from the chosen services along requirement edges, so a
//! picture of a few services in a million-resource estate costs only what it shows. `dot` and
//! `mermaid` draw a view; the HTML report's picture (`report::svg`) draws one too.

mod dot;
mod mermaid;

pub use dot::dot;
pub use mermaid::mermaid;

use std::collections::{BTreeMap, VecDeque};

use crate::graph::{Estate, ResourceIx};
use crate::model::Placement;

/// A resource in a view.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewNode {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub provider: String,
    pub region: Option<String>,
    /// The failure domains it lives in (zone IDs for zonal and multi-zone placements).
    pub placement: Placement,
    /// A critical service.
    pub critical: bool,
}

/// What drawings write on an unpinned node: it is drawn in its region because it has no zone
/// of its own, and any zone of the region may be the one it is in.
pub const UNPINNED_NOTE: &str = "unpinned: no zone chosen";

impl ViewNode {
    /// The line drawings add under the kind about the node's zones: the zones of a multi-zone
    /// placement, or [`UNPINNED_NOTE`] for an unpinned one.
    pub fn zone_note(&self) -> Option<String> {
        match &self.placement {
            Placement::MultiZone { zones, .. } => Some(zones.join(", ")),
            Placement::Unpinned => Some(UNPINNED_NOTE.to_string()),
            _ => None,
        }
    }

    /// The innermost failure domain the node is drawn in: its zone when zonal, else its region
    /// (unpinned resources included: their zone is unknown), else its provider (`None` for
    /// logical resources, drawn outside every cluster).
    pub fn cluster(&self) -> Option<Cluster<'_>> {
        match (&self.placement, &self.region) {
            (Placement::Logical, _) => None,
            (Placement::Zonal { zone }, Some(region)) => Some(Cluster::Zone {
                provider: &self.provider,
                region,
                zone: zone.as_str(),
            }),
            (_, Some(region)) => Some(Cluster::Region {
                provider: &self.provider,
                region,
            }),
            _ => Some(Cluster::Provider {
                provider: &self.provider,
            }),
        }
    }
}

/// Where a node is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cluster<'a> {
    Provider {
        provider: &'a str,
    },
    Region {
        provider: &'a str,
        region: &'a str,
    },
    Zone {
        provider: &'a str,
        region: &'a str,
        zone: &'a str,
    },
}

/// A requirement edge: `from` needs `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewEdge {
    /// Indices into [`View::nodes`].
    pub from: usize,
    pub to: usize,
    /// How the group is satisfied: `requires` (a group of one), `any of N`, `K of N`, `all of
    /// N`; with the group's label when it has one.
    pub group: String,
}

/// A drawable part of the estate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct View {
    pub nodes: Vec<ViewNode>,
    pub edges: Vec<ViewEdge>,
    /// Resources reachable from the services that were left out to keep the picture within
    /// its limit.
    pub omitted: usize,
}

/// How a requirement group is satisfied, in words.
fn group_text(quorum: u32, members: usize, is_requires: bool, label: Option<&str>) -> String {
    let rule = if is_requires {
        "requires".to_string()
    } else if quorum == 1 && members > 1 {
        format!("any of {members}")
    } else if quorum as usize == members {
        format!("all of {members}")
    } else {
        format!("{quorum} of {members}")
    };
    match label {
        Some(label) => format!("{rule}: {label}"),
        None => rule,
    }
}

/// The services and everything they transitively require, nearest first, at most `limit`
/// resources (the rest counted in [`View::omitted`]).
pub fn dependencies(estate: &Estate, services: &[ResourceIx], limit: usize) -> View {
    let mut order: Vec<ResourceIx> = Vec::new();
    let mut queue: VecDeque<ResourceIx> = VecDeque::new();
    let mut seen = rustc_hash::FxHashSet::default();
    for &service in services {
        if seen.insert(service) {
            queue.push_back(service);
        }
    }
    while let Some(ix) = queue.pop_front() {
        order.push(ix);
        for group in estate.groups_of(ix) {
            for &member in &group.members {
                if seen.insert(member) {
                    queue.push_back(member);
                }
            }
        }
    }
    let omitted = order.len().saturating_sub(limit);
    order.truncate(limit);
    let mut position = rustc_hash::FxHashMap::default();
    for (i, &ix) in order.iter().enumerate() {
        position.insert(ix, i);
    }
    let critical: rustc_hash::FxHashSet<ResourceIx> =
        estate.critical.iter().map(|s| s.resource).collect();
    let nodes = order
        .iter()
        .map(|&ix| {
            let r = estate.resource(ix);
            ViewNode {
                id: r.id.clone(),
                name: r.label().to_string(),
                kind: r.kind.clone(),
                provider: r.provider.clone(),
                region: r.region.clone(),
                placement: r.placement.clone(),
                critical: critical.contains(&ix),
            }
        })
        .collect();
    let mut edges = Vec::new();
    for (from, &ix) in order.iter().enumerate() {
        for group in estate.groups_of(ix) {
            let text = group_text(
                group.quorum,
                group.members.len(),
                group.is_requires,
                group.label.as_deref(),
            );
            for member in &group.members {
                if let Some(&to) = position.get(member) {
                    edges.push(ViewEdge {
                        from,
                        to,
                        group: text.clone(),
                    });
                }
            }
        }
    }
    View {
        nodes,
        edges,
        omitted,
    }
}

/// Every resource of the estate, in snapshot order.
pub fn whole(estate: &Estate) -> View {
    let all: Vec<ResourceIx> = estate.resource_ixs().collect();
    dependencies(estate, &all, usize::MAX)
}

/// Nodes grouped by failure domain: provider → region → zone, each level with the nodes drawn
/// directly in it. Logical nodes are in `loose`.
#[derive(Default)]
struct Tree<'a> {
    loose: Vec<usize>,
    providers: BTreeMap<&'a str, ProviderBox<'a>>,
}

#[derive(Default)]
struct ProviderBox<'a> {
    nodes: Vec<usize>,
    regions: BTreeMap<&'a str, RegionBox<'a>>,
}

#[derive(Default)]
struct RegionBox<'a> {
    nodes: Vec<usize>,
    zones: BTreeMap<&'a str, Vec<usize>>,
}

impl<'a> Tree<'a> {
    fn of(view: &'a View) -> Self {
        let mut tree = Tree::default();
        for (i, node) in view.nodes.iter().enumerate() {
            match node.cluster() {
                None => tree.loose.push(i),
                Some(Cluster::Provider { provider }) => {
                    tree.providers.entry(provider).or_default().nodes.push(i)
                }
                Some(Cluster::Region { provider, region }) => tree
                    .providers
                    .entry(provider)
                    .or_default()
                    .regions
                    .entry(region)
                    .or_default()
                    .nodes
                    .push(i),
                Some(Cluster::Zone {
                    provider,
                    region,
                    zone,
                }) => tree
                    .providers
                    .entry(provider)
                    .or_default()
                    .regions
                    .entry(region)
                    .or_default()
                    .zones
                    .entry(zone)
                    .or_default()
                    .push(i),
            }
        }
        tree
    }
}
