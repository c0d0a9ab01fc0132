//! Data services: Cloud SQL, Memorystore (Redis, Memcached), Filestore, Cloud Storage,
//! Spanner, Pub/Sub, Cloud KMS, BigQuery, Secret Manager and Artifact Registry.

use serde_json::json;

use super::compute::{kms_key, location_of};
use super::facts::{Facts, network_key};
use super::location::{Location, last_segment, resource_path, segment_after};
use super::{Needs, Spot, set};
use crate::model::Resource;
use crate::sources::terraform::build::{Entry, Index, Made, Notes};

/// Filestore tiers served from one zone.
const ZONAL_FILESTORE_TIERS: &[&str] = &[
    "STANDARD",
    "PREMIUM",
    "BASIC_HDD",
    "BASIC_SSD",
    "HIGH_SCALE_SSD",
    "ZONAL",
];

/// Predefined dual-region bucket locations (`NAM4` = Iowa + South Carolina, …).
const DUAL_REGIONS: &[&str] = &["nam4", "eur4", "eur5", "eur7", "eur8", "asia1"];

/// Multi-region bucket locations.
const MULTI_REGIONS: &[&str] = &["us", "eu", "asia"];

impl Facts {
    /// The data types; `None` for another type.
    pub(super) fn data(
        &self,
        index: &Index<'_>,
        entry: Entry<'_>,
        notes: &mut Notes,
    ) -> Option<Made> {
        let attrs = entry.attrs();
        Some(match entry.type_name() {
            "google_sql_database_instance" => self.sql_instance(index, entry, notes),
            "google_redis_instance" => self.redis(index, entry, notes),
            "google_redis_cluster" => {
                let mut resource = self.resource(index, entry, "gcp:redis:cluster");
                let distribution = attrs.block("zone_distribution_config");
                let mode = distribution.and_then(|d| d.str("mode"));
                set(&mut resource, "zone_distribution", mode);
                let single = mode.is_some_and(|m| m.eq_ignore_ascii_case("SINGLE_ZONE"));
                let spot = match distribution.and_then(|d| d.str("zone")) {
                    Some(zone) if single => {
                        Spot::zonal(zone).unwrap_or_else(|| Spot::unpinned(None))
                    }
                    None if single => Spot::unpinned(None),
                    _ => Spot::regional(None),
                };
                self.place(resource, spot, entry, notes)
            }
            "google_memcache_instance" => {
                let mut resource = self.resource(index, entry, "gcp:memcache:instance");
                set(&mut resource, "node_count", attrs.num("node_count"));
                let zones = attrs.strs("zones");
                let spot = Spot::zones(zones.iter().copied(), false)
                    .unwrap_or_else(|| Spot::regional(None));
                self.place(resource, spot, entry, notes)
            }
            "google_filestore_instance" => self.filestore(index, entry, notes),
            "google_storage_bucket" => self.bucket(index, entry, notes),
            "google_spanner_instance" => self.spanner(index, entry, notes),
            "google_pubsub_topic" => {
                let mut resource = self.resource(index, entry, "gcp:pubsub:topic");
                let regions: Vec<&str> = attrs
                    .block("message_storage_policy")
                    .map(|p| p.strs("allowed_persistence_regions"))
                    .unwrap_or_default();
                if !regions.is_empty() {
                    resource
                        .attributes
                        .insert("allowed_persistence_regions".into(), json!(regions));
                }
                resource.needs(kms_key(attrs.str("kms_key_name")), "encryption key");
                self.place(resource, Spot::global(), entry, notes)
            }
            "google_pubsub_subscription" => {
                let mut resource = self.resource(index, entry, "gcp:pubsub:subscription");
                let topic = attrs
                    .str("topic")
                    .and_then(|t| resource_path(t, resource.account.as_deref(), "topics"));
                resource.needs(topic, "topic");
                set(
                    &mut resource,
                    "push",
                    Some(attrs.block("push_config").is_some()),
                );
                self.place(resource, Spot::global(), entry, notes)
            }
            "google_kms_key_ring" => {
                let resource = self.resource(index, entry, "gcp:kms:key-ring");
                let spot = Spot::located(location_of(attrs, &["location"]).as_ref());
                self.place(resource, spot, entry, notes)
            }
            "google_kms_crypto_key" => self.crypto_key(index, entry, notes),
            "google_bigquery_dataset" => {
                let mut resource = self.resource(index, entry, "gcp:bigquery:dataset");
                set(&mut resource, "location", attrs.str("location"));
                let spot = Spot::located(location_of(attrs, &["location"]).as_ref());
                self.place(resource, spot, entry, notes)
            }
            "google_secret_manager_secret" => self.secret(index, entry, notes),
            "google_artifact_registry_repository" => {
                let mut resource = self.resource(index, entry, "gcp:artifactregistry:repository");
                set(&mut resource, "format", attrs.str("format"));
                let spot = Spot::located(location_of(attrs, &["location"]).as_ref());
                self.place(resource, spot, entry, notes)
            }
            _ => return None,
        })
    }

