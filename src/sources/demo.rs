//! The embedded demo estate: a crypto exchange in AWS Tokyo modelled on the 15 April 2025
//! outage of zone apne1-az4.
//!
//! The exchange runs in ap-northeast-1 over apne1-az4, apne1-az1 and apne1-az2 with a partial
//! disaster-recovery footprint in us-east-1 and three third parties: a DNS/CDN vendor
//! (`edgeguard`), a custody provider (`vaultco`) and a sanctions-screening API
//! (`chainscreen`). Its weak points are the ones that stopped withdrawals that day: the API
//! tier's Auto Scaling group is skewed to apne1-az4, the matching engine is one instance there,
//! the wallet ledger is a single-AZ database there, one NAT gateway there carries the egress of
//! all three zones' private subnets (withdrawal workers reach the blockchain through it), and
//! two of the three hot-wallet signers of a 2-of-3 quorum live there.

use std::collections::BTreeMap;

use serde_json::json;

use crate::model::{
    CRITICAL_TAG, CoverageRecord, CoverageStatus, Placement, RequirementGroup as Req, Resource,
    SNAPSHOT_SCHEMA, Snapshot, Source, Zone, ZoneId,
};

const ACCOUNT: &str = "111122223333";
const TOKYO: &str = "ap-northeast-1";
const VIRGINIA: &str = "us-east-1";
const AZ4: &str = "apne1-az4";
const AZ1: &str = "apne1-az1";
const AZ2: &str = "apne1-az2";
const TOKYO_ZONES: [&str; 3] = [AZ4, AZ1, AZ2];

/// The demo estate as a snapshot.
pub fn snapshot() -> Snapshot {
    let mut b = Builder::default();
    network(&mut b);
    edge_and_api(&mut b);
    matching(&mut b);
    wallets_and_withdrawals(&mut b);
    deposits(&mut b);
    disaster_recovery(&mut b);
    functions(&mut b);

    let zone = |id: &str, name: &str, region: &str| Zone {
        id: id.into(),
        provider: "aws".into(),
        region: region.into(),
        name: Some(name.into()),
    };
    Snapshot {
        schema: SNAPSHOT_SCHEMA.into(),
        sources: vec![Source::new("demo", "embedded demo exchange")],
        coverage: vec![CoverageRecord {
            source: "demo".into(),
            provider: None,
            account: Some(ACCOUNT.into()),
            region: None,
            service: "demo".into(),
            operation: "embedded".into(),
            status: CoverageStatus::Complete,
            calls: None,
            error: None,
            conflict: None,
        }],
        zones: vec![
            zone(AZ4, "ap-northeast-1a", TOKYO),
            zone(AZ1, "ap-northeast-1c", TOKYO),
            zone(AZ2, "ap-northeast-1d", TOKYO),
            zone("use1-az1", "us-east-1b", VIRGINIA),
            zone("use1-az2", "us-east-1c", VIRGINIA),
            zone("use1-az4", "us-east-1a", VIRGINIA),
        ],
        entity: None,
        third_parties: Vec::new(),
        resources: b.resources,
    }
}

/// The demo snapshot as pretty JSON (what `examples/demo-snapshot.json` holds).
pub fn snapshot_json() -> String {
    let mut text = serde_json::to_string_pretty(&snapshot()).expect("the demo serializes");
    text.push('\n');
    text
}

#[derive(Default)]
struct Builder {
    resources: Vec<Resource>,
}

/// A resource under construction; added to the builder when dropped by `done`.
struct Item<'a> {
    b: &'a mut Builder,
    r: Resource,
}

impl Item<'_> {
    fn needs(mut self, id: &str) -> Self {
        self.r.requirements.push(Req::requires(id));
        self
    }
    fn needs_because(mut self, id: &str, label: &str) -> Self {
        self.r
            .requirements
            .push(Req::requires(id).with_label(label));
        self
    }
    fn any_of(mut self, ids: &[String], min: Option<u32>, label: &str) -> Self {
        self.r
            .requirements
            .push(Req::any_of(ids.iter().cloned(), min).with_label(label));
        self
    }
    fn attr(mut self, key: &str, value: serde_json::Value) -> Self {
        self.r.attributes.insert(key.into(), value);
        self
    }
    fn tag(mut self, key: &str, value: &str) -> Self {
        self.r.tags.insert(key.into(), value.into());
        self
    }
    fn done(self) -> String {
        let id = self.r.id.clone();
        self.b.resources.push(self.r);
        id
    }
}

