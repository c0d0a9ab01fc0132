//! The templates about providers: B_05.01 (who they are), B_05.02 (the supply chain: each
//! provider the entity contracts with at rank 1, and who serves them at rank 2) and B_07.01
//! (the assessment of each contracted service).

use std::collections::BTreeSet;

use super::Register;
use super::columns::{B_05_01, B_05_02, B_07_01};
use super::facts::{code, party_key};
use super::table::Table;

impl<'a> Register<'a> {
    /// B_05.01: one row per provider, subcontractors included.
    pub(super) fn b05_01(&self) -> Table {
        let facts = &self.facts;
        let mut b0501 = Table::new("B_05.01", B_05_01);
        for &provider in &self.providers {
            let row = b0501.row(format!("provider {provider}"));
            self.identify(&mut b0501, row, provider, ("c0010", "c0020"));
            match facts.name(
                provider,
                "linchpin wrote its provider id: replace it with the legal name of the contracting entity, or {add}",
            ) {
                Ok(name) => {
                    b0501.set(row, "c0050", name.clone());
                    b0501.set(row, "c0060", name);
                }
                Err(why) => {
                    b0501.set(row, "c0050", provider);
                    b0501.gap(row, "c0050", why);
                    let why = facts.name(provider, "the legal name is not in the inventory");
                    b0501.fill(row, "c0060", why);
                }
            }
            b0501.gap(
                row,
                "c0070",
                "whether the provider is a legal person is not in the inventory",
            );
            b0501.fill(row, "c0080", facts.headquarters(provider));
            let (currency, amount) = facts.annual_cost(provider);
            b0501.fill(row, "c0090", currency);
            b0501.fill(row, "c0100", amount);
            let (parent, parent_type) = facts.parent(provider);
            b0501.fill(row, "c0110", parent);
            b0501.fill(row, "c0120", parent_type);
        }
        b0501
    }

    /// A provider's identification code and its type in the two columns given, with their
    /// gaps when its LEI is not known.
    fn identify(&self, table: &mut Table, row: usize, provider: &str, (id, kind): (&str, &str)) {
        let (code, code_type) = self.facts.code(provider);
        table.set(row, id, code);
        table.set(row, kind, code_type);
        if let Some((why_id, why_type)) = self.facts.code_gaps(provider) {
            table.gap(row, id, why_id);
            table.gap(row, kind, why_type);
        }
    }

    /// B_05.02: rank 1 for every provider the entity uses directly; rank 2 where a
    /// provider's resource needs another provider's: a cloud domain it runs on (`runs_on`),
    /// or a resource held outside the accounts the snapshot was read from.
    pub(super) fn b05_02(&self) -> Table {
        let facts = &self.facts;
        let mut b0502 = Table::new("B_05.02", B_05_02);
        for &provider in self.providers.iter().filter(|p| self.direct.contains(*p)) {
            let row = b0502.row(format!("provider {provider} rank 1"));
            b0502.fill(row, "c0010", facts.contract(provider));
            b0502.fill(row, "c0020", facts.service_type(provider));
            self.identify(&mut b0502, row, provider, ("c0030", "c0040"));
            b0502.set(row, "c0050", "1");
        }
        for (sub, recipient) in self.subcontracted() {
            let row = b0502.row(format!("provider {sub} rank 2 under {recipient}"));
            b0502.fill(row, "c0010", facts.contract(recipient));
            b0502.fill(row, "c0020", facts.service_type(recipient));
            self.identify(&mut b0502, row, sub, ("c0030", "c0040"));
            b0502.set(row, "c0050", "2");
            self.identify(&mut b0502, row, recipient, ("c0060", "c0070"));
        }
        b0502
    }

    /// The (subcontractor, recipient) provider pairs of B_05.02's rank 2 rows.
    fn subcontracted(&self) -> BTreeSet<(&'a str, &'a str)> {
        let estate = self.estate;
        let own_accounts: BTreeSet<&str> = estate
            .snapshot
            .coverage
            .iter()
            .filter_map(|c| c.account.as_deref())
            .chain(
                estate
                    .snapshot
                    .sources
                    .iter()
                    .filter(|s| s.kind == "aws")
                    .map(|s| s.name.as_str()),
            )
            .collect();
        let mut subcontracted: BTreeSet<(&str, &str)> = BTreeSet::new();
        for group in &estate.groups {
            let owner = estate.resource(group.owner);
            if estate.is_logical(group.owner)
                || !self.provider_set.contains(owner.provider.as_str())
            {
                continue;
            }
            for &m in &group.members {
                let member = estate.resource(m);
                if member.provider == owner.provider
                    || !self.provider_set.contains(member.provider.as_str())
                {
                    continue;
                }
                let runs_on = estate.stands_for_domain(m);
                let held_elsewhere = !own_accounts.is_empty()
                    && member
                        .account
                        .as_deref()
                        .is_some_and(|account| !own_accounts.contains(account));
                if runs_on || held_elsewhere {
                    subcontracted.insert((member.provider.as_str(), owner.provider.as_str()));
                }
            }
        }
        subcontracted
    }

    /// B_07.01: one assessment per provider the entity uses directly; the impact of
    /// discontinuing is High when losing the provider alone stops a critical service.
    pub(super) fn b07_01(&self) -> Table {
        let facts = &self.facts;
        let mut b0701 = Table::new("B_07.01", B_07_01);
        for &provider in self.providers.iter().filter(|p| self.direct.contains(*p)) {
            let row = b0701.row(format!("provider {provider}"));
            b0701.fill(row, "c0010", facts.contract(provider));
            self.identify(&mut b0701, row, provider, ("c0020", "c0030"));
            b0701.fill(row, "c0040", facts.service_type(provider));
            let (level, reason) = facts.substitutability(provider);
            b0701.fill(row, "c0050", level);
            if let Some(why) = reason {
                b0701.gap(row, "c0060", why);
            }
            b0701.fill(row, "c0070", facts.last_audit(provider));
            b0701.fill(row, "c0080", facts.exit_plan(provider));
            b0701.gap(
                row,
                "c0090",
                "reintegration is an assessment, not visible in the inventory",
            );
            let stops = &self.stops;
            let stopped = self.report.critical_services.iter().any(|s| {
                stops
                    .get(s.id.as_str())
                    .is_some_and(|set| set.contains(provider))
            });
            if stopped {
                b0701.set(row, "c0100", code::IMPACT_HIGH);
            } else {
                b0701.gap(row, "c0100", format!(
                    "losing {provider} alone stops no critical service in the inventory: choose low or medium after review"
                ));
            }
            match facts.alternatives(provider) {
                Some((identified, which)) => {
                    b0701.set(row, "c0110", identified);
                    b0701.set(row, "c0120", which);
                }
                None => b0701.gap(
                    row,
                    "c0110",
                    format!(
                        "alternative providers are not in the inventory: {}",
                        party_key(provider, "alternatives")
                    ),
                ),
            }
        }
        b0701
    }
}
