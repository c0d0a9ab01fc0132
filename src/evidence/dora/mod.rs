//! `dora/`: pre-fill of the DORA register of information (Commission Implementing Regulation
//! (EU) 2024/2956, templates B_02.02, B_05.01, B_05.02, B_06.01 and B_07.01), with the EBA
//! reporting column codes (`c0010`, ...) as headers, and `gaps.csv`: every cell a person must
//! fill or replace, and why linchpin cannot know it.
//!
//! What linchpin knows: the providers of the estate (each a third-party provider), the
//! critical services (the functions), which providers each critical service depends on (its
//! requirements, followed to the end), where those providers run it (regions → countries), and
//! which providers' loss alone stops it (the cut sets). Contracts, legal identities, costs and
//! assessments are not in a snapshot; those cells stay empty and are listed as gaps.
//!
//! Column codes follow the EBA xBRL-CSV reporting format (DPM 4.0) of the ITS annex: B_05.01
//! has twelve columns (c0050 the legal name, c0080 the headquarters' country); B_06.01 is
//! numbered c0010–c0100 (criticality c0050, impact of discontinuing c0100) where the text
//! published in the Official Journal numbers the same columns 0060–0110.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;

use crate::graph::{CriticalReason, Estate, ResourceIx};
use crate::model::DomainKind;
use crate::report::AuditReport;

/// The closed-set values linchpin writes (EBA codes).
const YES: &str = "eba_BT:x28";
const NOT_ASSESSED: &str = "eba_BT:x21";
const FULL_RELIANCE: &str = "eba_ZZ:x797";
const IMPACT_HIGH: &str = "eba_ZZ:x793";

/// What the `c0020`-style "type of code" cells hold: linchpin has no LEI.
const PLACEHOLDER_CODE_TYPE: &str = "linchpin provider id, replace with LEI";

/// The marker column every row carries.
const PREFILL: &str = "pre-fill: review before submission";

type Columns = &'static [(&'static str, &'static str)];

const B_02_02: Columns = &[
    ("c0010", "Contractual arrangement reference number"),
    (
        "c0020",
        "LEI of the financial entity making use of the ICT service(s)",
    ),
    (
        "c0030",
        "Identification code of the ICT third-party service provider",
    ),
    (
        "c0040",
        "Type of code to identify the ICT third-party service provider",
    ),
    ("c0050", "Function identifier"),
    ("c0060", "Type of ICT services"),
    ("c0070", "Start date of the contractual arrangement"),
    ("c0080", "End date of the contractual arrangement"),
    (
        "c0090",
        "Reason of the termination or ending of the contractual arrangement",
    ),
    (
        "c0100",
        "Notice period for the financial entity making use of the ICT service(s)",
    ),
    (
        "c0110",
        "Notice period for the ICT third-party service provider",
    ),
    (
        "c0120",
        "Country of the governing law of the contractual arrangement",
    ),
    ("c0130", "Country of provision of the ICT services"),
    ("c0140", "Storage of data"),
    ("c0150", "Location of the data at rest (storage)"),
    ("c0160", "Location of management of the data (processing)"),
    (
        "c0170",
        "Sensitiveness of the data stored by the ICT third-party service provider",
    ),
    (
        "c0180",
        "Level of reliance on the ICT service supporting the critical or important function",
    ),
];

const B_05_01: Columns = &[
    (
        "c0010",
        "Identification code of ICT third-party service provider",
    ),
    (
        "c0020",
        "Type of code to identify the ICT third-party service provider",
    ),
    (
        "c0030",
        "Additional identification code of ICT third-party service provider",
    ),
    ("c0040", "Type of additional identification code"),
    (
        "c0050",
        "Legal name of the ICT third-party service provider",
    ),
    (
        "c0060",
        "Name of the ICT third-party service provider in Latin alphabet",
    ),
    (
        "c0070",
        "Type of person of the ICT third-party service provider",
    ),
    (
        "c0080",
        "Country of the ICT third-party service provider's headquarters",
    ),
    ("c0090", "Currency of the amount reported in c0100"),
    (
        "c0100",
        "Total annual expense or estimated cost of the ICT third-party service provider",
    ),
    (
        "c0110",
        "Identification code of the ICT third-party service provider's ultimate parent undertaking",
    ),
    (
        "c0120",
        "Type of code to identify the ultimate parent undertaking",
    ),
];

