//! The human-facing audit formats: `--format html` (one self-contained page with score cards,
//! charts and the dependency picture) and `--format markdown` (a pull request / CI summary).
//! Each test runs the real binary.

mod common;

use common::{json, linchpin};
use serde_json::Value;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/demo-snapshot.json");
const SCRIPT_NAME: &str = "<script>alert(\"x\")</script>";
const PIPE_NAME: &str = "wallet|ledger & 'co'";
const WITHDRAWALS: &str = "function:exchange/withdrawals";
const WALLET_LEDGER: &str = "arn:aws:rds:ap-northeast-1:111122223333:db:wallet-ledger";

/// Run linchpin, expect exit 0, return stdout as text.
fn text(args: &[&str]) -> String {
    let out = linchpin(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the report is UTF-8")
}

/// The HTML escaping the report must apply.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The `<svg class="{class}" …>…</svg>` element of a page.
fn svg<'a>(page: &'a str, class: &str) -> &'a str {
    let start = page
        .find(&format!("<svg class=\"{class}\""))
        .unwrap_or_else(|| panic!("no <svg class=\"{class}\"> in the page"));
    let end = page[start..].find("</svg>").expect("the svg is closed") + start + "</svg>".len();
    &page[start..end]
}

/// Every element of an SVG drawing is closed in order (it parses as XML).
fn assert_well_formed(svg: &str) {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "SVG is not well-formed at {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!(depth, 0, "unclosed elements in {svg:.200}");
}

/// The demo snapshot with two names replaced: the critical function `withdrawals` gets a
/// script tag, the database `wallet-ledger` a pipe, an ampersand and quotes.
fn hostile_snapshot() -> tempfile::NamedTempFile {
    let mut snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(DEMO).unwrap()).unwrap();
    let mut renamed = 0;
    for resource in snapshot["resources"].as_array_mut().unwrap() {
        let name = match resource["id"].as_str() {
            Some(WITHDRAWALS) => SCRIPT_NAME,
            Some(WALLET_LEDGER) => PIPE_NAME,
            _ => continue,
        };
        resource["name"] = Value::from(name);
        renamed += 1;
    }
    assert_eq!(renamed, 2, "the demo still has both resources");
    let file = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    std::fs::write(file.path(), serde_json::to_vec(&snapshot).unwrap()).unwrap();
    file
}

/// Lines of Markdown tables whose count of unescaped `|` differs from their header's.
fn broken_table_rows(markdown: &str) -> Vec<String> {
    let pipes = |line: &str| {
        let mut count = 0;
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '|' => count += 1,
                _ => {}
            }
        }
        count
    };
    let mut broken = Vec::new();
    let mut header: Option<usize> = None;
    for line in markdown.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        match header {
            None => header = Some(pipes(line)),
            Some(n) if pipes(line) != n => broken.push(line.to_string()),
            Some(_) => {}
        }
    }
    broken
}

