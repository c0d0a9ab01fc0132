//! The failure-domain graph: resources, their requirement groups and the domain hierarchy
//! provider ⊃ region ⊃ zone, indexed once and shared by every analysis; which resources are
//! the critical services (tagged, named by the config's [`Selector`]s, stated entry points,
//! else the graph roots).

use rustc_hash::FxHashMap as HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod grouping;
mod ix;

use crate::model::selector::Selector;
use crate::model::{CRITICAL_TAG, IdIndex, Placement, Resource, Snapshot};
use crate::model::{DomainKind, DomainRef};

pub use ix::{DomainIx, GroupIx, ResourceIx};

/// A zone, region or provider of the estate.
#[derive(Debug, Clone)]
pub struct FailureDomain {
    pub kind: DomainKind,
    pub id: String,
    /// The provider it belongs to (itself for a provider).
    pub provider: String,
    /// The region a zone belongs to; the region itself for a region.
    pub region: Option<String>,
    /// The enclosing domain: a zone's region, a region's provider.
    pub parent: Option<DomainIx>,
    /// The account-specific name of a zone, when known.
    pub zone_name: Option<String>,
}

impl FailureDomain {
    pub fn to_ref(&self) -> DomainRef {
        DomainRef {
            kind: self.kind,
            id: self.id.clone(),
        }
    }
}

/// A requirement group of one resource: at least `quorum` of `members` must be up.
#[derive(Debug, Clone)]
pub struct Group {
    pub owner: ResourceIx,
    pub quorum: u32,
    pub members: Vec<ResourceIx>,
    /// Whether the snapshot wrote it as `requires` (a group of one).
    pub is_requires: bool,
    pub label: Option<String>,
}

impl Group {
    /// How many members must be down for the group to fail.
    pub fn losses_to_fail(&self) -> u32 {
        self.members.len() as u32 - self.quorum + 1
    }
}

/// Why a resource counts as a critical service.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CriticalReason {
    /// A business function a manifest declares critical or important.
    Function,
    /// Tagged `linchpin:critical=true`.
    Tagged,
    /// Selected by the config's `[critical] include`.
    Configured,
    /// An entry point: internet-facing load balancer, API gateway, CloudFront distribution,
    /// DNS record, or a resource with the attribute `entry_point: true`.
    EntryPoint,
    /// Nothing was marked critical, so the resources nothing depends on stand in.
    GraphRoot,
}

impl CriticalReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CriticalReason::Function => "function",
            CriticalReason::Tagged => "tagged critical",
            CriticalReason::Configured => "named in config",
            CriticalReason::EntryPoint => "entry point",
            CriticalReason::GraphRoot => "graph root (nothing marked critical)",
        }
    }
}

/// Which resources are critical services beyond the `linchpin:critical` tag.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CriticalPolicy {
    /// Resources made critical services (config `[critical] include`).
    pub include: Vec<Selector>,
    /// Resources never counted as critical services (config `[critical] exclude`).
    pub exclude: Vec<Selector>,
    /// Whether entry points count as critical services; unset, they do unless a manifest
    /// declares business functions (which are then the critical services).
    pub entry_points: Option<bool>,
}

/// A resource the audit protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CriticalService {
    pub resource: ResourceIx,
    pub reason: CriticalReason,
}

/// Where a resource lives, in domain indices: it is directly down when `home` (or an
/// ancestor) fails, when every one of `zones` is down, or — with `any_zone` — when any one
/// zone of its home region is down.
#[derive(Debug, Clone, Default)]
pub struct Footing {
    /// The region (zonal, multi-zone, regional, unpinned, unknown with region) or provider
    /// (global, unknown without region); none for logical resources.
    pub home: Option<DomainIx>,
    /// Zones of zonal and multi-zone placements.
    pub zones: Vec<DomainIx>,
    /// Unpinned placements: in one zone of the home region that nobody chose, so the loss of
    /// any zone of that region takes the resource down (linchpin cannot know which zone it
    /// is). The zones are the region's declared ones, [`Estate::zones_of_region`], kept once
    /// per region rather than per resource. A region that declares no zones has none to
    /// lose: the resource then fails only with `home`, like a regional one.
    pub any_zone: bool,
}

