//! The facts a resource rule's condition sees: the resource (`resource.*`) and what the graph
//! and the analyses know about it (`graph.*`), as CEL values. Only the fields a rule pack
//! names are computed, so a pack that never asks for control planes does not pay for them.

use std::collections::{BTreeSet, VecDeque};

use cel::Value;
use rustc_hash::FxHashMap as HashMap;

use super::cel_expr::{from_json, map, string_list};
use crate::analysis::Analysis;
use crate::graph::{DomainIx, Estate, GroupIx, ResourceIx};
use crate::model::{DomainKind, Placement, ZoneId};

/// Fields of `resource`.
pub const RESOURCE_FIELDS: &[&str] = &[
    "id",
    "name",
    "kind",
    "provider",
    "account",
    "region",
    "tags",
    "attributes",
    "placement",
    "zones",
    "zone_names",
    "control_plane_region",
    "critical",
    "serves_critical",
];

/// Fields of `graph`.
pub const GRAPH_FIELDS: &[&str] = &[
    "requirements",
    "target_zones",
    "dependents",
    "dependent_zones",
    "dependent_kinds",
    "region_zones",
    "lethal_zones",
    "lethal_regions",
    "lethal_providers",
    "control_planes",
];

/// Fields of each element of `graph.requirements`.
pub const GROUP_FIELDS: &[&str] = &[
    "label",
    "min",
    "size",
    "requires",
    "members",
    "kinds",
    "zones",
    "max_zone_loss",
    "worst_zone",
];

/// The three kinds of fact maps: `resource`, `graph` and an element of `graph.requirements`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Resource,
    Graph,
    Group,
}

impl Scope {
    /// The field names of the maps of this scope.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Scope::Resource => RESOURCE_FIELDS,
            Scope::Graph => GRAPH_FIELDS,
            Scope::Group => GROUP_FIELDS,
        }
    }
}

/// How deep `target_zones` looks through members without zones of their own.
const TARGET_DEPTH: usize = 3;

/// A `resource.x` or `graph.x` reference found in an expression's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    pub root: &'static str,
    pub field: String,
    /// Byte offset of the field name in the text.
    pub offset: usize,
}

/// Every `resource.<field>` and `graph.<field>` in `source`, outside string literals.
pub fn field_refs(source: &str) -> Vec<FieldRef> {
    let bytes = source.as_bytes();
    let mut refs = Vec::new();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == b'\\' {
                i += 2;
                continue;
            }
            if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if b == b'"' || b == b'\'' {
            quote = Some(b);
            i += 1;
            continue;
        }
        let boundary = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b'.');
        for root in ["resource", "graph"] {
            if boundary && source[i..].starts_with(root) && bytes.get(i + root.len()) == Some(&b'.')
            {
                let start = i + root.len() + 1;
                let end = source[start..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(source.len(), |n| start + n);
                refs.push(FieldRef {
                    root: if root == "resource" {
                        "resource"
                    } else {
                        "graph"
                    },
                    field: source[start..end].to_string(),
                    offset: start,
                });
            }
        }
        i += 1;
    }
    refs
}

/// Which fields some set of expressions reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    resource: u32,
    graph: u32,
    /// Fields of requirement groups, found as `.field` anywhere in the text (groups are
    /// reached through comprehension variables, so their uses cannot be told apart).
    group: u32,
}

