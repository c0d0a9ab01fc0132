//! Reading Terraform's documents into one list of resource instances, whatever wrote them:
//!
//! - state version 4 (`terraform.tfstate`, `terraform state pull`) from every Terraform
//!   0.12–1.x and OpenTofu, including the early shape of 0.12 (`"provider": "provider.aws"`,
//!   `"each": "list"`, instance `depends_on`, flatmap `attributes_flat`);
//! - `terraform show -json` of a state (`values.root_module` and nested `child_modules`);
//! - `terraform show -json` of a plan (`planned_values`, `prior_state`, `resource_changes`).
//!
//! Older state versions (0.11 and before) are refused with what to do about it. What the
//! instances mean (placements, edges) is decided elsewhere; this layer only reads.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::{Map, Value};

/// Which Terraform document a file held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A state file, version 4.
    State,
    /// `terraform show -json` of a state.
    ShowState,
    /// `terraform show -json` of a plan.
    Plan,
}

/// `count` and `for_each` keys: `aws_instance.web[0]`, `aws_instance.web["a"]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum IndexKey {
    Int(i64),
    Str(String),
}

impl fmt::Display for IndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexKey::Int(n) => write!(f, "[{n}]"),
            IndexKey::Str(key) => write!(f, "[{}]", Value::String(key.clone())),
        }
    }
}

/// One resource instance as Terraform recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// The full address: `module.app[0].aws_instance.web["a"]`, `data.aws_ami.base`.
    pub address: String,
    /// The module path, `module.app[0]`; empty for the root module.
    pub module: String,
    /// A data source (read, never created).
    pub data: bool,
    /// The resource type, `aws_instance`.
    pub type_name: String,
    pub name: String,
    pub index: Option<IndexKey>,
    /// The provider's type name, `aws`, `google`, `azurerm`, whatever the writer's spelling
    /// (`provider["registry.terraform.io/hashicorp/aws"].west`, `provider.aws`, ...).
    pub provider: String,
    /// The instance's attributes, nested (flatmap attributes of early states unflattened).
    pub attributes: Value,
    /// Addresses the instance was ordered after (ordering, not necessarily runtime need).
    pub dependencies: Vec<String>,
    /// Marked tainted: to be replaced on the next apply.
    pub tainted: bool,
    /// A deposed object of a create-before-destroy replacement.
    pub deposed: bool,
}

/// A planned change of one resource instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub address: String,
    /// `create`, `update`, `delete`, `read`, `no-op`; a replacement is `delete` and `create`.
    pub actions: Vec<String>,
}

/// A Terraform document, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub kind: DocumentKind,
    /// The Terraform (or OpenTofu) version that wrote it, when it says.
    pub terraform_version: Option<String>,
    /// The instances of the state, or of the planned state for a plan.
    pub instances: Vec<Instance>,
    /// For a plan: the state it was planned from.
    pub prior: Vec<Instance>,
    /// For a plan: what changes.
    pub changes: Vec<Change>,
}

/// Why a file is not a Terraform document linchpin can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}{}: {message}", location.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct ReadError {
    pub origin: String,
    /// 1-based line and column, when the problem has a place.
    pub location: Option<(usize, usize)>,
    pub message: String,
}

impl ReadError {
    fn whole(origin: &str, message: impl Into<String>) -> Self {
        ReadError {
            origin: origin.to_string(),
            location: None,
            message: message.into(),
        }
    }

    fn json(origin: &str, error: &serde_json::Error, what: &str) -> Self {
        let message = error.to_string();
        let message = match message.find(" at line ") {
            Some(at) => message[..at].to_string(),
            None => message,
        };
        ReadError {
            origin: origin.to_string(),
            location: (error.line() > 0).then(|| (error.line(), error.column().max(1))),
            message: format!("{what}: {message}"),
        }
    }
}

/// The keys that tell the documents apart, read alone only to explain a document that does
/// not parse as any of them.
#[derive(Deserialize)]
struct Header {
    version: Option<Value>,
    format_version: Option<Value>,
    terraform_version: Option<String>,
}

/// Every top-level key of the three documents, so that a document is read in one pass.
#[derive(Deserialize)]
struct Whole {
    version: Option<Value>,
    format_version: Option<Value>,
    terraform_version: Option<String>,
    /// State v4.
    #[serde(default)]
    resources: Option<Vec<StateResource>>,
    /// `show -json` of a state.
    #[serde(default)]
    values: Option<Values>,
    /// `show -json` of a plan.
    #[serde(default)]
    planned_values: Option<Values>,
    #[serde(default)]
    prior_state: Option<ShowState>,
    #[serde(default)]
    resource_changes: Option<Vec<ShowChange>>,
    #[serde(default)]
    configuration: Option<super::planned::Configuration>,
}

