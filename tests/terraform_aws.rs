//! The AWS table of the Terraform import, through the library: zones and edges of
//! Terraform-sourced AWS resources, the cut sets they give, the AWS rules firing on them as
//! on crawled resources, every instance accounted for, and ids that meet a crawl's.
//!
//! Fixtures in `tests/fixtures/terraform/aws/`: `three-tier.tfstate` (state v4 of Terraform
//! 1.7: a VPC over three zones, one NAT gateway for every private subnet through a route
//! table and its associations, an ALB over the public subnets forwarding to instances in
//! the three zones and an Auto Scaling group, a single-AZ RDS instance, an ElastiCache
//! group, a Route 53 alias to the ALB) and `services.show.json` (`terraform show -json` of
//! a state with the other services: Multi-AZ RDS, Aurora, EFS, DynamoDB, S3, CloudFront,
//! API Gateway, ECS, EKS, MSK, MQ, OpenSearch, VPN, Direct Connect, a regional NAT gateway
//! reached through the main route table).

mod common;

use std::collections::{BTreeMap, BTreeSet};

use linchpin::analysis::{self, Analysis};
use linchpin::graph::Estate;
use linchpin::model::{CoverageRecord, Placement, Resource, Snapshot};
use linchpin::rules::{RulePack, engine};
use linchpin::sources::terraform::{File, import, read_str};
use serde_json::{Value, json};

const THREE_TIER: &str = "three-tier.tfstate";
const SERVICES: &str = "services.show.json";
const NAT: &str = "arn:aws:ec2:ap-northeast-1:111122223333:natgateway/nat-0f1e2d3c4b5a69788";
const ALB: &str = "arn:aws:elasticloadbalancing:ap-northeast-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188";
const RECORD: &str =
    "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ/record/www.exchange.example/A";

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/terraform/aws/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Import documents (origin, text) as one estate, checked valid.
fn import_all(documents: &[(&str, &str)]) -> Snapshot {
    let read: Vec<_> = documents
        .iter()
        .map(|(origin, text)| read_str(text, origin).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let files: Vec<File> = documents
        .iter()
        .zip(&read)
        .map(|((origin, _), doc)| File {
            origin,
            instances: &doc.instances,
        })
        .collect();
    let snapshot = import(&files);
    let problems = linchpin::snapshot::validate(&snapshot);
    assert!(problems.is_empty(), "invalid snapshot: {problems:?}");
    snapshot
}

fn import_fixture(name: &str) -> Snapshot {
    import_all(&[(name, &fixture(name))])
}

/// A state v4 document of AWS resources: (type, name, attributes) each one instance; a type
/// `data.x` is a data source.
fn state(resources: &[(&str, &str, Value)]) -> String {
    let resources: Vec<Value> = resources
        .iter()
        .map(|(kind, name, attributes)| {
            let (mode, kind) = match kind.strip_prefix("data.") {
                Some(kind) => ("data", kind),
                None => ("managed", *kind),
            };
            json!({
                "mode": mode, "type": kind, "name": name,
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{"schema_version": 0, "attributes": attributes}]
            })
        })
        .collect();
    json!({"version": 4, "terraform_version": "1.8.0", "serial": 1, "lineage": "l",
           "outputs": {}, "resources": resources})
    .to_string()
}

fn resource<'a>(snapshot: &'a Snapshot, id: &str) -> &'a Resource {
    snapshot
        .resources
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| {
            let ids: Vec<&str> = snapshot.resources.iter().map(|r| r.id.as_str()).collect();
            panic!("no resource {id} in {ids:#?}")
        })
}

fn by_address<'a>(snapshot: &'a Snapshot, address: &str) -> &'a Resource {
    snapshot
        .resources
        .iter()
        .find(|r| r.attributes.get("tf_address") == Some(&json!(address)))
        .unwrap_or_else(|| panic!("no resource of {address}"))
}

fn zones(resource: &Resource) -> Vec<&str> {
    resource
        .placement
        .zones()
        .iter()
        .map(|z| z.as_str())
        .collect()
}

/// Every requirement group as (label, members).
fn groups(resource: &Resource) -> Vec<(String, Vec<String>)> {
    resource
        .requirements
        .iter()
        .map(|g| (g.label.clone().unwrap_or_default(), g.members().to_vec()))
        .collect()
}

fn coverage<'a>(snapshot: &'a Snapshot, what: &str) -> Vec<&'a CoverageRecord> {
    snapshot
        .coverage
        .iter()
        .filter(|c| c.operation == what)
        .collect()
}

/// The estate as the command line builds it (AWS entry points stated) and its analyses.
fn analysed(mut snapshot: Snapshot) -> (Estate, Analysis) {
    linchpin::sources::aws::entry::state_entry_points(&mut snapshot);
    let estate = Estate::build(snapshot);
    let analysis = analysis::analyse(&estate);
    (estate, analysis)
}

/// Rule id → the resources it fired on.
fn fired(estate: &Estate, analysis: &Analysis) -> BTreeMap<String, BTreeSet<String>> {
    let pack = RulePack::builtin().expect("the built-in pack is valid");
    let evaluation = engine::run(&pack, estate, analysis);
    assert!(evaluation.errors.is_empty(), "{:?}", evaluation.errors);
    let mut fired: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for finding in evaluation.findings {
        fired
            .entry(finding.rule)
            .or_default()
            .extend(finding.resources.first().cloned());
    }
    fired
}

