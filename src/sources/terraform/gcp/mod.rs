//! Google Cloud resources of Terraform state (the `google` and `google-beta` providers).
//!
//! - **Zones**: Google zone names (`us-central1-a`) are the zone IDs — Google keeps a name's
//!   physical mapping consistent across an organization's projects. Attributes that hold a
//!   full URL (`…/zones/us-west1-b`) are reduced to the last segment. Every zone a placement
//!   names is declared, in the region its name gives.
//! - **Ids**: the `self_link` when the state has one, else the provider's `id`
//!   (`projects/p/zones/z/instances/n`), else the Terraform address. References between
//!   Google resources (URLs, `projects/…` paths, paths relative to the project, bare names)
//!   are turned into paths, so that every form meets its target.
//! - **Projects and regions**: the instance's `project`, `region`, `zone` or `location`, else
//!   what its id or self link says, else (plans leave computed regions unknown) what most of
//!   the file's Google instances say, marked `region_inferred`.
//! - **Critical services**: Google labels cannot hold `linchpin:critical` (no colons), so the
//!   label `linchpin-critical` (or `linchpin_critical`) stands for the tag. External
//!   forwarding rules and DNS records of public zones are entry points.
//!
//! The placement rule of each type is documented on its mapping function; the services are
//! grouped in `compute` (instances, disks, instance groups), `lb` (load balancing),
//! `network` (VPC, routers, Cloud NAT), `data` (Cloud SQL, Memorystore, Filestore, Cloud
//! Storage, Spanner, Pub/Sub, KMS, BigQuery, Secret Manager) and `platform` (GKE, Cloud Run,
//! Cloud Functions, DNS, projects and IAM).

mod compute;
mod data;
mod facts;
mod lb;
mod location;
mod network;
mod platform;

use serde_json::json;

use super::build::{self, Entry, Index, Made, Notes, Outcome};
use crate::model::{CRITICAL_TAG, Placement, RequirementGroup, Resource, Zone, ZoneId};
pub use facts::Facts;
use location::{Location, last_segment, region_of_zone, segment_after};

/// The project and region a Google instance belongs to, as far as the state tells.
#[derive(Debug, Clone, Default)]
pub struct Home {
    pub project: Option<String>,
    pub region: Option<String>,
    /// The region was not in the instance: it is the one most of its file names.
    pub region_inferred: bool,
}

/// The project and region an instance states itself: its `project`, `region`, `zone` or
/// `location` attributes, else what its id or self link says.
fn own_home(entry: Entry<'_>) -> Home {
    let attrs = entry.attrs();
    let path = attrs
        .str("self_link")
        .or_else(|| attrs.str("id"))
        .unwrap_or("");
    let project = attrs
        .str("project")
        .map(last_segment)
        .or_else(|| segment_after(path, "projects"));
    let region = attrs
        .str("region")
        .and_then(Location::parse)
        .and_then(|l| l.region())
        .or_else(|| {
            attrs
                .str("zone")
                .and_then(Location::parse)
                .and_then(|l| l.region())
        })
        .or_else(|| {
            attrs
                .str("location")
                .and_then(Location::parse)
                .and_then(|l| l.region())
        })
        .or_else(|| segment_after(path, "regions"))
        .or_else(|| segment_after(path, "zones").map(|z| region_of_zone(&z)))
        .or_else(|| {
            segment_after(path, "locations")
                .and_then(|l| Location::parse(&l))
                .and_then(|l| l.region())
        });
    Home {
        project,
        region,
        region_inferred: false,
    }
}

/// Where a resource lives, with the zones its placement names.
pub(super) struct Spot {
    placement: Placement,
    zones: Vec<Zone>,
    /// The region the placement implies (a zone's region), when it implies one.
    region: Option<String>,
}

impl Spot {
    /// In one zone, when `name` is a zone name (or URL).
    fn zonal(name: &str) -> Option<Spot> {
        Spot::zones([name], false)
    }

