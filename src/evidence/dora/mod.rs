//! `dora/`: pre-fill of the DORA register of information (Commission Implementing Regulation
//! (EU) 2024/2956, templates B_02.02, B_05.01, B_05.02, B_06.01 and B_07.01), with the EBA
//! reporting column codes (`c0010`, ...) as headers, and `gaps.csv`: every cell a person must
//! fill or replace, and why linchpin cannot know it.
//!
//! What linchpin knows from the inventory: the providers of the estate (each a third-party
//! provider), the critical services (the functions), which providers each critical service
//! depends on (its requirements, followed to the end), where those providers run it (regions →
//! countries), and which providers' loss alone stops it (the cut sets). What a manifest adds
//! to the snapshot fills the rest it can: the financial entity's LEI; each third party's LEI,
//! legal name, headquarters, cost, parent, contract reference, service type, countries,
//! substitutability, last audit, exit plan and alternatives; each function's licensed
//! activity, assessment, recovery objectives and impact; and the supply chain, a third party
//! running on a cloud domain (`runs_on`) being served by that cloud at rank 2. Every cell
//! neither fills is a gap that says which manifest key would fill it, when one does.
//!
//! Column codes follow the EBA xBRL-CSV reporting format (DPM 4.0) of the ITS annex: B_05.01
//! has twelve columns (c0050 the legal name, c0080 the headquarters' country); B_06.01 is
//! numbered c0010–c0100 (criticality c0050, impact of discontinuing c0100) where the text
//! published in the Official Journal numbers the same columns 0060–0110.

mod columns;
mod facts;
mod functions;
mod providers;
mod reach;
mod regions;
mod table;

use std::collections::{BTreeSet, HashMap};
use std::io;

use crate::graph::Estate;
use crate::model::DomainKind;
use crate::report::AuditReport;

use facts::Facts;
use table::{Gap, gaps_csv};

use regions::country;

/// Why the usual cells are empty.
const NO_CONTRACT: &str = "contracts are not in the inventory: take it from the contract register";
const NO_DATA_MAP: &str = "linchpin does not know what data the service stores or processes";

/// The register files, by path under the bundle.
pub(super) fn register(
    estate: &Estate,
    report: &AuditReport,
) -> io::Result<Vec<(String, Vec<u8>)>> {
    let providers: Vec<&str> = report.estate.providers.iter().map(String::as_str).collect();
    let provider_set: BTreeSet<&str> = providers.iter().copied().collect();
    let register = Register {
        estate,
        report,
        direct: direct_providers(estate, &provider_set),
        provider_set,
        providers,
        stops: provider_stops(report),
        facts: Facts::of(estate),
    };
    let (mut b0601, functions) = register.b06_01();
    let mut b0202 = register.b02_02(&functions);
    let mut b0501 = register.b05_01();
    let mut b0502 = register.b05_02();
    let mut b0701 = register.b07_01();

    let mut files = Vec::new();
    for table in [&b0202, &b0501, &b0502, &b0601, &b0701] {
        files.push((format!("dora/{}.csv", table.id), table.to_csv()?));
    }
    let gaps: Vec<Gap> = [&mut b0601, &mut b0202, &mut b0501, &mut b0502, &mut b0701]
        .into_iter()
        .flat_map(|table| table.take_gaps())
        .collect();
    files.push(("dora/gaps.csv".into(), gaps_csv(&gaps)?));
    files.push(("dora/README.md".into(), readme(gaps.len()).into_bytes()));
    Ok(files)
}

/// What every template is filled from.
struct Register<'a> {
    estate: &'a Estate,
    report: &'a AuditReport,
    /// The providers of the estate, in the report's order.
    providers: Vec<&'a str>,
    provider_set: BTreeSet<&'a str>,
    /// The providers the entity uses directly: those with a resource in the estate, not only
    /// the cloud domains a third party runs on (those serve it as subcontractors).
    direct: BTreeSet<&'a str>,
    /// Which providers' loss alone stops each critical service, by service id.
    stops: HashMap<&'a str, BTreeSet<&'a str>>,
    facts: Facts<'a>,
}

/// The providers of `providers` with a resource of their own in the estate.
fn direct_providers<'a>(estate: &'a Estate, providers: &BTreeSet<&str>) -> BTreeSet<&'a str> {
    estate
        .resource_ixs()
        .filter(|&ix| !estate.stands_for_domain(ix))
        .map(|ix| estate.resource(ix).provider.as_str())
        .filter(|provider| providers.contains(provider))
        .collect()
}