    /// `google_sql_database_instance`: `settings.availability_type = REGIONAL` (high
    /// availability, a standby in a second zone) is multi-zone over
    /// `location_preference.zone` and `.secondary_zone`; without the secondary zone, the
    /// other zones the estate names in the region stand for it (inferred), and without any
    /// zone it is regional. `ZONAL` (the default) is zonal in `location_preference.zone`,
    /// unpinned when the state does not say which zone. Read replicas
    /// (`master_instance_name`) keep their own placement and do not require their primary
    /// to serve reads; the primary lists their regions in `replica_regions`.
    fn sql_instance(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:sql:database-instance");
        let settings = attrs.block("settings");
        let availability = settings
            .and_then(|s| s.str("availability_type"))
            .unwrap_or("ZONAL")
            .to_ascii_uppercase();
        let preference = settings.and_then(|s| s.block("location_preference"));
        let zone = preference.and_then(|p| p.str("zone")).map(last_segment);
        let secondary = preference
            .and_then(|p| p.str("secondary_zone"))
            .map(last_segment);
        let region = resource.region.clone();
        let spot = if availability == "REGIONAL" {
            self.standby_spot(zone.as_deref(), secondary.as_deref(), region.as_deref())
        } else {
            zone.as_deref()
                .and_then(Spot::zonal)
                .unwrap_or_else(|| Spot::unpinned(None))
        };
        set(&mut resource, "availability_type", Some(availability));
        set(&mut resource, "zone", zone);
        set(&mut resource, "secondary_zone", secondary);
        set(&mut resource, "tier", settings.and_then(|s| s.str("tier")));
        set(
            &mut resource,
            "edition",
            settings.and_then(|s| s.str("edition")),
        );
        set(
            &mut resource,
            "database_version",
            attrs.str("database_version"),
        );
        set(&mut resource, "instance_type", attrs.str("instance_type"));
        let backup = settings.and_then(|s| s.block("backup_configuration"));
        set(
            &mut resource,
            "backups_enabled",
            Some(backup.and_then(|b| b.bool("enabled")).unwrap_or(false)),
        );
        let pitr = backup.is_some_and(|b| {
            b.bool("point_in_time_recovery_enabled") == Some(true)
                || b.bool("binary_log_enabled") == Some(true)
        });
        set(&mut resource, "point_in_time_recovery", Some(pitr));
        let project = resource.account.clone().unwrap_or_default();
        let name = attrs.str("name");
        if let Some(master) = attrs.str("master_instance_name") {
            set(&mut resource, "replica_of", Some(last_segment(master)));
        } else if let Some(name) = name {
            let replicas = self
                .sql_replicas
                .get(&format!("sql:{project}:{name}"))
                .cloned()
                .unwrap_or_default();
            resource
                .attributes
                .insert("replica_regions".into(), json!(replicas));
        }
        let network = settings
            .and_then(|s| s.block("ip_configuration"))
            .and_then(|ip| ip.str("private_network"));
        resource.needs(network_key(network, Some(&project)), "in network");
        resource.needs(kms_key(attrs.str("encryption_key_name")), "encryption key");
        let mut made = self.place(resource, spot, entry, notes);
        if let Some(name) = name {
            made.aliases
                .push(format!("projects/{project}/instances/{name}"));
            made.aliases.push(sql_key(&project, name));
        }
        made.aliases
            .extend(attrs.str("connection_name").map(str::to_string));
        made
    }

    /// A primary with a standby: both zones when known; the primary and the region's other
    /// zones (inferred) when only the primary is; regional when neither.
    fn standby_spot(
        &self,
        zone: Option<&str>,
        secondary: Option<&str>,
        region: Option<&str>,
    ) -> Spot {
        match (zone, secondary) {
            (Some(zone), Some(secondary)) => Spot::zones([zone, secondary], false),
            (Some(zone), None) => {
                let region = region
                    .map(str::to_string)
                    .unwrap_or_else(|| super::location::region_of_zone(zone));
                let others: Vec<&str> = self
                    .region_zones
                    .get(&region)
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .filter(|z| *z != zone)
                    .collect();
                if others.is_empty() {
                    None
                } else {
                    Spot::zones(std::iter::once(zone).chain(others), true)
                }
            }
            _ => None,
        }
        .unwrap_or_else(|| Spot::regional(None))
    }

