//! Data: databases, caches, storage, messaging and Key Vault.
//!
//! - `azurerm_postgresql_flexible_server`, `azurerm_mysql_flexible_server`:
//!   `high_availability.mode = ZoneRedundant` → multi-zone over `zone` and
//!   `standby_availability_zone` (the region's zones, inferred, when the state gives only
//!   one); `SameZone` or no HA → zonal in `zone`, unpinned without. Requires its delegated
//!   subnet.
//! - `azurerm_postgresql_server`, `azurerm_mysql_server`, `azurerm_mariadb_server` (single
//!   server): unpinned — no zone support.
//! - `azurerm_mssql_server`, `azurerm_sql_server`: regional logical servers.
//! - `azurerm_mssql_database`, `azurerm_sql_database` (legacy), `azurerm_mssql_elasticpool`,
//!   `azurerm_sql_elasticpool`: `zone_redundant` (a pooled database: its pool's) → over the
//!   region's zones; else unpinned. A database requires its server and pool.
//! - `azurerm_redis_cache`: `zones` (Premium); Basic and caches without zones → unpinned.
//!   `azurerm_redis_enterprise_cluster`: by its `zones`.
//! - `azurerm_storage_account`: `account_replication_type` LRS and GRS/RAGRS (locally
//!   redundant in the primary region) → unpinned; ZRS, GZRS, RAGZRS → regional
//!   (zone-redundant); the secondary region is kept as `secondary_region`.
//! - `azurerm_cosmosdb_account`: in its write region (`failover_priority` 0): zone-redundant
//!   when that `geo_location` is, else unpinned; `locations` lists every region.
//! - `azurerm_servicebus_namespace`, `azurerm_eventhub_namespace`: `zone_redundant`, or
//!   Premium where the state no longer records it (Microsoft makes Premium namespaces
//!   zone-redundant) → over the region's zones; else unpinned.
//! - `azurerm_key_vault`: regional (replicated within its region by the service).

use serde_json::json;

use super::super::attrs::Attrs;
use super::super::build::{Entry, Index, Made};
use super::zones::{Placed, Zoning, zoning};
use super::{Facts, Home, normalise_location, parent_id};
use crate::model::RequirementGroup;

/// Map a data instance: `None` for another group's type.
pub fn map(
    facts: &Facts,
    index: &Index<'_>,
    entry: Entry<'_>,
    home: &Home,
) -> Option<Option<Made>> {
    Some(Some(match entry.type_name() {
        "azurerm_postgresql_flexible_server" => flexible_server(
            facts,
            index,
            entry,
            home,
            "azure:postgresql:flexible-server",
        ),
        "azurerm_mysql_flexible_server" => {
            flexible_server(facts, index, entry, home, "azure:mysql:flexible-server")
        }
        "azurerm_postgresql_server" => single_server(facts, index, entry, home, "postgresql"),
        "azurerm_mysql_server" => single_server(facts, index, entry, home, "mysql"),
        "azurerm_mariadb_server" => single_server(facts, index, entry, home, "mariadb"),
        "azurerm_mssql_server" | "azurerm_sql_server" => {
            let placed = facts.regional(home);
            let mut made = facts.made(index, entry, home, "azure:sql:server", placed);
            if let Some(version) = entry.attrs().str("version") {
                made.resource
                    .attributes
                    .insert("version".into(), json!(version));
            }
            made
        }
        "azurerm_mssql_database" | "azurerm_sql_database" => {
            sql_database(facts, index, entry, home)
        }
        "azurerm_mssql_elasticpool" | "azurerm_sql_elasticpool" => {
            elastic_pool(facts, index, entry, home)
        }
        "azurerm_redis_cache" => redis_cache(facts, index, entry, home),
        "azurerm_redis_enterprise_cluster" => {
            let placed = facts.placed(home, &zoning(entry.attrs(), &["zones"]), false);
            facts.made(index, entry, home, "azure:cache:redis-enterprise", placed)
        }
        "azurerm_storage_account" => storage_account(facts, index, entry, home),
        "azurerm_cosmosdb_account" => cosmosdb_account(facts, index, entry, home),
        "azurerm_servicebus_namespace" => {
            namespace(facts, index, entry, home, "azure:servicebus:namespace")
        }
        "azurerm_eventhub_namespace" => {
            namespace(facts, index, entry, home, "azure:eventhub:namespace")
        }
        "azurerm_key_vault" => {
            let placed = facts.regional(home);
            let mut made = facts.made(index, entry, home, "azure:keyvault:vault", placed);
            if let Some(sku) = entry.attrs().str("sku_name") {
                made.resource
                    .attributes
                    .insert("sku_name".into(), json!(sku));
            }
            made
        }
        _ => return None,
    }))
}