/// The indexed estate.
pub struct Estate {
    pub snapshot: Snapshot,
    index: IdIndex,
    pub domains: Vec<FailureDomain>,
    domain_index: DomainIndex,
    pub footing: Vec<Footing>,
    /// The declared zones of each region, by domain index (empty for zones and providers),
    /// sorted: the loss of any one of them takes the region's unpinned resources down.
    region_zones: Vec<Vec<DomainIx>>,
    pub groups: Vec<Group>,
    /// Groups of each resource, as a range of positions in `groups` (groups are stored owner
    /// by owner); [`Estate::groups_of`] and [`Estate::group_ixs`] read it.
    group_ranges: Vec<std::ops::Range<u32>>,
    /// Requirement edges owner → member, weighted by group.
    pub graph: DiGraph<ResourceIx, GroupIx, u32>,
    pub critical: Vec<CriticalService>,
}

impl Estate {
    /// Index a validated snapshot, with the default critical-service policy.
    pub fn build(snapshot: Snapshot) -> Estate {
        Estate::build_with(snapshot, &CriticalPolicy::default())
    }

    /// Index a validated snapshot; `policy` says which resources are critical services.
    pub fn build_with(snapshot: Snapshot, policy: &CriticalPolicy) -> Estate {
        let mut domains = DomainTable::default();
        for zone in &snapshot.zones {
            let region = domains.region(&zone.provider, &zone.region);
            domains.zone(zone.id.as_str(), region, zone.name.clone());
        }
        let index = IdIndex::build(
            snapshot.resources.len(),
            id_of(&snapshot.resources),
            |_, _| {},
        );
        let footing: Vec<Footing> = snapshot
            .resources
            .iter()
            .map(|resource| domains.footing(resource))
            .collect();
        let members = resolve_members(&snapshot.resources, &index);
        let edges = members.iter().flatten().flatten().map(Vec::len).sum();
        let mut graph = DiGraph::with_capacity(snapshot.resources.len(), edges);
        for ix in 0..snapshot.resources.len() {
            graph.add_node(ResourceIx::new(ix));
        }
        let mut groups = Vec::with_capacity(members.iter().flatten().map(Vec::len).sum());
        let mut group_ranges = Vec::with_capacity(snapshot.resources.len());
        let owners = snapshot.resources.iter().zip(members.into_iter().flatten());
        for (owner, (resource, members)) in owners.enumerate() {
            let start = groups.len() as u32;
            for (group, members) in resource.requirements.iter().zip(members) {
                let gix = GroupIx::new(groups.len());
                for &member in &members {
                    graph.add_edge(NodeIndex::new(owner), member.node(), gix);
                }
                groups.push(Group {
                    owner: ResourceIx::new(owner),
                    quorum: group.quorum(),
                    members,
                    is_requires: group.requires.is_some(),
                    label: group.label.clone(),
                });
            }
            group_ranges.push(start..groups.len() as u32);
        }

        let region_zones = domains.region_zones();
        let mut estate = Estate {
            snapshot,
            index,
            domains: domains.domains,
            domain_index: domains.index,
            footing,
            region_zones,
            groups,
            group_ranges,
            graph,
            critical: Vec::new(),
        };
        estate.critical = estate.find_critical(policy);
        estate
    }

    /// The resource with id `id`.
    #[inline]
    pub fn lookup(&self, id: &str) -> Option<ResourceIx> {
        let resources = &self.snapshot.resources;
        self.index.get(id, id_of(resources)).map(ResourceIx::new)
    }

    pub fn resource(&self, ix: ResourceIx) -> &Resource {
        &self.snapshot.resources[ix.index()]
    }

    pub fn len(&self) -> usize {
        self.snapshot.resources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.snapshot.resources.is_empty()
    }

    pub fn domain(&self, ix: DomainIx) -> &FailureDomain {
        &self.domains[ix.index()]
    }

    pub fn find_domain(&self, kind: DomainKind, id: &str) -> Option<DomainIx> {
        self.domain_index.get(kind, id)
    }

    /// The requirement groups of a resource.
    pub fn groups_of(&self, ix: ResourceIx) -> &[Group] {
        let range = &self.group_ranges[ix.index()];
        &self.groups[range.start as usize..range.end as usize]
    }

    /// The indices of the requirement groups of a resource, in order.
    #[inline]
    pub fn group_ixs(&self, ix: ResourceIx) -> impl Iterator<Item = GroupIx> + use<> {
        let range = self.group_ranges[ix.index()].clone();
        (range.start as usize..range.end as usize).map(GroupIx::new)
    }

    /// The indices of all resources, in order.
    #[inline]
    pub fn resource_ixs(&self) -> impl Iterator<Item = ResourceIx> + use<> {
        (0..self.len()).map(ResourceIx::new)
    }

    /// The indices of all failure domains, in order.
    #[inline]
    pub fn domain_ixs(&self) -> impl Iterator<Item = DomainIx> + use<> {
        (0..self.domains.len()).map(DomainIx::new)
    }

