//! Crawl efficiency at size, against a real moto server: 2,112 tagged resources over three
//! regions are read with exactly the requests their pages need at the largest page sizes the
//! APIs allow — every request moto receives is recorded by moto itself (its request
//! recorder), independently of linchpin's own count, which must agree.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use base64::Engine;
use common::moto::{Moto, linchpin_aws};
use serde_json::Value;

/// Start moto's request recorder, stop it, or download what it recorded.
fn recorder(moto: &Moto, action: &str) -> String {
    let method = if action == "download-recording" {
        "GET"
    } else {
        "POST"
    };
    let code = "import sys, urllib.request; print(urllib.request.urlopen(urllib.request.Request(sys.argv[1], method=sys.argv[2])).read().decode())";
    let out = Command::new("python3")
        .args([
            "-c",
            code,
            &format!("{}/moto-api/recorder/{action}", moto.url),
            method,
        ])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{action}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One recorded request: (region, service, operation). The region and service come from the
/// request's signature (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`); the operation
/// from `X-Amz-Target` (JSON protocols), the `Action` parameter (query protocols), or the
/// method and path (REST protocols).
fn operation(entry: &Value) -> (String, String, String) {
    let headers = entry["headers"].as_object().expect("headers");
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let scope: Vec<&str> = header("Authorization")
        .split("Credential=")
        .nth(1)
        .unwrap_or("")
        .split(',')
        .next()
        .unwrap_or("")
        .split('/')
        .collect();
    let (region, service) = (
        scope.get(2).copied().unwrap_or("?").to_string(),
        scope.get(3).copied().unwrap_or("?").to_string(),
    );
    let body = match entry["body_encoded"].as_bool() {
        Some(true) => {
            let text = entry["body"].as_str().unwrap_or("");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap_or_default();
            String::from_utf8(bytes).unwrap_or_default()
        }
        _ => entry["body"].as_str().unwrap_or("").to_string(),
    };
    let url = entry["url"].as_str().unwrap_or("");
    let target = header("X-Amz-Target");
    let operation = if !target.is_empty() {
        target.rsplit('.').next().unwrap_or(target).to_string()
    } else if let Some(action) = body
        .split('&')
        .chain(url.split(['?', '&']))
        .find_map(|pair| pair.strip_prefix("Action="))
    {
        action.to_string()
    } else {
        let path = url.split("://").nth(1).unwrap_or(url);
        let path = &path[path.find('/').unwrap_or(path.len())..];
        format!(
            "{} {}",
            entry["method"].as_str().unwrap_or(""),
            path.split('?').next().unwrap_or("")
        )
    };
    (region, service, operation)
}

#[test]
fn a_crawl_of_two_thousand_resources_makes_only_the_requests_its_pages_need() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("requests.jsonl");
    let moto = Moto::start_with(&[("MOTO_RECORDER_FILEPATH", recording.to_str().unwrap())]);
    let seeded = moto.run_seed("seed_scale.py");
    let regions = seeded["regions"].as_object().expect("regions");
    let tagged: u64 = regions
        .values()
        .map(|r| r["tagged"].as_u64().unwrap())
        .sum();
    assert!(tagged >= 2000, "{tagged} resources seeded");

    recorder(&moto, "reset-recording");
    recorder(&moto, "start-recording");
    let out_file = dir.path().join("snapshot.json");
    let mut args = vec!["crawl", "aws", "--endpoint-url", &moto.url];
    for region in regions.keys() {
        args.extend(["--region", region.as_str()]);
    }
    args.extend(["--output", out_file.to_str().unwrap()]);
    let out = linchpin_aws(&args, &[]);
    recorder(&moto, "stop-recording");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    let snapshot: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    let resources = snapshot["resources"].as_array().unwrap();
    assert!(
        resources.len() as u64 >= tagged,
        "{} resources in the snapshot, {tagged} seeded",
        resources.len()
    );

    let mut counts: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    let recorded = recorder(&moto, "download-recording");
    for line in recorded.lines().filter(|l| !l.trim().is_empty()) {
        let entry: Value = serde_json::from_str(line).expect("a recorded request");
        *counts.entry(operation(&entry)).or_default() += 1;
    }
    let total: u64 = counts.values().sum();

    // What linchpin says it made is what moto received.
    let reported: u64 = stderr
        .split(" requests in ")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in: {stderr}"));
    assert_eq!(reported, total, "{counts:#?}");

    // Pages at the largest sizes: 100 tagged resources per GetResources page (its maximum),
    // so 704 in a region are 8 pages; 1,000 instances per DescribeInstances page, so 7
    // reservations of 100 are one. Every other list of these regions fits one page.
    let mut wrong = Vec::new();
    for ((region, service, operation), &count) in &counts {
        let expected = match (service.as_str(), operation.as_str()) {
            ("tagging", "GetResources") => {
                let n = regions[region]["tagged"].as_u64().unwrap();
                n.div_ceil(100)
            }
            _ => 1,
        };
        if count != expected {
            wrong.push(format!(
                "{region} {service} {operation}: {count} requests, {expected} expected"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}\nall: {counts:#?}");
    for region in regions.keys() {
        for (service, operation) in [("ec2", "DescribeInstances"), ("tagging", "GetResources")] {
            assert!(
                counts.contains_key(&(region.clone(), service.into(), operation.into())),
                "{region}: no {operation} recorded: {counts:#?}"
            );
        }
    }
}