const B_05_02: Columns = &[
    ("c0010", "Contractual arrangement reference number"),
    ("c0020", "Type of ICT services"),
    (
        "c0030",
        "Identification code of the ICT third-party service provider",
    ),
    (
        "c0040",
        "Type of code to identify the ICT third-party service provider",
    ),
    ("c0050", "Rank"),
    (
        "c0060",
        "Identification code of the recipient of sub-contracted ICT services",
    ),
    (
        "c0070",
        "Type of code to identify the recipient of sub-contracted ICT services",
    ),
];

const B_06_01: Columns = &[
    ("c0010", "Function identifier"),
    ("c0020", "Licenced activity"),
    ("c0030", "Function name"),
    ("c0040", "LEI of the financial entity"),
    ("c0050", "Criticality or importance assessment"),
    ("c0060", "Reasons for criticality or importance"),
    (
        "c0070",
        "Date of the last assessment of criticality or importance",
    ),
    ("c0080", "Recovery time objective of the function"),
    ("c0090", "Recovery point objective of the function"),
    ("c0100", "Impact of discontinuing the function"),
];

const B_07_01: Columns = &[
    ("c0010", "Contractual arrangement reference number"),
    (
        "c0020",
        "Identification code of the ICT third-party service provider",
    ),
    (
        "c0030",
        "Type of code to identify the ICT third-party service provider",
    ),
    ("c0040", "Type of ICT services"),
    (
        "c0050",
        "Substitutability of the ICT third-party service provider",
    ),
    (
        "c0060",
        "Reason if the ICT third-party service provider is considered not substitutable or difficult to be substitutable",
    ),
    (
        "c0070",
        "Date of the last audit on the ICT third-party service provider",
    ),
    ("c0080", "Existence of an exit plan"),
    (
        "c0090",
        "Possibility of reintegration of the contracted ICT service",
    ),
    ("c0100", "Impact of discontinuing the ICT services"),
    (
        "c0110",
        "Are there alternative ICT third-party service providers identified?",
    ),
    (
        "c0120",
        "Identification of alternative ICT third-party service providers",
    ),
];

/// Why the usual cells are empty.
const NO_CONTRACT: &str = "contracts are not in the inventory: take it from the contract register";
const NO_ENTITY: &str = "the financial entity's LEI is not in the inventory";
const NO_SERVICE_TYPE: &str =
    "linchpin does not classify ICT services (Annex III): choose the type";
const PLACEHOLDER_ID: &str =
    "linchpin wrote its provider id as a placeholder: replace it with the provider's LEI (or EUID)";
const PLACEHOLDER_TYPE: &str =
    "replace with the type of the code given in the identification column (LEI, EUID, ...)";
const NO_DATA_MAP: &str = "linchpin does not know what data the service stores or processes";

/// One template being filled.
struct Table {
    id: &'static str,
    columns: Columns,
    rows: Vec<Vec<String>>,
}

/// One cell a person must fill.
struct Gap {
    template: &'static str,
    row: String,
    column: &'static str,
    name: &'static str,
    why: String,
}

impl Table {
    fn new(id: &'static str, columns: Columns) -> Self {
        Table {
            id,
            columns,
            rows: Vec::new(),
        }
    }

    fn column(&self, code: &str) -> usize {
        self.columns
            .iter()
            .position(|(c, _)| *c == code)
            .unwrap_or_else(|| unreachable!("{code} is a column of {}", self.id))
    }

    /// Start a row; cells are set with `set` and `gap`.
    fn row(&mut self) -> usize {
        self.rows.push(vec![String::new(); self.columns.len()]);
        self.rows.len() - 1
    }

    fn set(&mut self, row: usize, code: &str, value: impl Into<String>) {
        let col = self.column(code);
        self.rows[row][col] = value.into();
    }

    fn gap(&self, gaps: &mut Vec<Gap>, row: &str, code: &'static str, why: impl Into<String>) {
        let col = self.column(code);
        gaps.push(Gap {
            template: self.id,
            row: row.to_string(),
            column: self.columns[col].0,
            name: self.columns[col].1,
            why: why.into(),
        });
    }

