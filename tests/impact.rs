//! The impact of an outage, driven through the real binary with the demo exchange's manifest:
//! `simulate --duration` prices the stopped functions (per function and per currency, never
//! adding two currencies), the incident view groups them by function and owner, and the
//! audit's cut-set findings state the impact per hour without changing their fingerprints.

mod common;

use std::io::Write as _;

use common::{json, linchpin};
use serde_json::{Value, json};

const MANIFEST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/manifest.toml");
const WITHDRAWALS: &str = "function:exchange/withdrawals";
const MATCHING: &str = "function:exchange/matching";
const TRADING: &str = "function:exchange/trading-api";

/// `simulate --demo --manifest examples/manifest.toml --fail zone=apne1-az4` and `extra`.
fn simulate_az4(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "simulate",
        "--demo",
        "--manifest",
        MANIFEST,
        "--fail",
        "zone=apne1-az4",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn run_text(args: &[String]) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = linchpin(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn run_json(args: &[String]) -> Value {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    json(&args)
}

fn usd(amount: f64) -> Value {
    json!({"amount": amount, "currency": "USD"})
}

/// The stopped critical service `id` of a simulation report.
fn stopped<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["critical_down"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["service"] == id)
        .unwrap_or_else(|| panic!("{id} is down"))
}

#[test]
fn forty_minutes_of_apne1_az4_cost_each_function_its_rate_times_two_thirds() {
    let report = run_json(&simulate_az4(&["--duration", "40m", "--format", "json"]));
    assert_eq!(report["duration"], json!({"seconds": 2400, "text": "40m"}));

    // withdrawals: 180,000 USD/h × 40/60 h = 120,000 USD; RTO 1 h is not exceeded.
    let withdrawals = &stopped(&report, WITHDRAWALS)["function"];
    assert_eq!(withdrawals["owner"], "payments-sre");
    assert_eq!(withdrawals["criticality"], "critical");
    assert_eq!(withdrawals["rto_hours"], 1.0);
    assert_eq!(withdrawals["impact_per_hour"], usd(180_000.0));
    assert_eq!(withdrawals["impact"], usd(120_000.0));
    assert_eq!(withdrawals["exceeds_rto"], false);

    // matching: 320,000 USD/h × 2/3 = 213,333.33 USD (to the cent); 40 m exceeds its 30 m RTO.
    let matching = &stopped(&report, MATCHING)["function"];
    assert_eq!(matching["impact"], usd(213_333.33));
    assert_eq!(matching["exceeds_rto"], true);
    // trading API: 120,000 USD/h × 2/3 = 80,000 USD.
    assert_eq!(
        stopped(&report, TRADING)["function"]["impact"],
        usd(80_000.0)
    );

    // deposits stays up: it is in no total.
    assert!(
        report["critical_up"]
            .as_array()
            .unwrap()
            .contains(&json!("function:exchange/deposits"))
    );
    assert_eq!(
        report["impact"],
        json!({
            "per_hour": [usd(620_000.0)],
            "for_duration": [usd(413_333.33)],
        })
    );
}

#[test]
fn without_a_duration_the_impact_is_per_hour() {
    let report = run_json(&simulate_az4(&["--format", "json"]));
    assert!(report.get("duration").is_none());
    let withdrawals = &stopped(&report, WITHDRAWALS)["function"];
    assert_eq!(withdrawals["impact_per_hour"], usd(180_000.0));
    assert!(withdrawals.get("impact").is_none());
    assert!(withdrawals.get("exceeds_rto").is_none());
    assert_eq!(report["impact"], json!({"per_hour": [usd(620_000.0)]}));

    let md = run_text(&simulate_az4(&["--format", "markdown"]));
    assert!(md.starts_with("## Outage: zone apne1-az4\n"), "{md}");
    assert!(md.contains("| Impact per hour |"), "{md}");
    assert!(md.contains("| 180,000 USD/h |"), "{md}");
    assert!(
        md.contains("**Total impact per hour: 620,000 USD**"),
        "{md}"
    );
}

#[test]
fn the_table_shows_owner_rto_and_impact_most_impact_first() {
    let table = run_text(&simulate_az4(&["--duration", "40m"]));
    assert!(
        table.starts_with("linchpin simulate: failing zone apne1-az4 for 40m\n"),
        "{table}"
    );
    for header in ["Owner", "Criticality", "RTO", "Impact (40m)"] {
        assert!(table.contains(header), "{header} column:\n{table}");
    }
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("│ {name} ")))
            .unwrap_or_else(|| panic!("a row for {name}:\n{table}"))
    };
    assert!(row("withdrawals").contains("payments-sre"));
    assert!(row("withdrawals").contains("120,000 USD"));
    assert!(row("matching").contains("30m (exceeded)"));
    assert!(row("matching").contains("213,333.33 USD"));
    assert!(row("trading API").contains("80,000 USD"));
    let position = |name: &str| table.find(row(name)).unwrap();
    assert!(position("matching") < position("withdrawals"));
    assert!(position("withdrawals") < position("trading API"));
    assert!(table.contains("Total impact of 40m: 413,333.33 USD (620,000 USD/h)"));
}

