//! The templates about functions: B_06.01 (functions identification) and B_02.02 (which
//! provider's services each function uses, under which contract).

use std::collections::{BTreeMap, BTreeSet};

use crate::graph::{CriticalReason, ResourceIx};
use crate::model::Resource;

use super::columns::{B_02_02, B_06_01};
use super::facts::{self, code, function_key, hinted, party_key};
use super::reach::reach;
use super::table::Table;
use super::{NO_CONTRACT, NO_DATA_MAP, Register};

/// One row of B_06.01: its function identifier, the resource, and whether it is a critical
/// service (critical or important; the others are declared functions assessed as neither).
pub(super) struct Function {
    pub(super) fid: String,
    pub(super) resource: ResourceIx,
    pub(super) critical: bool,
}

impl Register<'_> {
    /// B_06.01: one function per critical service, F1.. in the report's order, then the
    /// functions a manifest assessed as neither critical nor important; also returns them.
    pub(super) fn b06_01(&self) -> (Table, Vec<Function>) {
        let mut b0601 = Table::new("B_06.01", B_06_01);
        let mut functions: Vec<Function> = Vec::new();
        let critical = self
            .estate
            .critical
            .iter()
            .map(|s| (s.resource, Some(s.reason)));
        for (n, (ix, why_critical)) in critical.chain(self.other_functions()).enumerate() {
            let r = self.estate.resource(ix);
            let fid = format!("F{}", n + 1);
            let row = b0601.row(format!("{fid} ({})", r.id));
            b0601.set(row, "c0010", fid.clone());
            b0601.set(row, "c0030", r.label());
            let (criticality, reason) = match why_critical {
                Some(reason) => assessed(r, &reason),
                None => (
                    code::NO,
                    facts::text(r, "criticality_reasons")
                        .unwrap_or_default()
                        .to_string(),
                ),
            };
            b0601.set(row, "c0050", criticality);
            b0601.set(row, "c0060", reason);
            self.function_cells(&mut b0601, row, r, criticality == code::NOT_ASSESSED);
            functions.push(Function {
                fid,
                resource: ix,
                critical: why_critical.is_some(),
            });
        }
        (b0601, functions)
    }

    /// The functions a manifest declares neither critical nor important, by name.
    fn other_functions(&self) -> impl Iterator<Item = (ResourceIx, Option<CriticalReason>)> {
        let estate = self.estate;
        let mut other: Vec<ResourceIx> = estate
            .resource_ixs()
            .filter(|&ix| {
                let r = estate.resource(ix);
                r.kind == "function" && facts::text(r, "criticality") == Some("other")
            })
            .collect();
        other.sort_by(|a, b| {
            let (a, b) = (estate.resource(*a), estate.resource(*b));
            (a.label(), &a.id).cmp(&(b.label(), &b.id))
        });
        other.into_iter().map(|ix| (ix, None))
    }

    /// B_06.01's cells from the function's assessment: licensed activity, the entity's LEI,
    /// date, recovery objectives, impact; and the criticality's gap when `not_assessed`.
    fn function_cells(&self, b0601: &mut Table, row: usize, r: &Resource, not_assessed: bool) {
        let from = |key: &str, missing: &str| -> Result<String, String> {
            facts::text(r, key)
                .map(str::to_string)
                .ok_or_else(|| hinted(missing, &function_key(r, key)))
        };
        b0601.fill(
            row,
            "c0020",
            from(
                "licensed_activity",
                "licensed activities are not in the inventory: choose from the ITS list, or {add}",
            ),
        );
        b0601.fill(row, "c0040", self.facts.entity_lei());
        if not_assessed {
            b0601.gap(row, "c0050", "not marked critical by a person: assess whether the function is critical or important, or declare it as a [[function]] with `criticality` in the manifest");
        }
        b0601.fill(
            row,
            "c0070",
            from(
                "assessed",
                "the date of the criticality assessment is not in the inventory",
            ),
        );
        for (code, key, what) in [
            ("c0080", "rto_hours", "recovery time"),
            ("c0090", "rpo_hours", "recovery point"),
        ] {
            let cell = facts::whole_hours(r, key).ok_or_else(|| {
                format!(
                    "{what} objectives are set by the business, not visible in the inventory: {}",
                    function_key(r, key)
                )
            });
            b0601.fill(row, code, cell);
        }
        let impact = self.facts.impact(r).map(str::to_string).ok_or_else(|| {
            hinted(
                "the business impact of losing the function is an assessment (findings.json lists what stops it): {add}, from which linchpin rates it low, medium or high",
                &function_key(r, "impact_per_hour"),
            )
        });
        b0601.fill(row, "c0100", impact);
    }

    /// B_02.02: one row per function × provider it uses directly.
    pub(super) fn b02_02(&self, functions: &[Function]) -> Table {
        let reached = reach(self.estate);
        let mut b0202 = Table::new("B_02.02", B_02_02);
        for function in functions {
            let service = self.estate.resource(function.resource);
            let mut by_provider: BTreeMap<&str, BTreeSet<Option<&str>>> = BTreeMap::new();
            for (provider, region) in reached.of(function.resource) {
                if self.direct.contains(provider.as_str()) {
                    by_provider
                        .entry(provider.as_str())
                        .or_default()
                        .insert(region.as_deref());
                }
            }
            let stopped_by = self.stops.get(service.id.as_str());
            for (provider, regions) in by_provider {
                let fid = &function.fid;
                let row = b0202.row(format!("{fid} ({}) × provider {provider}", service.id));
                self.arrangement(&mut b0202, row, provider);
                b0202.set(row, "c0050", fid.clone());
                self.provision_country(&mut b0202, row, provider, &regions);
                for code in ["c0140", "c0150", "c0160", "c0170"] {
                    b0202.gap(row, code, NO_DATA_MAP);
                }
                if !function.critical {
                    // Reliance is reported for critical or important functions only.
                } else if stopped_by.is_some_and(|set| set.contains(provider)) {
                    b0202.set(row, "c0180", code::FULL_RELIANCE);
                } else {
                    b0202.gap(row, "c0180", format!(
                        "losing {provider} alone does not stop the service in the inventory: choose between not significant, low and material reliance"
                    ));
                }
            }
        }
        b0202
    }

    /// B_02.02's cells about the contract with `provider`.
    fn arrangement(&self, b0202: &mut Table, row: usize, provider: &str) {
        let facts = &self.facts;
        let (id, id_type) = facts.code(provider);
        b0202.fill(row, "c0010", facts.contract(provider));
        b0202.fill(row, "c0020", facts.entity_lei());
        b0202.set(row, "c0030", id);
        b0202.set(row, "c0040", id_type);
        if let Some((why_id, why_type)) = facts.code_gaps(provider) {
            b0202.gap(row, "c0030", why_id);
            b0202.gap(row, "c0040", why_type);
        }
        b0202.fill(row, "c0060", facts.service_type(provider));
        for code in ["c0070", "c0080", "c0100", "c0110", "c0120"] {
            b0202.gap(row, code, NO_CONTRACT);
        }
    }

    /// B_02.02 c0130, the country of provision: set when every region of `provider` the
    /// service uses maps to one country, else when the manifest gives the provider one
    /// country it serves from; a gap saying why otherwise.
    fn provision_country(
        &self,
        b0202: &mut Table,
        row: usize,
        provider: &str,
        regions: &BTreeSet<Option<&str>>,
    ) {
        let named: Vec<&str> = regions.iter().flatten().copied().collect();
        let countries: BTreeSet<Option<&str>> = named
            .iter()
            .map(|region| super::country(provider, region))
            .collect();
        let declared = self.facts.countries(provider);
        let why = match (countries.len(), countries.first()) {
            (1, Some(Some(code))) => return b0202.set(row, "c0130", format!("eba_GA:{code}")),
            (n, _) if n > 1 && !countries.contains(&None) => {
                return b0202.gap(row, "c0130", format!(
                    "the service uses {provider} in several countries ({}): choose the country of provision",
                    countries.iter().flatten().copied().collect::<Vec<_>>().join(", ")
                ));
            }
            _ if named.is_empty() => format!(
                "the service uses {provider} only through global or unplaced resources: no region shows the country"
            ),
            _ => format!(
                "linchpin cannot map every region of {provider} used ({}) to a country",
                named.join(", ")
            ),
        };
        match declared {
            [one] => b0202.set(row, "c0130", format!("eba_GA:{one}")),
            [] => b0202.gap(row, "c0130", format!("{why}: {}", party_key(provider, "countries"))),
            several => b0202.gap(row, "c0130", format!(
                "{why}, and the manifest gives {provider} several countries ({}): choose the country of provision",
                several.join(", ")
            )),
        }
    }
}

/// B_06.01's criticality (c0050) and its reason (c0060) for a critical service: the
/// manifest's assessment and reasons for a declared function, else why linchpin treats it as
/// critical.
fn assessed(r: &Resource, reason: &CriticalReason) -> (&'static str, String) {
    let (criticality, why) = match reason {
        CriticalReason::Function => {
            let level = facts::text(r, "criticality").unwrap_or("critical");
            let why = match facts::text(r, "criticality_reasons") {
                Some(reasons) => reasons.to_string(),
                None => format!("declared {level} in the manifest"),
            };
            return (code::YES, why);
        }
        CriticalReason::Tagged => (code::YES, "tagged linchpin:critical=true in the inventory"),
        CriticalReason::Configured => (code::YES, "named critical in the linchpin config"),
        CriticalReason::EntryPoint => (
            code::NOT_ASSESSED,
            "linchpin treats it as critical because it is an entry point (internet-facing)",
        ),
        CriticalReason::GraphRoot => (
            code::NOT_ASSESSED,
            "nothing was marked critical; linchpin took the resources nothing depends on",
        ),
    };
    (criticality, why.to_string())
}