impl Needs {
    /// What `source` reads; a bare `resource` or `graph` (passed whole) needs every field.
    pub fn of(source: &str) -> Needs {
        let mut needs = Needs::default();
        for r in field_refs(source) {
            let (fields, mask) = match r.root {
                "resource" => (RESOURCE_FIELDS, &mut needs.resource),
                _ => (GRAPH_FIELDS, &mut needs.graph),
            };
            if let Some(bit) = fields.iter().position(|f| *f == r.field) {
                *mask |= 1 << bit;
            }
        }
        for (root, mask) in [
            ("resource", &mut needs.resource),
            ("graph", &mut needs.graph),
        ] {
            if mentions_whole(source, root) {
                *mask = u32::MAX;
            }
        }
        if needs.graph("requirements") {
            for (bit, field) in GROUP_FIELDS.iter().enumerate() {
                let dotted = format!(".{field}");
                let used = source.match_indices(&dotted).any(|(i, _)| {
                    !source[i + dotted.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                });
                if used {
                    needs.group |= 1 << bit;
                }
            }
            // The zone losses come as a pair.
            let pair = ["max_zone_loss", "worst_zone"].map(|f| {
                1 << GROUP_FIELDS
                    .iter()
                    .position(|g| *g == f)
                    .expect("a group field")
            });
            if needs.group & (pair[0] | pair[1]) != 0 {
                needs.group |= pair[0] | pair[1];
            }
            // A group passed whole (e.g. rendered, compared) needs every field.
            if (source.contains("graph.requirements") && !source.contains("graph.requirements."))
                || binds_bare(source)
            {
                needs.group = u32::MAX;
            }
        }
        needs
    }

    fn group(&self, field: &str) -> bool {
        GROUP_FIELDS
            .iter()
            .position(|f| *f == field)
            .is_some_and(|bit| self.group & (1 << bit) != 0)
    }

    /// Whether `resource`, `graph` or a requirement group is used whole (passed, compared
    /// or iterated as a map), not only through its fields.
    pub fn whole(&self) -> bool {
        self.resource == u32::MAX
            || self.graph == u32::MAX
            || (self.graph("requirements") && self.group == u32::MAX)
    }

    /// Whether field number `bit` of `scope`'s fields is read.
    pub fn field(&self, scope: Scope, bit: usize) -> bool {
        let mask = match scope {
            Scope::Resource => self.resource,
            Scope::Graph => self.graph,
            Scope::Group => self.group,
        };
        mask & (1 << bit) != 0
    }

    /// Every field.
    pub fn all() -> Needs {
        Needs {
            resource: u32::MAX,
            graph: u32::MAX,
            group: u32::MAX,
        }
    }

    pub fn union(self, other: Needs) -> Needs {
        Needs {
            resource: self.resource | other.resource,
            graph: self.graph | other.graph,
            group: self.group | other.group,
        }
    }

    pub fn resource(&self, field: &str) -> bool {
        RESOURCE_FIELDS
            .iter()
            .position(|f| *f == field)
            .is_some_and(|bit| self.resource & (1 << bit) != 0)
    }

    pub fn graph(&self, field: &str) -> bool {
        GRAPH_FIELDS
            .iter()
            .position(|f| *f == field)
            .is_some_and(|bit| self.graph & (1 << bit) != 0)
    }
}

/// Whether some comprehension variable of `source` is used other than as `var.field`
/// (`g == h`, `g in list`, `size(g)`), or the text is too unusual to tell.
fn binds_bare(source: &str) -> bool {
    if source.contains("'''") || source.contains("\"\"\"") {
        return true;
    }
    // Identifiers outside string literals, with the byte that follows each.
    let mut words: Vec<(&str, Option<u8>, usize)> = Vec::new();
    let bytes = source.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' || b == b'\'' {
            i += 1;
            while i < bytes.len() && bytes[i] != b {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        if b.is_ascii_alphabetic() || b == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let next = source[i..].trim_start().bytes().next();
            words.push((&source[start..i], next, start));
            continue;
        }
        i += 1;
    }
    // `.macro(var,` binds `var`.
    let binders: Vec<&str> = words
        .windows(2)
        .filter(|w| {
            w[0].1 == Some(b'(')
                && w[0].2 > 0
                && source[..w[0].2].ends_with('.')
                && w[1].1 == Some(b',')
        })
        .map(|w| w[1].0)
        .collect();
    words.iter().any(|&(word, next, at)| {
        binders.contains(&word)
            && next != Some(b'.')
            && !(next == Some(b',') && source[..at].trim_end().ends_with('('))
    })
}

/// Whether `root` appears other than as `root.field`.
fn mentions_whole(source: &str, root: &str) -> bool {
    source.match_indices(root).any(|(i, _)| {
        let before = source[..i].chars().next_back();
        let after = source[i + root.len()..].chars().next();
        !before.is_some_and(|c| {
            c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '"' || c == '\''
        }) && !after.is_some_and(|c| {
            c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '"' || c == '\''
        })
    })
}

/// What the graph knows, precomputed once per audit for the facts a pack needs.
pub struct FactBase<'a> {
    estate: &'a Estate,
    analysis: &'a Analysis,
    is_critical: Vec<bool>,
    /// Per resource, the control-plane regions it transitively requires (when needed).
    control_planes: Option<Vec<Vec<u32>>>,
    control_plane_names: Vec<String>,
    region_zones: HashMap<String, Vec<String>>,
    zone_names: HashMap<ZoneId, String>,
}

