//! Azure resources of Terraform state (the `azurerm` provider).
//!
//! Zones `1`, `2`, `3` are logical, mapped per subscription to physical zones; without a
//! mapping a zone is qualified by its subscription: zone ID `eastus-1@<subscription>` (the
//! same number in two subscriptions is two domains). A resource deployed without zones
//! (`zone`/`zones` absent, `""`, `null`, `[]` or the old `"No-Zone"`) is `unpinned`: in one
//! zone of its region nobody chose. Ids are Azure resource ids, compared case-insensitively.

use serde_json::json;

use super::build::{self, Entry, Index, Made, Notes, Outcome};
use crate::model::{Placement, Resource, Zone, ZoneId};

/// The subscription and region an Azure instance belongs to, as far as the state tells.
#[derive(Debug, Clone, Default)]
pub struct Home {
    pub subscription: Option<String>,
    pub region: Option<String>,
}

/// What the Azure table learns from every instance before mapping any.
#[derive(Default)]
pub struct Facts {}

impl Facts {
    pub fn prepare(_index: &Index<'_>) -> Facts {
        Facts {}
    }

    /// The subscription (from the resource id) and region (`location`, normalised: `East US`
    /// → `eastus`) of an instance.
    pub fn home(&self, entry: Entry<'_>) -> Home {
        let attrs = entry.attrs();
        Home {
            subscription: attrs.str("id").and_then(subscription_of),
            region: attrs.str("location").map(normalise_location),
        }
    }

    /// The zone of logical zone `number` in the instance's subscription and region.
    pub fn zone(&self, home: &Home, number: &str) -> Option<Zone> {
        let region = home.region.clone()?;
        let id = match &home.subscription {
            Some(subscription) => format!("{region}-{number}@{subscription}"),
            None => format!("{region}-{number}"),
        };
        Some(Zone {
            id: ZoneId::from(id),
            provider: "azure".into(),
            region,
            name: Some(number.to_string()),
        })
    }

    /// The zones an instance names in `zone` or `zones`; none for every spelling of "no zone".
    pub fn zones_of(&self, entry: Entry<'_>, home: &Home) -> Vec<Zone> {
        let attrs = entry.attrs();
        let mut numbers: Vec<&str> = attrs.strs("zones");
        numbers.extend(attrs.strs("zone"));
        numbers.retain(|n| !n.eq_ignore_ascii_case("no-zone"));
        numbers.sort_unstable();
        numbers.dedup();
        numbers.iter().filter_map(|n| self.zone(home, n)).collect()
    }

    /// Map one Azure instance; `None` for a type the table does not know.
    pub fn map(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Option<Outcome> {
        let _ = notes;
        Some(match entry.type_name() {
            "azurerm_linux_virtual_machine"
            | "azurerm_windows_virtual_machine"
            | "azurerm_virtual_machine" => {
                Outcome::Made(Box::new(self.virtual_machine(index, entry)))
            }
            _ => return None,
        })
    }

    /// A new Azure resource of `entry`, with subscription and region set.
    pub fn resource(
        &self,
        index: &Index<'_>,
        entry: Entry<'_>,
        kind: &str,
        placement: Placement,
    ) -> Resource {
        let home = self.home(entry);
        let id = entry
            .attrs()
            .str("id")
            .map(str::to_string)
            .unwrap_or_else(|| build::fallback_id(entry));
        let mut resource = build::resource(index, entry, id, kind, placement);
        resource.account = home.subscription;
        resource.region = home.region;
        resource
    }

    /// The placement of a resource with `zones`: zonal in one, multi-zone in several,
    /// unpinned in none (when its region is known).
    pub fn placement(&self, zones: &[Zone], home: &Home) -> Placement {
        match zones {
            [] if home.region.is_some() => Placement::Unpinned,
            [] => Placement::Unknown,
            [one] => Placement::Zonal {
                zone: one.id.clone(),
            },
            many => Placement::MultiZone {
                zones: many.iter().map(|z| z.id.clone()).collect(),
                inferred: false,
            },
        }
    }

    fn virtual_machine(&self, index: &Index<'_>, entry: Entry<'_>) -> Made {
        let home = self.home(entry);
        let zones = self.zones_of(entry, &home);
        // One VM is in one zone; a list of several can only come from a damaged state.
        let placement = self.placement(&zones[..zones.len().min(1)], &home);
        let mut resource = self.resource(index, entry, "azure:compute:virtual-machine", placement);
        let attrs = entry.attrs();
        if let Some(size) = attrs.str("size").or_else(|| attrs.str("vm_size")) {
            resource.attributes.insert("size".into(), json!(size));
        }
        let mut made = Made::new(resource);
        made.zones = zones.into_iter().take(1).collect();
        made
    }

    /// An Azure type no table knows: unknown placement in its region when one can be read.
    pub fn unknown(&self, index: &Index<'_>, entry: Entry<'_>) -> Made {
        let kind = format!("azure:terraform:{}", entry.type_name());
        Made::new(self.resource(index, entry, &kind, Placement::Unknown))
    }
}

/// The subscription of an Azure resource id (`/subscriptions/<id>/…`, any case).
pub fn subscription_of(id: &str) -> Option<String> {
    let mut parts = id.split('/');
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case("subscriptions") {
            return parts
                .next()
                .filter(|s| !s.is_empty())
                .map(|s| s.to_ascii_lowercase());
        }
    }
    None
}

/// `East US` → `eastus`, `westeurope` → `westeurope`.
pub fn normalise_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_and_locations_in_any_spelling() {
        assert_eq!(
            subscription_of("/SUBSCRIPTIONS/AbC/resourceGroups/rg").as_deref(),
            Some("abc")
        );
        assert_eq!(normalise_location("East US 2"), "eastus2");
    }
}
