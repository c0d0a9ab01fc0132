//! Zones of AWS resources in Terraform state: the account's zone name → zone ID map (from
//! subnets and `data.aws_availability_zones`), the subnets' zones, and placements over zones.
//!
//! A zone name is per account (`ap-northeast-1a` is a different physical zone in each
//! account), so names are mapped per account; a name no subnet of the account maps is kept as
//! the name (and the resource naming it is counted in coverage by the caller).

use std::collections::{BTreeMap, HashMap};

use super::Home;
use crate::model::{Placement, Zone, ZoneId};

/// (account, zone name) → zone ID; the `None` account holds the first mapping of each name
/// seen in any account, for resources whose account is not known.
#[derive(Default)]
pub struct ZoneMap {
    ids: HashMap<(Option<String>, String), ZoneId>,
    /// (account, zone ID) → the zone name, the other way round (the first name learned).
    names: HashMap<(Option<String>, ZoneId), String>,
}

/// A zone as a resource names it, and whether its zone ID is known (a name no subnet maps is
/// kept as the name: `known` is false).
#[derive(Debug, Clone)]
pub struct Zoned {
    pub zone: Zone,
    pub known: bool,
}

impl ZoneMap {
    pub fn learn(&mut self, account: Option<&str>, name: &str, id: &str) {
        let (name, id) = (name.trim(), id.trim());
        if name.is_empty() || !looks_like_zone_id(id) {
            return;
        }
        self.ids.insert(
            (account.map(str::to_string), name.to_string()),
            ZoneId::from(id),
        );
        self.ids
            .entry((None, name.to_string()))
            .or_insert_with(|| ZoneId::from(id));
        for account in [account.map(str::to_string), None] {
            self.names
                .entry((account, ZoneId::from(id)))
                .or_insert_with(|| name.to_string());
        }
    }

    /// The zone a name (or zone ID) of an account stands for, in the region its zone ID
    /// names (see [`region_of`]).
    pub fn lookup(&self, home: &Home, name: &str) -> Zoned {
        let name = name.trim();
        if looks_like_zone_id(name) {
            let region = region_of(name);
            let zone_name = self.name_of(home, name);
            return Zoned {
                zone: Zone {
                    id: ZoneId::from(name),
                    provider: "aws".into(),
                    region,
                    name: zone_name,
                },
                known: true,
            };
        }
        let known = self
            .ids
            .get(&(home.account.clone(), name.to_string()))
            .or_else(|| self.ids.get(&(None, name.to_string())));
        let region = region_of(known.map_or(name, ZoneId::as_str));
        Zoned {
            zone: Zone {
                id: known.cloned().unwrap_or_else(|| ZoneId::from(name)),
                provider: "aws".into(),
                region,
                name: Some(name.to_string()),
            },
            known: known.is_some(),
        }
    }

    /// The zone name an account gives a zone ID, when the map has it.
    fn name_of(&self, home: &Home, id: &str) -> Option<String> {
        let id = ZoneId::from(id);
        self.names
            .get(&(home.account.clone(), id.clone()))
            .or_else(|| self.names.get(&(None, id)))
            .cloned()
    }
}

/// What the subnets of the estate tell every resource placed in them.
#[derive(Debug, Clone)]
pub struct SubnetFact {
    pub zone: Option<Zoned>,
    pub vpc: Option<String>,
}

/// The placement over a set of zones: zonal for one, multi-zone for several, unknown for
/// none; the zones, deduplicated, to declare.
pub fn over(zones: Vec<Zone>) -> (Placement, Vec<Zone>) {
    let mut unique: BTreeMap<ZoneId, Zone> = BTreeMap::new();
    for zone in zones {
        unique.entry(zone.id.clone()).or_insert(zone);
    }
    let zones: Vec<Zone> = unique.into_values().collect();
    let placement = match zones.len() {
        0 => Placement::Unknown,
        1 => Placement::Zonal {
            zone: zones[0].id.clone(),
        },
        _ => Placement::MultiZone {
            zones: zones.iter().map(|z| z.id.clone()).collect(),
            inferred: false,
        },
    };
    (placement, zones)
}

/// The same, marked as inferred when it spans several zones.
pub fn inferred(zones: Vec<Zone>) -> (Placement, Vec<Zone>) {
    match over(zones) {
        (Placement::MultiZone { zones: ids, .. }, zones) => (
            Placement::MultiZone {
                zones: ids,
                inferred: true,
            },
            zones,
        ),
        other => other,
    }
}

/// The region of a zone, read from the zone's own text: every resource naming the zone then
/// places it in the same region, whatever else its instance says. A zone ID names its
/// region's abbreviation, an (unmapped) zone name its region; text that names neither is its
/// own region.
pub fn region_of(zone: &str) -> String {
    let region = if looks_like_zone_id(zone) {
        region_of_zone_id(zone)
    } else {
        region_of_zone_name(zone)
    };
    region.unwrap_or_else(|| zone.to_string())
}