impl Builder {
    /// An AWS resource; `arn_tail` is `service:resource-path`.
    fn aws(
        &mut self,
        region: &str,
        kind: &str,
        arn_tail: &str,
        name: &str,
        p: Placement,
    ) -> Item<'_> {
        let (service, path) = arn_tail.split_once(':').expect("service:path");
        let account = if service == "s3" { "" } else { ACCOUNT };
        let arn_region = if matches!(service, "s3" | "route53" | "cloudfront" | "wafv2-global") {
            ""
        } else {
            region
        };
        let service = service.trim_end_matches("-global");
        let placed = !matches!(p, Placement::Global { .. });
        Item {
            r: Resource {
                id: format!("arn:aws:{service}:{arn_region}:{account}:{path}"),
                provider: "aws".into(),
                account: Some(ACCOUNT.into()),
                region: placed.then(|| region.to_string()),
                kind: kind.into(),
                name: name.into(),
                tags: BTreeMap::from([("env".to_string(), "prod".to_string())]),
                attributes: BTreeMap::new(),
                placement: p,
                requirements: Vec::new(),
                external: false,
                sources: Vec::new(),
            },
            b: self,
        }
    }

    /// A resource of a third party.
    fn third_party(&mut self, provider: &str, kind: &str, id: &str, name: &str) -> Item<'_> {
        Item {
            r: Resource {
                id: id.into(),
                provider: provider.into(),
                account: None,
                region: None,
                kind: kind.into(),
                name: name.into(),
                tags: BTreeMap::new(),
                attributes: BTreeMap::new(),
                placement: Placement::Global {
                    control_plane_region: None,
                },
                requirements: Vec::new(),
                external: false,
                sources: Vec::new(),
            },
            b: self,
        }
    }

    /// A business function: no placement of its own, critical.
    fn function(&mut self, slug: &str, name: &str) -> Item<'_> {
        Item {
            r: Resource {
                id: format!("function:exchange/{slug}"),
                provider: "exchange".into(),
                account: None,
                region: None,
                kind: "function".into(),
                name: name.into(),
                tags: BTreeMap::from([(CRITICAL_TAG.to_string(), "true".to_string())]),
                attributes: BTreeMap::new(),
                placement: Placement::Logical,
                requirements: Vec::new(),
                external: false,
                sources: Vec::new(),
            },
            b: self,
        }
    }

    /// An EC2 instance with its root volume, in a subnet.
    fn instance(&mut self, name: &str, zone: &str, subnet: &str) -> Item<'_> {
        let volume = self
            .aws(
                TOKYO,
                "aws:ec2:volume",
                &format!("ec2:volume/vol-{name}"),
                &format!("{name}-root"),
                zonal(zone),
            )
            .attr("size_gib", json!(100))
            .done();
        self.aws(
            TOKYO,
            "aws:ec2:instance",
            &format!("ec2:instance/i-{name}"),
            name,
            zonal(zone),
        )
        .attr("zone_name", json!(zone_name(zone)))
        .needs(subnet)
        .needs_because(&volume, "root volume")
    }
}

fn zonal(zone: &str) -> Placement {
    Placement::Zonal { zone: zone.into() }
}

fn multi(zones: &[&str]) -> Placement {
    Placement::MultiZone {
        zones: zones.iter().map(|&z| ZoneId::from(z)).collect(),
        inferred: false,
    }
}

fn global() -> Placement {
    Placement::Global {
        control_plane_region: Some(VIRGINIA.into()),
    }
}

fn zone_name(zone: &str) -> &'static str {
    match zone {
        AZ4 => "ap-northeast-1a",
        AZ1 => "ap-northeast-1c",
        _ => "ap-northeast-1d",
    }
}

fn arn(service: &str, region: &str, path: &str) -> String {
    format!("arn:aws:{service}:{region}:{ACCOUNT}:{path}")
}