#[test]
fn three_tier_resources_are_placed_in_zone_ids() {
    let snapshot = import_fixture(THREE_TIER);
    let zone_of = |address: &str| zones(by_address(&snapshot, address));
    assert_eq!(zone_of("module.vpc.aws_subnet.private[0]"), ["apne1-az4"]);
    assert_eq!(zone_of("module.vpc.aws_subnet.private[1]"), ["apne1-az1"]);
    assert_eq!(zone_of("module.vpc.aws_subnet.public[2]"), ["apne1-az2"]);
    assert_eq!(zone_of("aws_instance.web[0]"), ["apne1-az4"]);
    assert_eq!(zone_of("aws_instance.web[1]"), ["apne1-az1"]);
    assert_eq!(zone_of("aws_instance.web[2]"), ["apne1-az2"]);
    assert_eq!(zone_of("module.vpc.aws_nat_gateway.this[0]"), ["apne1-az4"]);
    let three = ["apne1-az1", "apne1-az2", "apne1-az4"];
    assert_eq!(zone_of("aws_lb.web"), three);
    assert_eq!(zone_of("aws_autoscaling_group.app"), three);
    assert_eq!(zone_of("aws_db_instance.ledger"), ["apne1-az4"]);
    assert_eq!(
        zone_of("aws_elasticache_replication_group.sessions"),
        ["apne1-az1", "apne1-az4"]
    );
    let record = resource(&snapshot, RECORD);
    assert_eq!(
        record.placement,
        Placement::Global {
            control_plane_region: Some("us-east-1".into())
        }
    );
    assert_eq!(
        by_address(&snapshot, "aws_lb_target_group.web").placement,
        Placement::Regional
    );
    // Zones are declared by ID with the account's names.
    let declared: Vec<(&str, Option<&str>)> = snapshot
        .zones
        .iter()
        .map(|z| (z.id.as_str(), z.name.as_deref()))
        .collect();
    assert_eq!(
        declared,
        [
            ("apne1-az1", Some("ap-northeast-1c")),
            ("apne1-az2", Some("ap-northeast-1d")),
            ("apne1-az4", Some("ap-northeast-1a")),
        ]
    );
    // Kinds, names and attributes as the crawler gives them.
    let alb = resource(&snapshot, ALB);
    assert_eq!(alb.kind, "aws:elasticloadbalancing:loadbalancer");
    assert_eq!(alb.attributes["scheme"], "internet-facing");
    assert_eq!(alb.attributes["type"], "application");
    let db = by_address(&snapshot, "aws_db_instance.ledger");
    assert_eq!(db.id, "arn:aws:rds:ap-northeast-1:111122223333:db:ledger");
    assert_eq!(
        (db.name.as_str(), &db.attributes["multi_az"]),
        ("ledger", &json!(false))
    );
    let asg = by_address(&snapshot, "aws_autoscaling_group.app");
    assert_eq!(asg.attributes["desired_capacity"], 3);
    assert_eq!(asg.attributes["zones"], json!(three));
    assert_eq!(
        by_address(&snapshot, "aws_instance.web[0]").tags["env"],
        "prod",
        "default tags (tags_all) are on the cloud object"
    );
}

#[test]
fn an_instance_in_one_zone_needs_the_nat_gateway_of_another_through_its_route_table() {
    let snapshot = import_fixture(THREE_TIER);
    let web1 = by_address(&snapshot, "aws_instance.web[1]");
    assert_eq!(zones(web1), ["apne1-az1"]);
    assert_eq!(
        groups(web1),
        [
            (
                "in subnet".to_string(),
                vec![
                    "arn:aws:ec2:ap-northeast-1:111122223333:subnet/subnet-0c22222222222222c"
                        .to_string()
                ]
            ),
            (
                "egress via NAT gateway nat-0f1e2d3c4b5a69788 (route table rtb-0cccc3333dddd4444)"
                    .to_string(),
                vec![NAT.to_string()]
            ),
        ]
    );
    let nat = resource(&snapshot, NAT);
    assert_eq!(zones(nat), ["apne1-az4"]);
    assert_eq!(
        nat.attributes["serves_zones"],
        json!(["apne1-az1", "apne1-az2", "apne1-az4"])
    );
    assert_eq!(nat.attributes["vpc"], "vpc-0b7e1c2d3a4f50601");
    // The public subnets route to the internet gateway: no NAT edge for the NAT's own subnet.
    let public = by_address(&snapshot, "module.vpc.aws_subnet.public[0]");
    assert_eq!(public.attributes["egress"], "internet");
    assert_eq!(
        by_address(&snapshot, "module.vpc.aws_subnet.private[2]").attributes["route_table"],
        "rtb-0cccc3333dddd4444"
    );
    let vpc = by_address(&snapshot, "module.vpc.aws_vpc.this");
    assert_eq!(vpc.attributes["nat_gateways"], 1);
    // The Auto Scaling group's instances are not in the state: it needs the NAT all the same.
    let asg = by_address(&snapshot, "aws_autoscaling_group.app");
    assert!(
        groups(asg).iter().any(|(_, m)| m == &[NAT.to_string()]),
        "{:?}",
        groups(asg)
    );
    // The load balancer needs its target group, which needs any of its targets.
    let alb = resource(&snapshot, ALB);
    assert_eq!(groups(alb)[0].0, "listener HTTP:80 forwards to web");
    let tg = by_address(&snapshot, "aws_lb_target_group.web");
    assert_eq!(groups(tg)[0].1.len(), 4, "three instances and the group");
}

#[test]
fn losing_the_nat_gateways_zone_stops_the_dns_record_and_the_load_balancer() {
    let (estate, analysis) = analysed(import_fixture(THREE_TIER));
    let cut = |id: &str| -> Vec<String> {
        let (_, domains) = analysis
            .cut_sets
            .iter()
            .find(|(service, _)| estate.resource(service.resource).id == id)
            .unwrap_or_else(|| panic!("{id} is not a critical service"));
        domains
            .iter()
            .map(|&d| {
                let domain = estate.domain(d);
                format!("{}={}", domain.kind.as_str(), domain.id)
            })
            .collect()
    };
    for service in [RECORD, ALB] {
        let domains = cut(service);
        assert!(
            domains.contains(&"zone=apne1-az4".to_string()),
            "{service}: {domains:?}"
        );
        assert!(
            !domains.contains(&"zone=apne1-az1".to_string()),
            "{service}: {domains:?}"
        );
        assert!(
            !domains.contains(&"zone=apne1-az2".to_string()),
            "{service}: {domains:?}"
        );
    }
    // The single-AZ database is critical by its tag and falls with its zone.
    assert!(
        cut("arn:aws:rds:ap-northeast-1:111122223333:db:ledger")
            .contains(&"zone=apne1-az4".to_string())
    );
    // And the NAT gateway is the record's single point of failure.
    let (_, spofs) = analysis
        .spofs
        .iter()
        .find(|(service, _)| estate.resource(service.resource).id == RECORD)
        .expect("the record is critical");
    let spofs: Vec<&str> = spofs
        .iter()
        .map(|&r| estate.resource(r).id.as_str())
        .collect();
    assert!(spofs.contains(&NAT), "{spofs:?}");
}

#[test]
fn the_aws_rules_fire_on_terraform_resources_as_on_crawled_ones() {
    let (estate, analysis) = analysed(import_fixture(THREE_TIER));
    let fired = fired(&estate, &analysis);
    let on = |rule: &str| fired.get(rule).cloned().unwrap_or_default();
    assert!(on("aws-nat-gateway-cross-zone").contains(NAT), "{fired:#?}");
    assert!(
        on("aws-vpc-single-nat-gateway")
            .contains("arn:aws:ec2:ap-northeast-1:111122223333:vpc/vpc-0b7e1c2d3a4f50601")
    );
    assert!(
        on("aws-rds-instance-single-az")
            .contains("arn:aws:rds:ap-northeast-1:111122223333:db:ledger")
    );
    assert!(!fired.contains_key("aws-elasticache-no-automatic-failover"));
    assert!(!fired.contains_key("aws-elasticache-single-zone"));
    assert!(!fired.contains_key("aws-elb-single-zone"));
    assert!(!fired.contains_key("aws-autoscaling-single-zone"));
    // Everything placed: no unknown placement, no coverage gap.
    assert!(!fired.contains_key("unknown-placement"), "{fired:#?}");
    assert!(!fired.contains_key("coverage-gap"), "{fired:#?}");
}

