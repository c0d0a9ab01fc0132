//! Sources: each reads an estate from somewhere and yields a [`Snapshot`]. They import only
//! the shared documents ([`crate::model`]), diagnostics and the snapshot checks; nothing
//! downstream of the snapshot.
//!
//! - [`aws`]: the AWS APIs, through the AWS SDK for Rust;
//! - [`demo`]: the embedded demo estate (a Tokyo exchange);
//! - [`synth`]: synthetic estates of any size, for benchmarks and trials;
//! - [`terraform`]: Terraform state and plans, for AWS, Google Cloud and Azure; [`state_files`]
//!   reads them from disk as one estate (and, for a plan, the estate before it);
//! - [`declarations`]: where a Terraform configuration's `.tf` files declare each resource;
//! - [`manifest`]: business functions, third parties, edges and zone maps people declare;
//! - [`merge`]: one estate from many snapshots of it (shards of a crawl, Terraform states, a
//!   crawl beside the state of the same resources);
//! - [`external`]: stand-ins for resources a snapshot references but another holds.

pub mod aws;
pub mod declarations;
pub mod demo;
pub mod external;
pub mod manifest;
pub mod merge;
pub mod state_files;
pub mod synth;
pub mod terraform;

use crate::model::Snapshot;

/// Something that yields a snapshot: the one shape every source has.
pub trait Source {
    /// Why the source could not be read at all (gaps in what it read are coverage records in
    /// the snapshot, not errors).
    type Error: std::error::Error + Send + Sync + 'static;

    /// Read the estate.
    fn read(&self) -> Result<Snapshot, Self::Error>;
}

/// An AWS crawl with these options. [`aws::crawl`] returns the request counts as well.
impl Source for aws::CrawlOptions {
    type Error = aws::CrawlError;

    fn read(&self) -> Result<Snapshot, Self::Error> {
        aws::crawl(self).map(|crawl| crawl.snapshot)
    }
}

/// The embedded demo estate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Demo;

impl Source for Demo {
    type Error = std::convert::Infallible;

    fn read(&self) -> Result<Snapshot, Self::Error> {
        Ok(demo::snapshot())
    }
}

/// A synthetic estate of about `resources` resources, the same for the same seed.
#[derive(Debug, Clone, Copy)]
pub struct Synthetic {
    pub resources: usize,
    pub seed: u64,
}

impl Source for Synthetic {
    type Error = std::convert::Infallible;

    fn read(&self) -> Result<Snapshot, Self::Error> {
        Ok(synth::generate(self.resources, self.seed))
    }
}
