//! `reports/` holds the demo estate's audit, a simulation and its graph in every format
//! linchpin writes, so a newcomer can look before running anything. This test regenerates them
//! and fails when the committed copies are stale (`LINCHPIN_BLESS=1 cargo test` rewrites them).

use std::process::Command;

/// (file under reports/, arguments)
const REPORTS: &[(&str, &[&str])] = &[
    ("demo-audit.txt", &["audit", "--demo", "--format", "table"]),
    ("demo-audit.json", &["audit", "--demo", "--format", "json"]),
    ("demo-audit.csv", &["audit", "--demo", "--format", "csv"]),
    (
        "demo-audit.md",
        &["audit", "--demo", "--format", "markdown"],
    ),
    ("demo-audit.html", &["audit", "--demo", "--format", "html"]),
    (
        "demo-audit.sarif",
        &["audit", "--demo", "--format", "sarif"],
    ),
    (
        "demo-audit.junit.xml",
        &["audit", "--demo", "--format", "junit"],
    ),
    ("demo-graph.dot", &["graph", "--demo", "--format", "dot"]),
    (
        "demo-graph.mmd",
        &["graph", "--demo", "--format", "mermaid"],
    ),
    (
        "demo-graph-critical.mmd",
        &["graph", "--demo", "--critical", "--format", "mermaid"],
    ),
    (
        "demo-simulate-apne1-az4.txt",
        &[
            "simulate",
            "--demo",
            "--fail",
            "zone=apne1-az4",
            "--format",
            "table",
        ],
    ),
    (
        "demo-simulate-apne1-az4.json",
        &[
            "simulate",
            "--demo",
            "--fail",
            "zone=apne1-az4",
            "--format",
            "json",
        ],
    ),
    (
        "demo-simulate-apne1-az4.md",
        &[
            "simulate",
            "--demo",
            "--fail",
            "zone=apne1-az4",
            "--format",
            "markdown",
        ],
    ),
    // The incident view with the demo's manifest: what 40 minutes without apne1-az4 cost.
    (
        "demo-incident-apne1-az4-40m.md",
        &[
            "simulate",
            "--demo",
            "--manifest",
            "examples/manifest.toml",
            "--fail",
            "zone=apne1-az4",
            "--duration",
            "40m",
            "--format",
            "markdown",
        ],
    ),
    (
        "demo-simulate-apne1-az4.csv",
        &[
            "simulate",
            "--demo",
            "--fail",
            "zone=apne1-az4",
            "--format",
            "csv",
        ],
    ),
];

#[test]
fn committed_reports_are_current() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/reports");
    let bless = std::env::var_os("LINCHPIN_BLESS").is_some();
    let mut stale = Vec::new();
    for (file, args) in REPORTS {
        let out = Command::new(env!("CARGO_BIN_EXE_linchpin"))
            .args(*args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let path = format!("{dir}/{file}");
        if bless {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(&path, &out.stdout).unwrap();
        }
        if std::fs::read(&path).unwrap_or_default() != out.stdout {
            stale.push(*file);
        }
    }
    assert!(
        stale.is_empty(),
        "stale under reports/: {stale:?}; run `LINCHPIN_BLESS=1 cargo test` and commit them"
    );
}
