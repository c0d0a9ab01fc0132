//! What a plan leaves unknown until apply, filled from the plan's configuration so that the
//! planned estate keeps its edges.
//!
//! In `planned_values` an attribute computed at apply time is absent (`after_unknown` says so):
//! a new instance's `subnet_id` when the subnet is new too, a new load balancer's `subnets`.
//! The plan's `configuration` still says which resources the expression refers to
//! (`"references": ["aws_subnet.a.id", "aws_subnet.a"]`). Such an attribute is filled with
//! the referenced instances' ids — their real id when they have one, else a placeholder that
//! names their address ([`PLANNED`] + address), which the import resolves like any id.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::read::Instance;

/// The prefix of the id placeholder of an instance that has no id before apply.
pub const PLANNED: &str = "tf-planned:";

/// The `configuration` of a plan: per module, the resources and their expressions.
#[derive(Debug, Default, Deserialize)]
pub struct Configuration {
    #[serde(default)]
    root_module: Option<ConfigModule>,
}

#[derive(Debug, Default, Deserialize)]
struct ConfigModule {
    #[serde(default)]
    resources: Option<Vec<ConfigResource>>,
    #[serde(default)]
    module_calls: Option<BTreeMap<String, ModuleCall>>,
}

#[derive(Debug, Deserialize)]
struct ModuleCall {
    #[serde(default)]
    module: Option<ConfigModule>,
}

#[derive(Debug, Deserialize)]
struct ConfigResource {
    /// Relative to its module: `aws_instance.web`.
    address: String,
    #[serde(default)]
    expressions: Option<Map<String, Value>>,
}

/// Which attributes of one planned instance are unknown until apply.
#[derive(Debug, Clone)]
pub struct Unknown {
    pub address: String,
    pub after_unknown: Value,
}

/// Fill the unknown attributes of planned instances that the configuration says refer to
/// other resources.
pub fn fill(instances: &mut [Instance], unknown: &[Unknown], configuration: Option<Configuration>) {
    let Some(root) = configuration.and_then(|c| c.root_module) else {
        return;
    };
    let mut expressions: HashMap<String, Map<String, Value>> = HashMap::new();
    collect(root, "", &mut expressions);
    if expressions.is_empty() {
        return;
    }
    let ids: HashMap<String, String> = instances
        .iter()
        .filter(|i| !i.data)
        .map(|i| {
            let id = i
                .attributes
                .get("id")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| format!("{PLANNED}{}", i.address));
            (i.address.clone(), id)
        })
        .collect();
    // Instances of each counted block, by the block's address, in index order.
    let mut blocks: HashMap<String, Vec<(&String, &String)>> = HashMap::new();
    for (address, id) in &ids {
        if let Some(open) = address.rfind('[')
            && address.ends_with(']')
        {
            blocks
                .entry(address[..open].to_string())
                .or_default()
                .push((address, id));
        }
    }
    for members in blocks.values_mut() {
        members.sort();
    }
    let blocks: HashMap<String, Vec<String>> = blocks
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().map(|(_, id)| id.clone()).collect()))
        .collect();
    let by_address: HashMap<&str, &Value> = unknown
        .iter()
        .map(|u| (u.address.as_str(), &u.after_unknown))
        .collect();
    for instance in instances.iter_mut().filter(|i| !i.data) {
        let Some(Value::Object(after_unknown)) = by_address.get(instance.address.as_str()) else {
            continue;
        };
        let config_key = format!(
            "{}{}.{}",
            config_module(&instance.module),
            instance.type_name,
            instance.name
        );
        let Some(exprs) = expressions.get(&config_key) else {
            continue;
        };
        let Value::Object(attributes) = &mut instance.attributes else {
            continue;
        };
        for (name, unknown) in after_unknown {
            if unknown != &Value::Bool(true) || attributes.get(name).is_some_and(|v| !v.is_null()) {
                continue;
            }
            let Some(expression) = exprs.get(name) else {
                continue;
            };
            let targets = referenced(
                expression,
                &instance.module,
                instance.index.as_ref().map(|i| i.to_string()),
                &ids,
                &blocks,
            );
            match targets.len() {
                0 => {}
                1 => {
                    attributes.insert(name.clone(), Value::String(targets[0].clone()));
                }
                _ => {
                    attributes.insert(
                        name.clone(),
                        Value::Array(targets.into_iter().map(Value::String).collect()),
                    );
                }
            }
        }
    }
}