#[test]
fn the_incident_view_groups_by_function_and_owner() {
    let md = run_text(&simulate_az4(&[
        "--duration",
        "40m",
        "--format",
        "markdown",
    ]));
    assert!(
        md.starts_with("## Outage: zone apne1-az4 for 40m\n"),
        "{md}"
    );
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Function"))
        .collect();
    assert_eq!(
        rows,
        [
            "| matching | trading-platform | critical | 30m (exceeded) | 213,333.33 USD | matching-engine-1 (zonal in zone apne1-az4) |",
            "| withdrawals | payments-sre | critical | 1h | 120,000 USD | wallet-ledger (zonal in zone apne1-az4) |",
            "| trading API | api-team | critical | 30m (exceeded) | 80,000 USD | matching → matching-engine-1 (zonal in zone apne1-az4) |",
        ],
        "{md}"
    );
    assert!(md.contains("**Total impact of 40m: 413,333.33 USD (620,000 USD/h)**"));
    assert!(
        md.contains("- payments-sre — withdrawals: 120,000 USD\n"),
        "{md}"
    );
    // What else stops: the resources, by kind.
    assert!(
        md.contains("- 36 of 97 resources down; 1 critical service still up"),
        "{md}"
    );
    assert!(md.contains("aws:ec2:instance 11"), "{md}");
}