/// Read a Terraform state, or `terraform show -json` of a state or plan.
pub fn read_str(text: &str, origin: &str) -> Result<Document, ReadError> {
    let start = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if start.is_empty() {
        return Err(ReadError::whole(
            origin,
            "the file is empty; expected a Terraform state or `terraform show -json` output",
        ));
    }
    if !start.starts_with('{') {
        let before = &text[..text.len() - start.len()];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        return Err(ReadError {
            origin: origin.to_string(),
            location: Some((line, column)),
            message: "not a Terraform state or plan: the document is not a JSON object".into(),
        });
    }
    let whole: Whole = match serde_json::from_str(text) {
        Ok(whole) => whole,
        Err(error) => return Err(explain_failure(text, origin, &error)),
    };
    let kind = kind_of(
        origin,
        whole.version.as_ref(),
        whole.format_version.as_ref(),
        whole.terraform_version.as_deref(),
        whole.planned_values.is_some(),
    )?;
    let (instances, prior, changes) = match kind {
        DocumentKind::State => (state_instances(whole.resources), Vec::new(), Vec::new()),
        DocumentKind::ShowState => (module_instances(whole.values), Vec::new(), Vec::new()),
        DocumentKind::Plan => {
            let mut planned = module_instances(whole.planned_values);
            let (changes, unknown) = plan_changes(whole.resource_changes);
            super::planned::fill(&mut planned, &unknown, whole.configuration);
            (
                planned,
                module_instances(whole.prior_state.and_then(|s| s.values)),
                changes,
            )
        }
    };
    Ok(Document {
        kind,
        terraform_version: whole.terraform_version,
        instances,
        prior,
        changes,
    })
}

/// Why a document did not parse: its version when that is one linchpin does not read (a
/// document of another version need not have this one's shape), else where the JSON is wrong.
fn explain_failure(text: &str, origin: &str, error: &serde_json::Error) -> ReadError {
    let Ok(header) = serde_json::from_str::<Header>(text) else {
        return ReadError::json(origin, error, "not a JSON Terraform state or plan");
    };
    let what = if header.version.is_some() {
        "invalid Terraform state"
    } else {
        "invalid `terraform show -json` document"
    };
    match kind_of(
        origin,
        header.version.as_ref(),
        header.format_version.as_ref(),
        header.terraform_version.as_deref(),
        false,
    ) {
        Err(unsupported) => unsupported,
        Ok(_) => ReadError::json(origin, error, what),
    }
}

/// Which document the top-level keys say this is, refusing versions linchpin does not read.
fn kind_of(
    origin: &str,
    version: Option<&Value>,
    format_version: Option<&Value>,
    terraform_version: Option<&str>,
    planned: bool,
) -> Result<DocumentKind, ReadError> {
    if let Some(version) = version {
        check_state_version(origin, version, terraform_version)?;
        return Ok(DocumentKind::State);
    }
    let Some(format_version) = format_version else {
        return Err(ReadError::whole(
            origin,
            "not a Terraform state or plan: it has neither `version` (a state file) nor \
             `format_version` (`terraform show -json`)",
        ));
    };
    let format = format_version.as_str().unwrap_or_default();
    if format.split('.').next() != Some("1") {
        return Err(ReadError::whole(
            origin,
            format!(
                "`terraform show -json` format version {format_version} is not supported; \
                 linchpin reads format 1.x"
            ),
        ));
    }
    Ok(if planned {
        DocumentKind::Plan
    } else {
        DocumentKind::ShowState
    })
}

// ---- state version 4 -------------------------------------------------------------------

#[derive(Deserialize)]
struct StateResource {
    #[serde(default)]
    module: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "type")]
    type_name: String,
    name: String,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    instances: Option<Vec<StateInstance>>,
}

#[derive(Deserialize)]
struct StateInstance {
    #[serde(default)]
    index_key: Option<IndexKey>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    deposed: Option<String>,
    #[serde(default)]
    attributes: Option<Value>,
    #[serde(default)]
    attributes_flat: Option<BTreeMap<String, String>>,
    #[serde(default)]
    dependencies: Option<Vec<String>>,
    /// The name of `dependencies` in states written by Terraform 0.12 before 0.12.?.
    #[serde(default)]
    depends_on: Option<Vec<String>>,
}

