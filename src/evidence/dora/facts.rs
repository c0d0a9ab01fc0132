//! The facts a manifest put in the snapshot (the financial entity, each third party's record,
//! each function's assessment) as register cells: the value in the reporting format's
//! wording, or, when neither the inventory nor the manifest says, why the cell stays empty and
//! which manifest key would fill it.

use std::collections::HashMap;

use crate::graph::Estate;
use crate::model::{Entity, Resource, ThirdParty};

use super::table::Cell;

/// The closed-set values linchpin writes: codes of the EBA reporting format (DPM 4.0).
pub(super) mod code {
    /// Yes / no / assessment not performed (B_06.01 c0050, B_07.01 c0080 and c0110).
    pub const YES: &str = "eba_BT:x28";
    pub const NO: &str = "eba_BT:x29";
    pub const NOT_ASSESSED: &str = "eba_BT:x21";
    /// The type of an identification code: an LEI.
    pub const LEI: &str = "eba_qCO:qx2000";
    /// B_02.02 c0180: full reliance.
    pub const FULL_RELIANCE: &str = "eba_ZZ:x797";
    /// Impact of discontinuing (B_06.01 c0100, B_07.01 c0100).
    pub const IMPACT_LOW: &str = "eba_ZZ:x791";
    pub const IMPACT_MEDIUM: &str = "eba_ZZ:x792";
    pub const IMPACT_HIGH: &str = "eba_ZZ:x793";
    /// What a "type of code" cell holds when linchpin knows no LEI.
    pub const PLACEHOLDER_TYPE: &str = "linchpin provider id, replace with LEI";
}

/// B_07.01 c0050, the register's four substitutability levels by the manifest's names:
/// not substitutable, highly complex substitutability, medium complexity in terms of
/// substitutability, easily substitutable.
const SUBSTITUTABILITY: &[(&str, &str)] = &[
    ("not_substitutable", "eba_ZZ:x959"),
    ("highly_complex", "eba_ZZ:x960"),
    ("medium_complexity", "eba_ZZ:x961"),
    ("easy", "eba_ZZ:x962"),
];

/// The levels after which B_07.01 c0060 (why it is hard to substitute) is mandatory.
const HARD_TO_SUBSTITUTE: &[&str] = &["not_substitutable", "highly_complex"];

/// Why an LEI cell holds a linchpin provider id.
const PLACEHOLDER_ID: &str =
    "linchpin wrote its provider id as a placeholder: replace it with the provider's LEI (or EUID)";
const PLACEHOLDER_TYPE: &str =
    "replace with the type of the code given in the identification column (LEI, EUID, ...)";

/// What the manifest says, indexed for the templates.
pub(super) struct Facts<'a> {
    entity: Option<&'a Entity>,
    parties: HashMap<&'a str, &'a ThirdParty>,
    /// The largest impact per hour of any function, by currency.
    costliest: HashMap<&'a str, f64>,
}

/// The hint that ends a gap a manifest key of a third party fills.
pub(super) fn party_key(provider: &str, key: &str) -> String {
    format!("add `{key}` to [[third_party]] {provider} in the manifest")
}

/// Why a cell is empty, with the hint saying which manifest key fills it: where `missing`
/// says `{add}`, else after it.
pub(super) fn hinted(missing: &str, hint: &str) -> String {
    if missing.contains("{add}") {
        missing.replace("{add}", hint)
    } else {
        format!("{missing}: {hint}")
    }
}

impl<'a> Facts<'a> {
    pub(super) fn of(estate: &'a Estate) -> Self {
        let snapshot = &estate.snapshot;
        let mut costliest: HashMap<&str, f64> = HashMap::new();
        for resource in &snapshot.resources {
            if let Some((amount, currency)) = impact_per_hour(resource) {
                let max = costliest.entry(currency).or_insert(amount);
                *max = max.max(amount);
            }
        }
        Facts {
            entity: snapshot.entity.as_ref(),
            parties: snapshot
                .third_parties
                .iter()
                .map(|t| (t.id.as_str(), t))
                .collect(),
            costliest,
        }
    }

    /// The financial entity's LEI (B_02.02 c0020, B_06.01 c0040).
    pub(super) fn entity_lei(&self) -> Cell {
        self.entity.and_then(|e| e.lei.clone()).ok_or_else(|| {
            "the financial entity's LEI is not in the inventory: add `lei` to [entity] in the manifest"
                .to_string()
        })
    }