fn subnet(tier: &str, zone: &str) -> String {
    arn("ec2", TOKYO, &format!("subnet/subnet-{tier}-{zone}"))
}

fn network(b: &mut Builder) {
    let vpc = b
        .aws(
            TOKYO,
            "aws:ec2:vpc",
            "ec2:vpc/vpc-prod",
            "vpc-prod",
            Placement::Regional,
        )
        .attr("cidr", json!("10.0.0.0/16"))
        .attr("nat_gateways", json!(1))
        .attr("subnet_zones", json!(TOKYO_ZONES))
        .done();
    let igw = b
        .aws(
            TOKYO,
            "aws:ec2:internet-gateway",
            "ec2:internet-gateway/igw-prod",
            "igw-prod",
            Placement::Regional,
        )
        .needs(&vpc)
        .done();
    for tier in ["public", "private", "data"] {
        for zone in TOKYO_ZONES {
            b.aws(
                TOKYO,
                "aws:ec2:subnet",
                &format!("ec2:subnet/subnet-{tier}-{zone}"),
                &format!("{tier}-{}", zone_name(zone)),
                zonal(zone),
            )
            .attr("tier", json!(tier))
            .attr("zone_name", json!(zone_name(zone)))
            .needs(&vpc)
            .done();
        }
    }
    b.aws(
        TOKYO,
        "aws:ec2:natgateway",
        "ec2:natgateway/nat-az4",
        "nat-gw-1a",
        zonal(AZ4),
    )
    .attr("serves_zones", json!(TOKYO_ZONES))
    .attr(
        "route_tables",
        json!(["rtb-private-1a", "rtb-private-1c", "rtb-private-1d"]),
    )
    .needs(&subnet("public", AZ4))
    .needs(&igw)
    .done();
    b.aws(
        TOKYO,
        "aws:ec2:vpc-endpoint",
        "ec2:vpc-endpoint/vpce-secretsmanager",
        "vpce-secretsmanager",
        multi(&[AZ4]),
    )
    .attr(
        "service_name",
        json!("com.amazonaws.ap-northeast-1.secretsmanager"),
    )
    .attr("endpoint_type", json!("Interface"))
    .needs(&subnet("private", AZ4))
    .done();
}

fn nat() -> String {
    arn("ec2", TOKYO, "natgateway/nat-az4")
}

/// The public edge, the trading API behind it and the API's data stores.
fn edge_and_api(b: &mut Builder) {
    let alb = api_tier(b);
    edge(b, &alb);
    api_data(b);
}

/// The trading API: its instances (skewed to apne1-az4), target group, Auto Scaling group
/// and load balancer; returns the load balancer.
fn api_tier(b: &mut Builder) -> String {
    let zone_layout = [AZ4, AZ4, AZ4, AZ4, AZ4, AZ1, AZ2];
    let api: Vec<String> = zone_layout
        .iter()
        .enumerate()
        .map(|(i, &zone)| {
            b.instance(&format!("api-{}", i + 1), zone, &subnet("private", zone))
                .tag("service", "trading-api")
                .done()
        })
        .collect();
    let tg = b
        .aws(
            TOKYO,
            "aws:elasticloadbalancing:targetgroup",
            "elasticloadbalancing:targetgroup/api/0a1b",
            "tg-api",
            Placement::Regional,
        )
        .any_of(&api, None, "healthy targets")
        .done();
    b.aws(
        TOKYO,
        "aws:autoscaling:autoScalingGroup",
        "autoscaling:autoScalingGroup:api",
        "asg-api",
        Placement::Regional,
    )
    .attr("desired_capacity", json!(7))
    .attr("min_size", json!(4))
    .attr("zones", json!(TOKYO_ZONES))
    .any_of(&api, None, "in-service instances")
    .done();
    b.aws(
        TOKYO,
        "aws:elasticloadbalancing:loadbalancer",
        "elasticloadbalancing:loadbalancer/app/api/5e6f",
        "alb-api",
        multi(&TOKYO_ZONES),
    )
    .attr("scheme", json!("internet-facing"))
    .attr("cross_zone", json!(true))
    .needs_because(&tg, "listener :443 forwards to tg-api")
    .done()
}