#[test]
fn html_demo_is_one_self_contained_page() {
    let page = text(&["audit", "--demo", "--format", "html"]);
    let report = json(&["audit", "--demo", "--format", "json"]);
    assert!(page.starts_with("<!DOCTYPE html>"), "{:.80}", page);
    assert!(page.trim_end().ends_with("</html>"));
    assert_eq!(page.matches("<html").count(), 1, "one document");
    for forbidden in [
        "http://", "https://", "<script", "<link", "<img", "url(", "@import", "<iframe", "src=",
    ] {
        assert!(
            !page.contains(forbidden),
            "the page must load nothing, but contains {forbidden:?}"
        );
    }
    // The same report renders the same page.
    assert_eq!(page, text(&["audit", "--demo", "--format", "html"]));

    // Score cards: one per provider and provider/region, coloured by grade.
    let scores = report["scores"].as_array().unwrap();
    assert_eq!(page.matches("<div class=\"card ").count(), scores.len());
    for score in scores {
        let scope = match score["region"].as_str() {
            Some(region) => format!("{} / {region}", score["provider"].as_str().unwrap()),
            None => score["provider"].as_str().unwrap().to_string(),
        };
        let grade = score["grade"].as_str().unwrap().to_lowercase();
        assert!(
            page.contains(&format!("grade-{grade}\" data-scope=\"{scope}\"")),
            "card for {scope} with grade {grade}"
        );
    }

    // Every drawing has a title first and parses.
    for class in ["chart zone-shares", "chart hhi", "picture"] {
        let drawing = svg(&page, class);
        let body = &drawing[drawing.find('>').unwrap() + 1..];
        assert!(body.starts_with("<title>"), "{class} has a <title>");
        assert_well_formed(drawing);
    }

    // Zone shares: a bar per Tokyo zone for critical dependencies and for all resources.
    let shares = svg(&page, "chart zone-shares");
    for zone in ["apne1-az1", "apne1-az2", "apne1-az4"] {
        for population in ["critical", "all"] {
            assert_eq!(
                shares
                    .matches(&format!("class=\"bar {population}\" data-zone=\"{zone}\""))
                    .count(),
                1,
                "{population} bar for {zone}"
            );
        }
    }
    assert!(
        shares.contains("data-zone=\"use1-az1\""),
        "us-east-1 drawn too"
    );

    // HHI: the 2,500 line and each region's figure as the JSON report has it.
    let hhi = svg(&page, "chart hhi");
    assert!(hhi.contains("class=\"threshold\"") && hhi.contains("2,500 highly concentrated"));
    let tokyo = report["concentration"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["scope"]["id"] == "ap-northeast-1"
                && c["over"] == "zone"
                && c["population"] == "critical"
        })
        .expect("Tokyo's critical zone distribution");
    let figure = format!("{:.0}", tokyo["hhi"].as_f64().unwrap());
    let figure = format!("{},{}", &figure[..1], &figure[1..]);
    assert!(
        hhi.contains(&format!(
            "region ap-northeast-1 · zones, critical dependencies: HHI {figure}"
        )),
        "Tokyo's HHI {figure} in the chart"
    );

    // The picture: every critical service, the cut-set zone, SPOFs.
    let picture = svg(&page, "picture");
    for service in report["critical_services"].as_array().unwrap() {
        let name = escaped(service["name"].as_str().unwrap());
        assert!(
            picture.contains(&format!("<title>{name} (")),
            "critical service {name} drawn"
        );
    }
    assert!(picture.contains("class=\"lane zone cut\""));
    assert!(picture.contains("zone apne1-az4 · ap-northeast-1 — losing it stops"));
    assert!(picture.contains("<g class=\"node spof\">"));
    assert!(
        picture.contains("class=\"edge any\""),
        "redundant edges dashed"
    );

    // The findings table: a row per finding.
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(page.matches("<tr class=\"finding ").count(), findings.len());
    for finding in findings {
        let id = finding["id"].as_str().unwrap();
        assert!(page.contains(&format!("id=\"f-{id}\"")), "finding {id}");
    }
    assert!(page.contains("Coverage complete"));
}

#[test]
fn html_escapes_names_from_the_estate() {
    let snapshot = hostile_snapshot();
    let path = snapshot.path().to_str().unwrap();
    let page = text(&["audit", "--snapshot", path, "--format", "html"]);
    assert!(!page.contains("<script"), "a resource name became markup");
    assert!(!page.contains(PIPE_NAME), "quotes and & left raw");
    let script = escaped(SCRIPT_NAME);
    let picture = svg(&page, "picture");
    assert!(picture.contains(&format!("<title>{script} (")));
    assert_well_formed(picture);
    assert!(page.contains(&format!("<td title=\"{WITHDRAWALS}\">{script}</td>")));
    assert!(
        page.contains(&escaped(PIPE_NAME)),
        "the database's name, escaped"
    );
}