    pub(super) fn party(&self, provider: &str) -> Option<&'a ThirdParty> {
        self.parties.get(provider).copied()
    }

    /// A field of the provider's [[third_party]] entry, or why not: `missing`, then the key
    /// that fills it.
    fn field(
        &self,
        provider: &str,
        key: &str,
        missing: &str,
        get: impl Fn(&'a ThirdParty) -> Option<String>,
    ) -> Cell {
        self.party(provider)
            .and_then(get)
            .ok_or_else(|| hinted(missing, &party_key(provider, key)))
    }

    /// The provider's identification code and its type: its LEI when the manifest gives it,
    /// else its linchpin id as a placeholder (the two cells are then gaps, [`Self::code_gaps`]).
    pub(super) fn code(&self, provider: &str) -> (String, &'static str) {
        match self.party(provider).and_then(|t| t.lei.clone()) {
            Some(lei) => (lei, code::LEI),
            None => (provider.to_string(), code::PLACEHOLDER_TYPE),
        }
    }

    /// Why the code cells of `provider` are gaps: none when its LEI is known.
    pub(super) fn code_gaps(&self, provider: &str) -> Option<(String, String)> {
        let known = self.party(provider).is_some_and(|t| t.lei.is_some());
        (!known).then(|| {
            let hint = party_key(provider, "lei");
            (
                format!("{PLACEHOLDER_ID}, or {hint}"),
                format!("{PLACEHOLDER_TYPE}, or {hint}"),
            )
        })
    }

    pub(super) fn contract(&self, provider: &str) -> Cell {
        self.field(
            provider,
            "contract",
            "the contract reference is not in the inventory: take it from the contract register, or {add}",
            |t| t.contract.clone(),
        )
    }

    /// The EBA ICT service type (Annex III), `eba_TA:S01` … `eba_TA:S19`.
    pub(super) fn service_type(&self, provider: &str) -> Cell {
        self.field(
            provider,
            "service_type",
            "linchpin does not classify ICT services (Annex III): choose the type, or {add} (S01–S19)",
            |t| t.service_type.as_ref().map(|s| format!("eba_TA:{s}")),
        )
    }

    /// Legal name (B_05.01 c0050 and c0060).
    pub(super) fn name(&self, provider: &str, missing: &str) -> Cell {
        self.field(provider, "name", missing, |t| {
            (!t.name.is_empty()).then(|| t.name.clone())
        })
    }

    /// The headquarters' country, `eba_GA:XX`.
    pub(super) fn headquarters(&self, provider: &str) -> Cell {
        self.field(
            provider,
            "country",
            "the headquarters' country is not in the inventory (regions show where services run, not where the provider is based)",
            |t| t.country.as_ref().map(|c| format!("eba_GA:{c}")),
        )
    }

    /// The annual cost's currency (`eba_CU:USD`) and amount.
    pub(super) fn annual_cost(&self, provider: &str) -> (Cell, Cell) {
        let missing = "costs are not in the inventory";
        (
            self.field(provider, "annual_cost", missing, |t| {
                t.annual_cost
                    .as_ref()
                    .map(|m| format!("eba_CU:{}", m.currency))
            }),
            self.field(provider, "annual_cost", missing, |t| {
                t.annual_cost.as_ref().map(|m| decimal(m.amount))
            }),
        )
    }

    /// The ultimate parent's LEI and its code type.
    pub(super) fn parent(&self, provider: &str) -> (Cell, Cell) {
        let missing = "group structure is not in the inventory: {add} (the provider's own LEI when it has no parent)";
        (
            self.field(provider, "parent_lei", missing, |t| t.parent_lei.clone()),
            self.field(provider, "parent_lei", missing, |t| {
                t.parent_lei.as_ref().map(|_| code::LEI.to_string())
            }),
        )
    }

    /// The countries the manifest says the provider serves from.
    pub(super) fn countries(&self, provider: &str) -> &'a [String] {
        self.party(provider).map_or(&[], |t| t.countries.as_slice())
    }

    /// B_07.01 c0050 and c0060: the substitutability level and, for the two levels that need
    /// it, why (a gap: the register's reasons are a closed list the manifest does not use).
    pub(super) fn substitutability(&self, provider: &str) -> (Cell, Option<String>) {
        let level = self
            .party(provider)
            .and_then(|t| t.substitutability.as_deref());
        let Some(level) = level else {
            return (
                Err(format!(
                    "substitutability is a market and contract assessment, not visible in the inventory: {}",
                    party_key(provider, "substitutability")
                )),
                Some("needed when c0050 is not substitutable or highly complex".into()),
            );
        };
        let coded = SUBSTITUTABILITY
            .iter()
            .find(|(name, _)| *name == level)
            .map(|(_, code)| code.to_string())
            .ok_or_else(|| {
                format!("`{level}` is not one of the register's substitutability levels")
            });
        let reason = HARD_TO_SUBSTITUTE.contains(&level).then(|| {
            let choose = "choose lack of real alternatives (eba_ZZ:x963), difficulties in migrating or reintegrating (eba_ZZ:x964) or both (eba_ZZ:x965)";
            match self.party(provider).and_then(|t| t.substitutability_reason.as_deref()) {
                Some(reason) => format!("{choose}; the manifest's reason: {reason}"),
                None => format!(
                    "needed because c0050 is {}: {choose}",
                    level.replace('_', " ")
                ),
            }
        });
        (coded, reason)
    }

    pub(super) fn last_audit(&self, provider: &str) -> Cell {
        self.field(
            provider,
            "last_audit",
            "audits of the provider are not in the inventory",
            |t| t.last_audit.clone(),
        )
    }

    pub(super) fn exit_plan(&self, provider: &str) -> Cell {
        self.field(
            provider,
            "exit_plan",
            "exit plans are not in the inventory",
            |t| {
                t.exit_plan
                    .map(|p| if p { code::YES } else { code::NO }.to_string())
            },
        )
    }

    /// B_07.01 c0110 and c0120: whether alternatives are identified, and which (each by its
    /// LEI when the manifest declares it with one, else as written).
    pub(super) fn alternatives(&self, provider: &str) -> Option<(String, String)> {
        let alternatives = &self.party(provider)?.alternatives;
        if alternatives.is_empty() {
            return None;
        }
        let named: Vec<String> = alternatives
            .iter()
            .map(|a| {
                self.party(a)
                    .and_then(|t| t.lei.clone())
                    .unwrap_or_else(|| a.clone())
            })
            .collect();
        Some((code::YES.to_string(), named.join("; ")))
    }

    /// B_06.01 c0100 from the function's impact per hour, against the costliest function of
    /// the estate in the same currency: high within a factor of 3 of it, medium within a
    /// factor of 30, low below. `None` when the function declares no impact.
    pub(super) fn impact(&self, function: &Resource) -> Option<&'static str> {
        let (amount, currency) = impact_per_hour(function)?;
        let max = self.costliest.get(currency).copied().unwrap_or(amount);
        Some(if max <= 0.0 {
            code::IMPACT_LOW
        } else if amount * 3.0 >= max {
            code::IMPACT_HIGH
        } else if amount * 30.0 >= max {
            code::IMPACT_MEDIUM
        } else {
            code::IMPACT_LOW
        })
    }
}