/// Refuse state versions other than 4, saying what to do.
fn check_state_version(
    origin: &str,
    version: &Value,
    terraform_version: Option<&str>,
) -> Result<(), ReadError> {
    let Some(number) = version.as_u64() else {
        return Err(ReadError::whole(
            origin,
            format!("`version` is {version}, not a state version number"),
        ));
    };
    let writer = terraform_version
        .map(|v| format!(" (written by Terraform {v})"))
        .unwrap_or_default();
    if number < 4 {
        return Err(ReadError::whole(
            origin,
            format!(
                "Terraform state version {number}{writer} is too old: linchpin reads state version \
                 4, written by Terraform 0.12 and later and by OpenTofu. Upgrade the state with a \
                 current Terraform (`terraform init`, then `terraform state pull > state.json`) \
                 and read that"
            ),
        ));
    }
    if number > 4 {
        return Err(ReadError::whole(
            origin,
            format!(
                "Terraform state version {number}{writer} is newer than linchpin reads (version \
                 4); `terraform show -json` of it gives a format linchpin reads"
            ),
        ));
    }
    Ok(())
}

/// The instances of a state's resources, in the state's order.
fn state_instances(resources: Option<Vec<StateResource>>) -> Vec<Instance> {
    let mut instances = Vec::new();
    for resource in resources.unwrap_or_default() {
        let module = resource.module.unwrap_or_default();
        let data = resource.mode.as_deref() == Some("data");
        let provider = provider_type(resource.provider.as_deref().unwrap_or_default())
            .unwrap_or_else(|| implied_provider(&resource.type_name));
        for instance in resource.instances.unwrap_or_default() {
            let attributes = match (instance.attributes, instance.attributes_flat) {
                (Some(attributes), _) => attributes,
                (None, Some(flat)) => unflatten(&flat),
                (None, None) => Value::Object(Map::new()),
            };
            instances.push(Instance {
                address: address(
                    &module,
                    data,
                    &resource.type_name,
                    &resource.name,
                    instance.index_key.as_ref(),
                ),
                module: module.clone(),
                data,
                type_name: resource.type_name.clone(),
                name: resource.name.clone(),
                index: instance.index_key,
                provider: provider.clone(),
                attributes,
                dependencies: instance
                    .dependencies
                    .or(instance.depends_on)
                    .unwrap_or_default(),
                tainted: instance.status.as_deref() == Some("tainted"),
                deposed: instance.deposed.is_some(),
            });
        }
    }
    instances
}

// ---- terraform show -json ----------------------------------------------------------------

#[derive(Deserialize)]
struct ShowState {
    #[serde(default)]
    values: Option<Values>,
}

#[derive(Deserialize)]
struct Values {
    #[serde(default)]
    root_module: Option<ShowModule>,
}

#[derive(Deserialize)]
struct ShowModule {
    #[serde(default)]
    resources: Option<Vec<ShowResource>>,
    #[serde(default)]
    child_modules: Option<Vec<ShowModule>>,
}

#[derive(Deserialize)]
struct ShowResource {
    address: String,
    #[serde(default)]
    mode: Option<String>,
    #[serde(rename = "type")]
    type_name: String,
    name: String,
    #[serde(default)]
    index: Option<IndexKey>,
    #[serde(default)]
    provider_name: Option<String>,
    #[serde(default)]
    values: Option<Value>,
    #[serde(default)]
    depends_on: Option<Vec<String>>,
    #[serde(default)]
    tainted: Option<bool>,
    #[serde(default)]
    deposed_key: Option<String>,
}

#[derive(Deserialize)]
struct ShowChange {
    address: String,
    #[serde(default)]
    change: Option<ChangeBody>,
}

#[derive(Deserialize)]
struct ChangeBody {
    #[serde(default)]
    actions: Option<Vec<String>>,
    #[serde(default)]
    after_unknown: Option<Value>,
}

/// A plan's changes (address and actions), and what each leaves unknown until apply.
fn plan_changes(changes: Option<Vec<ShowChange>>) -> (Vec<Change>, Vec<super::planned::Unknown>) {
    let mut unknown = Vec::new();
    let changes = changes
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            let (actions, after_unknown) = match c.change {
                Some(body) => (body.actions.unwrap_or_default(), body.after_unknown),
                None => (Vec::new(), None),
            };
            if let Some(after_unknown) = after_unknown.filter(Value::is_object) {
                unknown.push(super::planned::Unknown {
                    address: c.address.clone(),
                    after_unknown,
                });
            }
            Change {
                address: c.address,
                actions,
            }
        })
        .collect();
    (changes, unknown)
}