#[test]
fn markdown_demo_has_scores_cut_sets_and_findings() {
    let md = text(&["audit", "--demo", "--format", "markdown"]);
    let report = json(&["audit", "--demo", "--format", "json"]);
    assert!(md.starts_with("## linchpin audit\n"));
    assert!(
        broken_table_rows(&md).is_empty(),
        "{:?}",
        broken_table_rows(&md)
    );
    let summary = &report["summary"];
    assert!(md.contains(&format!("**{} high**", summary["high"])));
    assert!(md.contains(&format!("{} medium", summary["medium"])));
    assert!(md.contains(&format!("{} suppressed", report["suppressed"])));
    assert!(md.contains("93 resources"));

    assert!(md.contains("### Scores\n"));
    for score in report["scores"].as_array().unwrap() {
        let provider = score["provider"].as_str().unwrap();
        let scope = match score["region"].as_str() {
            Some(region) => format!("{provider} / {region}"),
            None => format!("**{provider}**"),
        };
        let row = format!(
            "| {scope} | {} | {} |",
            score["score"],
            score["grade"].as_str().unwrap()
        );
        assert!(md.contains(&row), "scores row {row}");
    }

    assert!(md.contains("### What stops if one zone, region or provider goes\n"));
    assert!(
        md.contains("| withdrawals | apne1-az4 | ap-northeast-1 | aws, chainscreen, vaultco |")
    );
    assert!(
        md.contains("| trading API | apne1-az2, apne1-az4 | ap-northeast-1 | aws, edgeguard |")
    );

    // Top findings: 50 rows, then how many more.
    let findings = report["findings"].as_array().unwrap().len();
    let section = &md[md.find("### Top findings").unwrap()..];
    let section = &section[..section.find("\n### ").unwrap_or(section.len())];
    let rows = section.lines().filter(|l| l.starts_with("| ")).count() - 1;
    assert_eq!(rows, 50.min(findings));
    assert!(section.contains(&format!("…and {} more not shown", findings - 50)));
    assert!(section.contains("| high | zone-cut-set |"));

    assert!(md.contains("| ap-northeast-1 | apne1-az4 | 52% |"));
    let digest = report["rules"]["digest"].as_str().unwrap();
    assert!(md.contains(&format!("rule pack sha256 {digest}")));
}

#[test]
fn markdown_escapes_pipes_and_markup_in_cells() {
    let snapshot = hostile_snapshot();
    let path = snapshot.path().to_str().unwrap();
    let md = text(&["audit", "--snapshot", path, "--format", "markdown"]);
    assert!(
        broken_table_rows(&md).is_empty(),
        "{:?}",
        broken_table_rows(&md)
    );
    assert!(
        md.contains("wallet\\|ledger \\& 'co'"),
        "pipe escaped in a message"
    );
    assert!(md.contains("| \\<script\\>alert(\"x\")\\</script\\> | apne1-az4 |"));
    // Every `<` is escaped, except the document's own line breaks and footer.
    for (at, _) in md.match_indices('<') {
        let escaped = at > 0 && md.as_bytes()[at - 1] == b'\\';
        let own = ["<br>", "<sub>", "</sub>"]
            .iter()
            .any(|tag| md[at..].starts_with(tag));
        assert!(escaped || own, "raw markup at {at}: {:.40}", &md[at..]);
    }
}

#[test]
fn large_estate_reports_stay_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("estate.json");
    let snapshot = snapshot.to_str().unwrap();
    text(&["generate", "--resources", "20000", "--output", snapshot]);
    let out = dir.path().join("out");
    text(&[
        "audit",
        "--snapshot",
        snapshot,
        "--format",
        "markdown,html",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    let md = std::fs::read_to_string(out.join("audit.md")).unwrap();
    assert!(
        md.chars().count() < 65_536,
        "{} characters",
        md.chars().count()
    );
    assert!(md.contains("…and ") && md.contains("more not shown"));
    assert!(broken_table_rows(&md).is_empty());
    assert!(
        md.trim_end().ends_with("</sub>"),
        "the footer survives the cuts"
    );

    let page = std::fs::read_to_string(out.join("audit.html")).unwrap();
    assert!(page.len() < 5_000_000, "{} bytes", page.len());
    assert!(page.trim_end().ends_with("</html>"));
    assert_eq!(page.matches("<tr class=\"finding ").count(), 500);
    assert!(page.contains("more findings not shown"));
    let picture = svg(&page, "picture");
    assert_well_formed(picture);
    let nodes =
        picture.matches("<g class=\"node\"").count() + picture.matches("<g class=\"node ").count();
    assert!(nodes > 0 && nodes <= 120, "{nodes} nodes drawn");
    assert!(page.contains("required by the critical services not drawn"));
}