#[test]
fn the_other_services_get_the_crawlers_attributes_and_their_rules() {
    let (estate, analysis) = analysed(import_fixture(SERVICES));
    let fired = fired(&estate, &analysis);
    let on = |rule: &str| fired.get(rule).cloned().unwrap_or_default();
    let region = "eu-west-1:444455556666";
    let expected = [
        (
            "aws-rds-cluster-single-zone",
            format!("arn:aws:rds:{region}:cluster:trades"),
        ),
        (
            "aws-mq-single-instance-broker",
            format!("arn:aws:mq:{region}:broker:orders-mq:b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9"),
        ),
        (
            "aws-opensearch-no-zone-awareness",
            format!("arn:aws:es:{region}:domain/order-search"),
        ),
        (
            "aws-vpn-single-tunnel",
            format!("arn:aws:ec2:{region}:vpn-connection/vpn-0a1b2c3d4e5f6070a"),
        ),
        (
            "aws-direct-connect-single-connection",
            format!("arn:aws:directconnect:{region}:dxcon/dxcon-ffabc123"),
        ),
        (
            "aws-vpc-endpoint-single-zone",
            format!("arn:aws:ec2:{region}:vpc-endpoint/vpce-0secrets000000005"),
        ),
        (
            "aws-elb-cross-zone-disabled",
            format!("arn:aws:elasticloadbalancing:{region}:loadbalancer/net/api/1a2b3c4d5e6f7a8b"),
        ),
        (
            "aws-lambda-vpc-single-zone",
            format!("arn:aws:lambda:{region}:function:fraud-check"),
        ),
        (
            "aws-efs-one-zone",
            format!("arn:aws:elasticfilesystem:{region}:file-system/fs-0scratch00000002"),
        ),
    ];
    for (rule, id) in &expected {
        assert!(
            on(rule).contains(id),
            "{rule} does not fire on {id}: {fired:#?}"
        );
    }
    let quiet = [
        // Multi-AZ over its subnet group's zones.
        (
            "aws-rds-instance-single-az",
            format!("arn:aws:rds:{region}:db:orders"),
        ),
        // The cluster's instances are judged with their cluster.
        (
            "aws-rds-instance-single-az",
            format!("arn:aws:rds:{region}:db:trades-1"),
        ),
        (
            "aws-efs-one-zone",
            format!("arn:aws:elasticfilesystem:{region}:file-system/fs-0shared000000001"),
        ),
        (
            "aws-cloudfront-no-origin-failover",
            "arn:aws:cloudfront::444455556666:distribution/E2EXCHANGE".to_string(),
        ),
        (
            "aws-nat-gateway-cross-zone",
            format!("arn:aws:ec2:{region}:natgateway/nat-0regional0000000003"),
        ),
    ];
    for (rule, id) in &quiet {
        assert!(!on(rule).contains(id), "{rule} fires on {id}");
    }
    assert!(
        !fired.contains_key("aws-route53-critical-no-failover"),
        "{fired:#?}"
    );
    let snapshot = &estate.snapshot;
    let orders = resource(snapshot, &format!("arn:aws:rds:{region}:db:orders"));
    assert!(matches!(
        &orders.placement,
        Placement::MultiZone { zones, inferred: true } if zones.len() == 3
    ));
    let record = by_address(snapshot, "aws_route53_record.api[\"primary\"]");
    assert_eq!(record.attributes["routing_policy"], "failover");
    assert_eq!(
        record.attributes["health_check_id"],
        "4a1f7c2e-9d3b-4e5f-8a6b-0c1d2e3f4a5b"
    );
    assert_eq!(
        groups(record)[1].1.len(),
        2,
        "either endpoint of the failover pair"
    );
    let table = |name: &str| resource(snapshot, &format!("arn:aws:dynamodb:{region}:table/{name}"));
    assert_eq!(table("limits").attributes["global_table"], true);
    assert_eq!(
        table("limits").attributes["replicas"],
        json!(["eu-central-1"])
    );
    assert_eq!(table("sessions").attributes["global_table"], false);
    let bucket = resource(snapshot, "arn:aws:s3:::exchange-static-euw1");
    assert_eq!(bucket.attributes["versioning"], "Enabled");
    assert_eq!(
        bucket.attributes["replication"]["destination"],
        "arn:aws:s3:::exchange-static-euc1"
    );
    let distribution = by_address(snapshot, "aws_cloudfront_distribution.static");
    assert_eq!(
        groups(distribution),
        [(
            "origin group group: failover to any member".to_string(),
            vec![
                "arn:aws:s3:::exchange-static-euw1".to_string(),
                "arn:aws:s3:::exchange-static-euc1".to_string()
            ]
        )]
    );
    let api = by_address(snapshot, "aws_api_gateway_rest_api.api");
    assert_eq!(api.kind, "aws:apigateway:restapi");
    assert_eq!(
        groups(api)[0].1,
        [format!("arn:aws:lambda:{region}:function:fraud-check")]
    );
}

#[test]
fn a_regional_nat_gateway_through_the_main_route_table_serves_every_zone() {
    let snapshot = import_fixture(SERVICES);
    let nat = by_address(&snapshot, "module.network.aws_nat_gateway.regional");
    assert_eq!(nat.placement, Placement::Regional);
    assert_eq!(nat.attributes["availability_mode"], "regional");
    assert_eq!(
        nat.attributes["serves_zones"],
        json!(["euw1-az1", "euw1-az2", "euw1-az3"])
    );
    // No subnet has an association: the main route table (set by an association, its
    // default route an `aws_route`) routes them all.
    let subnet = by_address(&snapshot, "module.network.aws_subnet.private[1]");
    assert_eq!(subnet.attributes["route_table"], "rtb-0main00000000000002");
    assert_eq!(subnet.attributes["egress"], "nat");
    let service = by_address(&snapshot, "aws_ecs_service.api");
    assert!(groups(service).iter().any(|(_, m)| *m == [nat.id.as_str()]));
    assert_eq!(service.attributes["desired_capacity"], 3);
    // The target group an ECS service registers in needs the service.
    let tg = by_address(&snapshot, "aws_lb_target_group.api");
    assert_eq!(groups(tg)[0].1, [service.id.as_str()]);
}