    /// Up while any of the zones is up; one zone is zonal. Zones outside the first zone's
    /// region are left out (a placement spans one region). `None` without any zone name.
    fn zones<'a>(names: impl IntoIterator<Item = &'a str>, inferred: bool) -> Option<Spot> {
        let mut zones: Vec<Zone> = Vec::new();
        for name in names {
            let Some(Location::Zone(zone)) = Location::parse(name) else {
                continue;
            };
            let zone = google_zone(&zone);
            let same_region = zones
                .first()
                .is_none_or(|first| first.region == zone.region);
            if same_region && !zones.iter().any(|z| z.id == zone.id) {
                zones.push(zone);
            }
        }
        let region = zones.first()?.region.clone();
        let placement = match &zones[..] {
            [one] => Placement::Zonal {
                zone: one.id.clone(),
            },
            _ => Placement::MultiZone {
                zones: zones.iter().map(|z| z.id.clone()).collect(),
                inferred,
            },
        };
        Some(Spot {
            placement,
            zones,
            region: Some(region),
        })
    }

    /// Fails only with its region (the resource's own region unless `region` names one).
    fn regional(region: Option<String>) -> Spot {
        Spot {
            placement: Placement::Regional,
            zones: Vec::new(),
            region,
        }
    }

    /// In one zone of its region that nobody chose or can see.
    fn unpinned(region: Option<String>) -> Spot {
        Spot {
            placement: Placement::Unpinned,
            zones: Vec::new(),
            region,
        }
    }

    /// Data plane in several regions (or everywhere); fails only with Google.
    fn global() -> Spot {
        Spot {
            placement: Placement::Global {
                control_plane_region: None,
            },
            zones: Vec::new(),
            region: None,
        }
    }

    /// Placed by a location: a zone is zonal, a region regional, a multi-region global.
    fn located(location: Option<&Location>) -> Spot {
        match location {
            Some(Location::Zone(zone)) => Spot::zonal(zone).unwrap_or_else(Spot::unknown),
            Some(Location::Region(region)) => Spot::regional(Some(region.clone())),
            Some(Location::MultiRegion(_)) => Spot::global(),
            None => Spot::regional(None),
        }
    }

    fn unknown() -> Spot {
        Spot {
            placement: Placement::Unknown,
            zones: Vec::new(),
            region: None,
        }
    }
}

/// A Google zone (its name is its ID), declared in the region its name gives.
fn google_zone(name: &str) -> Zone {
    let name = last_segment(name);
    Zone {
        id: ZoneId::from(name.as_str()),
        provider: "gcp".into(),
        region: region_of_zone(&name),
        name: None,
    }
}

impl Facts {
    /// The project and region of an instance: its own (see [`own_home`]), else its file's.
    pub fn home(&self, entry: Entry<'_>) -> Home {
        let mut home = own_home(entry);
        let (project, region) = self.file_home.get(entry.file).cloned().unwrap_or_default();
        if home.project.is_none() {
            home.project = project;
        }
        if home.region.is_none() && region.is_some() {
            home.region = region;
            home.region_inferred = true;
        }
        home
    }