/// Every resource of a module tree, the root first, each child module after its parent.
fn module_instances(values: Option<Values>) -> Vec<Instance> {
    let mut instances = Vec::new();
    let mut pending: Vec<ShowModule> = values.and_then(|v| v.root_module).into_iter().collect();
    while let Some(module) = pending.pop() {
        for resource in module.resources.unwrap_or_default() {
            instances.push(show_instance(resource));
        }
        let mut children = module.child_modules.unwrap_or_default();
        children.reverse();
        pending.extend(children);
    }
    instances
}

fn show_instance(resource: ShowResource) -> Instance {
    let data = resource.mode.as_deref() == Some("data");
    let module = module_of(&resource.address);
    Instance {
        provider: resource
            .provider_name
            .as_deref()
            .and_then(provider_type)
            .unwrap_or_else(|| implied_provider(&resource.type_name)),
        address: resource.address,
        module,
        data,
        type_name: resource.type_name,
        name: resource.name,
        index: resource.index,
        attributes: resource.values.unwrap_or_else(|| Value::Object(Map::new())),
        dependencies: resource.depends_on.unwrap_or_default(),
        tainted: resource.tainted.unwrap_or(false),
        deposed: resource.deposed_key.is_some(),
    }
}

// ---- names -----------------------------------------------------------------------------------

/// `module.a[0].aws_instance.web["k"]` from its parts.
fn address(
    module: &str,
    data: bool,
    type_name: &str,
    name: &str,
    index: Option<&IndexKey>,
) -> String {
    let mut address = String::with_capacity(module.len() + type_name.len() + name.len() + 8);
    if !module.is_empty() {
        address.push_str(module);
        address.push('.');
    }
    if data {
        address.push_str("data.");
    }
    address.push_str(type_name);
    address.push('.');
    address.push_str(name);
    if let Some(index) = index {
        address.push_str(&index.to_string());
    }
    address
}

/// The module part of a full address: `module.a[0].module.b` of
/// `module.a[0].module.b.aws_instance.x`; empty for the root module.
fn module_of(address: &str) -> String {
    let mut end = 0;
    while let Some(after) = address[end..].strip_prefix("module.") {
        let name_end = after.find(['.', '[']).unwrap_or(after.len());
        let index = if after[name_end..].starts_with('[') {
            index_len(&after[name_end..])
        } else {
            0
        };
        let module_end = end + "module.".len() + name_end + index;
        if !address[module_end..].starts_with('.') {
            break;
        }
        end = module_end + 1;
    }
    address[..end.saturating_sub(1)].to_string()
}

/// The length of a leading `[0]` or `["key"]` (quotes in the key escaped).
fn index_len(text: &str) -> usize {
    let mut in_string = false;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ']' if !in_string => return at + 1,
            _ => {}
        }
    }
    text.len()
}

/// The provider's type name from any spelling a writer used:
/// `provider["registry.terraform.io/hashicorp/aws"]`, with `.alias`, `provider.aws`,
/// `provider.aws.west`, `module.x.provider.aws`, `registry.terraform.io/hashicorp/aws`,
/// `aws`. None for an empty string.
fn provider_type(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Some(start) = text.find("provider[\"") {
        let inner = &text[start + "provider[\"".len()..];
        let source = inner.split('"').next().unwrap_or(inner);
        return source.rsplit('/').next().map(str::to_string);
    }
    if let Some(start) = text.find("provider.") {
        let inner = &text[start + "provider.".len()..];
        return inner.split('.').next().map(str::to_string);
    }
    text.rsplit('/').next().map(str::to_string)
}

/// Terraform's implied provider: the resource type's first word (`aws` of `aws_instance`).
fn implied_provider(type_name: &str) -> String {
    type_name.split('_').next().unwrap_or(type_name).to_string()
}