    fn to_csv(&self) -> io::Result<Vec<u8>> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<&str> = self.columns.iter().map(|(code, _)| *code).collect();
        header.push("linchpin_prefill");
        writer.write_record(&header)?;
        for row in &self.rows {
            let mut record: Vec<&str> = row.iter().map(String::as_str).collect();
            record.push(PREFILL);
            writer.write_record(&record)?;
        }
        writer.into_inner().map_err(|err| err.into_error())
    }
}

/// ISO 3166-1 alpha-2 country of a cloud region, for the providers whose region names
/// linchpin knows. None for anything else (reported as a gap).
pub(super) fn country(provider: &str, region: &str) -> Option<&'static str> {
    let table = match provider {
        "aws" => AWS_REGIONS,
        "gcp" | "google" => GCP_REGIONS,
        "azure" | "azurerm" => AZURE_REGIONS,
        _ => return None,
    };
    table
        .binary_search_by(|(name, _)| (*name).cmp(region))
        .ok()
        .map(|at| table[at].1)
}

/// (region, country) tables, sorted by region name for [`country`]'s binary search.
type Regions = &'static [(&'static str, &'static str)];

/// AWS regions and their countries, sorted by region.
const AWS_REGIONS: Regions = &[
    ("af-south-1", "ZA"),
    ("ap-east-1", "HK"),
    ("ap-east-2", "TW"),
    ("ap-northeast-1", "JP"),
    ("ap-northeast-2", "KR"),
    ("ap-northeast-3", "JP"),
    ("ap-south-1", "IN"),
    ("ap-south-2", "IN"),
    ("ap-southeast-1", "SG"),
    ("ap-southeast-2", "AU"),
    ("ap-southeast-3", "ID"),
    ("ap-southeast-4", "AU"),
    ("ap-southeast-5", "MY"),
    ("ap-southeast-7", "TH"),
    ("ca-central-1", "CA"),
    ("ca-west-1", "CA"),
    ("cn-north-1", "CN"),
    ("cn-northwest-1", "CN"),
    ("eu-central-1", "DE"),
    ("eu-central-2", "CH"),
    ("eu-north-1", "SE"),
    ("eu-south-1", "IT"),
    ("eu-south-2", "ES"),
    ("eu-west-1", "IE"),
    ("eu-west-2", "GB"),
    ("eu-west-3", "FR"),
    ("il-central-1", "IL"),
    ("me-central-1", "AE"),
    ("me-south-1", "BH"),
    ("mx-central-1", "MX"),
    ("sa-east-1", "BR"),
    ("us-east-1", "US"),
    ("us-east-2", "US"),
    ("us-gov-east-1", "US"),
    ("us-gov-west-1", "US"),
    ("us-west-1", "US"),
    ("us-west-2", "US"),
];

/// Google Cloud regions and their countries, sorted by region.
const GCP_REGIONS: Regions = &[
    ("africa-south1", "ZA"),
    ("asia-east1", "TW"),
    ("asia-east2", "HK"),
    ("asia-northeast1", "JP"),
    ("asia-northeast2", "JP"),
    ("asia-northeast3", "KR"),
    ("asia-south1", "IN"),
    ("asia-south2", "IN"),
    ("asia-southeast1", "SG"),
    ("asia-southeast2", "ID"),
    ("australia-southeast1", "AU"),
    ("australia-southeast2", "AU"),
    ("europe-central2", "PL"),
    ("europe-north1", "FI"),
    ("europe-north2", "SE"),
    ("europe-southwest1", "ES"),
    ("europe-west1", "BE"),
    ("europe-west10", "DE"),
    ("europe-west12", "IT"),
    ("europe-west2", "GB"),
    ("europe-west3", "DE"),
    ("europe-west4", "NL"),
    ("europe-west6", "CH"),
    ("europe-west8", "IT"),
    ("europe-west9", "FR"),
    ("me-central1", "QA"),
    ("me-central2", "SA"),
    ("me-west1", "IL"),
    ("northamerica-northeast1", "CA"),
    ("northamerica-northeast2", "CA"),
    ("northamerica-south1", "MX"),
    ("southamerica-east1", "BR"),
    ("southamerica-west1", "CL"),
    ("us-central1", "US"),
    ("us-east1", "US"),
    ("us-east4", "US"),
    ("us-east5", "US"),
    ("us-south1", "US"),
    ("us-west1", "US"),
    ("us-west2", "US"),
    ("us-west3", "US"),
    ("us-west4", "US"),
];