    /// Resources that have a requirement group containing `ix`, with that group.
    pub fn dependents(&self, ix: ResourceIx) -> impl Iterator<Item = (ResourceIx, GroupIx)> + '_ {
        use petgraph::visit::EdgeRef;
        self.graph
            .edges_directed(ix.node(), petgraph::Direction::Incoming)
            .map(|edge| (ResourceIx::of_node(edge.source()), *edge.weight()))
    }

    /// The domain and its ancestors, innermost first.
    pub fn ancestry(&self, ix: DomainIx) -> impl Iterator<Item = DomainIx> + '_ {
        std::iter::successors(Some(ix), |&d| self.domains[d.index()].parent)
    }

    /// The declared zones of a region, sorted; empty for a region that declares none and for
    /// zones and providers.
    pub fn zones_of_region(&self, region: DomainIx) -> &[DomainIx] {
        &self.region_zones[region.index()]
    }

    /// The zones any one of which takes the resource down by its own placement because it is
    /// not pinned to a zone: the zones of an unpinned resource's region; empty otherwise.
    pub fn any_zone(&self, ix: ResourceIx) -> &[DomainIx] {
        let footing = &self.footing[ix.index()];
        match footing.home {
            Some(home) if footing.any_zone => self.zones_of_region(home),
            _ => &[],
        }
    }

    /// The single domains whose loss alone takes the resource down by its own placement.
    pub fn lethal_domains(&self, ix: ResourceIx) -> Vec<DomainIx> {
        let footing = &self.footing[ix.index()];
        let mut lethal: Vec<DomainIx> = footing
            .home
            .map(|home| self.ancestry(home).collect())
            .unwrap_or_default();
        if let [zone] = footing.zones[..] {
            lethal.push(zone);
        }
        lethal.extend_from_slice(self.any_zone(ix));
        lethal.sort_unstable();
        lethal
    }

    /// Whether losing `domain` alone takes the resource down by its own placement.
    pub fn is_lethal(&self, ix: ResourceIx, domain: DomainIx) -> bool {
        let footing = &self.footing[ix.index()];
        footing.zones[..] == [domain]
            || self.is_unpinned_loss(ix, domain)
            || footing
                .home
                .is_some_and(|home| self.ancestry(home).any(|d| d == domain))
    }

    /// Whether losing `domain` takes the resource down only because it is not pinned to a
    /// zone: `domain` is a zone of an unpinned resource's region.
    pub fn is_unpinned_loss(&self, ix: ResourceIx, domain: DomainIx) -> bool {
        let footing = &self.footing[ix.index()];
        let d = self.domain(domain);
        footing.any_zone && d.kind == DomainKind::Zone && d.parent == footing.home
    }

    /// A resource by id, or by name when exactly one resource has that name.
    pub fn find_resource(&self, id_or_name: &str) -> Result<ResourceIx, String> {
        if let Some(ix) = self.lookup(id_or_name) {
            return Ok(ix);
        }
        let named: Vec<ResourceIx> = self
            .resource_ixs()
            .filter(|&ix| self.resource(ix).name == id_or_name)
            .collect();
        match named[..] {
            [ix] => Ok(ix),
            [] => Err(format!("no resource has the id or name `{id_or_name}`")),
            _ => Err(format!(
                "{} resources have the name `{id_or_name}`; give the id",
                named.len()
            )),
        }
    }

    /// Whether a resource is a modelling construct with no failure domain of its own.
    pub fn is_logical(&self, ix: ResourceIx) -> bool {
        matches!(self.resource(ix).placement, Placement::Logical)
    }

    fn find_critical(&self, policy: &CriticalPolicy) -> Vec<CriticalService> {
        let resources = &self.snapshot.resources;
        let declared_functions = resources.iter().any(|r| declared_function(r).is_some());
        let entry_points = policy.entry_points.unwrap_or(!declared_functions);
        let groups = crate::graph::grouping::AutoScaling::new(resources);
        let mut seen = vec![false; self.len()];
        let mut critical: Vec<CriticalService> = Vec::new();
        for (ix, resource) in resources.iter().enumerate() {
            if policy.exclude.iter().any(|s| s.matches(resource)) {
                continue;
            }
            let reason = match (declared_function(resource), resource.tags.get(CRITICAL_TAG)) {
                (Some(true), _) => CriticalReason::Function,
                (Some(false), _) => continue,
                (None, Some(value)) if value == "true" => CriticalReason::Tagged,
                (None, Some(value)) if value == "false" => continue,
                _ if policy.include.iter().any(|s| s.matches(resource)) => {
                    CriticalReason::Configured
                }
                _ if entry_points && is_entry_point(resource) => CriticalReason::EntryPoint,
                _ => continue,
            };
            // An instance tagged through its Auto Scaling group: the group is the service.
            let ix = match reason {
                CriticalReason::Tagged => groups.group_of(resource).unwrap_or(ix),
                _ => ix,
            };
            if !std::mem::replace(&mut seen[ix], true) {
                critical.push(CriticalService {
                    resource: ResourceIx::new(ix),
                    reason,
                });
            }
        }
        // Functions first, then tagged services, then entry points, each by name.
        critical.sort_by(|a, b| {
            (a.reason, self.resource(a.resource).label())
                .cmp(&(b.reason, self.resource(b.resource).label()))
        });
        if critical.is_empty() {
            critical = self.graph_roots();
        }
        critical
    }

    /// Whether a resource stands for a cloud domain a third party runs on
    /// ([`crate::model::RUNS_ON_KIND`]): it has that domain's failures, not its own.
    pub fn stands_for_domain(&self, ix: ResourceIx) -> bool {
        self.resource(ix).kind == crate::model::RUNS_ON_KIND
    }

    /// The resources nothing else depends on: every member of a strongly connected component
    /// that no resource outside it requires (so a self-requirement or a cycle at the top of
    /// the graph still yields roots).
    fn graph_roots(&self) -> Vec<CriticalService> {
        let components = petgraph::algo::kosaraju_scc(&self.graph);
        let mut component_of = vec![0usize; self.len()];
        for (c, members) in components.iter().enumerate() {
            for node in members {
                component_of[node.index()] = c;
            }
        }
        let mut roots: Vec<ResourceIx> = components
            .iter()
            .enumerate()
            .filter(|(c, members)| {
                members.iter().all(|node| {
                    self.dependents(ResourceIx::of_node(*node))
                        .all(|(owner, _)| component_of[owner.index()] == *c)
                })
            })
            .flat_map(|(_, members)| members.iter().map(|&node| ResourceIx::of_node(node)))
            .collect();
        roots.sort_by(|&a, &b| self.resource(a).label().cmp(self.resource(b).label()));
        roots
            .into_iter()
            .map(|resource| CriticalService {
                resource,
                reason: CriticalReason::GraphRoot,
            })
            .collect()
    }
}