#[test]
fn two_currencies_give_two_totals() {
    let mut manifest = tempfile::NamedTempFile::new().unwrap();
    manifest
        .write_all(
            br#"
[[function]]
id = "exchange/withdrawals"
name = "withdrawals"
criticality = "critical"
impact_per_hour = { amount = 180000, currency = "USD" }
requires = ["name:wallet-ledger"]

[[function]]
id = "exchange/matching"
name = "matching"
criticality = "critical"
impact_per_hour = { amount = 90000, currency = "EUR" }
requires = ["name:matching-engine-1"]

[[function]]
id = "exchange/trading-api"
name = "trading API"
criticality = "important"
impact_per_hour = { amount = 30000, currency = "EUR" }
requires = ["name:accounts-db"]
"#,
        )
        .unwrap();
    let path = manifest.path().to_str().unwrap();
    let args = |format: &str| -> Vec<String> {
        [
            "simulate",
            "--demo",
            "--manifest",
            path,
            "--fail",
            "zone=apne1-az4",
            "--duration",
            "1h30m",
            "--format",
            format,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let report = run_json(&args("json"));
    let eur = |amount: f64| json!({"amount": amount, "currency": "EUR"});
    assert_eq!(
        report["impact"],
        json!({
            "per_hour": [eur(120_000.0), usd(180_000.0)],
            "for_duration": [eur(180_000.0), usd(270_000.0)],
        })
    );
    let md = run_text(&args("markdown"));
    assert!(
        md.contains("**Total impact of 1h30m: 180,000 EUR and 270,000 USD (120,000 EUR/h and 180,000 USD/h)**"),
        "{md}"
    );
    let table = run_text(&args("table"));
    assert!(table.contains("180,000 EUR and 270,000 USD"), "{table}");
}

#[test]
fn durations_parse_in_the_documented_forms_and_refuse_others() {
    for (text, seconds) in [
        ("40m", 2_400),
        ("1h", 3_600),
        ("90s", 90),
        ("1h30m", 5_400),
        ("2.5h", 9_000),
    ] {
        let report = run_json(&simulate_az4(&["--duration", text, "--format", "json"]));
        assert_eq!(report["duration"]["seconds"], seconds, "{text}");
    }
    for (text, why) in [
        ("40", "a number without a unit"),
        ("40x", "unknown unit `x`"),
        ("0m", "it is zero"),
        ("30m1h", "units go from days to seconds"),
        ("", "it is empty"),
    ] {
        let args = simulate_az4(&["--duration", text]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = linchpin(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--duration {text:?}: {stderr}");
        assert!(stderr.contains("--duration"), "{stderr}");
        assert!(stderr.contains(why), "--duration {text:?}: {stderr}");
    }
}

/// The audit's findings of a rule, by the domain and service they name.
fn finding<'a>(report: &'a Value, rule: &str, domain: &str, service: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule"] == rule && f["domains"][0]["id"] == domain && f["services"][0] == service
        })
        .unwrap_or_else(|| panic!("a {rule} finding for {service} and {domain}"))
}

#[test]
fn audit_cut_set_findings_carry_the_impact_per_hour() {
    let report = json(&[
        "audit",
        "--demo",
        "--manifest",
        MANIFEST,
        "--format",
        "json",
    ]);
    let az4 = finding(&report, "zone-cut-set", "apne1-az4", WITHDRAWALS);
    assert_eq!(az4["impact_per_hour"], json!([usd(180_000.0)]));
    let message = az4["message"].as_str().unwrap();
    assert!(
        message.starts_with("losing zone apne1-az4 (ap-northeast-1a, ap-northeast-1) stops critical service withdrawals (impact 180,000 USD/h) (it takes down:"),
        "{message}"
    );
    let region = finding(&report, "region-cut-set", "ap-northeast-1", MATCHING);
    assert_eq!(region["impact_per_hour"], json!([usd(320_000.0)]));

    // The same risk keeps its fingerprint: the impact is not part of it.
    let plain = json(&["audit", "--demo", "--format", "json"]);
    assert_eq!(
        finding(&plain, "zone-cut-set", "apne1-az4", WITHDRAWALS)["id"],
        az4["id"]
    );
    // Without a manifest nothing declares an impact: no finding carries one.
    assert!(
        plain["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.get("impact_per_hour").is_none())
    );
    assert!(
        plain["critical_services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s.get("owner").is_none() && s.get("impact_per_hour").is_none())
    );

    let withdrawals = report["critical_services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == WITHDRAWALS)
        .unwrap();
    assert_eq!(withdrawals["owner"], "payments-sre");
    assert_eq!(withdrawals["impact_per_hour"], usd(180_000.0));
}

#[test]
fn audit_reports_show_owner_and_impact_columns_with_a_manifest() {
    let audit = |format: &str| {
        run_text(
            &[
                "audit",
                "--demo",
                "--manifest",
                MANIFEST,
                "--format",
                format,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        )
    };
    let table = audit("table");
    let withdrawals = table
        .lines()
        .find(|l| l.starts_with("│ withdrawals "))
        .expect("a critical services row for withdrawals");
    assert!(withdrawals.contains("payments-sre") && withdrawals.contains("180,000 USD/h"));
    assert!(
        table.contains("(impact 180,000 USD/h)"),
        "finding messages state it"
    );

    let md = audit("markdown");
    assert!(
        md.contains("| Critical service | Owner | Impact per hour | Zone | Region | Provider |"),
        "{md}"
    );
    assert!(
        md.contains("| withdrawals | payments-sre | 180,000 USD/h | apne1-az4 |"),
        "{md}"
    );

    let page = audit("html");
    let start = page.find("<table class=\"services\">").unwrap();
    let end = page[start..].find("</table>").unwrap() + start + "</table>".len();
    let services = &page[start..end];
    assert!(services.contains("<th>Owner</th><th>Impact per hour</th>"));
    assert!(services.contains("<td>payments-sre</td><td class=\"num\">180,000 USD/h</td>"));
    // Every row has as many cells as the header, and the table parses as XML.
    let header = services.matches("<th>").count();
    for row in services.split("<tr class=\"service\">").skip(1) {
        assert_eq!(row.matches("<td").count(), header, "{row}");
    }
    let mut reader = quick_xml::Reader::from_str(services);
    let mut depth = 0i32;
    loop {
        match reader.read_event().expect("well-formed") {
            quick_xml::events::Event::Start(_) => depth += 1,
            quick_xml::events::Event::End(_) => depth -= 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0);
}

#[test]
fn the_readme_shows_the_incident_view_as_the_command_prints_it() {
    let md = run_text(&simulate_az4(&[
        "--duration",
        "40m",
        "--format",
        "markdown",
    ]));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains(&format!("```markdown\n{md}```\n")),
        "README.md's incident view is stale; it should read:\n{md}"
    );
}