    /// `google_redis_instance`: `BASIC` (the default) is one node, zonal in `location_id`
    /// (unpinned when not stated); `STANDARD_HA` is a primary and a replica, multi-zone over
    /// `location_id` and `alternative_location_id` (the region's other zones inferred when
    /// the alternative is not stated, regional when no zone is).
    fn redis(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:redis:instance");
        let tier = attrs.str("tier").unwrap_or("BASIC").to_ascii_uppercase();
        let zone = attrs.str("location_id").map(last_segment);
        let alternative = attrs.str("alternative_location_id").map(last_segment);
        let spot = if tier == "BASIC" {
            zone.as_deref()
                .and_then(Spot::zonal)
                .unwrap_or_else(|| Spot::unpinned(None))
        } else {
            let region = resource.region.clone();
            self.standby_spot(zone.as_deref(), alternative.as_deref(), region.as_deref())
        };
        set(&mut resource, "tier", Some(tier));
        set(&mut resource, "zone", zone);
        set(&mut resource, "alternative_zone", alternative);
        set(&mut resource, "memory_size_gb", attrs.num("memory_size_gb"));
        set(&mut resource, "replica_count", attrs.num("replica_count"));
        set(
            &mut resource,
            "read_replicas_mode",
            attrs.str("read_replicas_mode"),
        );
        let network = network_key(attrs.str("authorized_network"), resource.account.as_deref());
        resource.needs(network, "in network");
        self.place(resource, spot, entry, notes)
    }

    /// `google_filestore_instance`: the zonal tiers (`BASIC_HDD`, `BASIC_SSD`,
    /// `HIGH_SCALE_SSD`, `ZONAL`, the legacy `STANDARD` and `PREMIUM`) are zonal in their
    /// `location` (or the old `zone`); `ENTERPRISE` and `REGIONAL` are regional. A zonal
    /// tier in a region-only location is unpinned.
    fn filestore(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:filestore:instance");
        let tier = attrs
            .str("tier")
            .unwrap_or("BASIC_HDD")
            .to_ascii_uppercase();
        let zonal_tier = ZONAL_FILESTORE_TIERS.contains(&tier.as_str());
        let location = location_of(attrs, &["location", "zone"]);
        let spot = match &location {
            Some(Location::Zone(zone)) => Spot::zonal(zone).unwrap_or_else(Spot::unknown),
            Some(Location::Region(region)) if zonal_tier => Spot::unpinned(Some(region.clone())),
            Some(Location::Region(region)) => Spot::regional(Some(region.clone())),
            _ if zonal_tier => Spot::unpinned(None),
            _ => Spot::regional(None),
        };
        set(&mut resource, "tier", Some(tier));
        set(&mut resource, "zonal_tier", Some(zonal_tier));
        let capacity: f64 = attrs
            .blocks("file_shares")
            .iter()
            .filter_map(|s| s.num("capacity_gb"))
            .sum();
        set(&mut resource, "capacity_gb", Some(capacity));
        let project = resource.account.clone();
        for network in attrs.blocks("networks") {
            resource.needs(
                network_key(network.str("network"), project.as_deref()),
                "in network",
            );
        }
        self.place(resource, spot, entry, notes)
    }

