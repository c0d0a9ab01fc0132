//! A generated Terraform state (v4, as Terraform 1.x writes it) of about N resource instances
//! across AWS, Google Cloud and Azure, deterministic per seed: for benchmarks of the import
//! and for trying linchpin on a large estate without one.
//!
//! The estate repeats cells. An AWS cell is a VPC with three subnets in three zones, route
//! tables and their associations, one NAT gateway (the classic cross-zone egress), a load
//! balancer with a listener, a target group and attachments, instances and a database; a
//! Google cell is a managed instance group behind a backend service with a Cloud SQL
//! instance; an Azure cell is a scale set, VMs without zones, a flexible server and storage.

use serde_json::{Value, json};

/// The text of a state file of about `instances` managed resource instances.
pub fn state(instances: usize, seed: u64) -> String {
    let mut resources: Vec<Value> = Vec::new();
    let mut made = 0usize;
    let mut cell = 0usize;
    while made < instances {
        made += match cell % 3 {
            0 => aws_cell(&mut resources, cell, seed),
            1 => gcp_cell(&mut resources, cell, seed),
            _ => azure_cell(&mut resources, cell, seed),
        };
        cell += 1;
    }
    let state = json!({
        "version": 4,
        "terraform_version": "1.9.5",
        "serial": seed,
        "lineage": format!("00000000-0000-4000-8000-{seed:012}"),
        "outputs": {},
        "resources": resources,
        "check_results": null,
    });
    state.to_string()
}

/// One resource block of `count` instances, each with the attributes `attrs(i)` gives.
fn block(
    out: &mut Vec<Value>,
    module: &str,
    provider: &str,
    type_name: &str,
    name: &str,
    count: usize,
    attrs: impl Fn(usize) -> Value,
) -> usize {
    let instances: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "index_key": i,
                "schema_version": 0,
                "attributes": attrs(i),
                "sensitive_attributes": [],
                "dependencies": [],
            })
        })
        .collect();
    out.push(json!({
        "module": module,
        "mode": "managed",
        "type": type_name,
        "name": name,
        "provider": format!("provider[\"registry.terraform.io/hashicorp/{provider}\"]"),
        "instances": instances,
    }));
    count
}

const AWS_ZONES: [(&str, &str); 3] = [
    ("ap-northeast-1a", "apne1-az4"),
    ("ap-northeast-1c", "apne1-az1"),
    ("ap-northeast-1d", "apne1-az2"),
];

fn aws_cell(out: &mut Vec<Value>, cell: usize, seed: u64) -> usize {
    let module = format!("module.cell[{cell}]");
    let account = format!("{:012}", 100_000_000_000u64 + seed);
    let arn = |kind: &str, id: &str| format!("arn:aws:ec2:ap-northeast-1:{account}:{kind}/{id}");
    let vpc = format!("vpc-{cell:08x}");
    let subnet = |i: usize| format!("subnet-{cell:08x}{i:02x}");
    let nat = format!("nat-{cell:08x}");
    let mut n = 0;
    n += block(
        out,
        &module,
        "aws",
        "aws_vpc",
        "main",
        1,
        |_| json!({"id": vpc, "arn": arn("vpc", &vpc), "cidr_block": "10.0.0.0/16", "tags": {"Name": format!("cell-{cell}")}}),
    );
    n += block(out, &module, "aws", "aws_subnet", "private", 3, |i| {
        json!({"id": subnet(i), "arn": arn("subnet", &subnet(i)), "vpc_id": vpc,
               "availability_zone": AWS_ZONES[i].0, "availability_zone_id": AWS_ZONES[i].1,
               "cidr_block": format!("10.0.{i}.0/24"), "tags": {}})
    });
    n += block(out, &module, "aws", "aws_subnet", "public", 1, |_| {
        json!({"id": subnet(9), "arn": arn("subnet", &subnet(9)), "vpc_id": vpc,
               "availability_zone": AWS_ZONES[0].0, "availability_zone_id": AWS_ZONES[0].1,
               "cidr_block": "10.0.9.0/24", "map_public_ip_on_launch": true})
    });
    n += block(
        out,
        &module,
        "aws",
        "aws_nat_gateway",
        "egress",
        1,
        |_| json!({"id": nat, "subnet_id": subnet(9), "connectivity_type": "public", "tags": null}),
    );
    let table = format!("rtb-{cell:08x}");
    n += block(out, &module, "aws", "aws_route_table", "private", 1, |_| {
        json!({"id": table, "arn": arn("route-table", &table), "vpc_id": vpc,
               "route": [{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat, "gateway_id": ""}]})
    });
    n += block(
        out,
        &module,
        "aws",
        "aws_route_table_association",
        "private",
        3,
        |i| json!({"id": format!("rtbassoc-{cell:08x}{i:02x}"), "route_table_id": table, "subnet_id": subnet(i), "gateway_id": ""}),
    );
    n + aws_services(out, &module, &account, cell)
}

