//! Compute Engine: instances, disks, instance templates and instance groups.

use serde_json::json;

use super::facts::{Facts, Nic, nics};
use super::location::{Location, last_segment, path_key, resource_path};
use super::{Needs, Spot, set};
use crate::model::Resource;
use crate::sources::terraform::attrs::Attrs;
use crate::sources::terraform::build::{Entry, Index, Made, Notes};

impl Facts {
    /// The Compute Engine types; `None` for another type.
    pub(super) fn compute(
        &self,
        index: &Index<'_>,
        entry: Entry<'_>,
        notes: &mut Notes,
    ) -> Option<Made> {
        Some(match entry.type_name() {
            "google_compute_instance"
            | "google_compute_instance_from_template"
            | "google_compute_instance_from_machine_image" => self.instance(index, entry, notes),
            "google_compute_disk" => self.disk(index, entry, notes),
            "google_compute_region_disk" => self.region_disk(index, entry, notes),
            "google_compute_instance_template" => {
                self.template(index, entry, notes, Spot::global())
            }
            "google_compute_region_instance_template" => {
                self.template(index, entry, notes, Spot::regional(None))
            }
            "google_compute_instance_group_manager" => self.zonal_mig(index, entry, notes),
            "google_compute_region_instance_group_manager" => {
                self.regional_mig(index, entry, notes)
            }
            "google_compute_instance_group" => self.instance_group(index, entry, notes),
            "google_compute_resource_policy" => {
                let resource = self.resource(index, entry, "gcp:compute:resource-policy");
                self.place(resource, Spot::regional(None), entry, notes)
            }
            "google_compute_image" | "google_compute_snapshot" | "google_compute_machine_image" => {
                let kind = format!(
                    "gcp:compute:{}",
                    entry
                        .type_name()
                        .trim_start_matches("google_compute_")
                        .replace('_', "-")
                );
                let resource = self.resource(index, entry, &kind);
                self.place(resource, Spot::global(), entry, notes)
            }
            _ => return None,
        })
    }

    /// `google_compute_instance`: zonal in `zone` (also given as a URL); without a zone
    /// (a plan leaves the provider's default zone unknown) unpinned in its region. Requires
    /// the subnetwork (else network) of each interface, disks attached from separate
    /// resources, its customer-managed key, and its egress (see [`Facts::egress`]).
    fn instance(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:compute:instance");
        let (zone, spot) = self.zone_spot(entry);
        set(&mut resource, "zone", zone.clone());
        set(
            &mut resource,
            "machine_type",
            attrs.str("machine_type").map(last_segment),
        );
        let region = zone.as_deref().map(super::location::region_of_zone);
        let interfaces = nics(attrs, resource.account.as_deref(), region.as_deref());
        let tags: Vec<&str> = attrs.strs("tags");
        set(
            &mut resource,
            "external_ip",
            Some(interfaces.iter().any(|n| n.external_ip)),
        );
        if !tags.is_empty() {
            resource
                .attributes
                .insert("network_tags".into(), json!(tags));
        }
        if let Some(scheduling) = attrs.block("scheduling") {
            let spot_vm = scheduling.bool("preemptible") == Some(true)
                || scheduling
                    .str("provisioning_model")
                    .is_some_and(|m| m.eq_ignore_ascii_case("SPOT"));
            set(&mut resource, "preemptible", Some(spot_vm));
        }
        self.needs_interfaces(&mut resource, &interfaces);
        self.needs_disks(index, &mut resource, attrs);
        for group in self.egress(&interfaces, &tags) {
            resource.requirements.push(group);
        }
        self.place(resource, spot, entry, notes)
    }

    /// The zone an instance's id or self link names.
    /// The zone of a zonal resource (`zone`, a name or a URL, else the zone of its id) and
    /// its spot: zonal there, unpinned when no zone is known.
    fn zone_spot(&self, entry: Entry<'_>) -> (Option<String>, Spot) {
        let zone = entry
            .attrs()
            .str("zone")
            .map(last_segment)
            .or_else(|| self.id_zone(entry));
        let spot = zone
            .as_deref()
            .and_then(Spot::zonal)
            .unwrap_or_else(|| Spot::unpinned(None));
        (zone, spot)
    }

    fn id_zone(&self, entry: Entry<'_>) -> Option<String> {
        let attrs = entry.attrs();
        attrs
            .str("self_link")
            .or_else(|| attrs.str("id"))
            .and_then(|p| super::location::segment_after(p, "zones"))
    }

    /// Each interface needs its subnetwork, else its network.
    pub(super) fn needs_interfaces(&self, resource: &mut Resource, interfaces: &[Nic]) {
        for nic in interfaces {
            match (&nic.subnetwork, &nic.network) {
                (Some(subnetwork), _) => resource.needs(Some(subnetwork.clone()), "in subnetwork"),
                (None, Some(network)) => resource.needs(Some(network.clone()), "in network"),
                (None, None) => {}
            }
        }
    }