/// Azure regions and their countries, sorted by region.
const AZURE_REGIONS: Regions = &[
    ("australiacentral", "AU"),
    ("australiaeast", "AU"),
    ("australiasoutheast", "AU"),
    ("brazilsouth", "BR"),
    ("canadacentral", "CA"),
    ("canadaeast", "CA"),
    ("centralindia", "IN"),
    ("centralus", "US"),
    ("eastasia", "HK"),
    ("eastus", "US"),
    ("eastus2", "US"),
    ("francecentral", "FR"),
    ("francesouth", "FR"),
    ("germanynorth", "DE"),
    ("germanywestcentral", "DE"),
    ("israelcentral", "IL"),
    ("italynorth", "IT"),
    ("japaneast", "JP"),
    ("japanwest", "JP"),
    ("koreacentral", "KR"),
    ("koreasouth", "KR"),
    ("mexicocentral", "MX"),
    ("northcentralus", "US"),
    ("northeurope", "IE"),
    ("norwayeast", "NO"),
    ("norwaywest", "NO"),
    ("polandcentral", "PL"),
    ("qatarcentral", "QA"),
    ("southafricanorth", "ZA"),
    ("southcentralus", "US"),
    ("southeastasia", "SG"),
    ("southindia", "IN"),
    ("spaincentral", "ES"),
    ("swedencentral", "SE"),
    ("switzerlandnorth", "CH"),
    ("switzerlandwest", "CH"),
    ("uaenorth", "AE"),
    ("uksouth", "GB"),
    ("ukwest", "GB"),
    ("westcentralus", "US"),
    ("westeurope", "NL"),
    ("westindia", "IN"),
    ("westus", "US"),
    ("westus2", "US"),
    ("westus3", "US"),
];

/// For every resource, the (provider, region) places it needs, itself included, following
/// requirements to the end. Components of the requirement graph are solved members first, so
/// each edge is merged once: O((V + E) · s log s) for sets of size s (providers × regions
/// reached, a handful).
fn reach(estate: &Estate) -> Reach {
    let mut keys: Vec<(String, Option<String>)> = Vec::new();
    let mut key_index: HashMap<(&str, Option<&str>), u32> = HashMap::new();
    let mut own: Vec<Option<u32>> = Vec::with_capacity(estate.len());
    for ix in estate.resource_ixs() {
        if estate.is_logical(ix) {
            own.push(None);
            continue;
        }
        let r = estate.resource(ix);
        let key = (r.provider.as_str(), r.region.as_deref());
        let id = *key_index.entry(key).or_insert_with(|| {
            keys.push((r.provider.clone(), r.region.clone()));
            keys.len() as u32 - 1
        });
        own.push(Some(id));
    }
    let components = crate::analysis::components(estate);
    let mut component_of = vec![0u32; estate.len()];
    let mut sets: Vec<Vec<u32>> = Vec::with_capacity(components.len());
    for (c, members) in components.iter().enumerate() {
        for &m in members {
            component_of[m.index()] = c as u32;
        }
        let mut set: Vec<u32> = Vec::new();
        for &m in members {
            set.extend(own[m.index()]);
            for group in estate.groups_of(m) {
                for &member in &group.members {
                    let mc = component_of[member.index()] as usize;
                    if mc != c {
                        set.extend_from_slice(&sets[mc]);
                    }
                }
            }
        }
        set.sort_unstable();
        set.dedup();
        sets.push(set);
    }
    Reach {
        keys,
        sets,
        component_of,
    }
}

/// The places each resource needs: `keys` interned, one sorted set per component.
struct Reach {
    keys: Vec<(String, Option<String>)>,
    sets: Vec<Vec<u32>>,
    component_of: Vec<u32>,
}

impl Reach {
    fn of(&self, ix: ResourceIx) -> impl Iterator<Item = &(String, Option<String>)> {
        self.sets[self.component_of[ix.index()] as usize]
            .iter()
            .map(|&k| &self.keys[k as usize])
    }
}