/// Nested attributes from the flatmap of early states: `subnet_ids.#`/`subnet_ids.0` lists,
/// `tags.%`/`tags.Name` maps (map keys may hold dots), `root_block_device.0.volume_size`.
/// Values stay the strings the flatmap holds.
fn unflatten(flat: &BTreeMap<String, String>) -> Value {
    let maps: Vec<&str> = flat.keys().filter_map(|k| k.strip_suffix(".%")).collect();
    let mut root = Map::new();
    for (key, value) in flat {
        if key.ends_with(".%") || key.ends_with(".#") || key == "%" || key == "#" {
            continue;
        }
        let map_prefix = maps
            .iter()
            .filter(|m| {
                key.len() > m.len() && key.starts_with(**m) && key.as_bytes()[m.len()] == b'.'
            })
            .max_by_key(|m| m.len());
        let mut parts: Vec<&str> = match map_prefix {
            Some(prefix) => {
                let mut parts: Vec<&str> = prefix.split('.').collect();
                parts.push(&key[prefix.len() + 1..]);
                parts
            }
            None => key.split('.').collect(),
        };
        let last = parts.pop().unwrap_or_default();
        let mut node = &mut root;
        for part in parts {
            let entry = node
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            node = entry.as_object_mut().expect("made an object above");
        }
        node.insert(last.to_string(), Value::String(value.clone()));
    }
    let lists: Vec<&str> = flat.keys().filter_map(|k| k.strip_suffix(".#")).collect();
    let mut value = Value::Object(root);
    for list in lists {
        listify(&mut value, &list.split('.').collect::<Vec<_>>());
    }
    value
}

/// Turn the object at `path` (keys `0`, `1`, ...) into an array in index order.
fn listify(value: &mut Value, path: &[&str]) {
    let Some((first, rest)) = path.split_first() else {
        if let Value::Object(map) = value {
            let mut items: Vec<(u64, Value)> = std::mem::take(map)
                .into_iter()
                .filter_map(|(k, v)| k.parse::<u64>().ok().map(|n| (n, v)))
                .collect();
            items.sort_by_key(|(n, _)| *n);
            *value = Value::Array(items.into_iter().map(|(_, v)| v).collect());
        }
        return;
    };
    match value {
        Value::Object(map) => {
            if rest.is_empty() && !map.contains_key(*first) {
                map.insert(first.to_string(), Value::Array(Vec::new()));
                return;
            }
            if let Some(child) = map.get_mut(*first) {
                listify(child, rest);
            }
        }
        Value::Array(items) => {
            if let Some(child) = first.parse::<usize>().ok().and_then(|n| items.get_mut(n)) {
                listify(child, rest);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_named_by_type_in_every_spelling() {
        for (text, expected) in [
            ("provider[\"registry.terraform.io/hashicorp/aws\"]", "aws"),
            (
                "provider[\"registry.terraform.io/hashicorp/aws\"].west",
                "aws",
            ),
            (
                "module.net.provider[\"registry.opentofu.org/hashicorp/google\"]",
                "google",
            ),
            ("provider.aws", "aws"),
            ("provider.aws.west", "aws"),
            ("module.net.provider.azurerm", "azurerm"),
            ("registry.terraform.io/hashicorp/google-beta", "google-beta"),
            ("aws", "aws"),
        ] {
            assert_eq!(provider_type(text).as_deref(), Some(expected), "{text}");
        }
        assert_eq!(provider_type(""), None);
        assert_eq!(implied_provider("azurerm_linux_virtual_machine"), "azurerm");
    }

    #[test]
    fn addresses_and_their_modules() {
        let key = IndexKey::Str("a\"b".into());
        assert_eq!(
            address("module.app[0]", false, "aws_instance", "web", Some(&key)),
            "module.app[0].aws_instance.web[\"a\\\"b\"]"
        );
        assert_eq!(
            address("", true, "aws_ami", "base", None),
            "data.aws_ami.base"
        );
        assert_eq!(
            module_of("module.a[0].module.b[\"x.y\"].aws_instance.web[1]"),
            "module.a[0].module.b[\"x.y\"]"
        );
        assert_eq!(module_of("aws_instance.web"), "");
        assert_eq!(module_of("module.vpc.aws_subnet.private[0]"), "module.vpc");
    }

    #[test]
    fn flatmap_attributes_unflatten_into_lists_and_maps() {
        let flat: BTreeMap<String, String> = [
            ("id", "i-1"),
            ("subnet_ids.#", "2"),
            ("subnet_ids.1", "subnet-b"),
            ("subnet_ids.0", "subnet-a"),
            ("tags.%", "2"),
            ("tags.Name", "web"),
            ("tags.kubernetes.io/cluster/x", "owned"),
            ("root_block_device.#", "1"),
            ("root_block_device.0.volume_size", "8"),
            ("security_groups.#", "0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let value = unflatten(&flat);
        assert_eq!(
            value,
            serde_json::json!({
                "id": "i-1",
                "subnet_ids": ["subnet-a", "subnet-b"],
                "tags": {"Name": "web", "kubernetes.io/cluster/x": "owned"},
                "root_block_device": [{"volume_size": "8"}],
                "security_groups": [],
            })
        );
    }
}