/// For a business function a manifest assessed: whether it is critical or important (a
/// critical service) or not; `None` for anything else.
fn declared_function(resource: &Resource) -> Option<bool> {
    if resource.kind != "function" {
        return None;
    }
    match resource.attributes.get("criticality")?.as_str()? {
        "critical" | "important" => Some(true),
        _ => Some(false),
    }
}

/// Entry points are the resources whose source states `entry_point: true`; they are
/// critical unless tagged `linchpin:critical=false`.
fn is_entry_point(resource: &Resource) -> bool {
    resource
        .attributes
        .get("entry_point")
        .is_some_and(|flag| flag.as_bool() == Some(true))
}

/// Builds the domain hierarchy as resources and zones name it.
#[derive(Default)]
struct DomainTable {
    domains: Vec<FailureDomain>,
    index: DomainIndex,
}

/// Domains by kind and id, looked up without building a key.
#[derive(Default)]
struct DomainIndex([HashMap<String, DomainIx>; 3]);

impl DomainIndex {
    fn get(&self, kind: DomainKind, id: &str) -> Option<DomainIx> {
        self.0[kind_slot(kind)].get(id).copied()
    }

    fn insert(&mut self, kind: DomainKind, id: &str, ix: DomainIx) {
        self.0[kind_slot(kind)].insert(id.to_string(), ix);
    }
}

fn kind_slot(kind: DomainKind) -> usize {
    match kind {
        DomainKind::Zone => 0,
        DomainKind::Region => 1,
        DomainKind::Provider => 2,
    }
}

impl DomainTable {
    /// The domain of `kind` and `id`, made by `make` the first time it is asked for (each
    /// resource asks for its region and provider: no strings are built once they exist).
    fn intern(
        &mut self,
        kind: DomainKind,
        id: &str,
        make: impl FnOnce(&mut Self) -> FailureDomain,
    ) -> DomainIx {
        if let Some(ix) = self.index.get(kind, id) {
            return ix;
        }
        let domain = make(self);
        let ix = DomainIx::new(self.domains.len());
        self.domains.push(domain);
        self.index.insert(kind, id, ix);
        ix
    }