    /// Boot and attached disks that are resources of the estate (a disk created with the
    /// instance lives and fails with it), disks attached by `google_compute_attached_disk`,
    /// and the boot disk's customer-managed key.
    fn needs_disks(&self, index: &Index<'_>, resource: &mut Resource, attrs: Attrs<'_>) {
        let managed = |source: &str| index.lookup(source).is_some_and(|e| !e.instance.data);
        let mut disks: Vec<String> = Vec::new();
        if let Some(boot) = attrs.block("boot_disk") {
            disks.extend(
                boot.str("source")
                    .filter(|s| managed(s))
                    .map(str::to_string),
            );
            resource.needs(kms_key(boot.str("kms_key_self_link")), "encryption key");
        }
        for disk in attrs.blocks("attached_disk") {
            disks.extend(
                disk.str("source")
                    .filter(|s| managed(s))
                    .map(str::to_string),
            );
        }
        for key in [attrs.str("self_link"), attrs.str("id")]
            .into_iter()
            .flatten()
        {
            if let Some(attached) = self.attached_disks.get(&path_key(key)) {
                disks.extend(attached.iter().cloned());
            }
        }
        let mut seen = std::collections::HashSet::new();
        for disk in disks {
            if seen.insert(path_key(&disk)) {
                resource.needs(Some(disk), "disk");
            }
        }
    }

    /// `google_compute_disk`: zonal in `zone`, unpinned when the zone is unknown.
    /// `snapshot_schedule` tells whether a snapshot policy protects it.
    fn disk(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:compute:disk");
        let (zone, spot) = self.zone_spot(entry);
        set(&mut resource, "scope", Some("zonal"));
        set(&mut resource, "zone", zone);
        self.disk_facts(&mut resource, attrs);
        self.place(resource, spot, entry, notes)
    }

    /// `google_compute_region_disk`: synchronously replicated over its two
    /// `replica_zones` (multi-zone); regional when the state does not list them.
    fn region_disk(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:compute:disk");
        let replicas = attrs.strs("replica_zones");
        let spot =
            Spot::zones(replicas.iter().copied(), false).unwrap_or_else(|| Spot::regional(None));
        set(&mut resource, "scope", Some("regional"));
        let names: Vec<String> = replicas.iter().map(|z| last_segment(z)).collect();
        if !names.is_empty() {
            resource
                .attributes
                .insert("replica_zones".into(), json!(names));
        }
        self.disk_facts(&mut resource, attrs);
        self.place(resource, spot, entry, notes)
    }

    fn disk_facts(&self, resource: &mut Resource, attrs: Attrs<'_>) {
        set(resource, "disk_type", attrs.str("type").map(last_segment));
        set(resource, "size_gb", attrs.num("size"));
        let scheduled = !attrs.strs("resource_policies").is_empty()
            || [attrs.str("self_link"), attrs.str("id")]
                .into_iter()
                .flatten()
                .any(|k| self.disk_policies.contains(&path_key(k)));
        set(resource, "snapshot_schedule", Some(scheduled));
        set(resource, "users", Some(attrs.strs("users").len() as u64));
        let key = attrs
            .block("disk_encryption_key")
            .and_then(|k| k.str("kms_key_self_link").or_else(|| k.str("kms_key_name")));
        resource.needs(kms_key(key), "encryption key");
    }