/// Which providers' loss alone stops each critical service.
fn provider_stops(report: &AuditReport) -> HashMap<&str, BTreeSet<&str>> {
    let mut stops: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for cut in &report.cut_sets {
        let entry = stops.entry(cut.service.as_str()).or_default();
        for d in cut
            .domains
            .iter()
            .filter(|d| d.kind == DomainKind::Provider)
        {
            entry.insert(d.id.as_str());
        }
    }
    stops
}

fn readme(gaps: usize) -> String {
    format!(
        "# DORA register of information: pre-fill

These files are a **pre-fill** of five templates of the DORA register of information
(Commission Implementing Regulation (EU) 2024/2956, Annex I), made by linchpin from the
inventory snapshot of this bundle. They are not a register: review every row and fill every
cell listed in `gaps.csv` ({gaps} cells) before anything is submitted. Every row carries
`linchpin_prefill` = \"pre-fill: review before submission\"; drop that column when the row is
reviewed.

| File | Template | One row per |
|---|---|---|
| `B_02.02.csv` | Contractual arrangements: specific information | function × provider it uses |
| `B_05.01.csv` | ICT third-party service providers | provider in the inventory, subcontractors included |
| `B_05.02.csv` | ICT service supply chains | provider used directly (rank 1); provider serving another (rank 2) |
| `B_06.01.csv` | Functions identification | critical service; function a manifest assessed as neither critical nor important |
| `B_07.01.csv` | Assessment of the ICT services | provider used directly |
| `gaps.csv` | — | cell a person must fill or replace, and why linchpin cannot know it |

Headers are the column codes of the EBA reporting format (`c0010`, ...; `gaps.csv` gives each
column's name). B_06.01 follows the reporting format's numbering c0010–c0100 (criticality in
c0050, impact of discontinuing in c0100); the text in the Official Journal numbers the same
columns 0060–0110.

What linchpin fills in, and from what:
- Provider identification codes are the provider's LEI (type `eba_qCO:qx2000`) when a
  manifest gives it (`[[third_party]]` `lei`, also for a cloud provider by its id, `aws`);
  otherwise they are **linchpin provider ids** (`aws`, ...), with the type
  \"linchpin provider id, replace with LEI\": replace both with the provider's LEI or EUID.
- B_06.01 c0010 numbers the critical services F1, F2, ... in the order of `findings.json`
  (`critical_services`), then the functions a manifest assessed as neither critical nor
  important; c0050 is `eba_BT:x28` (yes) for services a person marked critical (manifest,
  tag or config), `eba_BT:x29` (no) for functions a manifest assessed `other`, and
  `eba_BT:x21` (assessment not performed) for entry points and graph roots.
- B_06.01 c0080 and c0090 are the manifest's `rto_hours` and `rpo_hours` in whole hours,
  fractions rounded up; c0100 rates the manifest's `impact_per_hour` against the costliest
  function in the same currency: high (`eba_ZZ:x793`) within a factor of 3 of it, medium
  (`eba_ZZ:x792`) within a factor of 30, low (`eba_ZZ:x791`) below.
- B_02.02 c0130 is the country (`eba_GA:..`) of the regions where the service uses the
  provider, when they are all in one country linchpin can map; otherwise the manifest's
  `countries` of the provider, when it gives one.
- B_02.02 c0180 is `eba_ZZ:x797` (full reliance) when losing that provider alone stops the
  service (its cut set); otherwise it is left for review.
- B_07.01 c0100 is `eba_ZZ:x793` (high) when losing the provider alone stops a critical
  service; otherwise it is left for review.
- B_05.02 rank 2 rows appear when a provider runs on another's cloud domain (a manifest's
  `runs_on`), or when its resource requires a resource of another provider held in an account
  the snapshot was not read from; the recipient (c0060) is the provider served, and the
  contract and service type are those of the recipient's arrangement.
- Contract references, service types (`eba_TA:S01`..), names, headquarters, costs, parents,
  substitutability (`eba_ZZ:x959`..`x962`), last audits, exit plans and alternatives come
  from the manifest's `[[third_party]]` entries; licensed activities, criticality reasons and
  assessment dates from its `[[function]]` entries; the financial entity's LEI from its
  `[entity]`.

Data locations, contract dates and notice periods, reintegration and the reason a provider is
hard to substitute (a closed list; the manifest's own words are quoted in `gaps.csv`) are in
neither an inventory nor a manifest; those cells are empty and listed in `gaps.csv`, each
with the manifest key that fills it where there is one. The files are plain CSV; the
reporting format also needs the templates linchpin does not pre-fill (B_01.xx, B_02.01,
B_03.xx, B_04.01, B_99.01) and its package metadata.
"
    )
}