/// instances = resources + Σ folded + Σ skipped, for every fixture.
#[test]
fn every_instance_is_a_resource_folded_or_skipped() {
    for (name, resources, folded, skipped) in [(THREE_TIER, 22, 16, 1), (SERVICES, 42, 13, 0)] {
        let text = fixture(name);
        let doc = read_str(&text, name).unwrap();
        let snapshot = import_fixture(name);
        let source = &snapshot.sources[0];
        let managed = doc.instances.iter().filter(|i| !i.data).count() as u64;
        let sum = |m: &BTreeMap<String, u64>| m.values().sum::<u64>();
        assert_eq!(source.instances, Some(managed), "{name}");
        assert_eq!(
            source.resources.unwrap() + sum(&source.folded) + sum(&source.skipped),
            managed,
            "{name}: {source:?}"
        );
        assert_eq!(source.resources, Some(snapshot.resources.len() as u64));
        assert_eq!(
            (
                source.resources.unwrap(),
                sum(&source.folded),
                sum(&source.skipped)
            ),
            (resources, folded, skipped),
            "{name}: {source:?}"
        );
        assert!(
            snapshot.coverage.is_empty(),
            "{name}: {:?}",
            snapshot.coverage
        );
    }
}

#[test]
fn a_zone_name_no_subnet_maps_is_kept_as_the_name_and_counted() {
    let text = state(&[
        (
            "aws_subnet",
            "a",
            json!({
            "arn": "arn:aws:ec2:ap-northeast-1:111122223333:subnet/subnet-0a",
            "id": "subnet-0a", "availability_zone": "ap-northeast-1a",
            "availability_zone_id": "apne1-az4", "vpc_id": "vpc-01"}),
        ),
        (
            "aws_ebs_volume",
            "data",
            json!({
            "arn": "arn:aws:ec2:ap-northeast-1:111122223333:volume/vol-0b",
            "id": "vol-0b", "availability_zone": "ap-northeast-1b", "size": 100}),
        ),
        (
            "aws_instance",
            "mapped",
            json!({
            "arn": "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-0a",
            "id": "i-0a", "availability_zone": "ap-northeast-1a"}),
        ),
    ]);
    let snapshot = import_all(&[("zones.tfstate", &text)]);
    let volume = by_address(&snapshot, "aws_ebs_volume.data");
    assert_eq!(zones(volume), ["ap-northeast-1b"]);
    assert_eq!(
        zones(by_address(&snapshot, "aws_instance.mapped")),
        ["apne1-az4"]
    );
    let zone = snapshot
        .zones
        .iter()
        .find(|z| z.id.as_str() == "ap-northeast-1b")
        .expect("the name is declared as a zone");
    assert_eq!(zone.region, "ap-northeast-1");
    let gaps = coverage(&snapshot, "zone names");
    assert_eq!(gaps.len(), 1, "{:?}", snapshot.coverage);
    let error = gaps[0].error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with("1 resource(s)")
            && error.contains("ap-northeast-1b (aws_ebs_volume.data)"),
        "{error}"
    );
}

#[test]
fn a_subnet_no_state_holds_is_a_counted_reference_and_no_dangling_edge() {
    let text = state(&[
        (
            "aws_instance",
            "orphan",
            json!({
            "arn": "arn:aws:ec2:ap-northeast-1:111122223333:instance/i-0orphan",
            "id": "i-0orphan", "availability_zone": "apne1-az4", "subnet_id": "subnet-0gone"}),
        ),
        (
            "aws_lb",
            "orphan",
            json!({
            "arn": "arn:aws:elasticloadbalancing:ap-northeast-1:111122223333:loadbalancer/app/o/1",
            "name": "o", "subnets": ["subnet-0gone", "subnet-0gone2"], "internal": true}),
        ),
    ]);
    let snapshot = import_all(&[("orphan.tfstate", &text)]);
    let instance = by_address(&snapshot, "aws_instance.orphan");
    assert!(
        instance.requirements.is_empty(),
        "{:?}",
        instance.requirements
    );
    assert_eq!(zones(instance), ["apne1-az4"], "a zone ID needs no map");
    let lb = by_address(&snapshot, "aws_lb.orphan");
    assert_eq!(lb.placement, Placement::Unknown, "its zones are not known");
    assert_eq!(lb.attributes["scheme"], "internal");
    let gaps = coverage(&snapshot, "references");
    assert_eq!(gaps.len(), 1);
    let error = gaps[0].error.as_deref().unwrap_or_default();
    assert!(error.starts_with("3 reference(s)"), "{error}");
    assert!(error.contains("subnet-0gone"), "{error}");
}

#[test]
fn states_of_one_estate_meet_across_files() {
    let network = state(&[
        (
            "aws_vpc",
            "main",
            json!({
            "arn": "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-0net", "id": "vpc-0net"}),
        ),
        (
            "aws_subnet",
            "a",
            json!({
            "arn": "arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0net",
            "id": "subnet-0net", "availability_zone": "us-east-1a",
            "availability_zone_id": "use1-az6", "vpc_id": "vpc-0net"}),
        ),
    ]);
    let app = state(&[(
        "aws_instance",
        "app",
        json!({
            "arn": "arn:aws:ec2:us-east-1:111122223333:instance/i-0app",
            "id": "i-0app", "availability_zone": "us-east-1a", "subnet_id": "subnet-0net"}),
    )]);
    let snapshot = import_all(&[("network.tfstate", &network), ("app.tfstate", &app)]);
    let instance = by_address(&snapshot, "aws_instance.app");
    assert_eq!(
        zones(instance),
        ["use1-az6"],
        "the other state's subnet maps the name"
    );
    assert_eq!(
        groups(instance)[0].1,
        ["arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0net"]
    );
    assert!(snapshot.coverage.is_empty(), "{:?}", snapshot.coverage);
}

#[test]
fn early_state_shapes_give_the_same_edges() {
    // Flatmap-era values: strings for booleans and numbers, a NAT gateway written as the
    // route's `gateway_id`, the main route table only as the VPC's attribute, the Auto
    // Scaling group's subnets as one comma-separated string, no ARNs.
    let text = state(&[
        (
            "aws_vpc",
            "main",
            json!({"id": "vpc-01", "cidr_block": "10.0.0.0/16",
            "main_route_table_id": "rtb-main", "owner_id": "111122223333"}),
        ),
        (
            "aws_subnet",
            "a",
            json!({"id": "subnet-a", "availability_zone": "eu-west-1a",
            "availability_zone_id": "euw1-az3", "vpc_id": "vpc-01", "owner_id": "111122223333"}),
        ),
        (
            "aws_subnet",
            "b",
            json!({"id": "subnet-b", "availability_zone": "eu-west-1b",
            "availability_zone_id": "euw1-az1", "vpc_id": "vpc-01", "owner_id": "111122223333"}),
        ),
        (
            "aws_nat_gateway",
            "one",
            json!({"id": "nat-01", "subnet_id": "subnet-a"}),
        ),
        (
            "aws_route_table",
            "main",
            json!({"id": "rtb-main", "vpc_id": "vpc-01",
            "route": [{"cidr_block": "0.0.0.0/0", "gateway_id": "nat-01"}]}),
        ),
        (
            "aws_autoscaling_group",
            "workers",
            json!({"id": "workers", "name": "workers",
            "vpc_zone_identifier": "subnet-a,subnet-b", "min_size": "2", "max_size": "4",
            "desired_capacity": "2"}),
        ),
        (
            "aws_db_instance",
            "db",
            json!({"id": "db", "identifier": "db",
            "availability_zone": "eu-west-1b", "multi_az": "false"}),
        ),
    ]);
    let snapshot = import_all(&[("early.tfstate", &text)]);
    let nat = by_address(&snapshot, "aws_nat_gateway.one");
    assert_eq!(
        nat.id,
        "arn:aws:ec2:eu-west-1:111122223333:natgateway/nat-01"
    );
    assert_eq!(zones(nat), ["euw1-az3"]);
    assert_eq!(
        nat.attributes["serves_zones"],
        json!(["euw1-az1", "euw1-az3"])
    );
    let asg = by_address(&snapshot, "aws_autoscaling_group.workers");
    assert_eq!(zones(asg), ["euw1-az1", "euw1-az3"]);
    assert_eq!(asg.attributes["min_size"], 2);
    assert_eq!(
        groups(asg),
        [(
            "egress via NAT gateway nat-01 (route table rtb-main)".to_string(),
            vec![nat.id.clone()]
        )]
    );
    let db = by_address(&snapshot, "aws_db_instance.db");
    assert_eq!(db.id, "arn:aws:rds:eu-west-1:111122223333:db:db");
    assert_eq!(zones(db), ["euw1-az1"]);
    assert_eq!(db.attributes["multi_az"], false);
}

