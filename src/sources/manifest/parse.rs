//! Reading a manifest file field by field, every problem with its line.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Located, SourceFile, TableReader};
use crate::model::selector::Selector;
use crate::model::{Entity, Money, ThirdParty};

use super::codes;
use super::{
    AnyOf, At, Criticality, DeclaredThirdParty, EgressFree, Function, Manifest, Pick, Service,
    Target, ZoneMap,
};

/// The top-level keys a manifest declares (and `linchpin.toml` may hold too).
pub const MANIFEST_KEYS: &[&str] = &[
    "entity",
    "function",
    "third_party",
    "edge",
    "egress_free",
    "zones",
];

/// The top-level keys of `linchpin.toml` that belong to the config, not the manifest.
pub const CONFIG_KEYS: &[&str] = &["rules", "critical", "suppress"];

/// Parse one file. `embedded`: the file is `linchpin.toml`, whose config keys another reader
/// owns. Problems are added to `problems`; what could be read is returned either way.
pub fn parse(source: &SourceFile, embedded: bool, problems: &mut Vec<Diagnostic>) -> Manifest {
    let mut manifest = Manifest {
        files: vec![source.name.clone()],
        ..Manifest::default()
    };
    let Some(table) = source.parse(problems) else {
        return manifest;
    };
    let mut top = TableReader::new(source, &table, 0);
    if embedded {
        for key in CONFIG_KEYS {
            top.ignore(key);
        }
    }
    let reader = Reader { source };
    if let Some(entity) = top.opt_table("entity", problems) {
        manifest.entity = reader.entity(entity, problems);
    }
    for table in top.opt_tables("function", problems) {
        if let Some(function) = reader.function(table, problems) {
            manifest.functions.push(function);
        }
    }
    for table in top.opt_tables("third_party", problems) {
        if let Some(third_party) = reader.third_party(table, problems) {
            manifest.third_parties.push(third_party);
        }
    }
    for table in top.opt_tables("edge", problems) {
        if let Some(edge) = reader.edge(table, problems) {
            manifest.edges.push(edge);
        }
    }
    for mut table in top.opt_tables("egress_free", problems) {
        let at = At::of(source, table.at());
        let optional = reader.optional(&mut table, problems);
        let select = reader.picks(&mut table, "select", true, optional, problems);
        let reason = table.opt_string("reason", problems).map(|r| r.value);
        table.finish(problems);
        manifest.egress_free.push(EgressFree { select, reason, at });
    }
    if let Some(mut zones) = top.opt_table("zones", problems) {
        for (account, mut map) in zones.free_tables(problems) {
            let entries = map
                .free_strings(problems)
                .into_iter()
                .filter_map(|(name, id)| reader.zone_entry(&account.value, name, id, problems))
                .collect();
            manifest.zones.push(ZoneMap {
                account: account.value,
                entries,
            });
        }
        zones.finish(problems);
    }
    top.finish(problems);
    manifest
}

/// Checks that need every file: ids declared twice, third-party selectors naming nothing
/// declared.
pub fn check_across(manifest: &Manifest, problems: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, &At> = BTreeMap::new();
    for function in &manifest.functions {
        if let Some(first) = seen.insert(&function.id, &function.at) {
            problems.push(function.at.problem(format!(
                "function `{}` is declared twice (first at {})",
                function.id,
                first.location()
            )));
        }
    }
    let mut parties: BTreeMap<&str, &DeclaredThirdParty> = BTreeMap::new();
    for party in &manifest.third_parties {
        if let Some(first) = parties.insert(&party.record.id, party) {
            problems.push(party.at.problem(format!(
                "third party `{}` is declared twice (first at {})",
                party.record.id,
                first.at.location()
            )));
        }
    }
    let picks = manifest
        .functions
        .iter()
        .flat_map(|f| f.requires.iter().chain(f.any_of.iter().flat_map(|g| &g.of)))
        .chain(manifest.edges.iter().flat_map(|e| {
            e.from
                .iter()
                .chain(&e.requires)
                .chain(e.any_of.iter().flat_map(|g| &g.of))
        }));
    for pick in picks {
        let Target::ThirdParty { id, service } = &pick.target else {
            continue;
        };
        match (parties.get(id.as_str()), service) {
            (None, _) => problems.push(pick.at.problem(format!(
                "`{}` names third party `{id}`, which no [[third_party]] declares",
                pick.text
            ))),
            (Some(party), Some(service)) if !party.services.iter().any(|s| &s.id == service) => {
                let known: Vec<&str> = party.services.iter().map(|s| s.id.as_str()).collect();
                problems.push(pick.at.problem(format!(
                    "`{}`: third party `{id}` declares no service `{service}` (it declares: {})",
                    pick.text,
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )))
            }
            (Some(party), None) if party.services.is_empty() => {
                problems.push(pick.at.problem(format!(
                    "`{}`: third party `{id}` declares no [[third_party.service]] to depend on",
                    pick.text
                )))
            }
            _ => {}
        }
    }
}

