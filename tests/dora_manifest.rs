//! The DORA register filled from a manifest: `export evidence --manifest` puts the entity's
//! and third parties' LEIs, contracts, service types, countries, substitutability, recovery
//! objectives and the supply chain of `runs_on` into the templates, and `gaps.csv` keeps only
//! what is still unknown, each gap naming the manifest key that fills it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TIMESTAMP: &str = "2025-04-15T02:00:00Z";
const MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/manifest.toml");
const CLOUD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/manifest-cloud.toml");

const ENTITY_LEI: &str = "5299000EXCHANGE0JP91";
const VAULTCO_LEI: &str = "549300VAULTCO0CH0134";
const CHAINSCREEN_LEI: &str = "254900CHAINSCREEN184";
const MARKETFEED_LEI: &str = "213800MARKETFEED0195";
const AWS_LEI: &str = "254900AMAZONWEBSVC37";
const LEI: &str = "eba_qCO:qx2000";

fn linchpin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linchpin"))
        .args(args)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("the binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

type Row = BTreeMap<String, String>;

/// The register of one export of the demo estate with the manifests given.
struct Register {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Register {
    fn export(manifests: &[&str]) -> Register {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("bundle");
        let mut args = vec![
            "export",
            "evidence",
            "--demo",
            "--out",
            dir.to_str().unwrap(),
            "--timestamp",
            TIMESTAMP,
        ];
        for manifest in manifests {
            args.extend(["--manifest", manifest]);
        }
        let out = linchpin(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        Register { _tmp: tmp, dir }
    }

    fn rows(&self, template: &str) -> Vec<Row> {
        csv_rows(&self.dir.join("dora").join(format!("{template}.csv")))
    }

    fn gaps(&self) -> Vec<Row> {
        self.rows("gaps")
    }

    /// The one row of `template` whose `column` is `value`.
    fn row(&self, template: &str, column: &str, value: &str) -> Row {
        let found: Vec<Row> = self
            .rows(template)
            .into_iter()
            .filter(|r| r[column] == value)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{template} rows with {column} = {value}: {found:#?}"
        );
        found.into_iter().next().unwrap()
    }

    /// The gap of one cell, if it is one.
    fn gap(&self, template: &str, row: &str, column: &str) -> Option<String> {
        self.gaps()
            .into_iter()
            .find(|g| g["template"] == template && g["row"] == row && g["column"] == column)
            .map(|g| g["why"].clone())
    }

    /// Assert that these cells of a row (keyed `key` in the gaps) hold these values and are
    /// not gaps. The rows checked all have some other gap, so a wrong key cannot pass.
    fn filled(&self, template: &str, row: &Row, key: &str, cells: &[(&str, &str)]) {
        assert!(
            self.gaps()
                .iter()
                .any(|g| g["template"] == template && g["row"] == key),
            "{key} names no row of {template} in gaps.csv"
        );
        for (column, value) in cells {
            assert_eq!(row[*column], *value, "{template} {key} {column}: {row:#?}");
            assert_eq!(
                self.gap(template, key, column),
                None,
                "{template} {key} {column} is filled, yet listed as a gap"
            );
        }
    }
}

fn csv_rows(path: &Path) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn manifest_fills_functions_and_their_assessment() {
    let register = Register::export(&[MANIFEST]);
    let withdrawals = register.row("B_06.01", "c0030", "withdrawals");
    let key = format!("{} (function:exchange/withdrawals)", withdrawals["c0010"]);
    register.filled(
        "B_06.01",
        &withdrawals,
        &key,
        &[
            ("c0040", ENTITY_LEI),
            ("c0050", "eba_BT:x28"),
            (
                "c0060",
                "customers cannot take their assets out; regulated custody obligation",
            ),
            ("c0070", "2026-09-30"),
            ("c0080", "1"),
            ("c0090", "0"),
            ("c0100", "eba_ZZ:x793"),
        ],
    );
    // Half an hour is reported as one (whole hours, rounded up); a quarter-hour RPO too.
    let matching = register.row("B_06.01", "c0030", "matching");
    assert_eq!(matching["c0080"], "1");
    let deposits = register.row("B_06.01", "c0030", "deposits");
    let key = format!("{} (function:exchange/deposits)", deposits["c0010"]);
    register.filled(
        "B_06.01",
        &deposits,
        &key,
        &[
            ("c0050", "eba_BT:x28"),
            ("c0060", "declared important in the manifest"),
            ("c0080", "4"),
            ("c0090", "1"),
            // 40,000 USD an hour is within a factor of 30 of matching's 320,000, not of 3.
            ("c0100", "eba_ZZ:x792"),
        ],
    );
    // The manifest gives no licensed activity: still a gap, naming the key.
    let why = register.gap("B_06.01", &key, "c0020").expect("a gap");
    assert!(
        why.contains("add `licensed_activity` to [[function]] exchange/deposits in the manifest"),
        "{why}"
    );
    // With functions declared, entry points are no longer critical services.
    assert_eq!(register.rows("B_06.01").len(), 4);
}

#[test]
fn manifest_fills_third_parties_contracts_and_assessments() {
    let register = Register::export(&[MANIFEST]);
    let vaultco = register.row("B_05.01", "c0010", VAULTCO_LEI);
    register.filled(
        "B_05.01",
        &vaultco,
        "provider vaultco",
        &[
            ("c0020", LEI),
            ("c0050", "VaultCo Custody AG"),
            ("c0060", "VaultCo Custody AG"),
            ("c0080", "eba_GA:CH"),
        ],
    );

    let assessed = register.row("B_07.01", "c0020", VAULTCO_LEI);
    register.filled(
        "B_07.01",
        &assessed,
        "provider vaultco",
        &[
            ("c0010", "CTR-2023-007"),
            ("c0030", LEI),
            ("c0040", "eba_TA:S19"),
            ("c0050", "eba_ZZ:x960"),
            ("c0080", "eba_BT:x29"),
            ("c0100", "eba_ZZ:x793"),
        ],
    );
    // Highly complex: the reason is mandatory and a closed list, so it stays a gap that
    // quotes the manifest's words.
    let why = register
        .gap("B_07.01", "provider vaultco", "c0060")
        .expect("a gap");
    assert!(
        why.contains("keys held under a multi-party ceremony"),
        "{why}"
    );
    let why = register
        .gap("B_07.01", "provider vaultco", "c0070")
        .expect("no last audit in the manifest");
    assert!(
        why.contains("add `last_audit` to [[third_party]] vaultco in the manifest"),
        "{why}"
    );

    let edgeguard = register.row("B_07.01", "c0010", "CTR-2024-031");
    register.filled(
        "B_07.01",
        &edgeguard,
        "provider edgeguard",
        &[
            ("c0050", "eba_ZZ:x961"),
            ("c0080", "eba_BT:x28"),
            ("c0110", "eba_BT:x28"),
            ("c0120", "aws"),
        ],
    );
    // Medium complexity needs no reason.
    assert_eq!(register.gap("B_07.01", "provider edgeguard", "c0060"), None);
    let chainscreen = register.row("B_07.01", "c0020", CHAINSCREEN_LEI);
    assert_eq!(chainscreen["c0050"], "eba_ZZ:x962");

    // The contract with vaultco, as withdrawals uses it.
    let withdrawals = register.row("B_06.01", "c0030", "withdrawals")["c0010"].clone();
    let arrangement = register
        .rows("B_02.02")
        .into_iter()
        .find(|r| r["c0050"] == withdrawals && r["c0030"] == VAULTCO_LEI)
        .expect("withdrawals uses vaultco");
    let key = format!("{withdrawals} (function:exchange/withdrawals) × provider vaultco");
    register.filled(
        "B_02.02",
        &arrangement,
        &key,
        &[
            ("c0010", "CTR-2023-007"),
            ("c0020", ENTITY_LEI),
            ("c0040", LEI),
            ("c0060", "eba_TA:S19"),
            ("c0180", "eba_ZZ:x797"),
        ],
    );
    // No region shows where the custody API runs, and the manifest names two countries.
    let why = register.gap("B_02.02", &key, "c0130").expect("a gap");
    assert!(why.contains("several countries (CH, JP)"), "{why}");

    // MarketFeed serves from one country: the country of provision.
    let matching = register.row("B_06.01", "c0030", "matching")["c0010"].clone();
    let feed = register
        .rows("B_02.02")
        .into_iter()
        .find(|r| r["c0050"] == matching && r["c0030"] == MARKETFEED_LEI)
        .expect("matching uses marketfeed");
    let key = format!("{matching} (function:exchange/matching) × provider marketfeed");
    register.filled(
        "B_02.02",
        &feed,
        &key,
        &[("c0010", "CTR-2024-019"), ("c0130", "eba_GA:JP")],
    );
}

#[test]
fn runs_on_puts_the_clouds_at_rank_two_of_the_supply_chain() {
    let register = Register::export(&[MANIFEST]);
    let chain = register.rows("B_05.02");
    let rank = |sub: &str, rank: &str, recipient: &str| -> Vec<&Row> {
        chain
            .iter()
            .filter(|r| r["c0030"] == sub && r["c0050"] == rank && r["c0060"] == recipient)
            .collect()
    };
    // VaultCo runs on AWS Tokyo: AWS serves it at rank 2, under VaultCo's contract.
    let under_vaultco = rank("aws", "2", VAULTCO_LEI);
    assert_eq!(under_vaultco.len(), 1, "{chain:#?}");
    let key = "provider aws rank 2 under vaultco";
    register.filled(
        "B_05.02",
        under_vaultco[0],
        key,
        &[
            ("c0010", "CTR-2023-007"),
            ("c0020", "eba_TA:S19"),
            ("c0070", LEI),
        ],
    );
    assert_eq!(rank("aws", "2", MARKETFEED_LEI).len(), 1);
    // ChainScreen runs on Google Cloud, which the exchange has no contract with: rank 2
    // only, a provider of B_05.01, not assessed in B_07.01 nor used in B_02.02.
    assert_eq!(rank("gcp", "2", CHAINSCREEN_LEI).len(), 1);
    assert!(rank("gcp", "1", "").is_empty(), "{chain:#?}");
    assert_eq!(register.row("B_05.01", "c0010", "gcp")["c0050"], "gcp");
    assert!(register.rows("B_07.01").iter().all(|r| r["c0020"] != "gcp"));
    assert!(register.rows("B_02.02").iter().all(|r| r["c0030"] != "gcp"));
    // Every provider used directly keeps its rank 1 row.
    for lei in [VAULTCO_LEI, CHAINSCREEN_LEI, MARKETFEED_LEI] {
        assert_eq!(rank(lei, "1", "").len(), 1, "{lei}: {chain:#?}");
    }
    assert_eq!(rank("aws", "1", "").len(), 1);
}

#[test]
fn gaps_shrink_to_what_is_unknown_and_the_bundle_verifies() {
    let plain = Register::export(&[]);
    let declared = Register::export(&[MANIFEST]);
    let clouds = Register::export(&[MANIFEST, CLOUD]);
    let (before, with_manifest, with_clouds) = (
        plain.gaps().len(),
        declared.gaps().len(),
        clouds.gaps().len(),
    );
    assert!(
        with_clouds < with_manifest && with_manifest < before,
        "{before} gaps without a manifest, {with_manifest} with it, {with_clouds} with the clouds"
    );
    // Without a manifest, a gap says which manifest key fills it.
    let why = plain
        .gap("B_05.01", "provider aws", "c0010")
        .expect("a gap");
    assert!(
        why.contains("add `lei` to [[third_party]] aws in the manifest"),
        "{why}"
    );
    let why = plain.gap("B_06.01", "F1 (function:exchange/deposits)", "c0040");
    assert!(
        why.is_some_and(|w| w.contains("add `lei` to [entity] in the manifest")),
        "the entity's LEI"
    );
    for register in [&declared, &clouds] {
        let out = linchpin(&["verify", register.dir.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let readme = std::fs::read_to_string(register.dir.join("dora/README.md")).unwrap();
        let gaps = register.gaps().len();
        assert!(readme.contains(&format!("({gaps} cells)")), "{readme}");
    }
}

#[test]
fn a_cloud_declared_as_a_third_party_gives_its_lei_and_contract() {
    let register = Register::export(&[MANIFEST, CLOUD]);
    let aws = register.row("B_05.01", "c0010", AWS_LEI);
    register.filled(
        "B_05.01",
        &aws,
        "provider aws",
        &[
            ("c0020", LEI),
            ("c0050", "Amazon Web Services EMEA SARL"),
            ("c0080", "eba_GA:LU"),
            ("c0090", "eba_CU:USD"),
            ("c0100", "2400000"),
        ],
    );
    let why = register
        .gap("B_05.01", "provider aws", "c0110")
        .expect("no parent LEI");
    assert!(
        why.contains("add `parent_lei` to [[third_party]] aws"),
        "{why}"
    );

    let assessed = register.row("B_07.01", "c0020", AWS_LEI);
    register.filled(
        "B_07.01",
        &assessed,
        "provider aws",
        &[
            ("c0010", "CTR-2021-001"),
            ("c0040", "eba_TA:S17"),
            ("c0070", "2026-03-31"),
            ("c0080", "eba_BT:x28"),
            ("c0110", "eba_BT:x28"),
            // The alternative is named by the LEI the manifest gives it.
            ("c0120", "5493GOOGLECLOUD00042"),
        ],
    );
    // The subcontractor rows name AWS by its LEI too; rank 1 carries the exchange's contract.
    let chain = register.rows("B_05.02");
    assert!(
        chain
            .iter()
            .any(|r| r["c0030"] == AWS_LEI && r["c0050"] == "1" && r["c0010"] == "CTR-2021-001")
    );
    assert!(
        chain
            .iter()
            .any(|r| r["c0030"] == AWS_LEI && r["c0050"] == "2" && r["c0060"] == VAULTCO_LEI)
    );
    // Every function's arrangement with AWS carries the contract and the entity's LEI.
    for row in register
        .rows("B_02.02")
        .iter()
        .filter(|r| r["c0030"] == AWS_LEI)
    {
        assert_eq!(row["c0010"], "CTR-2021-001");
        assert_eq!(row["c0020"], ENTITY_LEI);
        assert_eq!(row["c0060"], "eba_TA:S17");
    }
}

#[test]
fn functions_neither_critical_nor_important_are_listed_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let extra = tmp.path().join("reporting.toml");
    std::fs::write(
        &extra,
        r#"
[[function]]
id = "exchange/reporting"
name = "regulatory reporting"
criticality = "other"
licensed_activity = "crypto-asset services: custody"
impact_per_hour = { amount = 1000, currency = "USD" }
requires = ["name:accounts-db", "third_party:filerco"]

[[third_party]]
id = "filerco"
name = "FilerCo GmbH"
service_type = "S19"
contract = "CTR-2026-004"
substitutability = "not_substitutable"

[[third_party.service]]
id = "filing"
"#,
    )
    .unwrap();
    let register = Register::export(&[MANIFEST, extra.to_str().unwrap()]);
    let functions = register.rows("B_06.01");
    assert_eq!(functions.len(), 5);
    let reporting = register.row("B_06.01", "c0030", "regulatory reporting");
    assert_eq!(reporting["c0010"], "F5", "after the critical services");
    let key = "F5 (function:exchange/reporting)";
    register.filled(
        "B_06.01",
        &reporting,
        key,
        &[
            ("c0020", "crypto-asset services: custody"),
            ("c0050", "eba_BT:x29"),
            // 1,000 USD an hour is below a thirtieth of matching's 320,000.
            ("c0100", "eba_ZZ:x791"),
        ],
    );
    // Reliance is asked for critical or important functions only.
    let arrangement = register
        .rows("B_02.02")
        .into_iter()
        .find(|r| r["c0050"] == "F5" && r["c0030"] == "filerco")
        .expect("reporting uses filerco");
    assert_eq!(arrangement["c0010"], "CTR-2026-004");
    assert_eq!(arrangement["c0180"], "");
    let row = "F5 (function:exchange/reporting) × provider filerco";
    assert_eq!(register.gap("B_02.02", row, "c0180"), None);
    // Not substitutable without a reason: the reason is asked for.
    let why = register
        .gap("B_07.01", "provider filerco", "c0060")
        .expect("a gap");
    assert!(
        why.contains("needed because c0050 is not substitutable"),
        "{why}"
    );
    let filerco = register.row("B_07.01", "c0010", "CTR-2026-004");
    assert_eq!(filerco["c0050"], "eba_ZZ:x959");
}