/// The edge in front of the API: WAF, CloudFront, Route 53 and the websocket vendor.
fn edge(b: &mut Builder, alb: &str) {
    let waf = b
        .aws(
            TOKYO,
            "aws:wafv2:webacl",
            "wafv2-global:global/webacl/edge-acl",
            "edge-acl",
            global(),
        )
        .done();
    let cdn = b
        .aws(
            TOKYO,
            "aws:cloudfront:distribution",
            "cloudfront:distribution/E2EXCHANGE",
            "cdn-api",
            global(),
        )
        .needs_because(alb, "single origin, no origin failover")
        .needs(&waf)
        .done();
    let hosted = b
        .aws(
            TOKYO,
            "aws:route53:hostedzone",
            "route53:hostedzone/Z0EXCHANGE",
            "exchange.example",
            global(),
        )
        .done();
    b.aws(
        TOKYO,
        "aws:route53:record",
        "route53:hostedzone/Z0EXCHANGE/record/api.exchange.example/A",
        "api.exchange.example",
        global(),
    )
    .needs(&hosted)
    .needs_because(&cdn, "alias to CloudFront")
    .done();
    b.third_party(
        "edgeguard",
        "edgeguard:cdn:zone",
        "edgeguard:zone/ws.exchange.example",
        "ws.exchange.example",
    )
    .attr("entry_point", json!(true))
    .needs_because(alb, "websocket origin")
    .done();
}

/// The API's session cache and accounts database.
fn api_data(b: &mut Builder) {
    b.aws(
        TOKYO,
        "aws:elasticache:replicationgroup",
        "elasticache:replicationgroup:session-cache",
        "session-cache",
        zonal(AZ2),
    )
    .attr("automatic_failover", json!(false))
    .attr("num_cache_clusters", json!(1))
    .needs(&subnet("data", AZ2))
    .done();
    b.aws(
        TOKYO,
        "aws:rds:db-instance",
        "rds:db:accounts-db",
        "accounts-db",
        multi(&[AZ4, AZ1]),
    )
    .attr("multi_az", json!(true))
    .attr("engine", json!("postgres"))
    .attr("zone_name", json!("ap-northeast-1a"))
    .attr("secondary_zone_name", json!("ap-northeast-1c"))
    .done();
}

/// The matching engine: one instance in apne1-az4 with its journal, over the order stream,
/// the trading database and the order-book cache.
fn matching(b: &mut Builder) {
    let stream = order_stream(b);
    let trading_db = trading_db(b);
    let cache = orderbook_cache(b);
    let journal = b
        .aws(
            TOKYO,
            "aws:ec2:volume",
            "ec2:volume/vol-matching-journal",
            "matching-engine-1-journal",
            zonal(AZ4),
        )
        .attr("size_gib", json!(500))
        .attr("volume_type", json!("io2"))
        .done();
    b.instance("matching-engine-1", AZ4, &subnet("private", AZ4))
        .tag("service", "matching")
        .needs_because(&journal, "order journal")
        .needs(&trading_db)
        .needs(&cache)
        .needs_because(&stream, "order stream")
        .done();
}

/// The order stream: a Kafka cluster of one broker per zone, two of them in sync.
fn order_stream(b: &mut Builder) -> String {
    let brokers: Vec<String> = TOKYO_ZONES
        .iter()
        .enumerate()
        .map(|(i, &zone)| {
            b.aws(
                TOKYO,
                "aws:kafka:broker",
                &format!("kafka:broker/order-stream/{}", i + 1),
                &format!("order-stream-b{}", i + 1),
                zonal(zone),
            )
            .needs(&subnet("data", zone))
            .done()
        })
        .collect();
    b.aws(
        TOKYO,
        "aws:kafka:cluster",
        "kafka:cluster/order-stream/7a8b",
        "order-stream",
        multi(&TOKYO_ZONES),
    )
    .attr("replication_factor", json!(3))
    .attr("min_insync_replicas", json!(2))
    .any_of(&brokers, Some(2), "min.insync.replicas = 2")
    .done()
}