#[test]
fn a_database_whose_zone_nobody_chose_is_unpinned_and_private_names_are_no_entry_point() {
    let text = state(&[
        (
            "aws_db_instance",
            "planned",
            json!({"identifier": "planned", "multi_az": false,
            "arn": "arn:aws:rds:eu-west-1:111122223333:db:planned"}),
        ),
        (
            "aws_route53_zone",
            "internal",
            json!({"zone_id": "ZINTERNAL", "name": "corp.internal",
            "vpc": [{"vpc_id": "vpc-01", "vpc_region": "eu-west-1"}]}),
        ),
        (
            "aws_route53_record",
            "db",
            json!({"zone_id": "ZINTERNAL", "name": "db.corp.internal",
            "fqdn": "db.corp.internal", "type": "CNAME", "records": ["planned.abc.eu-west-1.rds.amazonaws.com"]}),
        ),
    ]);
    let snapshot = import_all(&[("planned.tfstate", &text)]);
    let db = by_address(&snapshot, "aws_db_instance.planned");
    assert_eq!(db.placement, Placement::Unpinned);
    assert_eq!(db.region.as_deref(), Some("eu-west-1"));
    let record = by_address(&snapshot, "aws_route53_record.db");
    assert_eq!(record.attributes["entry_point"], false);
    let mut with_entry_points = snapshot.clone();
    linchpin::sources::aws::entry::state_entry_points(&mut with_entry_points);
    assert_eq!(
        by_address(&with_entry_points, "aws_route53_record.db").attributes["entry_point"],
        false,
        "an explicit entry_point is kept"
    );
}

