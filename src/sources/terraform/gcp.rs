//! Google Cloud resources of Terraform state (the `google` and `google-beta` providers).
//!
//! Zones: Google zone names (`us-central1-a`) are the zone IDs — Google keeps a name's
//! physical mapping consistent across an organization's projects. Attributes that hold a full
//! URL (`…/zones/us-west1-b`) are reduced to the last segment. Ids: the `self_link` when the
//! state has one, else the provider's `id` (`projects/p/zones/z/instances/n`), else the
//! Terraform address.

use serde_json::json;

use super::build::{self, Entry, Index, Made, Notes, Outcome};
use crate::model::{Placement, Resource, Zone, ZoneId};

/// The project and region a Google instance belongs to, as far as the state tells.
#[derive(Debug, Clone, Default)]
pub struct Home {
    pub project: Option<String>,
    pub region: Option<String>,
}

/// What the Google table learns from every instance before mapping any.
#[derive(Default)]
pub struct Facts {}

impl Facts {
    pub fn prepare(_index: &Index<'_>) -> Facts {
        Facts {}
    }

    /// The project and region of an instance: its `project`, `region`, `zone` or `location`
    /// attributes, else what its id or self link says.
    pub fn home(&self, entry: Entry<'_>) -> Home {
        let attrs = entry.attrs();
        let path = attrs
            .str("self_link")
            .or_else(|| attrs.str("id"))
            .unwrap_or("");
        let project = attrs
            .str("project")
            .map(str::to_string)
            .or_else(|| segment_after(path, "projects"));
        let region = attrs
            .str("region")
            .map(last_segment)
            .or_else(|| attrs.str("zone").map(|z| region_of_zone(&last_segment(z))))
            .or_else(|| {
                attrs
                    .str("location")
                    .map(|l| location_region(&last_segment(l)))
            })
            .or_else(|| segment_after(path, "regions"))
            .or_else(|| segment_after(path, "zones").map(|z| region_of_zone(&z)));
        Home { project, region }
    }

    /// A Google zone (its name is its ID), declared in its region.
    pub fn zone(&self, name: &str) -> Zone {
        let name = last_segment(name);
        Zone {
            id: ZoneId::from(name.as_str()),
            provider: "gcp".into(),
            region: region_of_zone(&name),
            name: None,
        }
    }

    /// Map one Google instance; `None` for a type the table does not know.
    pub fn map(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Option<Outcome> {
        let _ = notes;
        Some(match entry.type_name() {
            "google_compute_instance" => {
                Outcome::Made(Box::new(self.compute_instance(index, entry)))
            }
            _ => return None,
        })
    }

    /// The id of a Google resource: its self link, else its id, else its address.
    pub fn id(&self, entry: Entry<'_>) -> String {
        let attrs = entry.attrs();
        attrs
            .str("self_link")
            .or_else(|| attrs.str("id"))
            .map(str::to_string)
            .unwrap_or_else(|| build::fallback_id(entry))
    }

    /// A new Google resource of `entry`, with project and region set.
    pub fn resource(
        &self,
        index: &Index<'_>,
        entry: Entry<'_>,
        kind: &str,
        placement: Placement,
    ) -> Resource {
        let home = self.home(entry);
        let mut resource = build::resource(index, entry, self.id(entry), kind, placement);
        resource.account = home.project;
        resource.region = home.region;
        resource
    }

    fn compute_instance(&self, index: &Index<'_>, entry: Entry<'_>) -> Made {
        let attrs = entry.attrs();
        let zone = attrs.str("zone").map(|z| self.zone(z));
        let placement = zone
            .as_ref()
            .map(|z| Placement::Zonal { zone: z.id.clone() })
            .unwrap_or(Placement::Unknown);
        let mut resource = self.resource(index, entry, "gcp:compute:instance", placement);
        if let Some(machine) = attrs.str("machine_type") {
            resource
                .attributes
                .insert("machine_type".into(), json!(last_segment(machine)));
        }
        Made::new(resource).zone(zone).alias(attrs.str("id"))
    }

    /// A Google type no table knows: unknown placement in its region when one can be read.
    pub fn unknown(&self, index: &Index<'_>, entry: Entry<'_>) -> Made {
        let kind = format!("gcp:terraform:{}", entry.type_name());
        let resource = self.resource(index, entry, &kind, Placement::Unknown);
        Made::new(resource).alias(entry.attrs().str("id"))
    }
}

/// The last segment of a path or URL (`…/zones/us-west1-b` → `us-west1-b`).
pub fn last_segment(text: &str) -> String {
    text.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(text)
        .to_string()
}

/// The segment after `name` in a resource path (`projects/p/...` → `p`).
fn segment_after(path: &str, name: &str) -> Option<String> {
    let mut parts = path.split('/');
    while let Some(part) = parts.next() {
        if part == name {
            return parts.next().filter(|s| !s.is_empty()).map(str::to_string);
        }
    }
    None
}

/// `us-central1-a` → `us-central1`.
pub fn region_of_zone(zone: &str) -> String {
    match zone.rsplit_once('-') {
        Some((region, suffix)) if suffix.len() == 1 => region.to_string(),
        _ => zone.to_string(),
    }
}

/// A `location` that is a zone (`us-central1-a`) names its region; a region or a
/// multi-region (`US`, `EU`, `nam4`) is its own.
pub fn location_region(location: &str) -> String {
    let lower = location.to_ascii_lowercase();
    region_of_zone(&lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_from_names_and_urls() {
        assert_eq!(region_of_zone("us-central1-a"), "us-central1");
        assert_eq!(region_of_zone("us-central1"), "us-central1");
        assert_eq!(
            last_segment("https://www.googleapis.com/compute/v1/projects/p/zones/us-west1-b"),
            "us-west1-b"
        );
        assert_eq!(location_region("US"), "us");
        assert_eq!(
            segment_after("projects/p1/zones/europe-west1-c/instances/vm", "zones").as_deref(),
            Some("europe-west1-c")
        );
    }
}