/// The register files, by path under the bundle.
pub(super) fn register(
    estate: &Estate,
    report: &AuditReport,
) -> io::Result<Vec<(String, Vec<u8>)>> {
    let providers: Vec<&str> = report.estate.providers.iter().map(String::as_str).collect();
    let mut register = Register {
        estate,
        report,
        provider_set: providers.iter().copied().collect(),
        providers,
        stops: provider_stops(report),
        gaps: Vec::new(),
    };
    let (b0601, functions) = register.b06_01();
    let b0202 = register.b02_02(&functions);
    let b0501 = register.b05_01();
    let b0502 = register.b05_02();
    let b0701 = register.b07_01();

    let mut files = Vec::new();
    for table in [&b0202, &b0501, &b0502, &b0601, &b0701] {
        files.push((format!("dora/{}.csv", table.id), table.to_csv()?));
    }
    files.push(("dora/gaps.csv".into(), gaps_csv(&register.gaps)?));
    files.push((
        "dora/README.md".into(),
        readme(register.gaps.len()).into_bytes(),
    ));
    Ok(files)
}

/// What every template is filled from, and the gaps found so far.
struct Register<'a> {
    estate: &'a Estate,
    report: &'a AuditReport,
    /// The providers of the estate, in the report's order.
    providers: Vec<&'a str>,
    provider_set: BTreeSet<&'a str>,
    /// Which providers' loss alone stops each critical service, by service id.
    stops: HashMap<&'a str, BTreeSet<&'a str>>,
    gaps: Vec<Gap>,
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

/// `gaps.csv`: one row per cell a person must fill.
fn gaps_csv(gaps: &[Gap]) -> io::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["template", "row", "column", "column_name", "why"])?;
    for gap in gaps {
        writer.write_record([gap.template, &gap.row, gap.column, gap.name, &gap.why])?;
    }
    writer.into_inner().map_err(|err| err.into_error())
}

impl<'a> Register<'a> {
    /// B_06.01: one function per critical service, F1.. in the report's order; also returns
    /// each function's id and service resource.
    fn b06_01(&mut self) -> (Table, Vec<(String, ResourceIx)>) {
        let gaps = &mut self.gaps;
        let mut b0601 = Table::new("B_06.01", B_06_01);
        let mut functions: Vec<(String, ResourceIx)> = Vec::new();
        for (n, service) in self.estate.critical.iter().enumerate() {
            let r = self.estate.resource(service.resource);
            let fid = format!("F{}", n + 1);
            let key = format!("{fid} ({})", r.id);
            let row = b0601.row();
            b0601.set(row, "c0010", fid.clone());
            b0601.set(row, "c0030", r.label());
            let (criticality, reason) = criticality(&service.reason);
            b0601.set(row, "c0050", criticality);
            b0601.set(row, "c0060", reason);
            b0601.gap(
                gaps,
                &key,
                "c0020",
                "licensed activities are not in the inventory: choose from the ITS list",
            );
            b0601.gap(gaps, &key, "c0040", NO_ENTITY);
            if criticality != YES {
                b0601.gap(gaps, &key, "c0050", "not marked critical by a person: assess whether the function is critical or important");
            }
            b0601.gap(
                gaps,
                &key,
                "c0070",
                "the date of the criticality assessment is not in the inventory",
            );
            b0601.gap(
                gaps,
                &key,
                "c0080",
                "recovery time objectives are set by the business, not visible in the inventory",
            );
            b0601.gap(
                gaps,
                &key,
                "c0090",
                "recovery point objectives are set by the business, not visible in the inventory",
            );
            b0601.gap(gaps, &key, "c0100", "the business impact of losing the function is an assessment; findings.json lists what stops it");
            functions.push((fid, service.resource));
        }
        (b0601, functions)
    }

