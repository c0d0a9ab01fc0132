//! Which (provider, region) places each resource needs, following its requirements to the
//! end: where a function uses each provider.

use std::collections::HashMap;

use crate::graph::{Estate, ResourceIx};

/// For every resource, the (provider, region) places it needs, itself included, following
/// requirements to the end. A resource that stands for a domain a third party runs on is no
/// place of its own: that provider serves the third party (a subcontractor, B_05.02), not the
/// function. Components of the requirement graph are solved members first, so
/// each edge is merged once: O((V + E) · s log s) for sets of size s (providers × regions
/// reached, a handful).
pub(super) fn reach(estate: &Estate) -> Reach {
    let mut keys: Vec<(String, Option<String>)> = Vec::new();
    let mut key_index: HashMap<(&str, Option<&str>), u32> = HashMap::new();
    let mut own: Vec<Option<u32>> = Vec::with_capacity(estate.len());
    for ix in estate.resource_ixs() {
        if estate.is_logical(ix) || estate.stands_for_domain(ix) {
            own.push(None);
            continue;
        }
        let r = estate.resource(ix);
        let key = (r.provider.as_str(), r.region.as_deref());
        let id = *key_index.entry(key).or_insert_with(|| {
            keys.push((r.provider.clone(), r.region.clone()));
            keys.len() as u32 - 1
        });
        own.push(Some(id));
    }
    let components = crate::analysis::components(estate);
    let mut component_of = vec![0u32; estate.len()];
    let mut sets: Vec<Vec<u32>> = Vec::with_capacity(components.len());
    for (c, members) in components.iter().enumerate() {
        for &m in members {
            component_of[m.index()] = c as u32;
        }
        let mut set: Vec<u32> = Vec::new();
        for &m in members {
            set.extend(own[m.index()]);
            for group in estate.groups_of(m) {
                for &member in &group.members {
                    let mc = component_of[member.index()] as usize;
                    if mc != c {
                        set.extend_from_slice(&sets[mc]);
                    }
                }
            }
        }
        set.sort_unstable();
        set.dedup();
        sets.push(set);
    }
    Reach {
        keys,
        sets,
        component_of,
    }
}

/// The places each resource needs: `keys` interned, one sorted set per component.
pub(super) struct Reach {
    keys: Vec<(String, Option<String>)>,
    sets: Vec<Vec<u32>>,
    component_of: Vec<u32>,
}

impl Reach {
    pub(super) fn of(&self, ix: ResourceIx) -> impl Iterator<Item = &(String, Option<String>)> {
        self.sets[self.component_of[ix.index()] as usize]
            .iter()
            .map(|&k| &self.keys[k as usize])
    }
}
