//! The facts of one resource handed to CEL on demand: `resource`, `graph` and the elements
//! of `graph.requirements` are values whose fields are worked out the first time a condition
//! reads them, and kept for the other rules of the same resource. A condition that reads
//! `resource.critical` first and stops there never pays for `graph.target_zones`, and one
//! that tests `g.min > 1` first never counts a group's zone losses.
//!
//! Each field is the very value the eager maps of [`FactBase::resource`] and
//! [`FactBase::graph`] hold (built by the same functions), so a condition sees the same
//! values either way. These values themselves only answer field selection and `has()`;
//! anything else asked of them (their size, iteration, conversion) is an error here, and the
//! engine then evaluates that condition again with the eager maps, which answer it exactly.
//! Conditions that use a map whole, where equality could differ, never come here (see
//! [`Needs::whole`]).

use std::sync::{Arc, OnceLock};

use cel::common::traits::Indexer;
use cel::common::types::{CelList, CelMap, CelString, Type};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::{ExecutionError, Value};

use super::facts::{FactBase, Needs, Scope};
use crate::graph::{GroupIx, ResourceIx};

/// Room for the fields of any scope.
const SLOTS: usize = 16;
const _: () = assert!(
    super::facts::RESOURCE_FIELDS.len() <= SLOTS
        && super::facts::GRAPH_FIELDS.len() <= SLOTS
        && super::facts::GROUP_FIELDS.len() <= SLOTS
);

/// The fields of one map, each computed at most once.
type Slots<'f> = [OnceLock<Box<dyn Val + 'f>>; SLOTS];

fn slots<'f>() -> Slots<'f> {
    std::array::from_fn(|_| OnceLock::new())
}

/// The two variables of one resource, resolved by name.
pub struct Facts<'f> {
    resource: Lazy<'f>,
    graph: Lazy<'f>,
}

impl<'f> Facts<'f> {
    /// The facts of `ix`, serving only the fields `needs` names (as the eager maps do).
    pub fn new(base: &'f FactBase<'f>, ix: ResourceIx, needs: Needs) -> Facts<'f> {
        let root = |scope| Lazy {
            base,
            needs,
            of: Of::Root(scope, ix),
            fields: Arc::new(slots()),
        };
        Facts {
            resource: root(Scope::Resource),
            graph: root(Scope::Graph),
        }
    }
}

impl VariableResolver for Facts<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        match variable {
            "resource" => Some(CowVal::Borrowed(&self.resource)),
            "graph" => Some(CowVal::Borrowed(&self.graph)),
            _ => None,
        }
    }
}

/// Which map a [`Lazy`] stands for.
#[derive(Debug, Clone, Copy)]
enum Of {
    /// `resource` or `graph` of a resource.
    Root(Scope, ResourceIx),
    /// An element of `graph.requirements`.
    Group(GroupIx),
}

/// One map of facts, filled in as its fields are read. Copies (the interpreter copies each
/// element of a list into a comprehension's variable) share the computed fields.
struct Lazy<'f> {
    base: &'f FactBase<'f>,
    needs: Needs,
    of: Of,
    fields: Arc<Slots<'f>>,
}

impl<'f> Lazy<'f> {
    fn scope(&self) -> Scope {
        match self.of {
            Of::Root(scope, _) => scope,
            Of::Group(_) => Scope::Group,
        }
    }

    /// Field `bit`, computed once.
    fn field(&self, bit: usize) -> &(dyn Val + 'f) {
        self.fields[bit]
            .get_or_init(|| {
                let name = self.scope().fields()[bit];
                match self.of {
                    Of::Root(Scope::Graph, ix) if name == "requirements" => {
                        let groups: Vec<Box<dyn Val + 'f>> = self
                            .base
                            .groups(ix)
                            .map(|g| {
                                Box::new(Lazy {
                                    base: self.base,
                                    needs: self.needs,
                                    of: Of::Group(g),
                                    fields: Arc::new(slots()),
                                }) as Box<dyn Val + 'f>
                            })
                            .collect();
                        Box::new(CelList::from(groups))
                    }
                    Of::Root(Scope::Graph, ix) => {
                        boxed(self.base.graph_field(ix, name, self.needs))
                    }
                    Of::Root(_, ix) => boxed(self.base.resource_field(ix, name)),
                    Of::Group(g) => boxed(self.base.group_field(g, name)),
                }
            })
            .as_ref()
    }
}

/// A fact as a CEL value: facts are strings, numbers, bools, lists and maps, which all
/// convert.
fn boxed<'f>(value: Value) -> Box<dyn Val + 'f> {
    Box::<dyn Val>::try_from(value).expect("facts are plain CEL values")
}

impl std::fmt::Debug for Lazy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lazy")
            .field("of", &self.of)
            .finish_non_exhaustive()
    }
}

impl Indexer for Lazy<'_> {
    fn get<'b, 'v>(&'b self, idx: &dyn Val) -> Result<CowVal<'b, 'v>, ExecutionError>
    where
        Self: 'v,
    {
        let Some(name) = idx.downcast_ref::<CelString>().map(CelString::inner) else {
            return Err(ExecutionError::function_error(
                "_[_]",
                "facts are selected by field name",
            ));
        };
        let scope = self.scope();
        match scope.fields().iter().position(|f| *f == name) {
            Some(bit) if self.needs.field(scope, bit) => Ok(CowVal::Borrowed(self.field(bit))),
            _ => Err(ExecutionError::no_such_key(name)),
        }
    }

    fn steal<'v>(self: Box<Self>, idx: &dyn Val) -> Result<Box<dyn Val + 'v>, ExecutionError>
    where
        Self: 'v,
    {
        self.get(idx).map(CowVal::into_owned)
    }
}

impl Val for Lazy<'_> {
    fn get_type(&self) -> &Type {
        <CelMap as Val>::cel_type()
    }

    fn cel_type() -> &'static Type {
        <CelMap as Val>::cel_type()
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(Lazy {
            base: self.base,
            needs: self.needs,
            of: self.of,
            fields: Arc::clone(&self.fields),
        })
    }
}