/// The trading database: an Aurora cluster of a writer in apne1-az4 and a reader.
fn trading_db(b: &mut Builder) -> String {
    let writer = b
        .aws(
            TOKYO,
            "aws:rds:db-instance",
            "rds:db:trading-db-1",
            "trading-db-1",
            zonal(AZ4),
        )
        .attr("role", json!("writer"))
        .needs(&subnet("data", AZ4))
        .done();
    let reader = b
        .aws(
            TOKYO,
            "aws:rds:db-instance",
            "rds:db:trading-db-2",
            "trading-db-2",
            zonal(AZ1),
        )
        .attr("role", json!("reader"))
        .needs(&subnet("data", AZ1))
        .done();
    b.aws(
        TOKYO,
        "aws:rds:cluster",
        "rds:cluster:trading-db",
        "trading-db",
        multi(&[AZ4, AZ1]),
    )
    .attr("engine", json!("aurora-postgresql"))
    .any_of(&[writer, reader], None, "Aurora failover to any instance")
    .done()
}

/// The order-book cache: a replication group of two nodes with automatic failover.
fn orderbook_cache(b: &mut Builder) -> String {
    let nodes: Vec<String> = [AZ4, AZ2]
        .iter()
        .enumerate()
        .map(|(i, &zone)| {
            b.aws(
                TOKYO,
                "aws:elasticache:cluster",
                &format!("elasticache:cluster:orderbook-00{}", i + 1),
                &format!("orderbook-00{}", i + 1),
                zonal(zone),
            )
            .needs(&subnet("data", zone))
            .done()
        })
        .collect();
    b.aws(
        TOKYO,
        "aws:elasticache:replicationgroup",
        "elasticache:replicationgroup:orderbook",
        "orderbook-cache",
        multi(&[AZ4, AZ2]),
    )
    .attr("automatic_failover", json!(true))
    .any_of(&nodes, None, "automatic failover")
    .done()
}

/// The hot wallet and the withdrawal path: signers, ledger, workers, limits, screening and
/// custody.
fn wallets_and_withdrawals(b: &mut Builder) {
    hot_wallet(b);
    withdrawal_workers(b);
    withdrawal_limits(b);
    screening_and_custody(b);
}

/// The hot wallet: a 2-of-3 quorum of signers (two in apne1-az4) and the single-AZ ledger.
fn hot_wallet(b: &mut Builder) {
    let kms = b
        .aws(
            TOKYO,
            "aws:kms:key",
            "kms:key/hot-wallet",
            "kms-hot-wallet",
            Placement::Regional,
        )
        .done();
    let signers: Vec<String> = [AZ4, AZ4, AZ1]
        .iter()
        .enumerate()
        .map(|(i, &zone)| {
            b.instance(&format!("signer-{}", i + 1), zone, &subnet("private", zone))
                .tag("service", "hot-wallet")
                .needs(&kms)
                .done()
        })
        .collect();
    b.resources.push(Resource {
        id: "quorum:exchange/hot-wallet-signers".into(),
        provider: "exchange".into(),
        account: None,
        region: None,
        kind: "quorum".into(),
        name: "hot-wallet-signers".into(),
        tags: BTreeMap::new(),
        attributes: BTreeMap::from([("scheme".to_string(), json!("2-of-3 threshold signing"))]),
        placement: Placement::Logical,
        requirements: vec![Req::any_of(signers, Some(2)).with_label("2-of-3 signing quorum")],
        external: false,
        sources: Vec::new(),
    });
    b.aws(
        TOKYO,
        "aws:rds:db-instance",
        "rds:db:wallet-ledger",
        "wallet-ledger",
        zonal(AZ4),
    )
    .attr("multi_az", json!(false))
    .attr("engine", json!("postgres"))
    .attr("zone_name", json!("ap-northeast-1a"))
    .needs(&subnet("data", AZ4))
    .done();
}