/// The load-balanced fleet and the database of one AWS cell, in its VPC and subnets.
fn aws_services(out: &mut Vec<Value>, module: &str, account: &str, cell: usize) -> usize {
    let module = module.to_string();
    let arn = |kind: &str, id: &str| format!("arn:aws:ec2:ap-northeast-1:{account}:{kind}/{id}");
    let vpc = format!("vpc-{cell:08x}");
    let subnet = |i: usize| format!("subnet-{cell:08x}{i:02x}");
    let mut n = 0;
    let tg = format!(
        "arn:aws:elasticloadbalancing:ap-northeast-1:{account}:targetgroup/web-{cell}/{cell:016x}"
    );
    let lb = format!(
        "arn:aws:elasticloadbalancing:ap-northeast-1:{account}:loadbalancer/app/web-{cell}/{cell:016x}"
    );
    n += block(out, &module, "aws", "aws_lb", "web", 1, |_| {
        json!({"id": lb, "arn": lb, "name": format!("web-{cell}"), "internal": false,
               "load_balancer_type": "application", "subnets": [subnet(0), subnet(1), subnet(2)],
               "enable_cross_zone_load_balancing": null})
    });
    n += block(out, &module, "aws", "aws_lb_listener", "https", 1, |_| {
        json!({"id": format!("{lb}/listener"), "arn": format!("{lb}/listener"), "load_balancer_arn": lb,
               "port": 443, "default_action": [{"type": "forward", "target_group_arn": tg}]})
    });
    n += block(
        out,
        &module,
        "aws",
        "aws_lb_target_group",
        "web",
        1,
        |_| json!({"id": tg, "arn": tg, "name": format!("web-{cell}"), "port": 8080, "vpc_id": vpc, "target_type": "instance"}),
    );
    let web = 12;
    let instance = |i: usize| format!("i-{cell:08x}{i:04x}");
    n += block(out, &module, "aws", "aws_instance", "web", web, |i| {
        json!({"id": instance(i), "arn": arn("instance", &instance(i)), "instance_type": "m6i.large",
               "availability_zone": AWS_ZONES[i % 3].0, "subnet_id": subnet(i % 3),
               "tags": {"Name": format!("web-{cell}-{i}")}})
    });
    n += block(
        out,
        &module,
        "aws",
        "aws_lb_target_group_attachment",
        "web",
        web,
        |i| json!({"id": format!("{tg}-{}", instance(i)), "target_group_arn": tg, "target_id": instance(i), "port": 8080}),
    );
    n += block(out, &module, "aws", "aws_db_instance", "ledger", 1, |_| {
        json!({"id": format!("db-{cell:08x}"), "identifier": format!("ledger-{cell}"),
               "arn": format!("arn:aws:rds:ap-northeast-1:{account}:db:ledger-{cell}"),
               "engine": "postgres", "multi_az": cell.is_multiple_of(2), "availability_zone": AWS_ZONES[0].0,
               "db_subnet_group_name": format!("db-{cell}")})
    });
    n += block(out, &module, "aws", "aws_db_subnet_group", "db", 1, |_| {
        json!({"id": format!("db-{cell}"), "name": format!("db-{cell}"),
               "arn": format!("arn:aws:rds:ap-northeast-1:{account}:subgrp:db-{cell}"),
               "subnet_ids": [subnet(0), subnet(1), subnet(2)]})
    });
    n += block(
        out,
        &module,
        "random",
        "random_id",
        "suffix",
        1,
        |_| json!({"id": "abcd", "hex": "69b7", "byte_length": 2}),
    );
    n
}