    /// `google_storage_bucket`: a region (`US-CENTRAL1`) is regional; a dual-region
    /// (`NAM4`, or custom `data_locations`) or multi-region (`US`, `EU`, `ASIA`) keeps
    /// copies in several regions and is global. `location_type` says which.
    fn bucket(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:storage:bucket");
        let location = attrs.str("location").and_then(Location::parse);
        let data_locations: Vec<String> = attrs
            .block("custom_placement_config")
            .map(|c| c.strs("data_locations"))
            .unwrap_or_default()
            .into_iter()
            .map(|l| l.to_ascii_lowercase())
            .collect();
        let (location_type, spot) = match &location {
            Some(Location::Region(region)) => ("region", Spot::regional(Some(region.clone()))),
            Some(Location::MultiRegion(name))
                if data_locations.is_empty() && MULTI_REGIONS.contains(&name.as_str()) =>
            {
                ("multi-region", Spot::global())
            }
            Some(Location::MultiRegion(name))
                if !data_locations.is_empty() || DUAL_REGIONS.contains(&name.as_str()) =>
            {
                ("dual-region", Spot::global())
            }
            Some(Location::MultiRegion(_)) => ("multi-region", Spot::global()),
            // A zone is no bucket location; keep what the state says, regional.
            Some(Location::Zone(zone)) => (
                "region",
                Spot::regional(Location::Zone(zone.clone()).region()),
            ),
            None => ("unknown", Spot::regional(None)),
        };
        set(
            &mut resource,
            "location",
            attrs.str("location").map(str::to_ascii_uppercase),
        );
        set(&mut resource, "location_type", Some(location_type));
        if !data_locations.is_empty() {
            resource
                .attributes
                .insert("data_locations".into(), json!(data_locations));
        }
        set(&mut resource, "storage_class", attrs.str("storage_class"));
        set(&mut resource, "rpo", attrs.str("rpo"));
        set(
            &mut resource,
            "versioning",
            Some(
                attrs
                    .block("versioning")
                    .and_then(|v| v.bool("enabled"))
                    .unwrap_or(false),
            ),
        );
        let key = attrs
            .block("encryption")
            .and_then(|e| e.str("default_kms_key_name"));
        resource.needs(kms_key(key), "encryption key");
        let mut made = self.place(resource, spot, entry, notes);
        if let Some(name) = attrs.str("name") {
            made.aliases.push(format!("gs://{name}"));
        }
        made
    }

    /// `google_spanner_instance`: a regional configuration (`regional-us-central1`, three
    /// zones of one region) is regional in that region; a multi-region configuration
    /// (`nam3`, `eur6`, `nam-eur-asia1`) is global.
    fn spanner(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:spanner:instance");
        let config = attrs.str("config").map(last_segment);
        let region = config
            .as_deref()
            .and_then(|c| c.strip_prefix("regional-"))
            .map(str::to_string);
        set(&mut resource, "config", config.clone());
        set(
            &mut resource,
            "multi_region",
            Some(config.is_some() && region.is_none()),
        );
        set(&mut resource, "num_nodes", attrs.num("num_nodes"));
        set(
            &mut resource,
            "processing_units",
            attrs.num("processing_units"),
        );
        let spot = match (&config, region) {
            (_, Some(region)) => Spot::regional(Some(region)),
            (Some(_), None) => Spot::global(),
            (None, None) => Spot::unknown(),
        };
        self.place(resource, spot, entry, notes)
    }

    /// `google_kms_crypto_key`: placed by its key ring's location (`global` and
    /// multi-regions are global). Disks, buckets, databases and topics encrypted with it
    /// require it: a key that cannot be used stops them.
    fn crypto_key(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:kms:crypto-key");
        let ring = attrs.str("key_ring");
        let location = ring
            .and_then(|r| segment_after(r, "locations"))
            .and_then(|l| Location::parse(&l));
        if let Some(Location::Region(region)) = &location {
            resource.region = Some(region.clone());
        }
        set(&mut resource, "purpose", attrs.str("purpose"));
        set(
            &mut resource,
            "rotation_period",
            attrs.str("rotation_period"),
        );
        let spot = Spot::located(location.as_ref());
        let mut made = self.place(resource, spot, entry, notes);
        if let (Some(ring), Some(name)) = (ring, attrs.str("name")) {
            made.aliases
                .push(format!("{}/cryptoKeys/{name}", ring.trim_end_matches('/')));
        }
        made
    }

    /// `google_secret_manager_secret`: automatic replication is global; user-managed
    /// replication is regional in its one replica's location, global over several.
    fn secret(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource: Resource = self.resource(index, entry, "gcp:secretmanager:secret");
        let replication = attrs.block("replication");
        let locations: Vec<String> = replication
            .and_then(|r| r.block("user_managed"))
            .map(|u| {
                u.blocks("replicas")
                    .into_iter()
                    .filter_map(|r| r.str("location"))
                    .map(|l| l.to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        let spot = match &locations[..] {
            [one] => Spot::located(Location::parse(one).as_ref()),
            _ => Spot::global(),
        };
        if !locations.is_empty() {
            resource
                .attributes
                .insert("replica_locations".into(), json!(locations));
        }
        self.place(resource, spot, entry, notes)
    }
}

/// The reference Cloud Run and others use for a Cloud SQL instance by project and name.
pub(super) fn sql_key(project: &str, name: &str) -> String {
    format!("sql:{project}:{}", last_segment(name))
}