    /// B_02.02: one row per function × provider it depends on.
    fn b02_02(&mut self, functions: &[(String, ResourceIx)]) -> Table {
        let reached = reach(self.estate);
        let mut b0202 = Table::new("B_02.02", B_02_02);
        for (fid, ix) in functions {
            let service = self.estate.resource(*ix);
            let mut by_provider: BTreeMap<&str, BTreeSet<Option<&str>>> = BTreeMap::new();
            for (provider, region) in reached.of(*ix) {
                if self.provider_set.contains(provider.as_str()) {
                    by_provider
                        .entry(provider.as_str())
                        .or_default()
                        .insert(region.as_deref());
                }
            }
            let stopped_by = self.stops.get(service.id.as_str());
            for (provider, regions) in by_provider {
                let gaps = &mut self.gaps;
                let key = format!("{fid} ({}) × provider {provider}", service.id);
                let row = b0202.row();
                b0202.set(row, "c0030", provider);
                b0202.set(row, "c0040", PLACEHOLDER_CODE_TYPE);
                b0202.set(row, "c0050", fid.clone());
                for (code, why) in [
                    ("c0010", NO_CONTRACT),
                    ("c0020", NO_ENTITY),
                    ("c0030", PLACEHOLDER_ID),
                    ("c0040", PLACEHOLDER_TYPE),
                    ("c0060", NO_SERVICE_TYPE),
                    ("c0070", NO_CONTRACT),
                    ("c0080", NO_CONTRACT),
                    ("c0100", NO_CONTRACT),
                    ("c0110", NO_CONTRACT),
                    ("c0120", NO_CONTRACT),
                ] {
                    b0202.gap(gaps, &key, code, why);
                }
                provision_country(&mut b0202, gaps, (row, &key), provider, &regions);
                for code in ["c0140", "c0150", "c0160", "c0170"] {
                    b0202.gap(gaps, &key, code, NO_DATA_MAP);
                }
                if stopped_by.is_some_and(|set| set.contains(provider)) {
                    b0202.set(row, "c0180", FULL_RELIANCE);
                } else {
                    b0202.gap(gaps, &key, "c0180", format!(
                        "losing {provider} alone does not stop the service in the inventory: choose between not significant, low and material reliance"
                    ));
                }
            }
        }
        b0202
    }

    /// B_05.01: one row per provider.
    fn b05_01(&mut self) -> Table {
        let gaps = &mut self.gaps;
        let mut b0501 = Table::new("B_05.01", B_05_01);
        for provider in &self.providers {
            let key = format!("provider {provider}");
            let row = b0501.row();
            b0501.set(row, "c0010", *provider);
            b0501.set(row, "c0020", PLACEHOLDER_CODE_TYPE);
            b0501.set(row, "c0050", *provider);
            b0501.gap(gaps, &key, "c0010", PLACEHOLDER_ID);
            b0501.gap(gaps, &key, "c0020", PLACEHOLDER_TYPE);
            b0501.gap(gaps, &key, "c0050", "linchpin wrote its provider id: replace it with the legal name of the contracting entity");
            b0501.gap(
                gaps,
                &key,
                "c0060",
                "the legal name is not in the inventory",
            );
            b0501.gap(
                gaps,
                &key,
                "c0070",
                "whether the provider is a legal person is not in the inventory",
            );
            b0501.gap(gaps, &key, "c0080", "the headquarters' country is not in the inventory (regions show where services run, not where the provider is based)");
            b0501.gap(gaps, &key, "c0090", "costs are not in the inventory");
            b0501.gap(gaps, &key, "c0100", "costs are not in the inventory");
            b0501.gap(
                gaps,
                &key,
                "c0110",
                "group structure is not in the inventory",
            );
            b0501.gap(
                gaps,
                &key,
                "c0120",
                "group structure is not in the inventory",
            );
        }
        b0501
    }