/// The first logical zone a zoning names.
fn first_zone(zoning: &Zoning) -> Option<String> {
    match zoning {
        Zoning::In(numbers) => numbers.first().cloned(),
        _ => None,
    }
}

fn flexible_server(
    facts: &Facts,
    index: &Index<'_>,
    entry: Entry<'_>,
    home: &Home,
    kind: &str,
) -> Made {
    let attrs = entry.attrs();
    let zone = first_zone(&zoning(attrs, &["zone"]));
    let ha = attrs.block("high_availability");
    let mode = ha.and_then(|h| h.str("mode")).unwrap_or("Disabled");
    let standby = ha.and_then(|h| first_zone(&zoning(h, &["standby_availability_zone"])));
    let zone_redundant = mode.eq_ignore_ascii_case("ZoneRedundant");
    let placed = if zone_redundant {
        let mut numbers: Vec<String> = zone.iter().chain(&standby).cloned().collect();
        numbers.dedup();
        if numbers.len() >= 2 {
            facts.pinned(home, &numbers)
        } else {
            // The standby's zone is another of the region's, not named in the state.
            facts.redundant(home, true)
        }
    } else {
        facts.pinned(home, &zone.iter().cloned().collect::<Vec<_>>())
    };
    let mut made = facts.made(index, entry, home, kind, placed);
    let resource = &mut made.resource;
    let attributes = &mut resource.attributes;
    attributes.insert("ha_mode".into(), json!(mode));
    attributes.insert("zone_redundant".into(), json!(zone_redundant));
    if let Some(zone) = &zone {
        attributes.insert("zone".into(), json!(zone));
    }
    if let Some(standby) = &standby {
        attributes.insert("standby_zone".into(), json!(standby));
    }
    for name in [
        "sku_name",
        "version",
        "replication_role",
        "source_server_id",
    ] {
        if let Some(value) = attrs.str(name) {
            attributes.insert(name.into(), json!(value));
        }
    }
    if let Some(geo) = attrs.bool("geo_redundant_backup_enabled") {
        attributes.insert("geo_redundant_backup".into(), json!(geo));
    }
    // A read replica (`create_mode = Replica`) cannot have HA of its own.
    let replica = attrs
        .str("create_mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("replica"));
    attributes.insert("replica".into(), json!(replica));
    if let Some(subnet) = attrs.str("delegated_subnet_id") {
        resource
            .requirements
            .push(RequirementGroup::requires(subnet).with_label("in subnet"));
    }
    made
}

fn single_server(
    facts: &Facts,
    index: &Index<'_>,
    entry: Entry<'_>,
    home: &Home,
    engine: &str,
) -> Made {
    let attrs = entry.attrs();
    let placed = facts.pinned(home, &[]);
    let kind = format!("azure:{engine}:server");
    let mut made = facts.made(index, entry, home, &kind, placed);
    let attributes = &mut made.resource.attributes;
    for name in ["sku_name", "version"] {
        if let Some(value) = attrs.str(name) {
            attributes.insert(name.into(), json!(value));
        }
    }
    let geo = attrs.bool("geo_redundant_backup_enabled").or_else(|| {
        attrs
            .block("storage_profile")
            .and_then(|s| s.bool("geo_redundant_backup"))
    });
    if let Some(geo) = geo {
        attributes.insert("geo_redundant_backup".into(), json!(geo));
    }
    made
}

/// Zone-redundant over the region's zones, or unpinned.
fn redundant_or_unpinned(facts: &Facts, home: &Home, zone_redundant: bool) -> Placed {
    if zone_redundant {
        facts.redundant(home, true)
    } else {
        facts.pinned(home, &[])
    }
}

fn sql_database(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let id = attrs.str("id");
    let server = attrs
        .str("server_id")
        .map(str::to_string)
        .or_else(|| id.and_then(parent_id));
    let pool = attrs
        .str("elastic_pool_id")
        .map(str::to_string)
        .or_else(|| {
            let name = attrs.str("elastic_pool_name")?;
            Some(format!("{}/elasticPools/{name}", server.as_deref()?))
        });
    // A pooled database is as zone-redundant as its pool.
    let zone_redundant = pool
        .as_deref()
        .and_then(|p| index.lookup(p))
        .and_then(|p| p.attrs().bool("zone_redundant"))
        .or_else(|| attrs.bool("zone_redundant"))
        .unwrap_or(false);
    let placed = redundant_or_unpinned(facts, home, zone_redundant);
    let mut made = facts.made(index, entry, home, "azure:sql:database", placed);
    let resource = &mut made.resource;
    let attributes = &mut resource.attributes;
    attributes.insert("zone_redundant".into(), json!(zone_redundant));
    let sku = attrs
        .str("sku_name")
        .or_else(|| attrs.str("requested_service_objective_name"))
        .or_else(|| attrs.str("edition"));
    if let Some(sku) = sku {
        attributes.insert("sku_name".into(), json!(sku));
    }
    if let Some(replicas) = attrs.num("read_replica_count") {
        attributes.insert("read_replica_count".into(), json!(replicas as u64));
    }
    if let Some(server) = server {
        attributes.insert("server".into(), json!(server));
        resource
            .requirements
            .push(RequirementGroup::requires(server).with_label("on server"));
    }
    if let Some(pool) = pool {
        attributes.insert("elastic_pool".into(), json!(pool));
        resource
            .requirements
            .push(RequirementGroup::requires(pool).with_label("in elastic pool"));
    }
    made
}

fn elastic_pool(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let zone_redundant = attrs.bool("zone_redundant").unwrap_or(false);
    let placed = redundant_or_unpinned(facts, home, zone_redundant);
    let mut made = facts.made(index, entry, home, "azure:sql:elastic-pool", placed);
    let resource = &mut made.resource;
    resource
        .attributes
        .insert("zone_redundant".into(), json!(zone_redundant));
    let sku = attrs
        .block("sku")
        .and_then(|s| s.str("name"))
        .or_else(|| attrs.str("edition"));
    if let Some(sku) = sku {
        resource.attributes.insert("sku_name".into(), json!(sku));
    }
    let server = attrs
        .str("server_id")
        .map(str::to_string)
        .or_else(|| attrs.str("id").and_then(parent_id));
    if let Some(server) = server {
        resource
            .requirements
            .push(RequirementGroup::requires(server).with_label("on server"));
    }
    made
}

fn redis_cache(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let sku = attrs.str("sku_name").unwrap_or("Standard");
    let placed = if sku.eq_ignore_ascii_case("basic") {
        // One node, no replica, no zones.
        facts.pinned(home, &[])
    } else {
        facts.placed(home, &zoning(attrs, &["zones"]), false)
    };
    let mut made = facts.made(index, entry, home, "azure:cache:redis", placed);
    let resource = &mut made.resource;
    let attributes = &mut resource.attributes;
    attributes.insert("sku_name".into(), json!(sku));
    if let Some(family) = attrs.str("family") {
        attributes.insert("family".into(), json!(family));
    }
    for name in ["capacity", "shard_count"] {
        if let Some(n) = attrs.num(name) {
            attributes.insert(name.into(), json!(n as u64));
        }
    }
    let replicas = attrs
        .num("replicas_per_primary")
        .or_else(|| attrs.num("replicas_per_master"));
    if let Some(n) = replicas {
        attributes.insert("replicas_per_primary".into(), json!(n as u64));
    }
    if let Some(subnet) = attrs.str("subnet_id") {
        resource
            .requirements
            .push(RequirementGroup::requires(subnet).with_label("in subnet"));
    }
    made
}

/// `LRS`, `ZRS`, `GRS`, `RAGRS`, `GZRS`, `RAGZRS` from `account_replication_type`, or from
/// the pre-1.0 `account_type` (`Standard_LRS`).
fn replication(attrs: Attrs<'_>) -> Option<String> {
    attrs
        .str("account_replication_type")
        .map(str::to_string)
        .or_else(|| {
            let old = attrs.str("account_type")?;
            old.rsplit_once('_').map(|(_, r)| r.to_string())
        })
        .map(|r| r.to_ascii_uppercase().replace('-', ""))
}

fn storage_account(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    let replication = replication(attrs);
    let kind_of = replication.as_deref().unwrap_or("");
    let zone_redundant = matches!(kind_of, "ZRS" | "GZRS" | "RAGZRS");
    let geo = matches!(kind_of, "GRS" | "RAGRS" | "GZRS" | "RAGZRS");
    // LRS and GRS keep every copy of the primary region in one datacenter.
    let placed = if zone_redundant {
        facts.regional(home)
    } else {
        facts.pinned(home, &[])
    };
    let kind = "azure:storage:storage-account";
    let mut made = facts.made(index, entry, home, kind, placed);
    let attributes = &mut made.resource.attributes;
    if let Some(replication) = &replication {
        attributes.insert("replication".into(), json!(replication));
    }
    attributes.insert("zone_redundant".into(), json!(zone_redundant));
    attributes.insert("geo_replicated".into(), json!(geo));
    attributes.insert(
        "read_access_secondary".into(),
        json!(kind_of.starts_with("RA")),
    );
    for name in ["account_tier", "account_kind", "access_tier"] {
        if let Some(value) = attrs.str(name) {
            attributes.insert(name.into(), json!(value));
        }
    }
    if let Some(secondary) = attrs.str("secondary_location") {
        attributes.insert(
            "secondary_region".into(),
            json!(normalise_location(secondary)),
        );
    }
    made
}

fn cosmosdb_account(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home) -> Made {
    let attrs = entry.attrs();
    // `geo_location` (1.x+), or the pre-2.0 `failover_policy` with `priority`.
    let mut locations: Vec<(f64, String, bool)> = attrs
        .blocks("geo_location")
        .into_iter()
        .chain(attrs.blocks("failover_policy"))
        .filter_map(|l| {
            let priority = l
                .num("failover_priority")
                .or_else(|| l.num("priority"))
                .unwrap_or(f64::MAX);
            let location = normalise_location(l.str("location")?);
            Some((priority, location, l.bool("zone_redundant") == Some(true)))
        })
        .collect();
    locations.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let primary = locations.first().cloned();
    let home = Home {
        subscription: home.subscription.clone(),
        region: primary
            .as_ref()
            .map(|p| p.1.clone())
            .or_else(|| home.region.clone()),
    };
    let zone_redundant = primary.as_ref().is_some_and(|p| p.2);
    let placed = redundant_or_unpinned(facts, &home, zone_redundant);
    let mut made = facts.made(index, entry, &home, "azure:cosmosdb:account", placed);
    let attributes = &mut made.resource.attributes;
    let regions: Vec<&str> = locations.iter().map(|l| l.1.as_str()).collect();
    attributes.insert("locations".into(), json!(regions));
    attributes.insert("multi_region".into(), json!(regions.len() > 1));
    attributes.insert("zone_redundant".into(), json!(zone_redundant));
    let failover = attrs
        .bool("automatic_failover_enabled")
        .or_else(|| attrs.bool("enable_automatic_failover"))
        .unwrap_or(false);
    attributes.insert("automatic_failover".into(), json!(failover));
    let writes = attrs
        .bool("multiple_write_locations_enabled")
        .or_else(|| attrs.bool("enable_multiple_write_locations"))
        .unwrap_or(false);
    attributes.insert("multiple_write_locations".into(), json!(writes));
    if let Some(level) = attrs
        .block("consistency_policy")
        .and_then(|c| c.str("consistency_level"))
    {
        attributes.insert("consistency_level".into(), json!(level));
    }
    made
}

fn namespace(facts: &Facts, index: &Index<'_>, entry: Entry<'_>, home: &Home, kind: &str) -> Made {
    let attrs = entry.attrs();
    let sku = attrs.str("sku").unwrap_or("Standard");
    let stated = attrs.bool("zone_redundant");
    let zone_redundant = stated.unwrap_or_else(|| sku.eq_ignore_ascii_case("premium"));
    let placed = redundant_or_unpinned(facts, home, zone_redundant);
    let mut made = facts.made(index, entry, home, kind, placed);
    let attributes = &mut made.resource.attributes;
    attributes.insert("sku".into(), json!(sku));
    attributes.insert("zone_redundant".into(), json!(zone_redundant));
    if let Some(capacity) = attrs.num("capacity") {
        attributes.insert("capacity".into(), json!(capacity as u64));
    }
    made
}
