//! Contracts that must not drift silently: the committed JSON Schemas, the list of rule ids,
//! and the `--help` of every subcommand.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_linchpin"))
        .args(args)
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn committed_schemas_are_current() {
    for name in ["snapshot", "report", "simulation", "diff"] {
        let path = format!("{}/schemas/{name}.v1.json", env!("CARGO_MANIFEST_DIR"));
        let mut current =
            serde_json::to_string_pretty(&linchpin::json_schema(name).unwrap()).unwrap();
        current.push('\n');
        if std::env::var_os("LINCHPIN_BLESS").is_some() {
            std::fs::write(&path, &current).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == current,
            "schemas/{name}.v1.json is stale: run `LINCHPIN_BLESS=1 cargo test` and commit it"
        );
    }
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let printed: serde_json::Value = serde_json::from_str(&help(&["schema", "snapshot"])).unwrap();
    assert_eq!(printed, linchpin::json_schema("snapshot").unwrap());
}

#[test]
fn rule_ids_are_stable() {
    let pack = linchpin::rules::RulePack::builtin().expect("the built-in pack is valid");
    let list: Vec<String> = pack
        .rules
        .iter()
        .map(|r| {
            format!(
                "{} ({}, {}): {}",
                r.id,
                r.severity,
                r.check_type().as_str(),
                r.title
            )
        })
        .collect();
    insta::assert_snapshot!(list.join("\n"));
}

#[test]
fn help_texts() {
    insta::assert_snapshot!("help", help(&["--help"]));
    for command in [
        "audit", "crawl", "merge", "simulate", "graph", "diff", "export", "verify", "generate",
        "schema", "rules",
    ] {
        insta::assert_snapshot!(format!("help-{command}"), help(&[command, "--help"]));
    }
    insta::assert_snapshot!("help-crawl-aws", help(&["crawl", "aws", "--help"]));
    insta::assert_snapshot!(
        "help-crawl-terraform",
        help(&["crawl", "terraform", "--help"])
    );
    for command in ["list", "explain", "check"] {
        insta::assert_snapshot!(
            format!("help-rules-{command}"),
            help(&["rules", command, "--help"])
        );
    }
}
