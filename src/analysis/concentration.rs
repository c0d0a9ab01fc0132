//! Concentration: how much of the estate sits in each provider, region and zone.
//!
//! A resource weighs 1. A zonal resource puts its weight in its zone; a multi-zone resource
//! spreads it evenly over its zones; regional resources count for their region but for no
//! zone; global ones only for their provider; logical ones (functions, quorum groups) for
//! nothing. Each distribution gives the shares, the Herfindahl–Hirschman index (sum of squared
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

/// A distribution of resources over the domains of one kind inside one scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Concentration {
    /// The enclosing domain; `null` for the whole estate.
    pub scope: Option<DomainRef>,
    /// The kind of domain the shares are over.
    pub over: DomainKind,
    pub population: Population,
    /// Total weight distributed.
    pub total: f64,
    /// Largest share first.
    pub shares: Vec<Share>,
    /// Herfindahl–Hirschman index, 0–10,000.
    pub hhi: f64,
    /// 10,000 / HHI.
    pub effective_count: f64,
}

impl Concentration {
    pub fn largest(&self) -> Option<&Share> {
        self.shares.first()
    }
}

type Key = (Option<DomainIx>, DomainKind, Population);

/// All distributions of the estate: providers of the estate, regions and zones of each
/// provider, zones of each region; each for both populations.
pub fn concentration(estate: &Estate, critical_scope: &[bool]) -> Vec<Concentration> {
    let mut tallies: BTreeMap<Key, BTreeMap<DomainIx, f64>> = BTreeMap::new();
    let mut add = |scope: Option<DomainIx>, over: DomainKind, population, domain, weight| {
        *tallies
            .entry((scope, over, population))
            .or_default()
            .entry(domain)
            .or_insert(0.0) += weight;
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
            add(None, DomainKind::Provider, population, provider, 1.0);
            if let Some(region) = region {
                add(Some(provider), DomainKind::Region, population, region, 1.0);
            }
            let weight = 1.0 / footing.zones.len() as f64;
            for &zone in &footing.zones {
                add(Some(provider), DomainKind::Zone, population, zone, weight);
                if let Some(region) = region {
                    add(Some(region), DomainKind::Zone, population, zone, weight);
                }
            }
        }
    }
    let mut result: Vec<Concentration> = tallies
        .into_iter()
        .map(|((scope, over, population), weights)| {
            let total: f64 = weights.values().sum();
            let mut shares: Vec<Share> = weights
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
            let hhi: f64 = shares
                .iter()
                .map(|s| (s.weight / total).powi(2))
                .sum::<f64>()
                * 1e4;
            Concentration {
                scope: scope.map(|d| estate.domain(d).to_ref()),
                over,
                population,
                total: round(total, 4),
                shares,
                hhi: round(hhi, 1),
                effective_count: if hhi > 0.0 { round(1e4 / hhi, 2) } else { 0.0 },
            }
        })
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

/// Round to `places` decimals so reports are stable and readable.
pub fn round(value: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (value * factor).round() / factor
}