impl<'a> FactBase<'a> {
    pub fn new(estate: &'a Estate, analysis: &'a Analysis, needs: Needs) -> FactBase<'a> {
        let mut is_critical = vec![false; estate.len()];
        for service in &estate.critical {
            is_critical[service.resource.index()] = true;
        }
        let mut region_zones: HashMap<String, Vec<String>> = HashMap::default();
        let mut zone_names = HashMap::default();
        for zone in &estate.snapshot.zones {
            region_zones
                .entry(zone.region.clone())
                .or_default()
                .push(zone.id.to_string());
            if let Some(name) = &zone.name {
                zone_names.insert(zone.id.clone(), name.clone());
            }
        }
        for zones in region_zones.values_mut() {
            zones.sort();
        }
        let mut base = FactBase {
            estate,
            analysis,
            is_critical,
            control_planes: None,
            control_plane_names: Vec::new(),
            region_zones,
            zone_names,
        };
        if needs.graph("control_planes") {
            base.compute_control_planes();
        }
        base
    }

    /// The requirement groups of `ix`, in the order of `graph.requirements`.
    pub fn groups(&self, ix: ResourceIx) -> impl Iterator<Item = GroupIx> + use<> {
        self.estate.group_ixs(ix)
    }

    /// The resource `ix` of the estate.
    pub fn resource_of(&self, ix: ResourceIx) -> &'a crate::model::Resource {
        self.estate.resource(ix)
    }

    pub fn is_critical(&self, ix: ResourceIx) -> bool {
        self.is_critical[ix.index()]
    }

    /// Control-plane regions reachable from each resource: one pass over the strongly
    /// connected components, members first, merging small sorted sets.
    fn compute_control_planes(&mut self) {
        let estate = self.estate;
        let mut names: Vec<String> = Vec::new();
        let mut own: Vec<Option<u32>> = Vec::with_capacity(estate.len());
        for resource in &estate.snapshot.resources {
            own.push(match &resource.placement {
                Placement::Global {
                    control_plane_region: Some(region),
                } => Some(match names.iter().position(|n| n == region) {
                    Some(i) => i as u32,
                    None => {
                        names.push(region.clone());
                        names.len() as u32 - 1
                    }
                }),
                _ => None,
            });
        }
        let mut sets: Vec<Vec<u32>> = vec![Vec::new(); estate.len()];
        for members in self.analysis.components.iter() {
            let mut set: BTreeSet<u32> = BTreeSet::new();
            for &m in members {
                set.extend(own[m.index()]);
                for group in estate.groups_of(m) {
                    for &member in &group.members {
                        set.extend(sets[member.index()].iter().copied());
                    }
                }
            }
            let set: Vec<u32> = set.into_iter().collect();
            for &m in members {
                sets[m.index()] = set.clone();
            }
        }
        self.control_planes = Some(sets);
        self.control_plane_names = names;
    }

    fn zones_of(&self, ix: ResourceIx) -> &[ZoneId] {
        self.estate.resource(ix).placement.zones()
    }

    /// The `resource` variable.
    pub fn resource(&self, ix: ResourceIx, needs: Needs) -> Value {
        let entries = RESOURCE_FIELDS
            .iter()
            .filter(|field| needs.resource(field))
            .map(|&field| (field, self.resource_field(ix, field)))
            .collect();
        map(entries)
    }

    /// One field of the `resource` variable.
    pub fn resource_field(&self, ix: ResourceIx, field: &str) -> Value {
        let r = self.estate.resource(ix);
        let text = |s: &str| Value::from(s);
        match field {
            "id" => text(&r.id),
            "name" => text(r.label()),
            "kind" => text(&r.kind),
            "provider" => text(&r.provider),
            "account" => text(r.account.as_deref().unwrap_or("")),
            "region" => text(r.region.as_deref().unwrap_or("")),
            "tags" => {
                let tags: std::collections::HashMap<String, Value> = r
                    .tags
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                    .collect();
                Value::from(tags)
            }
            "attributes" => {
                let attributes: std::collections::HashMap<String, Value> = r
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.clone(), from_json(v)))
                    .collect();
                Value::from(attributes)
            }
            "placement" => text(r.placement.type_name()),
            // Only zones a placement names: none for `unpinned`, whose zone nobody chose
            // (`graph.region_zones` holds the zones any of which takes it down).
            "zones" => string_list(r.placement.zones()),
            "zone_names" => string_list(
                r.placement
                    .zones()
                    .iter()
                    .filter_map(|z| self.zone_names.get(z)),
            ),
            "control_plane_region" => match &r.placement {
                Placement::Global {
                    control_plane_region: Some(region),
                } => text(region),
                _ => text(""),
            },
            "critical" => Value::Bool(self.is_critical(ix)),
            "serves_critical" => Value::Bool(self.analysis.critical_scope[ix.index()]),
            _ => unreachable!("every resource field is handled"),
        }
    }

    /// The `graph` variable.
    pub fn graph(&self, ix: ResourceIx, needs: Needs) -> Value {
        let entries = GRAPH_FIELDS
            .iter()
            .filter(|field| needs.graph(field))
            .map(|&field| (field, self.graph_field(ix, field, needs)))
            .collect();
        map(entries)
    }

    /// One field of the `graph` variable (`needs` says which fields its groups carry).
    pub fn graph_field(&self, ix: ResourceIx, field: &str, needs: Needs) -> Value {
        let estate = self.estate;
        match field {
            "requirements" => Value::List(std::sync::Arc::new(
                estate.group_ixs(ix).map(|g| self.group(g, needs)).collect(),
            )),
            "target_zones" => string_list(self.target_zones(ix)),
            "dependents" => Value::Int(estate.dependents(ix).count() as i64),
            "dependent_zones" => {
                let zones: BTreeSet<&str> = estate
                    .dependents(ix)
                    .flat_map(|(d, _)| self.zones_of(d).iter().map(ZoneId::as_str))
                    .collect();
                string_list(zones)
            }
            "dependent_kinds" => {
                let kinds: BTreeSet<&str> = estate
                    .dependents(ix)
                    .map(|(d, _)| estate.resource(d).kind.as_str())
                    .collect();
                string_list(kinds)
            }
            "region_zones" => string_list(
                estate
                    .resource(ix)
                    .region
                    .as_ref()
                    .and_then(|r| self.region_zones.get(r))
                    .map_or(&[][..], Vec::as_slice),
            ),
            "lethal_zones" => self.lethal(ix, DomainKind::Zone),
            "lethal_regions" => self.lethal(ix, DomainKind::Region),
            "lethal_providers" => self.lethal(ix, DomainKind::Provider),
            "control_planes" => match &self.control_planes {
                Some(sets) => string_list(
                    sets[ix.index()]
                        .iter()
                        .map(|&i| self.control_plane_names[i as usize].as_str()),
                ),
                None => string_list(Vec::<String>::new()),
            },
            _ => unreachable!("every graph field is handled"),
        }
    }

    fn lethal(&self, ix: ResourceIx, kind: DomainKind) -> Value {
        let mut ids: Vec<&str> = self.analysis.domain_sets[ix.index()]
            .iter()
            .map(|&d| self.estate.domain(d))
            .filter(|d| d.kind == kind)
            .map(|d| d.id.as_str())
            .collect();
        ids.sort_unstable();
        string_list(ids)
    }

    fn group(&self, g: GroupIx, needs: Needs) -> Value {
        let entries = GROUP_FIELDS
            .iter()
            .filter(|field| needs.group(field))
            .map(|&field| (field, self.group_field(g, field)))
            .collect();
        map(entries)
    }

    /// One field of an element of `graph.requirements`.
    pub fn group_field(&self, g: GroupIx, field: &str) -> Value {
        let estate = self.estate;
        let group = &estate.groups[g.index()];
        match field {
            "label" => Value::from(group.label.as_deref().unwrap_or("")),
            "min" => Value::Int(group.quorum.into()),
            "size" => Value::Int(group.members.len() as i64),
            "requires" => Value::Bool(group.is_requires),
            "members" => string_list(
                group
                    .members
                    .iter()
                    .map(|&m| estate.resource(m).id.as_str()),
            ),
            "kinds" => {
                let kinds: BTreeSet<&str> = group
                    .members
                    .iter()
                    .map(|&m| estate.resource(m).kind.as_str())
                    .collect();
                string_list(kinds)
            }
            "zones" => {
                let zones: BTreeSet<&str> = group
                    .members
                    .iter()
                    .flat_map(|&m| self.zones_of(m).iter().map(ZoneId::as_str))
                    .collect();
                string_list(zones)
            }
            "max_zone_loss" => Value::Int(self.worst_zone(g).map_or(0, |(n, _)| n)),
            "worst_zone" => Value::from(self.worst_zone(g).map_or("", |(_, id)| id)),
            _ => unreachable!("every group field is handled"),
        }
    }

    /// The zone that takes most members of group `g` down, from the exact kill sets, and
    /// how many (ties: the first zone id).
    fn worst_zone(&self, g: GroupIx) -> Option<(i64, &str)> {
        let estate = self.estate;
        // A handful of zones: a small vector beats a map.
        let mut losses: Vec<(DomainIx, i64)> = Vec::new();
        for &m in &estate.groups[g.index()].members {
            for &d in &self.analysis.domain_sets[m.index()] {
                if estate.domain(d).kind == DomainKind::Zone {
                    match losses.iter_mut().find(|(z, _)| *z == d) {
                        Some((_, n)) => *n += 1,
                        None => losses.push((d, 1)),
                    }
                }
            }
        }
        losses
            .iter()
            .map(|&(d, n)| (n, std::cmp::Reverse(estate.domain(d).id.as_str())))
            .max()
            .map(|(n, std::cmp::Reverse(id))| (n, id))
    }

    /// Zones of what `ix` requires, looking through members with no zones of their own.
    fn target_zones(&self, ix: ResourceIx) -> BTreeSet<&str> {
        let estate = self.estate;
        let mut zones = BTreeSet::new();
        let mut seen = rustc_hash::FxHashSet::default();
        let mut queue: VecDeque<(ResourceIx, usize)> = VecDeque::new();
        seen.insert(ix);
        queue.push_back((ix, 0));
        while let Some((v, depth)) = queue.pop_front() {
            for group in estate.groups_of(v) {
                for &m in &group.members {
                    if !seen.insert(m) {
                        continue;
                    }
                    let own = self.zones_of(m);
                    if own.is_empty() {
                        if depth + 1 < TARGET_DEPTH {
                            queue.push_back((m, depth + 1));
                        }
                    } else {
                        zones.extend(own.iter().map(ZoneId::as_str));
                    }
                }
            }
        }
        zones
    }

    /// The critical services that are `ix` or transitively require it, sorted by name.
    pub fn services(&self, ix: ResourceIx) -> Vec<ResourceIx> {
        let estate = self.estate;
        if !self.analysis.critical_scope[ix.index()] {
            return Vec::new();
        }
        let mut found = Vec::new();
        let mut seen = rustc_hash::FxHashSet::default();
        let mut stack = vec![ix];
        seen.insert(ix);
        while let Some(v) = stack.pop() {
            if self.is_critical(v) {
                found.push(v);
            }
            for (d, _) in estate.dependents(v) {
                if self.analysis.critical_scope[d.index()] && seen.insert(d) {
                    stack.push(d);
                }
            }
        }
        found.sort_by(|&a, &b| {
            let (a, b) = (estate.resource(a), estate.resource(b));
            (a.label(), &a.id).cmp(&(b.label(), &b.id))
        });
        found
    }

    /// The names of [`FactBase::services`].
    pub fn service_names(&self, services: &[ResourceIx]) -> Vec<String> {
        let mut names: Vec<String> = services
            .iter()
            .map(|&s| self.estate.resource(s).label().to_string())
            .collect();
        names.dedup();
        names
    }

    /// The ids of [`FactBase::services`], sorted.
    pub fn service_ids(&self, services: &[ResourceIx]) -> Vec<String> {
        let mut ids: Vec<String> = services
            .iter()
            .map(|&s| self.estate.resource(s).id.clone())
            .collect();
        ids.sort();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_references_skip_string_literals() {
        let refs = field_refs("resource.zones.size() > 1 && 'resource.x' != graph.target_zones[0]");
        let names: Vec<(&str, &str)> = refs.iter().map(|r| (r.root, r.field.as_str())).collect();
        assert_eq!(names, [("resource", "zones"), ("graph", "target_zones")]);
    }

    #[test]
    fn needs_cover_named_fields_only() {
        let needs = Needs::of("resource.critical && 'us-east-1' in graph.control_planes");
        assert!(needs.resource("critical"));
        assert!(!needs.resource("tags"));
        assert!(needs.graph("control_planes"));
        assert!(!needs.graph("requirements"));
        let whole = Needs::of("size(resource) > 0");
        assert!(whole.resource("tags"));
        let groups = Needs::of("graph.requirements.exists(g, g.min > 1 && g.max_zone_loss > 0)");
        assert!(groups.group("min") && groups.group("max_zone_loss"));
        assert!(!groups.group("members") && !groups.group("min_x"));
        assert!(!groups.whole());
        for whole in [
            "graph.requirements.exists(g, g == graph.requirements[0])",
            "graph.requirements.exists(g, size(g) > 3)",
            "graph.requirements.exists(g, g.min > 1 && 'label' in g)",
            "size(graph.requirements) > 1",
        ] {
            assert!(Needs::of(whole).whole(), "{whole}");
        }
        assert!(!Needs::of("graph.requirements.exists(g, g.label == 'g, x' && g.min > 1)").whole());
    }
}