    /// `google_compute_instance_template`: a global configuration object (its region
    /// variant regional). Groups do not require their template to keep running; they
    /// inherit its interfaces instead.
    fn template(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes, spot: Spot) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:compute:instance-template");
        set(
            &mut resource,
            "machine_type",
            attrs.str("machine_type").map(last_segment),
        );
        self.place(resource, spot, entry, notes)
    }

    /// The templates of a group: `version[].instance_template`, or the old top-level
    /// `instance_template`.
    fn group_template<'a>(&'a self, attrs: Attrs<'_>) -> Option<&'a super::facts::Template> {
        attrs
            .blocks("version")
            .into_iter()
            .filter_map(|v| v.str("instance_template"))
            .chain(attrs.str("instance_template"))
            .find_map(|t| self.templates.get(&path_key(t)))
    }

    /// What both kinds of managed instance group share: size and autoscaling, autohealing,
    /// the template's interfaces and egress, and the instance group URL that backend
    /// services name it by.
    fn group_facts(&self, resource: &mut Resource, attrs: Attrs<'_>) -> Vec<String> {
        let target = attrs.num("target_size");
        set(resource, "target_size", target);
        let scaling = [attrs.str("self_link"), attrs.str("id")]
            .into_iter()
            .flatten()
            .find_map(|k| self.autoscalers.get(&path_key(k)));
        let min = scaling.and_then(|s| s.min).or(target);
        set(resource, "min_size", min);
        set(resource, "max_size", scaling.and_then(|s| s.max).or(target));
        set(resource, "autoscaled", Some(scaling.is_some()));
        set(
            resource,
            "autohealing",
            Some(!attrs.blocks("auto_healing_policies").is_empty()),
        );
        set(
            resource,
            "base_instance_name",
            attrs.str("base_instance_name"),
        );
        if let Some(template) = self.group_template(attrs) {
            let mut interfaces = template.nics.clone();
            for nic in &mut interfaces {
                if nic.region.is_none() {
                    nic.region = resource.region.clone();
                }
            }
            self.needs_interfaces(resource, &interfaces);
            let tags: Vec<&str> = template.tags.iter().map(String::as_str).collect();
            for group in self.egress(&interfaces, &tags) {
                resource.requirements.push(group);
            }
        }
        let mut aliases: Vec<String> = Vec::new();
        if let Some(group) = attrs.str("instance_group") {
            aliases.push(group.to_string());
        }
        for key in [attrs.str("self_link"), attrs.str("id")]
            .into_iter()
            .flatten()
        {
            aliases.push(key.replace("instanceGroupManagers", "instanceGroups"));
        }
        aliases
    }

    /// `google_compute_instance_group_manager`: a zonal managed instance group, in `zone`.
    fn zonal_mig(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:compute:instance-group-manager");
        let (zone, spot) = self.zone_spot(entry);
        set(&mut resource, "scope", Some("zonal"));
        if let Some(zone) = &zone {
            resource.attributes.insert("zones".into(), json!([zone]));
        }
        let aliases = self.group_facts(&mut resource, attrs);
        let mut made = self.place(resource, spot, entry, notes);
        made.aliases.extend(aliases);
        made
    }

    /// `google_compute_region_instance_group_manager`: multi-zone over
    /// `distribution_policy_zones`. When the state lists none (a plan: Google picks them),
    /// multi-zone over the zones the estate names in the region, marked inferred, or
    /// regional when it names fewer than two — Google spreads a regional group over up to
    /// three zones, so no single zone stops it. `distribution_policy_target_shape =
    /// ANY_SINGLE_ZONE` puts every instance in one zone Google chooses: unpinned (zonal
    /// when only one zone is allowed).
    fn regional_mig(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:compute:instance-group-manager");
        let listed: Vec<String> = attrs
            .strs("distribution_policy_zones")
            .into_iter()
            .map(last_segment)
            .collect();
        let shape = attrs.str("distribution_policy_target_shape");
        set(&mut resource, "scope", Some("regional"));
        set(&mut resource, "target_shape", shape);
        let single_zone = shape.is_some_and(|s| s.eq_ignore_ascii_case("ANY_SINGLE_ZONE"));
        let region = resource.region.clone();
        let spot = match (single_zone, listed.len()) {
            (true, 1) | (false, 1..) => Spot::zones(listed.iter().map(String::as_str), false),
            (true, _) => Some(Spot::unpinned(None)),
            (false, 0) => region
                .as_ref()
                .and_then(|r| self.region_zones.get(r))
                .filter(|zones| zones.len() >= 2)
                .and_then(|zones| Spot::zones(zones.iter().map(String::as_str), true)),
        }
        .unwrap_or_else(|| Spot::regional(None));
        if !listed.is_empty() {
            resource.attributes.insert("zones".into(), json!(listed));
        }
        let aliases = self.group_facts(&mut resource, attrs);
        let mut made = self.place(resource, spot, entry, notes);
        made.aliases.extend(aliases);
        made
    }

    /// `google_compute_instance_group` (unmanaged): zonal in `zone`; needs any of its
    /// `instances`.
    fn instance_group(&self, index: &Index<'_>, entry: Entry<'_>, notes: &mut Notes) -> Made {
        let attrs = entry.attrs();
        let mut resource = self.resource(index, entry, "gcp:compute:instance-group");
        let (zone, spot) = self.zone_spot(entry);
        set(&mut resource, "scope", Some("zonal"));
        let project = resource.account.clone();
        let scope = format!("zones/{}/instances", zone.clone().unwrap_or_default());
        let instances: Vec<String> = attrs
            .strs("instances")
            .into_iter()
            .filter_map(|i| resource_path(i, project.as_deref(), &scope))
            .collect();
        set(&mut resource, "size", Some(instances.len() as u64));
        resource.needs_any(instances, "instances");
        self.place(resource, spot, entry, notes)
    }
}

/// A customer-managed key reference, without its version (`…/cryptoKeyVersions/1`).
pub(super) fn kms_key(reference: Option<&str>) -> Option<String> {
    let reference = reference?.trim();
    if reference.is_empty() {
        return None;
    }
    let key = match reference.find("/cryptoKeyVersions/") {
        Some(at) => &reference[..at],
        None => reference,
    };
    Some(key.to_string())
}

/// A location read from any of `keys`, in that order.
pub(super) fn location_of(attrs: Attrs<'_>, keys: &[&str]) -> Option<Location> {
    keys.iter()
        .find_map(|k| attrs.str(k))
        .and_then(Location::parse)
}