/// The same subnet, NAT gateway, instances and load balancer, crawled from moto and written
/// in a state (without ARNs, as old providers wrote it), get the same ids, kinds, zones and
/// egress edges.
#[test]
fn a_crawl_and_a_state_of_the_same_resources_meet_on_one_id() {
    let moto = common::moto::Moto::start();
    let seeded = moto.seed();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crawl.json");
    let output = common::moto::linchpin_aws(
        &[
            "crawl",
            "aws",
            "--endpoint-url",
            &moto.url,
            "--region",
            "ap-northeast-1",
            "--output",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let crawled: Snapshot = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let tokyo = &seeded["ap-northeast-1"];
    let id = |v: &Value| v.as_str().unwrap().to_string();
    let owner = "123456789012";
    let mut resources = vec![
        (
            "data.aws_region",
            "current".to_string(),
            json!({"id": "ap-northeast-1",
            "name": "ap-northeast-1", "description": "Asia Pacific (Tokyo)"}),
        ),
        (
            "data.aws_caller_identity",
            "current".to_string(),
            json!({"id": owner,
            "account_id": owner, "arn": format!("arn:aws:iam::{owner}:user/ci")}),
        ),
        (
            "aws_vpc",
            "main".to_string(),
            json!({
            "id": id(&tokyo["vpc"]), "cidr_block": "10.0.0.0/16"}),
        ),
    ];
    for (i, zone) in [("a", "apne1-az4"), ("c", "apne1-az1"), ("d", "apne1-az2")]
        .iter()
        .enumerate()
    {
        for tier in ["public", "private"] {
            resources.push((
                "aws_subnet",
                format!("{tier}{i}"),
                json!({
                "id": id(&tokyo[tier][zone.0]), "owner_id": owner, "vpc_id": id(&tokyo["vpc"]),
                "availability_zone": format!("ap-northeast-1{}", zone.0),
                "availability_zone_id": zone.1}),
            ));
        }
        resources.push((
            "aws_route_table_association",
            format!("private{i}"),
            json!({
            "subnet_id": id(&tokyo["private"][zone.0]),
            "route_table_id": id(&tokyo["private_route_table"])}),
        ));
    }
    resources.push((
        "aws_nat_gateway",
        "one".into(),
        json!({
        "id": id(&tokyo["nat"]), "subnet_id": id(&tokyo["public"]["a"])}),
    ));
    resources.push((
        "aws_route_table",
        "private".into(),
        json!({
        "id": id(&tokyo["private_route_table"]), "vpc_id": id(&tokyo["vpc"]),
        "route": [{"cidr_block": "0.0.0.0/0", "nat_gateway_id": id(&tokyo["nat"])}]}),
    ));
    for zone in ["a", "c"] {
        resources.push((
            "aws_instance",
            format!("api_{zone}"),
            json!({
            "id": id(&tokyo["api"][zone]), "subnet_id": id(&tokyo["private"][zone]),
            "availability_zone": format!("ap-northeast-1{zone}")}),
        ));
    }
    let borrowed: Vec<(&str, &str, Value)> = resources
        .iter()
        .map(|(t, n, v)| (*t, n.as_str(), v.clone()))
        .collect();
    let text = state(&borrowed);
    let from_state = import_all(&[("moto.tfstate", &text)]);
    let mut compared = 0;
    for ours in &from_state.resources {
        let theirs = resource(&crawled, &ours.id);
        assert_eq!(ours.kind, theirs.kind, "{}", ours.id);
        assert_eq!(ours.placement, theirs.placement, "{}", ours.id);
        let members = |r: &Resource| -> BTreeSet<Vec<String>> {
            r.requirements
                .iter()
                .map(|g| g.members().to_vec())
                .collect()
        };
        if ours.kind == "aws:ec2:instance" {
            assert_eq!(members(ours), members(theirs), "{}", ours.id);
            assert_eq!(groups(ours), groups(theirs), "{}", ours.id);
        }
        if ours.kind == "aws:ec2:natgateway" {
            assert_eq!(
                ours.attributes["serves_zones"], theirs.attributes["serves_zones"],
                "{}",
                ours.id
            );
        }
        compared += 1;
    }
    assert_eq!(
        compared, 10,
        "the VPC, six subnets, the NAT gateway and two instances"
    );
    let subnet = format!(
        "arn:aws:ec2:ap-northeast-1:{owner}:subnet/{}",
        id(&tokyo["private"]["c"])
    );
    assert!(
        from_state.resources.iter().any(|r| r.id == subnet),
        "ARN form of the subnet"
    );
}

#[test]
fn listener_rules_weighted_forwards_and_attachments_fold_into_the_balancers_edges() {
    let arn = |kind: &str, rest: &str| {
        format!("arn:aws:elasticloadbalancing:eu-west-1:111122223333:{kind}/{rest}")
    };
    let (lb, listener) = (
        arn("loadbalancer", "app/web/1"),
        arn("listener", "app/web/1/2"),
    );
    let (blue, green, api) = (
        arn("targetgroup", "blue/1"),
        arn("targetgroup", "green/2"),
        arn("targetgroup", "api/3"),
    );
    let text = state(&[
        (
            "aws_subnet",
            "a",
            json!({"arn": "arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-a",
            "id": "subnet-a", "availability_zone": "eu-west-1a", "availability_zone_id": "euw1-az3"}),
        ),
        (
            "aws_lb",
            "web",
            json!({"arn": lb, "name": "web", "subnets": ["subnet-a"],
            "internal": false, "load_balancer_type": "application"}),
        ),
        (
            "aws_lb_target_group",
            "blue",
            json!({"arn": blue, "name": "blue"}),
        ),
        (
            "aws_lb_target_group",
            "green",
            json!({"arn": green, "name": "green"}),
        ),
        (
            "aws_lb_target_group",
            "api",
            json!({"arn": api, "name": "api", "target_type": "ip"}),
        ),
        (
            "aws_lb_listener",
            "https",
            json!({"arn": listener, "load_balancer_arn": lb,
            "port": 443, "protocol": "HTTPS", "default_action": [{"type": "forward",
            "forward": [{"target_group": [{"arn": blue, "weight": 90}, {"arn": green, "weight": 10}]}]}]}),
        ),
        (
            "aws_lb_listener_rule",
            "api",
            json!({"arn": format!("{listener}/rule"),
            "listener_arn": listener, "priority": 10,
            "action": [{"type": "forward", "target_group_arn": api}]}),
        ),
        (
            "aws_autoscaling_group",
            "blue",
            json!({"arn": "arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:u:autoScalingGroupName/blue",
            "id": "blue", "name": "blue", "vpc_zone_identifier": ["subnet-a"], "min_size": 1,
            "max_size": 2, "desired_capacity": 1, "load_balancers": ["classic"]}),
        ),
        (
            "aws_autoscaling_attachment",
            "blue",
            json!({"autoscaling_group_name": "blue",
            "lb_target_group_arn": blue}),
        ),
        (
            "aws_lb_target_group_attachment",
            "ip",
            json!({"target_group_arn": api,
            "target_id": "10.0.0.5", "port": 80}),
        ),
        (
            "aws_ecs_service",
            "green",
            json!({"id": "arn:aws:ecs:eu-west-1:111122223333:service/c/green",
            "name": "green", "cluster": "arn:aws:ecs:eu-west-1:111122223333:cluster/c",
            "launch_type": "EC2", "desired_count": 2,
            "load_balancer": [{"target_group_arn": green, "container_name": "g", "container_port": 80}]}),
        ),
        (
            "aws_instance",
            "green",
            json!({"arn": "arn:aws:ec2:eu-west-1:111122223333:instance/i-green",
            "id": "i-green", "subnet_id": "subnet-a", "availability_zone": "eu-west-1a"}),
        ),
        (
            "aws_lb_target_group_attachment",
            "green",
            json!({"target_group_arn": green,
            "target_id": "i-green"}),
        ),
        (
            "aws_elb",
            "classic",
            json!({"arn": arn("loadbalancer", "classic"), "name": "classic",
            "availability_zones": ["eu-west-1a"], "instances": ["i-green"],
            "cross_zone_load_balancing": false, "dns_name": "classic-1.eu-west-1.elb.amazonaws.com"}),
        ),
    ]);
    let snapshot = import_all(&[("lb.tfstate", &text)]);
    let balancer = resource(&snapshot, &lb);
    // One group per set of target groups, in the order of the sets as the crawler has it.
    assert_eq!(
        groups(balancer),
        [
            (
                "listener HTTPS:443 rule 10 forwards to api".to_string(),
                vec![api.clone()]
            ),
            (
                "listener HTTPS:443 forwards to blue or green".to_string(),
                vec![blue.clone(), green.clone()]
            ),
        ]
    );
    let asg =
        "arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:u:autoScalingGroupName/blue";
    assert_eq!(groups(resource(&snapshot, &blue))[0].1, [asg]);
    // The ECS service's tasks have no zones the state tells: the instance holds the group.
    assert_eq!(
        groups(resource(&snapshot, &green))[0].1,
        ["arn:aws:ec2:eu-west-1:111122223333:instance/i-green"]
    );
    let ip_group = resource(&snapshot, &api);
    assert!(ip_group.requirements.is_empty());
    assert_eq!(ip_group.attributes["ip_targets"], json!(["10.0.0.5"]));
    let classic = by_address(&snapshot, "aws_elb.classic");
    assert_eq!(classic.kind, "aws:elasticloadbalancing:loadbalancer");
    assert_eq!(zones(classic), ["euw1-az3"]);
    assert_eq!(classic.attributes["cross_zone"], false);
    assert_eq!(
        groups(classic)[0].1,
        ["arn:aws:ec2:eu-west-1:111122223333:instance/i-green", asg]
    );
    let folded = &snapshot.sources[0].folded;
    assert_eq!(folded["aws_lb_listener_rule"], 1);
    assert_eq!(folded["aws_autoscaling_attachment"], 1);
    assert_eq!(folded["aws_lb_target_group_attachment"], 2);
}

/// Every mapped type, every attribute the table reads, filled with what real states (and
/// damaged ones) hold where a string, a number or a block is expected: the import neither
/// panics nor writes an invalid snapshot, and still accounts for every instance.
#[test]
fn odd_values_in_every_attribute_never_panic_or_invalidate_the_snapshot() {
    const TYPES: &[&str] = &[
        "aws_vpc",
        "aws_default_vpc",
        "aws_subnet",
        "aws_default_subnet",
        "aws_nat_gateway",
        "aws_route_table",
        "aws_default_route_table",
        "aws_route",
        "aws_route_table_association",
        "aws_main_route_table_association",
        "aws_internet_gateway",
        "aws_eip",
        "aws_security_group",
        "aws_security_group_rule",
        "aws_network_interface",
        "aws_vpc_endpoint",
        "aws_vpc_endpoint_subnet_association",
        "aws_vpn_connection",
        "aws_vpn_gateway",
        "aws_customer_gateway",
        "aws_ec2_transit_gateway",
        "aws_ec2_transit_gateway_vpc_attachment",
        "aws_dx_connection",
        "aws_dx_lag",
        "aws_dx_gateway",
        "aws_dx_private_virtual_interface",
        "aws_instance",
        "aws_ebs_volume",
        "aws_volume_attachment",
        "aws_autoscaling_group",
        "aws_autoscaling_attachment",
        "aws_launch_template",
        "aws_lambda_function",
        "aws_ecs_cluster",
        "aws_ecs_service",
        "aws_ecs_capacity_provider",
        "aws_ecs_cluster_capacity_providers",
        "aws_eks_cluster",
        "aws_eks_node_group",
        "aws_eks_fargate_profile",
        "aws_lb",
        "aws_alb",
        "aws_lb_listener",
        "aws_lb_listener_rule",
        "aws_lb_target_group",
        "aws_lb_target_group_attachment",
        "aws_elb",
        "aws_elb_attachment",
        "aws_db_instance",
        "aws_db_subnet_group",
        "aws_rds_cluster",
        "aws_rds_cluster_instance",
        "aws_elasticache_replication_group",
        "aws_elasticache_cluster",
        "aws_elasticache_subnet_group",
        "aws_elasticache_serverless_cache",
        "aws_redshift_cluster",
        "aws_msk_cluster",
        "aws_mq_broker",
        "aws_opensearch_domain",
        "aws_elasticsearch_domain",
        "aws_efs_file_system",
        "aws_efs_mount_target",
        "aws_dynamodb_table",
        "aws_dynamodb_table_replica",
        "aws_dynamodb_global_table",
        "aws_s3_bucket",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_replication_configuration",
        "aws_s3_directory_bucket",
        "aws_route53_zone",
        "aws_route53_record",
        "aws_route53_health_check",
        "aws_cloudfront_distribution",
        "aws_api_gateway_rest_api",
        "aws_api_gateway_integration",
        "aws_api_gateway_vpc_link",
        "aws_api_gateway_domain_name",
        "aws_api_gateway_base_path_mapping",
        "aws_apigatewayv2_api",
        "aws_apigatewayv2_integration",
        "aws_apigatewayv2_domain_name",
        "aws_iam_role",
        "aws_iam_role_policy_attachment",
        "aws_sqs_queue",
        "aws_sns_topic",
        "aws_kms_key",
        "aws_cloudwatch_log_group",
        "aws_cloudwatch_metric_alarm",
        "aws_wafv2_web_acl",
        "aws_ssm_maintenance_window",
    ];
    const KEYS: &[&str] = &[
        "account_id",
        "action",
        "alias",
        "aliases",
        "allocation_id",
        "api_id",
        "arn",
        "associations",
        "auto_scaling_group_arn",
        "auto_scaling_group_provider",
        "automatic_failover_enabled",
        "autoscaling_group_name",
        "availability_mode",
        "availability_zone",
        "availability_zone_id",
        "availability_zone_name",
        "availability_zones",
        "billing_mode",
        "broker_name",
        "broker_node_group_info",
        "bucket",
        "cache_nodes",
        "capacity_provider",
        "capacity_provider_strategy",
        "cidr_block",
        "client_subnets",
        "cluster",
        "cluster_config",
        "cluster_id",
        "cluster_identifier",
        "cluster_members",
        "cluster_mode",
        "cluster_name",
        "cluster_subnet_group_name",
        "connection_id",
        "connection_type",
        "connectivity_type",
        "cross_zone_load_balancing",
        "customer_gateway_id",
        "db_cluster_instance_class",
        "db_subnet_group_name",
        "default_action",
        "default_cache_behavior",
        "default_capacity_provider_strategy",
        "default_for_az",
        "default_route_table_id",
        "deployment_mode",
        "destination",
        "destination_cidr_block",
        "device_name",
        "dns_name",
        "domain_name",
        "domain_name_configuration",
        "elb",
        "elb_name",
        "enable_cross_zone_load_balancing",
        "enabled",
        "endpoint_configuration",
        "endpoint_public_access",
        "engine",
        "engine_mode",
        "engine_type",
        "failover_routing_policy",
        "file_system_id",
        "forward",
        "fqdn",
        "function_name",
        "gateway_id",
        "global_table_arn",
        "health_check_id",
        "id",
        "identifier",
        "instance",
        "instance_id",
        "instance_state",
        "instance_type",
        "instances",
        "integration_uri",
        "internal",
        "invoke_arn",
        "kafka_version",
        "labels",
        "lag_id",
        "listener_arn",
        "load_balancer",
        "load_balancer_arn",
        "load_balancer_type",
        "load_balancers",
        "location",
        "main",
        "main_route_table_id",
        "member",
        "member_clusters",
        "multi_az",
        "multi_az_enabled",
        "multi_region",
        "multivalue_answer_routing_policy",
        "name",
        "names",
        "nat_gateway_id",
        "network_configuration",
        "node_type",
        "num_cache_clusters",
        "num_node_groups",
        "number_cache_clusters",
        "ordered_cache_behavior",
        "origin",
        "origin_group",
        "origin_id",
        "owner_id",
        "port",
        "preferred_availability_zones",
        "preferred_cache_cluster_azs",
        "priority",
        "protocol",
        "protocol_type",
        "qualified_arn",
        "records",
        "region",
        "region_name",
        "replica",
        "replicas_per_node_group",
        "replication_configuration",
        "replication_group_id",
        "resource_id",
        "rest_api_id",
        "route",
        "route_table_id",
        "routes",
        "rule",
        "rules",
        "runtime",
        "scaling_config",
        "service_name",
        "static_routes_only",
        "status",
        "stream_arn",
        "subnet_group_name",
        "subnet_id",
        "subnet_ids",
        "subnet_mapping",
        "subnets",
        "tags",
        "tags_all",
        "target_arns",
        "target_domain_name",
        "target_group",
        "target_group_arn",
        "target_group_arns",
        "target_id",
        "target_origin_id",
        "target_type",
        "transit_gateway_id",
        "tunnel1_address",
        "type",
        "types",
        "unique_id",
        "uri",
        "url",
        "version",
        "versioning",
        "versioning_configuration",
        "vgw_telemetry",
        "volume_id",
        "vpc",
        "vpc_config",
        "vpc_endpoint_id",
        "vpc_endpoint_type",
        "vpc_id",
        "vpc_options",
        "vpc_zone_identifier",
        "writer",
        "zone_awareness_enabled",
        "zone_id",
        "zone_ids",
    ];
    let odd: Vec<Value> = vec![
        Value::Null,
        json!(""),
        json!("  "),
        json!([]),
        json!({}),
        json!(0),
        json!(-1),
        json!(1e300),
        json!(true),
        json!("true"),
        json!("€ü-az1"),
        json!("apne1-az4"),
        json!("ap-northeast-1a"),
        json!("arn:"),
        json!("arn:aws:ec2:::"),
        json!("arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/x/1"),
        json!("subnet-0a"),
        json!("nat-0a"),
        json!("0.0.0.0/0"),
        json!("regional"),
        json!("SINGLE_INSTANCE"),
        json!([null, 3, "", {}]),
        json!(["subnet-0a", "subnet-0a", "subnet-0b"]),
        json!([{"status": "UP", "type": "PRIMARY", "arn": "arn:aws:x:y:z:w/1"}]),
    ];
    // The keys the table reads as nested blocks: in the nested variants each holds a block
    // whose every key holds the odd value.
    const BLOCKS: &[&str] = &[
        "action",
        "alias",
        "associations",
        "auto_scaling_group_provider",
        "broker_node_group_info",
        "cache_nodes",
        "capacity_provider_strategy",
        "cluster_config",
        "cluster_mode",
        "default_action",
        "default_cache_behavior",
        "default_capacity_provider_strategy",
        "destination",
        "domain_name_configuration",
        "endpoint_configuration",
        "failover_routing_policy",
        "forward",
        "load_balancer",
        "location",
        "member",
        "network_configuration",
        "ordered_cache_behavior",
        "origin",
        "origin_group",
        "replica",
        "replication_configuration",
        "route",
        "routes",
        "rule",
        "rules",
        "scaling_config",
        "subnet_mapping",
        "target_group",
        "versioning",
        "versioning_configuration",
        "vgw_telemetry",
        "vpc",
        "vpc_config",
        "vpc_options",
    ];
    // What the table reads inside blocks.
    const INNER: &[&str] = &[
        "arn",
        "availability_zone",
        "availability_zones",
        "auto_scaling_group_arn",
        "bucket",
        "capacity_provider",
        "cidr_block",
        "client_subnets",
        "desired_size",
        "destination",
        "domain_name",
        "elb_name",
        "enabled",
        "endpoint_public_access",
        "gateway_id",
        "instance_count",
        "ipv6_cidr_block",
        "main",
        "max_size",
        "member",
        "min_size",
        "name",
        "nat_gateway_id",
        "num_node_groups",
        "origin_id",
        "region_name",
        "replicas_per_node_group",
        "status",
        "subnet_id",
        "subnet_ids",
        "subnets",
        "target_domain_name",
        "target_group",
        "target_group_arn",
        "target_origin_id",
        "type",
        "types",
        "vpc_id",
        "weight",
        "zone_awareness_enabled",
    ];
    let mut variants: Vec<Value> = Vec::new();
    for value in &odd {
        let flat: serde_json::Map<String, Value> = KEYS
            .iter()
            .map(|k| (k.to_string(), value.clone()))
            .collect();
        let inner: serde_json::Map<String, Value> = INNER
            .iter()
            .map(|k| (k.to_string(), value.clone()))
            .collect();
        let block = json!([inner]);
        let mut nested = flat.clone();
        for key in BLOCKS {
            nested.insert(key.to_string(), block.clone());
        }
        variants.push(Value::Object(flat));
        variants.push(Value::Object(nested));
    }
    // Mixed: each key a different odd value.
    for shift in 0..odd.len() {
        variants.push(Value::Object(
            KEYS.iter()
                .enumerate()
                .map(|(i, k)| (k.to_string(), odd[(i + shift) % odd.len()].clone()))
                .collect(),
        ));
    }
    let pack = RulePack::builtin().expect("the built-in pack is valid");
    for (v, attributes) in variants.iter().enumerate() {
        let resources: Vec<(&str, &str, Value)> = TYPES
            .iter()
            .map(|t| (*t, "odd", attributes.clone()))
            .collect();
        let text = state(&resources);
        let doc = read_str(&text, "odd.tfstate").unwrap();
        let snapshot = import(&[File {
            origin: "odd.tfstate",
            instances: &doc.instances,
        }]);
        let problems = linchpin::snapshot::validate(&snapshot);
        assert!(problems.is_empty(), "variant {v}: {problems:?}");
        let source = &snapshot.sources[0];
        let folded: u64 = source.folded.values().sum();
        assert_eq!(
            source.resources.unwrap() + folded,
            TYPES.len() as u64,
            "variant {v}"
        );
        let (estate, analysis) = analysed(snapshot);
        let evaluation = engine::run(&pack, &estate, &analysis);
        assert!(
            evaluation.errors.is_empty(),
            "variant {v}: {:?}",
            evaluation.errors
        );
    }
}

#[test]
fn attached_volumes_and_cluster_instances_are_needed_by_what_uses_them() {
    let text = state(&[
        (
            "aws_subnet",
            "a",
            json!({"arn": "arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-a",
            "id": "subnet-a", "availability_zone": "eu-west-1a", "availability_zone_id": "euw1-az3"}),
        ),
        (
            "aws_instance",
            "db",
            json!({"arn": "arn:aws:ec2:eu-west-1:111122223333:instance/i-db",
            "id": "i-db", "subnet_id": "subnet-a", "availability_zone": "eu-west-1a"}),
        ),
        (
            "aws_ebs_volume",
            "data",
            json!({"arn": "arn:aws:ec2:eu-west-1:111122223333:volume/vol-data",
            "id": "vol-data", "availability_zone": "eu-west-1a", "type": "gp3", "size": 500}),
        ),
        (
            "aws_volume_attachment",
            "data",
            json!({"id": "vai-1", "instance_id": "i-db",
            "volume_id": "vol-data", "device_name": "/dev/sdf"}),
        ),
    ]);
    let snapshot = import_all(&[("volumes.tfstate", &text)]);
    let volume = by_address(&snapshot, "aws_ebs_volume.data");
    assert_eq!(zones(volume), ["euw1-az3"]);
    assert!(groups(by_address(&snapshot, "aws_instance.db")).contains(&(
        "volume attached at /dev/sdf".to_string(),
        vec![volume.id.clone()]
    )));
    let services = import_fixture(SERVICES);
    let cluster = by_address(&services, "aws_rds_cluster.trades");
    assert_eq!(
        groups(cluster),
        [(
            "failover to any cluster instance".to_string(),
            vec![
                "arn:aws:rds:eu-west-1:444455556666:db:trades-1".to_string(),
                "arn:aws:rds:eu-west-1:444455556666:db:trades-2".to_string()
            ]
        )]
    );
    assert_eq!(cluster.attributes["members"], 2);
    assert_eq!(
        cluster.attributes["multi_az"], false,
        "both instances in one zone"
    );
}