/// `ap-northeast-1a` → `ap-northeast-1`, `us-west-2-lax-1a` (a Local Zone) → `us-west-2`,
/// `us-gov-west-1a` → `us-gov-west-1`: the parts up to the first that starts with a digit.
pub fn region_of_zone_name(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.split('-').collect();
    let at = parts
        .iter()
        .position(|p| p.starts_with(|c: char| c.is_ascii_digit()))?;
    if at < 2 {
        return None;
    }
    let number: String = parts[at]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    Some(format!("{}-{number}", parts[..at].join("-")))
}

/// `apne1-az4` → `ap-northeast-1`, `use1-bos1-az1` → `us-east-1`, `usgw1-az2` →
/// `us-gov-west-1`: zone IDs start with an abbreviation of their region.
pub fn region_of_zone_id(id: &str) -> Option<String> {
    let code = id.split('-').next()?;
    let digits = code.find(|c: char| c.is_ascii_digit())?;
    let (letters, number) = code.split_at(digits);
    if letters.len() < 3
        || !letters.chars().all(|c| c.is_ascii_lowercase())
        || !number.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let (geo, rest) = letters.split_at(2);
    let (gov, direction) = match rest.strip_prefix('g') {
        Some(d) if geo == "us" && !d.is_empty() => (true, d),
        _ => (false, rest),
    };
    let direction = match direction {
        "e" => "east",
        "w" => "west",
        "n" => "north",
        "s" => "south",
        "c" => "central",
        "ne" => "northeast",
        "nw" => "northwest",
        "se" => "southeast",
        "sw" => "southwest",
        _ => return None,
    };
    Some(if gov {
        format!("{geo}-gov-{direction}-{number}")
    } else {
        format!("{geo}-{direction}-{number}")
    })
}

/// `use1-az1`, `apne1-az4`, `usw2-lax1-az1`: AWS zone IDs.
pub fn looks_like_zone_id(name: &str) -> bool {
    name.rsplit_once("-az")
        .is_some_and(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_of_zone_names_and_ids() {
        assert_eq!(
            region_of_zone_name("ap-northeast-1a").as_deref(),
            Some("ap-northeast-1")
        );
        assert_eq!(
            region_of_zone_name("us-west-2-lax-1a").as_deref(),
            Some("us-west-2")
        );
        assert_eq!(
            region_of_zone_name("us-gov-west-1a").as_deref(),
            Some("us-gov-west-1")
        );
        assert_eq!(region_of_zone_name("nowhere"), None);
        assert_eq!(
            region_of_zone_id("apne1-az4").as_deref(),
            Some("ap-northeast-1")
        );
        assert_eq!(
            region_of_zone_id("use1-bos1-az1").as_deref(),
            Some("us-east-1")
        );
        assert_eq!(
            region_of_zone_id("usgw1-az2").as_deref(),
            Some("us-gov-west-1")
        );
        assert_eq!(
            region_of_zone_id("euc1-az2").as_deref(),
            Some("eu-central-1")
        );
        assert_eq!(region_of_zone_id("x-az1"), None);
        assert_eq!(region_of_zone_id("€x1-az1"), None, "no panic on odd text");
        assert!(looks_like_zone_id("apne1-az4"));
        assert!(looks_like_zone_id("usw2-lax1-az1"));
        assert!(!looks_like_zone_id("ap-northeast-1a"));
    }

    #[test]
    fn names_map_per_account_and_unmapped_names_stay_names() {
        let mut map = ZoneMap::default();
        map.learn(Some("111"), "ap-northeast-1a", "apne1-az4");
        map.learn(Some("222"), "ap-northeast-1a", "apne1-az1");
        let home = |account: &str| Home {
            account: Some(account.into()),
            region: Some("ap-northeast-1".into()),
        };
        assert_eq!(
            map.lookup(&home("222"), "ap-northeast-1a").zone.id,
            "apne1-az1"
        );
        let unmapped = map.lookup(&home("111"), "ap-northeast-1d");
        assert!(!unmapped.known);
        assert_eq!(unmapped.zone.id, "ap-northeast-1d");
        assert_eq!(unmapped.zone.region, "ap-northeast-1");
        let by_id = map.lookup(&home("111"), "apne1-az4");
        assert!(by_id.known);
        assert_eq!(by_id.zone.name.as_deref(), Some("ap-northeast-1a"));
    }

    #[test]
    fn placements_over_zones_deduplicate() {
        let zone = |id: &str| Zone {
            id: ZoneId::from(id),
            provider: "aws".into(),
            region: "r".into(),
            name: None,
        };
        assert_eq!(over(Vec::new()).0, Placement::Unknown);
        let (one, declared) = over(vec![zone("a"), zone("a")]);
        assert_eq!(one, Placement::Zonal { zone: "a".into() });
        assert_eq!(declared.len(), 1);
        assert!(matches!(
            inferred(vec![zone("b"), zone("a")]).0,
            Placement::MultiZone { inferred: true, ref zones } if zones.len() == 2
        ));
    }
}