    /// Map one Google instance; `None` for a type the table does not know.
    pub fn map(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Option<Outcome> {
        let type_name = entry.type_name();
        if folded(type_name) {
            return Some(Outcome::Folded);
        }
        let made = self
            .compute(index, entry, notes)
            .or_else(|| self.load_balancing(index, entry, notes))
            .or_else(|| self.network(index, entry, notes))
            .or_else(|| self.data(index, entry, notes))
            .or_else(|| self.platform(index, entry, notes))?;
        Some(Outcome::Made(Box::new(made)))
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

    /// A new Google resource of `entry` with project and region set and its placement still
    /// unknown ([`Facts::place`] sets it).
    pub fn resource(&self, index: &Index<'_>, entry: Entry<'_>, kind: &str) -> Resource {
        let home = self.home(entry);
        let mut resource = build::resource(index, entry, self.id(entry), kind, Placement::Unknown);
        resource.account = home.project;
        resource.region = home.region;
        if home.region_inferred {
            resource
                .attributes
                .insert("region_inferred".into(), json!(true));
        }
        // Labels some types keep in a block of their own (Cloud SQL `settings.user_labels`,
        // GKE `resource_labels`, Cloud Run v1 `metadata.labels`).
        let attrs = entry.attrs();
        let nested = [
            attrs.block("settings").map(|s| s.map("user_labels")),
            Some(attrs.map("resource_labels")),
            attrs.block("metadata").map(|m| m.map("labels")),
        ];
        for (key, value) in nested.into_iter().flatten().flatten() {
            resource.tags.entry(key).or_insert(value);
        }
        let critical = ["linchpin-critical", "linchpin_critical"]
            .iter()
            .find_map(|label| resource.tags.get(*label).cloned());
        if let Some(value) = critical {
            resource.tags.entry(CRITICAL_TAG.into()).or_insert(value);
        }
        resource
    }

    /// Give `resource` its placement and declare its zones. A zonal or multi-zone placement
    /// sets the region its zones are in; a regional or unpinned one needs a region, and
    /// without one the resource stays unknown and is counted in coverage; a global one has
    /// no region.
    pub(super) fn place(
        &self,
        mut resource: Resource,
        spot: Spot,
        entry: Entry<'_>,
        notes: &mut Notes,
    ) -> Made {
        match spot.placement {
            Placement::Zonal { .. } | Placement::MultiZone { .. } => {
                resource.attributes.remove("region_inferred");
                resource.region = spot.region;
            }
            Placement::Regional | Placement::Unpinned => {
                if spot.region.is_some() {
                    resource.attributes.remove("region_inferred");
                    resource.region = spot.region;
                }
            }
            Placement::Global { .. } => {
                resource.region = None;
                resource.attributes.remove("region_inferred");
            }
            Placement::Unknown | Placement::Logical => {}
        }
        resource.placement = match spot.placement {
            Placement::Regional | Placement::Unpinned if resource.region.is_none() => {
                notes.gap(
                    "gcp",
                    resource.account.as_deref(),
                    None,
                    entry.type_name(),
                    &entry.instance.address,
                );
                Placement::Unknown
            }
            placement => placement,
        };
        let mut made = Made::new(resource);
        made.zones = spot.zones;
        made.alias(entry.attrs().str("id"))
    }

    /// A Google type no table knows: unknown placement in its region when one can be read.
    pub fn unknown(&self, index: &Index<'_>, entry: Entry<'_>) -> Made {
        let kind = format!("gcp:terraform:{}", entry.type_name());
        let resource = self.resource(index, entry, &kind);
        Made::new(resource).alias(entry.attrs().str("id"))
    }
}

/// Types merged into other resources as an edge or an attribute: attachments, autoscalers,
/// firewall rules and routes (attributes of their network; default routes become egress
/// edges), endpoints, grants (IAM), databases and users inside an instance, objects inside a
/// bucket, API enablement and metadata of a project.
fn folded(type_name: &str) -> bool {
    const FOLDED: &[&str] = &[
        "google_compute_attached_disk",
        "google_compute_disk_resource_policy_attachment",
        "google_compute_region_disk_resource_policy_attachment",
        "google_compute_autoscaler",
        "google_compute_region_autoscaler",
        "google_compute_firewall",
        "google_compute_route",
        "google_compute_network_endpoint",
        "google_compute_network_endpoints",
        "google_compute_network_peering",
        "google_compute_network_peering_routes_config",
        "google_compute_shared_vpc_host_project",
        "google_compute_shared_vpc_service_project",
        "google_compute_project_metadata",
        "google_compute_project_metadata_item",
        "google_compute_instance_group_named_port",
        "google_compute_router_interface",
        "google_compute_router_peer",
        "google_service_networking_connection",
        "google_project_service",
        "google_project_services",
        "google_project_default_service_accounts",
        "google_service_account_key",
        "google_sql_database",
        "google_sql_user",
        "google_sql_ssl_cert",
        "google_storage_bucket_object",
        "google_storage_bucket_acl",
        "google_storage_default_object_acl",
        "google_storage_object_acl",
        "google_storage_bucket_access_control",
        "google_storage_default_object_access_control",
        "google_storage_object_access_control",
        "google_spanner_database",
        "google_bigquery_table",
        "google_secret_manager_secret_version",
        "google_kms_crypto_key_version",
        "google_dns_record_set_iam_member",
    ];
    FOLDED.contains(&type_name)
        || type_name.ends_with("_iam_member")
        || type_name.ends_with("_iam_binding")
        || type_name.ends_with("_iam_policy")
        || type_name.ends_with("_iam_audit_config")
        || type_name.ends_with("_iam_custom_role")
        || type_name.ends_with("_iam_member_remove")
}

/// Requirement groups, written by the mapping functions.
pub(super) trait Needs {
    /// Require one resource, by reference.
    fn needs(&mut self, reference: Option<String>, label: &str);
    /// Require any one of several resources; nothing when there are none.
    fn needs_any(&mut self, references: Vec<String>, label: &str);
}

impl Needs for Resource {
    fn needs(&mut self, reference: Option<String>, label: &str) {
        if let Some(reference) = reference.filter(|r| !r.trim().is_empty()) {
            self.requirements
                .push(RequirementGroup::requires(reference).with_label(label));
        }
    }

    fn needs_any(&mut self, mut references: Vec<String>, label: &str) {
        references.retain(|r| !r.trim().is_empty());
        references.sort();
        references.dedup();
        match references.len() {
            0 => {}
            1 => self.needs(references.pop(), label),
            _ => self
                .requirements
                .push(RequirementGroup::any_of(references, None).with_label(label)),
        }
    }
}

/// Set an attribute when the value is there; whole numbers (counts, sizes) are written as
/// integers, however the state wrote them.
pub(super) fn set<T: Into<serde_json::Value>>(
    resource: &mut Resource,
    key: &str,
    value: Option<T>,
) {
    if let Some(value) = value {
        let value = match value.into() {
            serde_json::Value::Number(n) => match n.as_f64() {
                Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15 => json!(f as i64),
                _ => serde_json::Value::Number(n),
            },
            other => other,
        };
        resource.attributes.insert(key.into(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spots_keep_one_region_and_declare_every_zone() {
        let spot = Spot::zones(
            [
                "us-central1-a",
                "https://www.googleapis.com/compute/v1/projects/p/zones/us-central1-b",
                "us-central1-a",
                "europe-west1-b",
                "us-central1",
            ],
            false,
        )
        .unwrap();
        assert_eq!(spot.region.as_deref(), Some("us-central1"));
        let ids: Vec<&str> = spot.zones.iter().map(|z| z.id.as_str()).collect();
        assert_eq!(ids, ["us-central1-a", "us-central1-b"]);
        assert!(matches!(
            spot.placement,
            Placement::MultiZone {
                inferred: false,
                ..
            }
        ));
        assert!(matches!(
            Spot::zones(["us-east1-c"], true).unwrap().placement,
            Placement::Zonal { .. }
        ));
        assert!(Spot::zones(["us-east1", ""], false).is_none());
    }

    #[test]
    fn grants_and_attachments_fold() {
        for folded_type in [
            "google_project_iam_member",
            "google_storage_bucket_iam_binding",
            "google_compute_attached_disk",
            "google_project_service",
        ] {
            assert!(folded(folded_type), "{folded_type}");
        }
        assert!(!folded("google_compute_instance"));
    }
}