struct Reader<'s> {
    source: &'s SourceFile,
}

impl Reader<'_> {
    fn problem(&self, span: &std::ops::Range<usize>, message: impl Into<String>) -> Diagnostic {
        self.source.diagnostic(span.start, message)
    }

    fn entity(&self, mut table: TableReader, problems: &mut Vec<Diagnostic>) -> Option<Entity> {
        let id = self.slug(&mut table, "id", problems);
        let name = table.opt_string("name", problems).map(|n| n.value);
        let lei = self.lei(&mut table, "lei", problems);
        let country = self.country(&mut table, "country", problems);
        table.finish(problems);
        Some(Entity {
            id: id?,
            name: name.unwrap_or_default(),
            lei,
            country,
        })
    }

    fn function(&self, mut table: TableReader, problems: &mut Vec<Diagnostic>) -> Option<Function> {
        let at = At::of(self.source, table.at());
        let id = self.slug(&mut table, "id", problems);
        let name = table.opt_string("name", problems).map(|n| n.value);
        let criticality =
            table
                .opt_string("criticality", problems)
                .and_then(|c| match c.value.as_str() {
                    "critical" => Some(Criticality::Critical),
                    "important" => Some(Criticality::Important),
                    "other" => Some(Criticality::Other),
                    other => {
                        problems.push(self.problem(
                            &c.span,
                            format!(
                                "criticality `{other}` is not one of: critical, important, other"
                            ),
                        ));
                        None
                    }
                });
        let rto_hours = self.hours(&mut table, "rto_hours", problems);
        let rpo_hours = self.hours(&mut table, "rpo_hours", problems);
        let impact_per_hour = self.money(&mut table, "impact_per_hour", problems);
        let owner = table.opt_string("owner", problems).map(|o| o.value);
        let licensed_activity = table
            .opt_string("licensed_activity", problems)
            .map(|o| o.value);
        let reasons = table.opt_string("reasons", problems).map(|o| o.value);
        let assessed = table
            .opt_date("assessed", problems)
            .map(|d| d.value.to_string());
        let optional = self.optional(&mut table, problems);
        let requires = self.picks(&mut table, "requires", false, optional, problems);
        let mut any_of = Vec::new();
        for group in table.opt_tables("any_of", problems) {
            if let Some(group) = self.any_of(group, optional, problems) {
                any_of.push(group);
            }
        }
        if requires.is_empty() && any_of.is_empty() && !table.has("requires") {
            problems.push(
                at.problem("a function needs `requires` or [[function.any_of]]: what serves it"),
            );
        }
        table.finish(problems);
        let id = id?;
        Some(Function {
            name: name.unwrap_or_else(|| id.clone()),
            id,
            criticality,
            rto_hours,
            rpo_hours,
            impact_per_hour,
            owner,
            licensed_activity,
            reasons,
            assessed,
            requires,
            any_of,
            at,
        })
    }

    fn any_of(
        &self,
        mut table: TableReader,
        inherited: bool,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<AnyOf> {
        let at = At::of(self.source, table.at());
        let optional = inherited || self.optional(&mut table, problems);
        let of = self.picks(&mut table, "of", true, optional, problems);
        let (min, min_at) = self.min(&mut table, problems);
        let label = table.opt_string("label", problems).map(|l| l.value);
        table.finish(problems);
        Some(AnyOf {
            of,
            min,
            min_at,
            label,
            at,
        })
    }

    fn third_party(
        &self,
        mut table: TableReader,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<DeclaredThirdParty> {
        let at = At::of(self.source, table.at());
        let id = self.slug(&mut table, "id", problems);
        let mut record = ThirdParty {
            name: table
                .opt_string("name", problems)
                .map(|n| n.value)
                .unwrap_or_default(),
            service_type: self.service_type(&mut table, problems),
            lei: self.lei(&mut table, "lei", problems),
            parent_lei: self.lei(&mut table, "parent_lei", problems),
            country: self.country(&mut table, "country", problems),
            contract: table.opt_string("contract", problems).map(|c| c.value),
            substitutability: self.substitutability(&mut table, problems),
            substitutability_reason: table
                .opt_string("substitutability_reason", problems)
                .map(|r| r.value),
            exit_plan: table.opt_bool("exit_plan", problems).map(|b| b.value),
            last_audit: table
                .opt_date("last_audit", problems)
                .map(|d| d.value.to_string()),
            annual_cost: self.money(&mut table, "annual_cost", problems),
            ..ThirdParty::default()
        };
        for country in table
            .opt_string_list("countries", problems)
            .unwrap_or_default()
        {
            match codes::country(&country.value) {
                Ok(code) => record.countries.push(code),
                Err(e) => problems.push(self.problem(&country.span, e)),
            }
        }
        record.alternatives = table
            .opt_string_list("alternatives", problems)
            .unwrap_or_default()
            .into_iter()
            .map(|a| a.value)
            .collect();
        let mut runs_on_at = Vec::new();
        for entry in table
            .opt_string_list("runs_on", problems)
            .unwrap_or_default()
        {
            match codes::runs_on(&entry.value) {
                Ok(()) if id.as_deref() == entry.value.split(':').next() => {
                    problems.push(self.problem(&entry.span, "a third party cannot run on itself"))
                }
                Ok(()) => {
                    runs_on_at.push(At::of(self.source, entry.span.start));
                    record.runs_on.push(entry.value);
                }
                Err(e) => problems.push(self.problem(&entry.span, e)),
            }
        }
        let mut services = Vec::new();
        for mut service in table.opt_tables("service", problems) {
            let service_at = At::of(self.source, service.at());
            let service_id = service.string("id", problems).and_then(|s| {
                codes::service_id(&s.value)
                    .map_err(|e| problems.push(self.problem(&s.span, e)))
                    .ok()
                    .map(|()| s.value)
            });
            let name = service.opt_string("name", problems).map(|n| n.value);
            let kind = service.opt_string("kind", problems).and_then(|k| {
                codes::kind(&k.value)
                    .map_err(|e| problems.push(self.problem(&k.span, e)))
                    .ok()
                    .map(|()| k.value)
            });
            service.finish(problems);
            if let Some(service_id) = service_id {
                if services.iter().any(|s: &Service| s.id == service_id) {
                    problems.push(
                        service_at.problem(format!("service `{service_id}` is declared twice")),
                    );
                }
                services.push(Service {
                    name: name.unwrap_or_else(|| service_id.clone()),
                    id: service_id,
                    kind,
                    at: service_at,
                });
            }
        }
        table.finish(problems);
        record.id = id?;
        Some(DeclaredThirdParty {
            record,
            services,
            runs_on_at,
            at,
        })
    }

    fn edge(&self, mut table: TableReader, problems: &mut Vec<Diagnostic>) -> Option<super::Edge> {
        let at = At::of(self.source, table.at());
        let optional = self.optional(&mut table, problems);
        let from = self.picks(&mut table, "from", true, optional, problems);
        let requires = self.picks(&mut table, "requires", false, optional, problems);
        let any_of = if table.has("any_of") {
            let of = self.picks(&mut table, "any_of", true, optional, problems);
            let (min, min_at) = self.min(&mut table, problems);
            Some(AnyOf {
                of,
                min,
                min_at,
                label: None,
                at: at.clone(),
            })
        } else {
            if table.has("min") {
                self.min(&mut table, problems);
                problems.push(at.problem("`min` needs `any_of`"));
            }
            None
        };
        let label = table.opt_string("label", problems).map(|l| l.value);
        if requires.is_empty() && any_of.is_none() && !table.has("requires") {
            problems.push(at.problem("an edge needs `requires` or `any_of`: what `from` needs"));
        }
        table.finish(problems);
        Some(super::Edge {
            from,
            requires,
            any_of,
            label,
            at,
        })
    }

    fn zone_entry(
        &self,
        account: &str,
        name: Located<String>,
        id: Located<String>,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<(String, String, At)> {
        if account.trim().is_empty() {
            problems.push(self.problem(&name.span, "a zone map needs an account or subscription"));
            return None;
        }
        if let Err(e) = codes::zone_id(&id.value) {
            problems.push(self.problem(&id.span, e));
            return None;
        }
        Some((name.value, id.value, At::of(self.source, name.span.start)))
    }

    /// `optional = true`: the table's selectors may match nothing.
    fn optional(&self, table: &mut TableReader, problems: &mut Vec<Diagnostic>) -> bool {
        table
            .opt_bool("optional", problems)
            .is_some_and(|flag| flag.value)
    }

    /// A list of selectors (a single string is accepted as a list of one).
    fn picks(
        &self,
        table: &mut TableReader,
        key: &'static str,
        required: bool,
        optional: bool,
        problems: &mut Vec<Diagnostic>,
    ) -> Vec<Pick> {
        let Some(list) = table.opt_one_or_many(key, problems) else {
            if required {
                problems.push(
                    self.source
                        .diagnostic(table.at(), format!("missing required key `{key}`")),
                );
            }
            return Vec::new();
        };
        if list.is_empty() && required {
            problems.push(self.source.diagnostic(
                table.at(),
                format!("`{key}` is empty: give at least one selector"),
            ));
        }
        list.into_iter()
            .filter_map(|item| match target(&item.value) {
                Ok(target) => Some(Pick {
                    text: item.value,
                    target,
                    optional,
                    at: At::of(self.source, item.span.start),
                }),
                Err(e) => {
                    problems.push(self.problem(&item.span, e));
                    None
                }
            })
            .collect()
    }

    fn min(
        &self,
        table: &mut TableReader,
        problems: &mut Vec<Diagnostic>,
    ) -> (Option<u32>, Option<At>) {
        let Some(min) = table.opt_number("min", problems) else {
            return (None, None);
        };
        let at = Some(At::of(self.source, min.span.start));
        if min.value < 1.0 || min.value.fract() != 0.0 || min.value > f64::from(u32::MAX) {
            problems.push(self.problem(&min.span, "`min` must be a whole number of at least 1"));
            return (None, at);
        }
        (Some(min.value as u32), at)
    }

    fn hours(
        &self,
        table: &mut TableReader,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<f64> {
        let hours = table.opt_number(key, problems)?;
        if hours.value < 0.0 {
            problems.push(self.problem(&hours.span, format!("`{key}` cannot be negative")));
            return None;
        }
        Some(hours.value)
    }

    fn money(
        &self,
        table: &mut TableReader,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Money> {
        let mut money = table.opt_table(key, problems)?;
        let amount = money.opt_number("amount", problems);
        let currency = money.string("currency", problems);
        if amount.is_none() && !money.has("amount") {
            problems.push(
                self.source
                    .diagnostic(money.at(), format!("`{key}` needs an `amount`")),
            );
        }
        money.finish(problems);
        let amount = amount?;
        if amount.value < 0.0 {
            problems.push(self.problem(&amount.span, format!("`{key}` cannot be negative")));
            return None;
        }
        let currency = currency?;
        match codes::currency(&currency.value) {
            Ok(code) => Some(Money {
                amount: amount.value,
                currency: code,
            }),
            Err(e) => {
                problems.push(self.problem(&currency.span, e));
                None
            }
        }
    }

    fn slug(
        &self,
        table: &mut TableReader,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        let id = table.string(key, problems)?;
        match codes::slug(&id.value) {
            Ok(()) => Some(id.value),
            Err(e) => {
                problems.push(self.problem(&id.span, e));
                None
            }
        }
    }

    fn lei(
        &self,
        table: &mut TableReader,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        let lei = table.opt_string(key, problems)?;
        codes::lei(&lei.value)
            .map_err(|e| problems.push(self.problem(&lei.span, e)))
            .ok()
    }

    fn country(
        &self,
        table: &mut TableReader,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        let country = table.opt_string(key, problems)?;
        codes::country(&country.value)
            .map_err(|e| problems.push(self.problem(&country.span, e)))
            .ok()
    }

    fn service_type(
        &self,
        table: &mut TableReader,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        let code = table.opt_string("service_type", problems)?;
        codes::service_type(&code.value)
            .map_err(|e| problems.push(self.problem(&code.span, e)))
            .ok()
    }

    fn substitutability(
        &self,
        table: &mut TableReader,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        let level = table.opt_string("substitutability", problems)?;
        codes::substitutability(&level.value)
            .map_err(|e| problems.push(self.problem(&level.span, e)))
            .ok()
    }
}

/// A selector of the manifest: a resource selector, or `third_party:ID[/SERVICE]`.
fn target(text: &str) -> Result<Target, String> {
    if let Some(rest) = text.strip_prefix("third_party:") {
        let (id, service) = match rest.split_once('/') {
            Some((id, service)) => (id, Some(service.to_string())),
            None => (rest, None),
        };
        if id.is_empty() || service.as_deref() == Some("") {
            return Err(format!(
                "selector `{text}` needs a third party id: third_party:ID or third_party:ID/SERVICE"
            ));
        }
        return Ok(Target::ThirdParty {
            id: id.to_string(),
            service,
        });
    }
    Selector::parse(text)
        .map(Target::Resources)
        .map_err(|e| format!("{e}, or third_party:ID"))
}
