//! Azure zones as Terraform writes them, and the placements they give.
//!
//! Zones `1`, `2`, `3` are logical: each subscription maps them to physical zones of its own,
//! so without a mapping a zone ID is qualified by its subscription (`eastus-1@<sub>`).
//! Every azurerm generation spells "no zone" differently — `zone`/`zones` absent, `null`,
//! `""`, `[]`, or the 2.x `availability_zone = "No-Zone"` — and 2.x spelled "all zones" as
//! `availability_zone = "Zone-Redundant"`.
//!
//! A resource deployed without zones is `unpinned`: Azure puts it in a zone of its choosing,
//! and it is down when any zone of its region is (Microsoft's reliability guides: a
//! nonzonal resource "can be placed in any availability zone" and "may be affected" by the
//! loss of any). For that to mean anything the region's zones must be declared: the table
//! declares zones 1, 2 and 3 of every (subscription, region) with availability zones that
//! holds a zonal, unpinned or zone-redundant resource. A region with no availability zones
//! gets no zones, so its unpinned resources fail with the region only, as regional ones.

use serde_json::Value;

use super::super::attrs::Attrs;
use crate::model::{Placement, Zone, ZoneId};

/// The Azure regions with availability zones (programmatic names), from Microsoft's
/// "Azure regions list" (learn.microsoft.com/azure/reliability/regions-list, 2025),
/// including the sovereign `usgovvirginia` and `chinanorth3`. A region missing here but
/// named with an explicit zone by some resource of the estate is taken to have zones too.
pub const ZONED_REGIONS: &[&str] = &[
    "australiaeast",
    "austriaeast",
    "belgiumcentral",
    "brazilsouth",
    "canadacentral",
    "centralindia",
    "centralus",
    "chilecentral",
    "chinanorth3",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "germanywestcentral",
    "indonesiacentral",
    "israelcentral",
    "italynorth",
    "japaneast",
    "japanwest",
    "koreacentral",
    "malaysiawest",
    "mexicocentral",
    "newzealandnorth",
    "northeurope",
    "norwayeast",
    "polandcentral",
    "qatarcentral",
    "southafricanorth",
    "southcentralus",
    "southeastasia",
    "spaincentral",
    "swedencentral",
    "switzerlandnorth",
    "uaenorth",
    "uksouth",
    "usgovvirginia",
    "westeurope",
    "westus2",
    "westus3",
];

/// The logical zones of a region with availability zones.
pub const LOGICAL_ZONES: &[&str] = &["1", "2", "3"];

/// What an instance says about its zones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zoning {
    /// No zone in any spelling: deployed without availability zones.
    Unset,
    /// These logical zones (sorted, distinct).
    In(Vec<String>),
    /// The 2.x `Zone-Redundant`: every zone of the region.
    Redundant,
}

impl Zoning {
    /// Whether the instance names a zone explicitly (a number or `Zone-Redundant`).
    pub fn is_explicit(&self) -> bool {
        !matches!(self, Zoning::Unset)
    }

    /// Zone-redundant: every zone, or at least two named ones.
    pub fn is_redundant(&self) -> bool {
        match self {
            Zoning::Unset => false,
            Zoning::In(zones) => zones.len() >= 2,
            Zoning::Redundant => true,
        }
    }
}

/// The zoning of `attrs` from the first of `keys` that says anything (`zones`, `zone`,
/// `availability_zone`, `availability_zones`, ...). Numbers and numeric strings are zones;
/// `Zone-Redundant` is every zone; `No-Zone` and anything else is no zone.
pub fn zoning(attrs: Attrs<'_>, keys: &[&str]) -> Zoning {
    for key in keys {
        let Some(value) = attrs.get(key) else {
            continue;
        };
        let mut numbers = Vec::new();
        let mut redundant = false;
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for item in items {
            let text = match item {
                Value::String(s) => s.trim().to_string(),
                Value::Number(n) => n.to_string(),
                _ => continue,
            };
            if text.eq_ignore_ascii_case("zone-redundant") {
                redundant = true;
            } else if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
                numbers.push(text);
            }
        }
        if redundant {
            return Zoning::Redundant;
        }
        if !numbers.is_empty() {
            numbers.sort_unstable();
            numbers.dedup();
            return Zoning::In(numbers);
        }
    }
    Zoning::Unset
}

/// A placement, the zones to declare for it, and the logical zone numbers it names.
#[derive(Debug, Clone)]
pub struct Placed {
    pub placement: Placement,
    pub zones: Vec<Zone>,
    pub numbers: Vec<String>,
}

impl Placed {
    /// A placement that names no zone.
    pub fn new(placement: Placement) -> Self {
        Placed {
            placement,
            zones: Vec::new(),
            numbers: Vec::new(),
        }
    }
}

/// The ID of logical zone `number` in a region of a subscription.
pub fn zone_id(region: &str, number: &str, subscription: Option<&str>) -> ZoneId {
    match subscription {
        Some(subscription) => ZoneId::from(format!("{region}-{number}@{subscription}")),
        None => ZoneId::from(format!("{region}-{number}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_spelling_of_no_zone_and_of_all_zones() {
        for v in [
            json!({}),
            json!({"zones": null}),
            json!({"zones": []}),
            json!({"zone": ""}),
            json!({"availability_zone": "No-Zone"}),
            json!({"zones": [""], "zone": null}),
        ] {
            assert_eq!(
                zoning(Attrs(&v), &["zones", "zone", "availability_zone"]),
                Zoning::Unset,
                "{v}"
            );
        }
        let v = json!({"availability_zone": "Zone-Redundant", "zones": []});
        assert_eq!(
            zoning(Attrs(&v), &["zones", "availability_zone"]),
            Zoning::Redundant
        );
        let v = json!({"zones": ["3", "1", 2, "1"]});
        assert_eq!(
            zoning(Attrs(&v), &["zones"]),
            Zoning::In(vec!["1".into(), "2".into(), "3".into()])
        );
        let v = json!({"zone": "2"});
        assert!(!zoning(Attrs(&v), &["zone"]).is_redundant());
    }
}
