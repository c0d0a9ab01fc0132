//! External stand-ins: resources a snapshot references but another holds (a key in another
//! account, a subnet crawled by another shard). A stand-in is marked `external`, has
//! placement `unknown` and no requirements, and carries what its id tells: provider,
//! account, region and kind read from an ARN or an Azure resource id. It keeps the snapshot
//! loadable and auditable alone (the reference is reported as outside it), and a merge with
//! the snapshot that holds the resource replaces it.

use rustc_hash::FxHashSet;

use crate::model::Resource;
use crate::sources::aws::Arn;

/// A stand-in for the resource `reference` names, when the reference is an id another
/// snapshot would hold the resource under: an ARN or an Azure resource id. Short ids
/// (`subnet-0abc`), Terraform addresses and URLs name nothing a snapshot is keyed by.
pub fn stand_in(reference: &str) -> Option<Resource> {
    if let Some(arn) = Arn::parse(reference) {
        let known = |part: &str| (!part.is_empty()).then(|| part.to_string());
        return Some(blank(
            reference,
            "aws",
            known(arn.account),
            known(arn.region),
            arn.kind(),
        ));
    }
    azure(reference)
}

/// An Azure resource id: `/subscriptions/S/resourceGroups/G/providers/Microsoft.N/type/name`
/// (the kind is `azure:n:type`, the type in kebab case and singular).
fn azure(reference: &str) -> Option<Resource> {
    let parts: Vec<&str> = reference.trim_start_matches('/').split('/').collect();
    if parts.len() < 2 || !parts[0].eq_ignore_ascii_case("subscriptions") || parts[1].is_empty() {
        return None;
    }
    let at = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("providers"))?;
    let namespace = parts.get(at + 1)?;
    let kind_type = parts.get(at + 2)?;
    let namespace = namespace
        .split_once('.')
        .map_or(*namespace, |(_, n)| n)
        .to_lowercase();
    let kind = format!("azure:{namespace}:{}", kebab_singular(kind_type));
    Some(blank(
        reference,
        "azure",
        Some(parts[1].to_string()),
        None,
        kind,
    ))
}

/// `natGateways` → `nat-gateway`.
fn kebab_singular(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for (i, c) in text.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    if out.ends_with('s') && !out.ends_with("ss") {
        out.pop();
    }
    out
}

/// A stand-in named by its id alone: a name read from the id would pass for the resource's
/// own (and two stand-ins may end alike).
fn blank(
    id: &str,
    provider: &str,
    account: Option<String>,
    region: Option<String>,
    kind: String,
) -> Resource {
    Resource {
        provider: provider.to_string(),
        account,
        region,
        kind,
        external: true,
        ..Resource::blank(id)
    }
}

/// Add a stand-in for every requirement member that is no resource of `resources` (one per
/// id); a member whose id tells nothing gets one of its referrer's provider and kind
/// `unknown`. Returns how many were added.
pub fn add_stand_ins(resources: &mut Vec<Resource>) -> usize {
    let mut known: FxHashSet<String> = resources.iter().map(|r| r.id.clone()).collect();
    let mut added = Vec::new();
    for resource in resources.iter() {
        for member in resource.requirements.iter().flat_map(|g| g.members()) {
            if known.contains(member) {
                continue;
            }
            known.insert(member.clone());
            added.push(stand_in(member).unwrap_or_else(|| {
                blank(member, &resource.provider, None, None, "unknown".into())
            }));
        }
    }
    let count = added.len();
    resources.extend(added);
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Placement, RequirementGroup};

    #[test]
    fn an_arn_tells_provider_account_region_and_kind() {
        let key = stand_in("arn:aws:kms:eu-west-1:222233334444:key/1234abcd").unwrap();
        assert!(key.external);
        assert_eq!(key.provider, "aws");
        assert_eq!(key.account.as_deref(), Some("222233334444"));
        assert_eq!(key.region.as_deref(), Some("eu-west-1"));
        assert_eq!(key.kind, "aws:kms:key");
        assert_eq!(key.placement, Placement::Unknown);
        let role = stand_in("arn:aws:iam::222233334444:role/app").unwrap();
        assert_eq!(role.region, None, "IAM has no region");
    }

    #[test]
    fn an_azure_id_tells_subscription_and_kind() {
        let nat = stand_in(
            "/subscriptions/0000-1111/resourceGroups/net/providers/Microsoft.Network/natGateways/egress",
        )
        .unwrap();
        assert_eq!(nat.provider, "azure");
        assert_eq!(nat.account.as_deref(), Some("0000-1111"));
        assert_eq!(nat.kind, "azure:network:nat-gateway");
        assert_eq!(nat.name, "", "named by its id");
        assert!(stand_in("subnet-0abc1234").is_none());
        assert!(stand_in("module.vpc.aws_subnet.a").is_none());
    }

    #[test]
    fn every_dangling_member_gets_one_stand_in() {
        let key = "arn:aws:kms:eu-west-1:222233334444:key/k";
        let mut app = blank("app", "aws", None, None, "aws:ec2:instance".into());
        app.external = false;
        app.requirements = vec![
            RequirementGroup::requires(key),
            RequirementGroup::any_of([key, "other"], None),
        ];
        let mut resources = vec![app];
        assert_eq!(add_stand_ins(&mut resources), 2);
        assert_eq!(resources[1].id, key);
        assert_eq!(resources[2].kind, "unknown");
        assert!(
            crate::snapshot::validate(&crate::model::Snapshot::of_resources(resources)).is_empty()
        );
    }
}
