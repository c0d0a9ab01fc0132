//! Resources by id without copying the ids: a hash table of positions in the snapshot's
//! resource list, each entry compared against the id it points at. A million-resource
//! estate keeps 4 bytes per resource here instead of a second copy of every id.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rustc_hash::FxBuildHasher;

use super::ResourceIx;
use crate::model::Resource;

/// Positions of resources by their id.
#[derive(Debug, Default, Clone)]
pub struct IdIndex {
    table: HashTable<u32>,
}

fn hash(id: &str) -> u64 {
    FxBuildHasher.hash_one(id)
}

impl IdIndex {
    /// Index `resources` by id; of two resources with one id the later wins, as a map's
    /// insert would (a validated snapshot has none).
    pub fn build(resources: &[Resource]) -> IdIndex {
        let id = |ix: &u32| resources[*ix as usize].id.as_str();
        let mut table = HashTable::with_capacity(resources.len());
        for (ix, resource) in resources.iter().enumerate() {
            let entry = table.entry(
                hash(&resource.id),
                |other| id(other) == resource.id,
                |other| hash(id(other)),
            );
            match entry {
                Entry::Occupied(mut slot) => *slot.get_mut() = ix as u32,
                Entry::Vacant(slot) => {
                    slot.insert(ix as u32);
                }
            }
        }
        IdIndex { table }
    }

    /// The resource of `resources` (the list the index was built from) with id `id`.
    #[inline]
    pub fn get(&self, resources: &[Resource], id: &str) -> Option<ResourceIx> {
        self.table
            .find(hash(id), |&ix| resources[ix as usize].id == id)
            .map(|&ix| ResourceIx::new(ix as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Placement;

    fn resource(id: &str) -> Resource {
        Resource {
            placement: Placement::Regional,
            ..Resource::blank(id)
        }
    }

    #[test]
    fn finds_every_id_and_nothing_else() {
        let resources: Vec<Resource> = (0..1000).map(|i| resource(&format!("r{i}"))).collect();
        let index = IdIndex::build(&resources);
        for (i, r) in resources.iter().enumerate() {
            assert_eq!(index.get(&resources, &r.id), Some(ResourceIx::new(i)));
        }
        assert_eq!(index.get(&resources, "r1000"), None);
        assert_eq!(index.get(&resources, ""), None);
    }

    #[test]
    fn the_later_of_two_resources_with_one_id_wins() {
        let resources = vec![resource("a"), resource("b"), resource("a")];
        let index = IdIndex::build(&resources);
        assert_eq!(index.get(&resources, "a"), Some(ResourceIx::new(2)));
        assert_eq!(index.get(&resources, "b"), Some(ResourceIx::new(1)));
    }
}
