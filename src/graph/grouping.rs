//! Critical services as people name them: an instance that carries `linchpin:critical` because
//! its Auto Scaling group propagates its tags (`aws:autoscaling:groupName`) is not a service of
//! its own; the group is.

use rustc_hash::FxHashMap as HashMap;

use crate::model::Resource;

/// The tag AWS puts on every instance an Auto Scaling group launches.
pub const GROUP_NAME_TAG: &str = "aws:autoscaling:groupName";

/// The kind of an Auto Scaling group, as the crawler and the Terraform import name it.
const GROUP_KIND: &str = "aws:autoscaling:autoScalingGroup";

/// The Auto Scaling groups of an estate, by account, region and name.
pub struct AutoScaling<'r> {
    groups: HashMap<(Option<&'r str>, Option<&'r str>, &'r str), usize>,
}

impl<'r> AutoScaling<'r> {
    pub fn new(resources: &'r [Resource]) -> Self {
        let groups = resources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kind == GROUP_KIND)
            .map(|(ix, r)| {
                let key = (r.account.as_deref(), r.region.as_deref(), r.label());
                (key, ix)
            })
            .collect();
        AutoScaling { groups }
    }

    /// The position of the group that launched the resource, when the estate holds it.
    pub fn group_of(&self, resource: &Resource) -> Option<usize> {
        if self.groups.is_empty() || resource.kind == GROUP_KIND {
            return None;
        }
        let name = resource.tags.get(GROUP_NAME_TAG)?;
        let key = (
            resource.account.as_deref(),
            resource.region.as_deref(),
            name.as_str(),
        );
        self.groups.get(&key).copied()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::Placement;

    fn resource(id: &str, kind: &str, name: &str, tags: &[(&str, &str)]) -> Resource {
        Resource {
            id: id.into(),
            provider: "aws".into(),
            account: Some("111111111111".into()),
            region: Some("ap-northeast-1".into()),
            kind: kind.into(),
            name: name.into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            attributes: BTreeMap::new(),
            placement: Placement::Regional,
            requirements: Vec::new(),
            external: false,
            sources: Vec::new(),
        }
    }

    #[test]
    fn instances_name_their_group() {
        let resources = vec![
            resource("asg", GROUP_KIND, "workers", &[]),
            resource(
                "i-1",
                "aws:ec2:instance",
                "",
                &[(GROUP_NAME_TAG, "workers"), ("linchpin:critical", "true")],
            ),
            resource("i-2", "aws:ec2:instance", "", &[(GROUP_NAME_TAG, "other")]),
        ];
        let groups = AutoScaling::new(&resources);
        assert_eq!(groups.group_of(&resources[1]), Some(0));
        assert_eq!(groups.group_of(&resources[2]), None);
        assert_eq!(groups.group_of(&resources[0]), None);
    }
}
