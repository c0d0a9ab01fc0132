//! linchpin finds the linchpins of a cloud estate: the zones, regions, providers and single
//! resources whose loss takes critical services down, and how concentrated the estate is on
//! them.
//!
//! Data flows one way: a source writes a [`snapshot::Snapshot`]; [`graph::Estate`] indexes it
//! into a failure-domain graph; [`analysis`] computes cut sets, single points of failure,
//! concentration and what-if simulations; [`findings`] and [`score`] judge them; [`report`]
//! writes them out.

pub mod analysis;
pub mod audit;
pub mod aws;
pub mod config;
pub mod demo;
pub mod diff;
pub mod evidence;
pub mod findings;
pub mod graph;
pub mod output;
pub mod report;
pub mod rules;
pub mod score;
pub mod selector;
pub mod snapshot;
pub mod synth;
pub mod toml_doc;
pub mod view;