/// Every configured resource's expressions by `module.a.module.b.` + relative address.
fn collect(module: ConfigModule, prefix: &str, out: &mut HashMap<String, Map<String, Value>>) {
    for resource in module.resources.unwrap_or_default() {
        if let Some(exprs) = resource.expressions {
            out.insert(format!("{prefix}{}", resource.address), exprs);
        }
    }
    for (name, call) in module.module_calls.unwrap_or_default() {
        if let Some(child) = call.module {
            collect(child, &format!("{prefix}module.{name}."), out);
        }
    }
}

/// The configuration path of a module instance: `module.a[0].module.b["x"]` →
/// `module.a.module.b.` (empty for the root).
fn config_module(module: &str) -> String {
    if module.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(module.len() + 1);
    let mut depth = 0usize;
    let mut in_string = false;
    for c in module.chars() {
        match c {
            '"' if depth > 0 => in_string = !in_string,
            '[' if !in_string => depth += 1,
            ']' if !in_string => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.push('.');
    out
}

/// The ids of the instances an expression refers to, in the referring instance's module
/// instance. A reference without an index (`aws_subnet.a` of a counted block) means the
/// instance with the referrer's own index when there is one (the `count.index` pattern),
/// else every instance of the block.
fn referenced(
    expression: &Value,
    module: &str,
    own_index: Option<String>,
    ids: &HashMap<String, String>,
    blocks: &HashMap<String, Vec<String>>,
) -> Vec<String> {
    let mut references: Vec<&str> = Vec::new();
    gather(expression, &mut references);
    let prefix = if module.is_empty() {
        String::new()
    } else {
        format!("{module}.")
    };
    let mut out: Vec<String> = Vec::new();
    let mut push = |id: &String| {
        if !out.contains(id) {
            out.push(id.clone());
        }
    };
    for reference in references {
        let Some(resource) = resource_part(reference) else {
            continue;
        };
        let address = format!("{prefix}{resource}");
        if let Some(id) = ids.get(&address) {
            push(id);
            continue;
        }
        if resource.ends_with(']') {
            continue;
        }
        if let Some(id) = own_index
            .as_ref()
            .and_then(|index| ids.get(&format!("{address}{index}")))
        {
            push(id);
            continue;
        }
        for id in blocks.get(&address).into_iter().flatten() {
            push(id);
        }
    }
    out
}

/// Every `references` list inside an expression (nested blocks hold expressions too).
fn gather<'a>(expression: &'a Value, out: &mut Vec<&'a str>) {
    match expression {
        Value::Object(map) => {
            if let Some(Value::Array(refs)) = map.get("references") {
                out.extend(refs.iter().filter_map(Value::as_str));
            }
            for (key, value) in map {
                if key != "references" && key != "constant_value" {
                    gather(value, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| gather(v, out)),
        _ => {}
    }
}

/// The resource a reference names: `aws_subnet.a` of `aws_subnet.a.id`, `aws_subnet.a[0]` of
/// `aws_subnet.a[0].id`; none for variables, locals, modules, data sources and the like.
fn resource_part(reference: &str) -> Option<&str> {
    let first = reference.split(['.', '[']).next()?;
    if matches!(
        first,
        "var" | "local" | "module" | "data" | "each" | "count" | "path" | "terraform" | "self"
    ) {
        return None;
    }
    let type_end = reference.find('.')?;
    let rest = &reference[type_end + 1..];
    let name_end = rest.find(['.', '[']).unwrap_or(rest.len());
    let mut end = type_end + 1 + name_end;
    if reference[end..].starts_with('[') {
        let close = reference[end..].find(']')?;
        end += close + 1;
    }
    Some(&reference[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_resources_and_their_instances() {
        assert_eq!(resource_part("aws_subnet.a.id"), Some("aws_subnet.a"));
        assert_eq!(resource_part("aws_subnet.a[0].id"), Some("aws_subnet.a[0]"));
        assert_eq!(resource_part("aws_subnet.a"), Some("aws_subnet.a"));
        assert_eq!(resource_part("var.subnet"), None);
        assert_eq!(resource_part("module.vpc.private_subnets"), None);
        assert_eq!(
            config_module("module.a[0].module.b[\"x.y\"]"),
            "module.a.module.b."
        );
        assert_eq!(config_module(""), "");
    }
}