/// The withdrawal workers, one per zone, egressing through the one NAT gateway, with their
/// Auto Scaling group and request queue.
fn withdrawal_workers(b: &mut Builder) {
    let secret = b
        .aws(
            TOKYO,
            "aws:secretsmanager:secret",
            "secretsmanager:secret:withdrawal-keys",
            "withdrawal-keys",
            Placement::Regional,
        )
        .done();
    let endpoint = arn("ec2", TOKYO, "vpc-endpoint/vpce-secretsmanager");
    let workers: Vec<String> = TOKYO_ZONES
        .iter()
        .enumerate()
        .map(|(i, &zone)| {
            b.instance(
                &format!("withdrawal-worker-{}", i + 1),
                zone,
                &subnet("private", zone),
            )
            .tag("service", "withdrawals")
            .needs_because(&nat(), "egress to blockchain nodes via NAT gateway")
            .needs_because(&endpoint, "private DNS for Secrets Manager")
            .needs(&secret)
            .done()
        })
        .collect();
    b.aws(
        TOKYO,
        "aws:autoscaling:autoScalingGroup",
        "autoscaling:autoScalingGroup:withdrawal-workers",
        "asg-withdrawal-workers",
        Placement::Regional,
    )
    .attr("desired_capacity", json!(3))
    .attr("zones", json!(TOKYO_ZONES))
    .any_of(&workers, None, "in-service instances")
    .done();
    b.aws(
        TOKYO,
        "aws:sqs:queue",
        "sqs:withdrawal-requests",
        "withdrawal-requests",
        Placement::Regional,
    )
    .done();
}

/// The withdrawal limits: a DynamoDB global table with a us-east-1 replica.
fn withdrawal_limits(b: &mut Builder) {
    let limits = b
        .aws(
            TOKYO,
            "aws:dynamodb:table",
            "dynamodb:table/withdrawal-limits",
            "withdrawal-limits",
            Placement::Regional,
        )
        .attr("global_table", json!(true))
        .done();
    let replica = b
        .aws(
            VIRGINIA,
            "aws:dynamodb:table",
            "dynamodb:table/withdrawal-limits",
            "withdrawal-limits (us-east-1 replica)",
            Placement::Regional,
        )
        .attr("global_table", json!(true))
        .done();
    b.resources.push(Resource {
        id: "quorum:exchange/withdrawal-limits".into(),
        provider: "exchange".into(),
        account: None,
        region: None,
        kind: "quorum".into(),
        name: "withdrawal-limits (global table)".into(),
        tags: BTreeMap::new(),
        attributes: BTreeMap::new(),
        placement: Placement::Logical,
        requirements: vec![Req::any_of([limits, replica], None).with_label("any replica")],
        external: false,
        sources: Vec::new(),
    });
}

/// The third-party address screening behind the fraud check, and the custody provider.
fn screening_and_custody(b: &mut Builder) {
    let screening = b
        .third_party(
            "chainscreen",
            "chainscreen:screening:api",
            "chainscreen:api/address-screening",
            "address-screening",
        )
        .done();
    b.aws(
        TOKYO,
        "aws:lambda:function",
        "lambda:function:fraud-check",
        "fraud-check",
        multi(&[AZ4, AZ1]),
    )
    .attr("subnets", json!(2))
    .needs_because(&nat(), "egress via NAT gateway")
    .needs(&screening)
    .done();
    b.third_party(
        "vaultco",
        "vaultco:custody:api",
        "vaultco:api/custody",
        "vaultco-custody",
    )
    .done();
}

fn deposits(b: &mut Builder) {
    let igw = arn("ec2", TOKYO, "internet-gateway/igw-prod");
    let watchers: Vec<String> = [AZ1, AZ2]
        .iter()
        .enumerate()
        .map(|(i, &zone)| {
            b.instance(
                &format!("deposit-watcher-{}", i + 1),
                zone,
                &subnet("public", zone),
            )
            .tag("service", "deposits")
            .attr("public_ip", json!(true))
            .needs_because(&igw, "egress to blockchain nodes via internet gateway")
            .done()
        })
        .collect();
    b.aws(
        TOKYO,
        "aws:autoscaling:autoScalingGroup",
        "autoscaling:autoScalingGroup:deposit-watchers",
        "asg-deposit-watchers",
        Placement::Regional,
    )
    .attr("desired_capacity", json!(2))
    .attr("zones", json!([AZ1, AZ2]))
    .any_of(&watchers, None, "in-service instances")
    .done();
    b.aws(
        TOKYO,
        "aws:sqs:queue",
        "sqs:deposit-events",
        "deposit-events",
        Placement::Regional,
    )
    .done();
    let backup_dr = b
        .aws(
            VIRGINIA,
            "aws:s3:bucket",
            "s3:exchange-ledger-backups-dr",
            "exchange-ledger-backups-dr",
            Placement::Regional,
        )
        .done();
    b.aws(
        TOKYO,
        "aws:s3:bucket",
        "s3:exchange-ledger-backups",
        "exchange-ledger-backups",
        Placement::Regional,
    )
    .attr("replication", json!({ "destination": backup_dr }))
    .done();
    b.aws(
        TOKYO,
        "aws:kinesis:stream",
        "kinesis:stream/market-data",
        "market-data",
        Placement::Unknown,
    )
    .attr("seen_by", json!("tagging API only"))
    .done();
}