/// A function's `impact_per_hour` attribute: amount and currency.
fn impact_per_hour(resource: &Resource) -> Option<(f64, &str)> {
    if resource.kind != "function" {
        return None;
    }
    let impact = resource.attributes.get("impact_per_hour")?;
    let amount = impact.get("amount")?.as_f64()?;
    let currency = impact.get("currency")?.as_str()?;
    amount.is_finite().then_some((amount, currency))
}

/// A text attribute of a resource.
pub(super) fn text<'r>(resource: &'r Resource, key: &str) -> Option<&'r str> {
    resource.attributes.get(key)?.as_str()
}

/// An hours attribute (`rto_hours`) as the register takes it: a natural number of hours,
/// fractions rounded up (an objective of 30 minutes is reported as 1).
pub(super) fn whole_hours(resource: &Resource, key: &str) -> Option<String> {
    let hours = resource.attributes.get(key)?.as_f64()?;
    (hours.is_finite() && hours >= 0.0).then(|| format!("{}", hours.ceil() as u64))
}

/// Where a function's cell is filled from: its [[function]] entry, or, for a critical service
/// that is not a declared function, the function it serves.
pub(super) fn function_key(resource: &Resource, key: &str) -> String {
    match resource.id.strip_prefix("function:") {
        Some(id) if resource.kind == "function" => {
            format!("add `{key}` to [[function]] {id} in the manifest")
        }
        _ => {
            format!("declare the function it serves as a [[function]] with `{key}` in the manifest")
        }
    }
}

/// A decimal amount without a needless fraction: `2400000`, `1234.5`.
fn decimal(amount: f64) -> String {
    if amount.fract() == 0.0 && amount.abs() < 1e15 {
        format!("{}", amount as i64)
    } else {
        format!("{amount}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_hours_are_written_as_the_register_takes_them() {
        assert_eq!(decimal(2_400_000.0), "2400000");
        assert_eq!(decimal(1234.5), "1234.5");
        let mut function = Resource {
            id: "function:f".into(),
            provider: "exchange".into(),
            account: None,
            region: None,
            kind: "function".into(),
            name: "f".into(),
            tags: Default::default(),
            attributes: Default::default(),
            placement: crate::model::Placement::Logical,
            requirements: Vec::new(),
            external: false,
            sources: Vec::new(),
        };
        function
            .attributes
            .insert("rto_hours".into(), serde_json::json!(0.5));
        function
            .attributes
            .insert("rpo_hours".into(), serde_json::json!(0));
        assert_eq!(whole_hours(&function, "rto_hours").as_deref(), Some("1"));
        assert_eq!(whole_hours(&function, "rpo_hours").as_deref(), Some("0"));
        assert_eq!(whole_hours(&function, "missing"), None);
    }
}
