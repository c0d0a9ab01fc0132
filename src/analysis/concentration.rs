//! Concentration: how much of the estate sits in each provider, region and zone.
//!
//! A resource weighs 1. A zonal resource puts its weight in its zone; a multi-zone resource
//! spreads it evenly over its zones; an unpinned one (in one zone of its region that nobody
//! chose) puts it in the region's `unpinned` bucket of the zone distribution, never in a zone;
//! regional resources count for their region but for no zone; global ones only for their
//! provider; logical ones (functions, quorum groups) for nothing. Each distribution gives the shares, the Herfindahl–Hirschman index (sum of squared
//! shares × 10,000: 10,000 is everything in one place) and its effective count (10,000 / HHI:
//! the number of equal places that would give the same index). Computed twice: over all
//! resources, and over the critical dependencies (critical services and everything they
//! transitively require). One pass over the resources: O(V).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::graph::{DomainIx, Estate};
use crate::model::{DomainKind, DomainRef};

/// Which resources a distribution counts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Population {
    /// Every placed resource.
    All,
    /// Critical services and what they transitively require.
    Critical,
}

impl Population {
    /// The snake_case name used in reports and rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Population::All => "all",
            Population::Critical => "critical",
        }
    }
}

/// One domain's part of a distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Share {
    pub domain: DomainRef,
    /// Resources counted (fractional for multi-zone resources).
    pub weight: f64,
    /// `weight / total`, 0–1.
    pub share: f64,
}

/// What reports call the bucket of resources deployed without availability zones.
pub const UNPINNED_BUCKET: &str = "unpinned";

/// The resources of a zone distribution deployed without availability zones (placement
/// `unpinned`): each sits in one zone of its region that nobody chose, so they are counted
/// together rather than spread over zones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UnpinnedShare {
    /// Resources counted.
    pub weight: f64,
    /// `weight / total`, 0–1.
    pub share: f64,
}

/// A distribution of resources over the domains of one kind inside one scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Concentration {
    /// The enclosing domain; `null` for the whole estate.
    pub scope: Option<DomainRef>,
    /// The kind of domain the shares are over.
    pub over: DomainKind,
    pub population: Population,
    /// Total weight distributed (the `unpinned` bucket included).
    pub total: f64,
    /// Largest share first.
    pub shares: Vec<Share>,
    /// Distributions over zones only: the resources deployed without availability zones, in
    /// a bucket of their own (reports call it `unpinned`) and in no zone's share. Absent when
    /// there are none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpinned: Option<UnpinnedShare>,
    /// Herfindahl–Hirschman index, 0–10,000; the `unpinned` bucket counts as one place.
    pub hhi: f64,
    /// 10,000 / HHI.
    pub effective_count: f64,
}

impl Concentration {
    /// The largest domain share (the `unpinned` bucket is not a domain).
    pub fn largest(&self) -> Option<&Share> {
        self.shares.first()
    }

    /// The share of the `unpinned` bucket, 0 when there is none.
    pub fn unpinned_share(&self) -> f64 {
        self.unpinned.as_ref().map_or(0.0, |u| u.share)
    }
}

type Key = (Option<DomainIx>, DomainKind, Population);

/// The weights of one distribution: per domain, and in the `unpinned` bucket.
#[derive(Default)]
struct Tally {
    weights: BTreeMap<DomainIx, f64>,
    unpinned: f64,
}

/// All distributions of the estate: providers of the estate, regions and zones of each
/// provider, zones of each region; each for both populations.
pub fn concentration(estate: &Estate, critical_scope: &[bool]) -> Vec<Concentration> {
    let mut result: Vec<Concentration> = tallies(estate, critical_scope)
        .into_iter()
        .map(|(key, tally)| distribution(estate, key, tally))
        .collect();
    result.sort_by(|a, b| {
        (
            a.scope.as_ref().map(|s| s.kind),
            &a.scope,
            a.over,
            a.population,
        )
            .cmp(&(
                b.scope.as_ref().map(|s| s.kind),
                &b.scope,
                b.over,
                b.population,
            ))
    });
    result
}

/// One pass over the resources: the weights of every distribution.
fn tallies(estate: &Estate, critical_scope: &[bool]) -> BTreeMap<Key, Tally> {
    let mut tallies: BTreeMap<Key, Tally> = BTreeMap::new();
    // `place` is a domain, or `None` for the `unpinned` bucket of the scope.
    let mut add = |scope: Option<DomainIx>, over, population, place: Option<DomainIx>, weight| {
        let tally = tallies.entry((scope, over, population)).or_default();
        match place {
            Some(domain) => *tally.weights.entry(domain).or_insert(0.0) += weight,
            None => tally.unpinned += weight,
        }
    };
    for (ix, footing) in estate.footing.iter().enumerate() {
        let Some(home) = footing.home else { continue };
        let ancestry: Vec<DomainIx> = estate.ancestry(home).collect();
        let provider = *ancestry.last().expect("ancestry ends at a provider");
        let region = ancestry
            .iter()
            .copied()
            .find(|&d| estate.domain(d).kind == DomainKind::Region);
        let populations: &[Population] = if critical_scope[ix] {
            &[Population::All, Population::Critical]
        } else {
            &[Population::All]
        };
        for &population in populations {
            add(None, DomainKind::Provider, population, Some(provider), 1.0);
            if let Some(region) = region {
                add(
                    Some(provider),
                    DomainKind::Region,
                    population,
                    Some(region),
                    1.0,
                );
            }
            // An unpinned resource (no zones of its own) is in one zone nobody chose: all of
            // it goes to the bucket, whether or not its region declares zones.
            let bucket = footing.any_zone.then_some(None);
            let places = bucket
                .into_iter()
                .chain(footing.zones.iter().map(|&zone| Some(zone)));
            let weight = 1.0 / (footing.zones.len() + usize::from(footing.any_zone)) as f64;
            for place in places {
                add(Some(provider), DomainKind::Zone, population, place, weight);
                if let Some(region) = region {
                    add(Some(region), DomainKind::Zone, population, place, weight);
                }
            }
        }
    }
    tallies
}

/// Shares, HHI and effective count of one distribution.
fn distribution(estate: &Estate, key: Key, tally: Tally) -> Concentration {
    let (scope, over, population) = key;
    let total: f64 = tally.weights.values().sum::<f64>() + tally.unpinned;
    let mut shares: Vec<Share> = tally
        .weights
        .into_iter()
        .map(|(domain, weight)| Share {
            domain: estate.domain(domain).to_ref(),
            weight: round(weight, 4),
            share: round(weight / total, 4),
        })
        .collect();
    shares.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then_with(|| a.domain.cmp(&b.domain))
    });
    let unpinned = (tally.unpinned > 0.0).then(|| UnpinnedShare {
        weight: round(tally.unpinned, 4),
        share: round(tally.unpinned / total, 4),
    });
    // The bucket is one place: the loss of any zone takes all of it down.
    let hhi: f64 = shares
        .iter()
        .map(|s| s.weight)
        .chain(unpinned.as_ref().map(|u| u.weight))
        .map(|weight| (weight / total).powi(2))
        .sum::<f64>()
        * 1e4;
    Concentration {
        scope: scope.map(|d| estate.domain(d).to_ref()),
        over,
        population,
        total: round(total, 4),
        shares,
        unpinned,
        hhi: round(hhi, 1),
        effective_count: if hhi > 0.0 { round(1e4 / hhi, 2) } else { 0.0 },
    }
}

/// Round to `places` decimals so reports are stable and readable.
pub fn round(value: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (value * factor).round() / factor
}
