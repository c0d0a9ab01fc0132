//! Synthetic estates for benchmarks and trials: deterministic from a seed, shaped like real
//! ones (VPCs, subnets, NAT gateways, load-balanced instance fleets, databases, caches,
//! business functions that depend on one another, a few requirement cycles).

use std::collections::BTreeMap;

use serde_json::json;

use crate::model::{
    CRITICAL_TAG, Placement, RequirementGroup as Req, Resource, SNAPSHOT_SCHEMA, Snapshot, Source,
    Zone, ZoneId,
};

const REGIONS: [(&str, &str); 4] = [
    ("ap-northeast-1", "apne1"),
    ("us-east-1", "use1"),
    ("eu-west-1", "euw1"),
    ("us-west-2", "usw2"),
];

/// A snapshot of about `resources` resources (never fewer), the same for the same seed.
pub fn generate(resources: usize, seed: u64) -> Snapshot {
    let mut estate = Builder {
        rng: fastrand::Rng::with_seed(seed),
        out: Vec::with_capacity(resources + 64),
    };
    let mut zones = Vec::new();
    let mut networks = Vec::new();
    for (region, short) in REGIONS {
        networks.push(estate.network(region, short, &mut zones));
    }

    let mut functions: Vec<String> = Vec::new();
    let mut service = 0usize;
    while estate.out.len() < resources {
        service += 1;
        let network = &networks[estate.rng.usize(..networks.len())];
        let (instances, skew) = estate.fleet(network, service);
        let lb = estate.load_balancer(network, service, &instances);
        let db = estate.database(network, service, skew);
        let function = estate.function(service, &lb, &db, &functions);
        functions.push(push(&mut estate.out, function));
    }
    let mut out = estate.out;
    // A forward reference of the last service may point past the end: drop it.
    let last = format!("function:synthetic/s{}", service + 1);
    for resource in &mut out {
        resource
            .requirements
            .retain(|group| group.requires.as_deref() != Some(last.as_str()));
    }
    Snapshot {
        schema: SNAPSHOT_SCHEMA.into(),
        sources: vec![Source::new(
            "synthetic",
            format!("generated: {resources} resources, seed {seed}"),
        )],
        coverage: Vec::new(),
        zones,
        entity: None,
        third_parties: Vec::new(),
        resources: out,
    }
}

/// The account synthetic estates are generated in.
pub const ACCOUNT: &str = "000000000000";

/// [`generate`] in another AWS account: the same estate with `account` in every ARN and
/// account field, and in the source's name. Business functions have no account in their
/// ids, so estates generated in several accounts share them (a merge joins them).
pub fn generate_in(resources: usize, seed: u64, account: &str) -> Snapshot {
    let mut snapshot = generate(resources, seed);
    if account == ACCOUNT {
        return snapshot;
    }
    let moved = |id: &mut String| {
        if id.starts_with("arn:") {
            *id = id.replacen(&format!(":{ACCOUNT}:"), &format!(":{account}:"), 1);
        }
    };
    for resource in &mut snapshot.resources {
        moved(&mut resource.id);
        if resource.account.is_some() {
            resource.account = Some(account.to_string());
        }
        for group in &mut resource.requirements {
            group.requires.iter_mut().for_each(moved);
            group.any_of.iter_mut().flatten().for_each(moved);
        }
    }
    for source in &mut snapshot.sources {
        source.name = format!("{}, account {account}", source.name);
    }
    snapshot
}

/// One region's network: its zones, a subnet per zone and its NAT gateways.
struct Network {
    region: &'static str,
    zone_ids: Vec<String>,
    subnets: Vec<String>,
    nats: Vec<String>,
}

/// The estate being generated and the random source that shapes it.
struct Builder {
    rng: fastrand::Rng,
    out: Vec<Resource>,
}

impl Builder {
    /// A region's zones (added to `zones`), VPC, subnets and NAT gateways.
    fn network(&mut self, region: &'static str, short: &str, zones: &mut Vec<Zone>) -> Network {
        let out = &mut self.out;
        let zone_ids: Vec<String> = (1..=3).map(|n| format!("{short}-az{n}")).collect();
        for (n, zone) in zone_ids.iter().enumerate() {
            zones.push(Zone {
                id: zone.into(),
                provider: "aws".into(),
                region: region.into(),
                name: Some(format!("{region}{}", ['a', 'b', 'c'][n])),
            });
        }
        let vpc = push(
            out,
            res(
                region,
                "aws:ec2:vpc",
                &format!("vpc/{short}"),
                Placement::Regional,
            ),
        );
        let subnets: Vec<String> = zone_ids
            .iter()
            .map(|zone| {
                let mut subnet = res(
                    region,
                    "aws:ec2:subnet",
                    &format!("subnet/{zone}"),
                    zonal(zone),
                );
                subnet.requirements.push(Req::requires(&vpc));
                push(out, subnet)
            })
            .collect();
        // Some regions have one NAT gateway for every zone, others one per zone.
        let nat_per_zone = self.rng.bool();
        let nats: Vec<String> = zone_ids
            .iter()
            .zip(&subnets)
            .take(if nat_per_zone { 3 } else { 1 })
            .map(|(zone, subnet)| {
                let mut nat = res(
                    region,
                    "aws:ec2:natgateway",
                    &format!("natgateway/{zone}"),
                    zonal(zone),
                );
                nat.requirements.push(Req::requires(subnet));
                push(out, nat)
            })
            .collect();
        Network {
            region,
            zone_ids,
            subnets,
            nats,
        }
    }