fn disaster_recovery(b: &mut Builder) {
    let vpc = b
        .aws(
            VIRGINIA,
            "aws:ec2:vpc",
            "ec2:vpc/vpc-dr",
            "vpc-dr",
            Placement::Regional,
        )
        .done();
    let mut subnets = Vec::new();
    for zone in ["use1-az1", "use1-az2"] {
        subnets.push(
            b.aws(
                VIRGINIA,
                "aws:ec2:subnet",
                &format!("ec2:subnet/subnet-dr-{zone}"),
                &format!("dr-{zone}"),
                zonal(zone),
            )
            .needs(&vpc)
            .done(),
        );
    }
    let instance = b
        .aws(
            VIRGINIA,
            "aws:rds:db-instance",
            "rds:db:trading-db-dr-1",
            "trading-db-dr-1",
            zonal("use1-az1"),
        )
        .attr("role", json!("reader"))
        .needs(&subnets[0])
        .done();
    b.aws(
        VIRGINIA,
        "aws:rds:cluster",
        "rds:cluster:trading-db-dr",
        "trading-db-dr",
        multi(&["use1-az1", "use1-az2"]),
    )
    .attr("global_cluster", json!("trading-db-global"))
    .any_of(&[instance], None, "any instance")
    .done();
    b.aws(
        VIRGINIA,
        "aws:autoscaling:autoScalingGroup",
        "autoscaling:autoScalingGroup:matching-dr",
        "asg-matching-dr",
        Placement::Regional,
    )
    .attr("desired_capacity", json!(0))
    .attr("note", json!("pilot light: no instances running"))
    .done();
}

fn functions(b: &mut Builder) {
    let id = |b: &Builder, name: &str| {
        b.resources
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("demo resource {name}"))
            .id
            .clone()
    };
    let matching_engine = id(b, "matching-engine-1");
    let matching = b
        .function("matching", "matching")
        .needs(&matching_engine)
        .done();
    let (record, ws, accounts, session) = (
        id(b, "api.exchange.example"),
        id(b, "ws.exchange.example"),
        id(b, "accounts-db"),
        id(b, "session-cache"),
    );
    b.function("trading-api", "trading API")
        .needs_because(&record, "REST API")
        .needs_because(&ws, "websocket API")
        .needs(&accounts)
        .needs(&session)
        .needs(&matching)
        .done();
    let (workers, ledger, quorum, custody, fraud, queue, limits) = (
        id(b, "asg-withdrawal-workers"),
        id(b, "wallet-ledger"),
        id(b, "hot-wallet-signers"),
        id(b, "vaultco-custody"),
        id(b, "fraud-check"),
        id(b, "withdrawal-requests"),
        id(b, "withdrawal-limits (global table)"),
    );
    b.function("withdrawals", "withdrawals")
        .needs(&workers)
        .needs(&ledger)
        .needs_because(&quorum, "hot-wallet signing")
        .needs_because(&custody, "cold-wallet top-ups")
        .needs(&fraud)
        .needs(&queue)
        .needs(&limits)
        .done();
    let (watchers, events) = (id(b, "asg-deposit-watchers"), id(b, "deposit-events"));
    b.function("deposits", "deposits")
        .needs(&watchers)
        .needs(&events)
        .needs(&accounts)
        .done();
}
