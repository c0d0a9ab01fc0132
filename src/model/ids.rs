//! Items by id without copying the ids: a hash table of positions in a list, each entry
//! compared against the id it points at. For a million resources that is 4 bytes each
//! instead of a second copy of every id. The snapshot loader indexes resources with it to
//! find duplicates and dangling references; the graph, to resolve requirements.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use rustc_hash::FxBuildHasher;

/// Positions of items by id. The index holds no ids: every call passes `id_of`, the id of the
/// item at a position (`None` for a position without one), over the list it was built from.
#[derive(Debug, Default, Clone)]
pub struct IdIndex {
    table: HashTable<u32>,
}

fn hash(id: &str) -> u64 {
    FxBuildHasher.hash_one(id)
}

impl IdIndex {
    /// Index the `len` positions of a list by id. When an id comes again, the first
    /// position keeps it and `repeated(first, again)` is told.
    pub fn build<'a>(
        len: usize,
        id_of: impl Fn(usize) -> Option<&'a str>,
        mut repeated: impl FnMut(usize, usize),
    ) -> IdIndex {
        let id_at = |ix: &u32| id_of(*ix as usize).unwrap_or_default();
        let mut table = HashTable::with_capacity(len);
        for ix in 0..len {
            let Some(id) = id_of(ix) else { continue };
            match table.entry(
                hash(id),
                |other| id_at(other) == id,
                |other| hash(id_at(other)),
            ) {
                Entry::Occupied(first) => repeated(*first.get() as usize, ix),
                Entry::Vacant(slot) => {
                    slot.insert(ix as u32);
                }
            }
        }
        IdIndex { table }
    }

    /// The position of `id`, with `id_of` over the list the index was built from.
    #[inline]
    pub fn get<'a>(&self, id: &str, id_of: impl Fn(usize) -> Option<&'a str>) -> Option<usize> {
        self.table
            .find(hash(id), |&ix| id_of(ix as usize) == Some(id))
            .map(|&ix| ix as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_id_and_nothing_else() {
        let ids: Vec<String> = (0..1000).map(|i| format!("r{i}")).collect();
        let id_of = |ix: usize| ids.get(ix).map(String::as_str);
        let index = IdIndex::build(ids.len(), id_of, |_, _| panic!("no id repeats"));
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(index.get(id, id_of), Some(i));
        }
        assert_eq!(index.get("r1000", id_of), None);
        assert_eq!(index.get("", id_of), None);
    }

    #[test]
    fn a_repeated_id_keeps_its_first_position_and_is_told() {
        let ids = [Some("a"), None, Some("b"), Some("a"), Some("a")];
        let id_of = |ix: usize| ids[ix];
        let mut repeats = Vec::new();
        let index = IdIndex::build(ids.len(), id_of, |first, again| {
            repeats.push((first, again))
        });
        assert_eq!(repeats, [(0, 3), (0, 4)]);
        assert_eq!(index.get("a", id_of), Some(0));
        assert_eq!(index.get("b", id_of), Some(2));
    }
}