fn gcp_cell(out: &mut Vec<Value>, cell: usize, _seed: u64) -> usize {
    let module = format!("module.gcell[{cell}]");
    let base = "https://www.googleapis.com/compute/v1/projects/bench";
    let zones = ["us-central1-a", "us-central1-b", "us-central1-c"];
    let mut n = 0;
    let group = format!("{base}/regions/us-central1/instanceGroups/web-{cell}");
    n += block(
        out,
        &module,
        "google",
        "google_compute_region_instance_group_manager",
        "web",
        1,
        |_| {
            json!({"id": format!("projects/bench/regions/us-central1/instanceGroupManagers/web-{cell}"),
               "self_link": format!("{base}/regions/us-central1/instanceGroupManagers/web-{cell}"),
               "instance_group": group, "name": format!("web-{cell}"), "region": "us-central1",
               "project": "bench", "distribution_policy_zones": zones, "target_size": 3})
        },
    );
    n += block(
        out,
        &module,
        "google",
        "google_compute_backend_service",
        "web",
        1,
        |_| {
            json!({"id": format!("projects/bench/global/backendServices/web-{cell}"),
               "self_link": format!("{base}/global/backendServices/web-{cell}"),
               "name": format!("web-{cell}"), "project": "bench",
               "backend": [{"group": group, "balancing_mode": "UTILIZATION"}]})
        },
    );
    n += block(
        out,
        &module,
        "google",
        "google_compute_instance",
        "batch",
        6,
        |i| {
            json!({"id": format!("projects/bench/zones/{}/instances/batch-{cell}-{i}", zones[i % 3]),
               "self_link": format!("{base}/zones/{}/instances/batch-{cell}-{i}", zones[i % 3]),
               "name": format!("batch-{cell}-{i}"), "zone": zones[i % 3], "project": "bench",
               "machine_type": "e2-standard-4", "labels": {"team": "batch"}})
        },
    );
    n += block(
        out,
        &module,
        "google",
        "google_sql_database_instance",
        "db",
        1,
        |_| {
            json!({"id": format!("db-{cell}"), "name": format!("db-{cell}"), "project": "bench",
               "region": "us-central1", "database_version": "POSTGRES_15",
               "self_link": format!("https://sqladmin.googleapis.com/sql/v1beta4/projects/bench/instances/db-{cell}"),
               "settings": [{"tier": "db-custom-2-7680",
                             "availability_type": if cell.is_multiple_of(2) { "REGIONAL" } else { "ZONAL" },
                             "location_preference": [{"zone": zones[0], "secondary_zone": ""}]}]})
        },
    );
    n
}

fn azure_cell(out: &mut Vec<Value>, cell: usize, seed: u64) -> usize {
    let module = format!("module.acell[{cell}]");
    let sub = format!("00000000-0000-4000-8000-{seed:012}");
    let rg = format!("/subscriptions/{sub}/resourceGroups/rg-{cell}");
    let mut n = 0;
    n += block(
        out,
        &module,
        "azurerm",
        "azurerm_linux_virtual_machine_scale_set",
        "web",
        1,
        |_| {
            json!({"id": format!("{rg}/providers/Microsoft.Compute/virtualMachineScaleSets/web-{cell}"),
               "name": format!("web-{cell}"), "location": "eastus", "sku": "Standard_D2s_v5",
               "instances": 3, "zones": ["1", "2", "3"], "zone_balance": true})
        },
    );
    n += block(
        out,
        &module,
        "azurerm",
        "azurerm_linux_virtual_machine",
        "jump",
        4,
        |i| {
            json!({"id": format!("{rg}/providers/Microsoft.Compute/virtualMachines/jump-{cell}-{i}"),
               "name": format!("jump-{cell}-{i}"), "location": "East US", "size": "Standard_B2s",
               "zone": if i == 0 { Value::Null } else { json!(format!("{}", i % 3 + 1)) }})
        },
    );
    n += block(
        out,
        &module,
        "azurerm",
        "azurerm_postgresql_flexible_server",
        "db",
        1,
        |_| {
            json!({"id": format!("{rg}/providers/Microsoft.DBforPostgreSQL/flexibleServers/db-{cell}"),
               "name": format!("db-{cell}"), "location": "eastus", "zone": "1",
               "high_availability": [{"mode": "ZoneRedundant", "standby_availability_zone": "2"}]})
        },
    );
    n += block(
        out,
        &module,
        "azurerm",
        "azurerm_storage_account",
        "data",
        1,
        |_| {
            json!({"id": format!("{rg}/providers/Microsoft.Storage/storageAccounts/data{cell}"),
               "name": format!("data{cell}"), "location": "eastus",
               "account_tier": "Standard", "account_replication_type": "LRS"})
        },
    );
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_state_reads_and_has_the_asked_size() {
        let text = state(500, 7);
        let doc = crate::sources::terraform::read_str(&text, "synthetic.tfstate")
            .expect("the generated state is a valid state");
        let managed = doc.instances.iter().filter(|i| !i.data).count();
        assert!((500..600).contains(&managed), "{managed}");
        assert_eq!(text, state(500, 7), "deterministic per seed");
    }
}
