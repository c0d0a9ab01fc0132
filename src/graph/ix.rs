//! The three index types of the [`Estate`](super::Estate): a resource, a failure domain and a
//! requirement group each have their own, so one can never be passed where another is meant.
//! Each is a `u32` underneath, with the same size, order and hash.

/// Defines an index newtype over `u32` with a constructor from `usize` and back.
macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(transparent)]
        pub struct $name(u32);

        impl $name {
            /// The index at position `ix`; positions fit in `u32` (the graph is indexed by it).
            #[inline]
            pub fn new(ix: usize) -> Self {
                debug_assert!(u32::try_from(ix).is_ok(), "index {ix} does not fit in u32");
                $name(ix as u32)
            }

            /// The position this index stands for.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

index_type! {
    /// Index of a resource in the snapshot's resources (read with
    /// [`Estate::resource`](super::Estate::resource)), and of its node in the requirement graph.
    ResourceIx
}

index_type! {
    /// Index of a failure domain in [`Estate::domains`](super::Estate::domains).
    DomainIx
}

index_type! {
    /// Index of a requirement group in [`Estate::groups`](super::Estate::groups).
    GroupIx
}

impl ResourceIx {
    /// The resource of a node of the requirement graph (nodes are added in resource order).
    #[inline]
    pub fn of_node(node: petgraph::graph::NodeIndex<u32>) -> Self {
        ResourceIx::new(node.index())
    }

    /// The node of the resource in the requirement graph.
    #[inline]
    pub fn node(self) -> petgraph::graph::NodeIndex<u32> {
        petgraph::graph::NodeIndex::new(self.index())
    }
}