    fn provider(&mut self, provider: &str) -> DomainIx {
        self.intern(DomainKind::Provider, provider, |_| FailureDomain {
            kind: DomainKind::Provider,
            id: provider.to_string(),
            provider: provider.to_string(),
            region: None,
            parent: None,
            zone_name: None,
        })
    }

    fn region(&mut self, provider: &str, region: &str) -> DomainIx {
        self.intern(DomainKind::Region, region, |table| FailureDomain {
            kind: DomainKind::Region,
            id: region.to_string(),
            provider: provider.to_string(),
            region: Some(region.to_string()),
            parent: Some(table.provider(provider)),
            zone_name: None,
        })
    }

    fn zone(&mut self, zone: &str, region: DomainIx, name: Option<String>) -> DomainIx {
        self.intern(DomainKind::Zone, zone, |table| {
            let parent = &table.domains[region.index()];
            FailureDomain {
                kind: DomainKind::Zone,
                id: zone.to_string(),
                provider: parent.provider.clone(),
                region: parent.region.clone(),
                parent: Some(region),
                zone_name: name,
            }
        })
    }

    /// The zones of each region, by domain index: one pass over the domains. Zones come only
    /// from the snapshot's declared zones, each under the region (and so the provider) it
    /// names; region names are unique across providers (the snapshot loader checks it).
    fn region_zones(&self) -> Vec<Vec<DomainIx>> {
        let mut zones = vec![Vec::new(); self.domains.len()];
        for (ix, domain) in self.domains.iter().enumerate() {
            if domain.kind == DomainKind::Zone
                && let Some(region) = domain.parent
            {
                zones[region.index()].push(DomainIx::new(ix));
            }
        }
        zones
    }

    fn footing(&mut self, resource: &Resource) -> Footing {
        let region = |table: &mut Self| {
            resource
                .region
                .as_deref()
                .map(|region| table.region(&resource.provider, region))
        };
        let zone_ixs = |table: &Self| {
            resource
                .placement
                .zones()
                .iter()
                .map(|zone| {
                    table
                        .index
                        .get(DomainKind::Zone, zone.as_str())
                        .expect("a validated snapshot declares the zones it names")
                })
                .collect()
        };
        match &resource.placement {
            Placement::Zonal { .. } | Placement::MultiZone { .. } => Footing {
                home: region(self),
                zones: zone_ixs(self),
                any_zone: false,
            },
            Placement::Regional => Footing {
                home: region(self),
                ..Footing::default()
            },
            // Down with any zone of its region: the zones are looked up per region
            // (`Estate::zones_of_region`), so a region without declared zones makes it fail
            // with the region alone.
            Placement::Unpinned => {
                let home = region(self);
                Footing {
                    home,
                    zones: Vec::new(),
                    any_zone: home.is_some(),
                }
            }
            Placement::Global { .. } => {
                // A region named by a global resource is still a domain reports can name.
                region(self);
                Footing {
                    home: Some(self.provider(&resource.provider)),
                    ..Footing::default()
                }
            }
            Placement::Unknown => Footing {
                home: Some(match region(self) {
                    Some(region) => region,
                    None => self.provider(&resource.provider),
                }),
                ..Footing::default()
            },
            Placement::Logical => {
                region(self);
                Footing::default()
            }
        }
    }
}

/// The id of each position of `resources`, as an [`IdIndex`] reads them.
fn id_of<'r>(resources: &'r [Resource]) -> impl Fn(usize) -> Option<&'r str> + Copy {
    |ix| resources.get(ix).map(|r| r.id.as_str())
}

/// The members of each requirement group of one resource.
type GroupMembers = Vec<Vec<ResourceIx>>;

/// At most this many resources have their requirements resolved as one task.
const OWNERS_PER_TASK: usize = 1 << 15;

/// The members of each requirement group of each resource, as indices, resolved on every
/// core: per run of resources, per resource, per group.
fn resolve_members(resources: &[Resource], index: &IdIndex) -> Vec<Vec<GroupMembers>> {
    let runs: Vec<&[Resource]> = resources.chunks(OWNERS_PER_TASK).collect();
    crate::parallel::map(&runs, |run| {
        run.iter()
            .map(|resource| {
                resource
                    .requirements
                    .iter()
                    .map(|group| {
                        group
                            .members()
                            .iter()
                            .map(|id| {
                                let ix = index.get(id, id_of(resources)).expect(
                                    "a validated snapshot's requirements name its resources",
                                );
                                ResourceIx::new(ix)
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect()
    })
}