    /// A service's instances, each with its volume; returns their ids and the zone the
    /// fleet leans towards.
    fn fleet(&mut self, network: &Network, service: usize) -> (Vec<String>, usize) {
        let Network {
            region,
            zone_ids,
            subnets,
            nats,
        } = network;
        let rng = &mut self.rng;
        let out = &mut self.out;
        // Fleets are often skewed towards one zone.
        let size = rng.usize(2..=6);
        let skew = rng.usize(..3);
        let mut instances = Vec::with_capacity(size);
        for i in 0..size {
            let z = if rng.f32() < 0.5 {
                skew
            } else {
                rng.usize(..3)
            };
            let mut volume = res(
                region,
                "aws:ec2:volume",
                &format!("volume/s{service}-{i}"),
                zonal(&zone_ids[z]),
            );
            volume.attributes.insert("size_gib".into(), json!(50));
            let volume = push(out, volume);
            let mut instance = res(
                region,
                "aws:ec2:instance",
                &format!("instance/s{service}-{i}"),
                zonal(&zone_ids[z]),
            );
            instance.requirements.push(Req::requires(&subnets[z]));
            instance.requirements.push(Req::requires(volume));
            if rng.f32() < 0.5 {
                let nat = &nats[z.min(nats.len() - 1)];
                instance
                    .requirements
                    .push(Req::requires(nat).with_label("egress via NAT gateway"));
            }
            instances.push(push(out, instance));
        }
        (instances, skew)
    }

    /// The internal load balancer in front of a service's instances.
    fn load_balancer(&mut self, network: &Network, service: usize, instances: &[String]) -> String {
        let mut lb = res(
            network.region,
            "aws:elasticloadbalancing:loadbalancer",
            &format!("loadbalancer/app/s{service}"),
            multi(&network.zone_ids),
        );
        lb.attributes.insert("scheme".into(), json!("internal"));
        lb.requirements
            .push(Req::any_of(instances.iter().cloned(), None));
        push(&mut self.out, lb)
    }

    /// A service's database: in the fleet's favoured zone, or across two zones.
    fn database(&mut self, network: &Network, service: usize, skew: usize) -> String {
        let zone_ids = &network.zone_ids;
        let db_placement = if self.rng.f32() < 0.4 {
            zonal(&zone_ids[skew])
        } else {
            multi(&zone_ids[..2])
        };
        push(
            &mut self.out,
            res(
                network.region,
                "aws:rds:db-instance",
                &format!("db:s{service}"),
                db_placement,
            ),
        )
    }

    /// The business function of a service: needs its load balancer and database, is
    /// sometimes critical, and often calls another service.
    fn function(&mut self, service: usize, lb: &str, db: &str, functions: &[String]) -> Resource {
        let rng = &mut self.rng;
        let mut function = Resource {
            id: format!("function:synthetic/s{service}"),
            provider: "synthetic".into(),
            account: None,
            region: None,
            kind: "function".into(),
            name: format!("service-{service}"),
            tags: BTreeMap::new(),
            attributes: BTreeMap::new(),
            placement: Placement::Logical,
            requirements: vec![Req::requires(lb), Req::requires(db)],
            external: false,
            sources: Vec::new(),
        };
        if rng.f32() < 0.1 {
            function.tags.insert(CRITICAL_TAG.into(), "true".into());
        }
        // Services call earlier services; a few call later ones, closing cycles.
        if !functions.is_empty() && rng.f32() < 0.6 {
            let callee = functions[rng.usize(..functions.len())].clone();
            function.requirements.push(Req::requires(callee));
        }
        if service > 10 && rng.f32() < 0.01 {
            function.requirements.push(Req::requires(format!(
                "function:synthetic/s{}",
                service + 1
            )));
        }
        function
    }
}

fn push(out: &mut Vec<Resource>, resource: Resource) -> String {
    let id = resource.id.clone();
    out.push(resource);
    id
}

fn res(region: &str, kind: &str, path: &str, placement: Placement) -> Resource {
    let service = kind.split(':').nth(1).unwrap_or("ec2");
    Resource {
        id: format!("arn:aws:{service}:{region}:{ACCOUNT}:{path}"),
        provider: "aws".into(),
        account: Some(ACCOUNT.into()),
        region: Some(region.into()),
        kind: kind.into(),
        name: String::new(),
        tags: BTreeMap::new(),
        attributes: BTreeMap::new(),
        placement,
        requirements: Vec::new(),
        external: false,
        sources: Vec::new(),
    }
}

fn zonal(zone: &str) -> Placement {
    Placement::Zonal { zone: zone.into() }
}

fn multi(zones: &[String]) -> Placement {
    Placement::MultiZone {
        zones: zones.iter().map(ZoneId::from).collect(),
        inferred: false,
    }
}