    /// B_05.02: rank 1 for every provider; rank 2 where a provider's resource needs a resource
    /// of another provider held outside the accounts the snapshot was read from.
    fn b05_02(&mut self) -> Table {
        let subcontracted = self.subcontracted();
        let gaps = &mut self.gaps;
        let mut b0502 = Table::new("B_05.02", B_05_02);
        for provider in &self.providers {
            let key = format!("provider {provider} rank 1");
            let row = b0502.row();
            b0502.set(row, "c0030", *provider);
            b0502.set(row, "c0040", PLACEHOLDER_CODE_TYPE);
            b0502.set(row, "c0050", "1");
            b0502.gap(gaps, &key, "c0010", NO_CONTRACT);
            b0502.gap(gaps, &key, "c0020", NO_SERVICE_TYPE);
            b0502.gap(gaps, &key, "c0030", PLACEHOLDER_ID);
            b0502.gap(gaps, &key, "c0040", PLACEHOLDER_TYPE);
        }
        for (sub, recipient) in &subcontracted {
            let key = format!("provider {sub} rank 2 under {recipient}");
            let row = b0502.row();
            b0502.set(row, "c0030", *sub);
            b0502.set(row, "c0040", PLACEHOLDER_CODE_TYPE);
            b0502.set(row, "c0050", "2");
            b0502.set(row, "c0060", *recipient);
            b0502.set(row, "c0070", PLACEHOLDER_CODE_TYPE);
            b0502.gap(gaps, &key, "c0010", NO_CONTRACT);
            b0502.gap(gaps, &key, "c0020", NO_SERVICE_TYPE);
            b0502.gap(gaps, &key, "c0030", PLACEHOLDER_ID);
            b0502.gap(gaps, &key, "c0040", PLACEHOLDER_TYPE);
            b0502.gap(gaps, &key, "c0060", PLACEHOLDER_ID);
            b0502.gap(gaps, &key, "c0070", PLACEHOLDER_TYPE);
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
        if own_accounts.is_empty() {
            return subcontracted;
        }
        for group in &estate.groups {
            let owner = estate.resource(group.owner);
            if estate.is_logical(group.owner)
                || !self.provider_set.contains(owner.provider.as_str())
            {
                continue;
            }
            for &m in &group.members {
                let member = estate.resource(m);
                if member.provider != owner.provider
                    && self.provider_set.contains(member.provider.as_str())
                    && member
                        .account
                        .as_deref()
                        .is_some_and(|account| !own_accounts.contains(account))
                {
                    subcontracted.insert((member.provider.as_str(), owner.provider.as_str()));
                }
            }
        }
        subcontracted
    }

    /// B_07.01: one assessment per provider; the impact of discontinuing is High when losing
    /// the provider alone stops a critical service.
    fn b07_01(&mut self) -> Table {
        let gaps = &mut self.gaps;
        let mut b0701 = Table::new("B_07.01", B_07_01);
        for provider in &self.providers {
            let key = format!("provider {provider}");
            let row = b0701.row();
            b0701.set(row, "c0020", *provider);
            b0701.set(row, "c0030", PLACEHOLDER_CODE_TYPE);
            b0701.gap(gaps, &key, "c0010", NO_CONTRACT);
            b0701.gap(gaps, &key, "c0020", PLACEHOLDER_ID);
            b0701.gap(gaps, &key, "c0030", PLACEHOLDER_TYPE);
            b0701.gap(gaps, &key, "c0040", NO_SERVICE_TYPE);
            b0701.gap(
                gaps,
                &key,
                "c0050",
                "substitutability is a market and contract assessment, not visible in the inventory",
            );
            b0701.gap(
                gaps,
                &key,
                "c0060",
                "needed when c0050 is not substitutable or highly complex",
            );
            b0701.gap(
                gaps,
                &key,
                "c0070",
                "audits of the provider are not in the inventory",
            );
            b0701.gap(gaps, &key, "c0080", "exit plans are not in the inventory");
            b0701.gap(
                gaps,
                &key,
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
                b0701.set(row, "c0100", IMPACT_HIGH);
            } else {
                b0701.gap(gaps, &key, "c0100", format!(
                    "losing {provider} alone stops no critical service in the inventory: choose low or medium after review"
                ));
            }
            b0701.gap(
                gaps,
                &key,
                "c0110",
                "alternative providers are not in the inventory",
            );
        }
        b0701
    }
}

/// B_06.01's criticality (c0050) and its reason (c0060) for why a service is critical.
fn criticality(reason: &CriticalReason) -> (&'static str, &'static str) {
    match reason {
        CriticalReason::Function => (YES, "declared critical or important in the manifest"),
        CriticalReason::Tagged => (YES, "tagged linchpin:critical=true in the inventory"),
        CriticalReason::Configured => (YES, "named critical in the linchpin config"),
        CriticalReason::EntryPoint => (
            NOT_ASSESSED,
            "linchpin treats it as critical because it is an entry point (internet-facing)",
        ),
        CriticalReason::GraphRoot => (
            NOT_ASSESSED,
            "nothing was marked critical; linchpin took the resources nothing depends on",
        ),
    }
}

/// B_02.02 c0130, the country of provision: set when every region of `provider` the service
/// uses maps to one country, a gap saying why otherwise; `row` is keyed `key` in the gaps.
fn provision_country(
    b0202: &mut Table,
    gaps: &mut Vec<Gap>,
    (row, key): (usize, &str),
    provider: &str,
    regions: &BTreeSet<Option<&str>>,
) {
    let named: Vec<&str> = regions.iter().flatten().copied().collect();
    let countries: BTreeSet<Option<&str>> = named
        .iter()
        .map(|region| country(provider, region))
        .collect();
    match (countries.len(), countries.first()) {
        (1, Some(Some(code))) => b0202.set(row, "c0130", format!("eba_GA:{code}")),
        _ if named.is_empty() => b0202.gap(gaps, key, "c0130", format!(
            "the service uses {provider} only through global or unplaced resources: no region shows the country"
        )),
        _ if countries.contains(&None) => b0202.gap(gaps, key, "c0130", format!(
            "linchpin cannot map every region of {provider} used ({}) to a country",
            named.join(", ")
        )),
        _ => b0202.gap(gaps, key, "c0130", format!(
            "the service uses {provider} in several countries ({}): choose the country of provision",
            countries.iter().flatten().copied().collect::<Vec<_>>().join(", ")
        )),
    }
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
| `B_02.02.csv` | Contractual arrangements: specific information | critical service × provider it depends on |
| `B_05.01.csv` | ICT third-party service providers | provider in the inventory |
| `B_05.02.csv` | ICT service supply chains | provider (rank 1); provider seen running another's service (rank 2) |
| `B_06.01.csv` | Functions identification | critical service |
| `B_07.01.csv` | Assessment of the ICT services | provider |
| `gaps.csv` | — | cell a person must fill or replace, and why linchpin cannot know it |

Headers are the column codes of the EBA reporting format (`c0010`, ...; `gaps.csv` gives each
column's name). B_06.01 follows the reporting format's numbering c0010–c0100 (criticality in
c0050, impact of discontinuing in c0100); the text in the Official Journal numbers the same
columns 0060–0110.

What linchpin fills in, and from what:
- Provider identification codes are **linchpin provider ids** (`aws`, ...), with the type
  \"linchpin provider id, replace with LEI\": replace both with the provider's LEI or EUID.
- B_06.01 c0010 numbers the critical services F1, F2, ... in the order of `findings.json`
  (`critical_services`); c0050 is `eba_BT:x28` (yes) for services a person marked critical
  (tag or config) and `eba_BT:x21` (assessment not performed) for entry points and graph roots.
- B_02.02 c0130 is the country (`eba_GA:..`) of the regions where the service uses the
  provider, when they are all in one country linchpin can map.
- B_02.02 c0180 is `eba_ZZ:x797` (full reliance) when losing that provider alone stops the
  service (its cut set); otherwise it is left for review.
- B_07.01 c0100 is `eba_ZZ:x793` (high) when losing the provider alone stops a critical
  service; otherwise it is left for review.
- B_05.02 rank 2 rows appear when a provider's resource requires a resource of another
  provider held in an account the snapshot was not read from (the provider runs on it).

Contracts, legal identities, costs, data locations, recovery objectives and assessments are not
in an inventory; those cells are empty and listed in `gaps.csv`. The files are plain CSV; the
reporting format also needs the templates linchpin does not pre-fill (B_01.xx, B_02.01,
B_03.xx, B_04.01, B_99.01) and its package metadata.
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_countries() {
        assert_eq!(country("aws", "ap-northeast-1"), Some("JP"));
        assert_eq!(country("gcp", "europe-west4"), Some("NL"));
        assert_eq!(country("azure", "westeurope"), Some("NL"));
        assert_eq!(country("aws", "mars-north-1"), None);
        assert_eq!(country("vaultco", "ap-northeast-1"), None);
    }

    #[test]
    fn region_tables_are_sorted() {
        for table in [AWS_REGIONS, GCP_REGIONS, AZURE_REGIONS] {
            assert!(table.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }
}
