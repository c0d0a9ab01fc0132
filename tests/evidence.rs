//! `linchpin export evidence` and `linchpin verify`: the bundle is deterministic, complete,
//! self-verifying, and its OSCAL and DORA files have the shape their formats require.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const TIMESTAMP: &str = "2025-04-15T02:00:00Z";
/// The same instant as `TIMESTAMP`, in seconds since 1970.
const EPOCH: &str = "1744682400";

fn linchpin(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_linchpin"));
    command.args(args).env_remove("SOURCE_DATE_EPOCH");
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("the binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Export the demo estate to `dir` with extra arguments, expecting exit 0.
fn export(dir: &Path, extra: &[&str], envs: &[(&str, &str)]) {
    let dir = dir.to_str().unwrap();
    let mut args = vec!["export", "evidence", "--demo", "--out", dir];
    args.extend_from_slice(extra);
    let out = linchpin(&args, envs);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

fn verify(dir: &Path) -> Output {
    linchpin(&["verify", dir.to_str().unwrap()], &[])
}

/// Every file under `dir`, by `/`-separated relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_str().unwrap();
                out.insert(rel.replace('\\', "/"), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn bundle() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bundle");
    export(&dir, &["--timestamp", TIMESTAMP], &[]);
    (tmp, dir)
}

fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
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

fn header(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn same_time_gives_byte_identical_bundles() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("nested/b"),
        tmp.path().join("c"),
    );
    export(&a, &["--timestamp", TIMESTAMP], &[]);
    export(&b, &["--timestamp", "2025-04-15T11:00:00+09:00"], &[]);
    export(&c, &[], &[("SOURCE_DATE_EPOCH", EPOCH)]);
    let (fa, fb, fc) = (files(&a), files(&b), files(&c));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (path, bytes) in &fa {
        assert!(fb[path] == *bytes, "{path} differs between two runs");
        assert!(fc[path] == *bytes, "{path} differs under SOURCE_DATE_EPOCH");
    }
    let manifest: Value = serde_json::from_slice(&fa["manifest.json"]).unwrap();
    assert_eq!(manifest["started"], TIMESTAMP);
    assert_eq!(manifest["finished"], TIMESTAMP);

    // Another time is another run.
    let d = tmp.path().join("d");
    export(&d, &["--timestamp", "2025-04-16T02:00:00Z"], &[]);
    let other: Value = serde_json::from_slice(&files(&d)["manifest.json"]).unwrap();
    assert_ne!(other["run_id"], manifest["run_id"]);
}

#[test]
fn manifest_lists_every_file_with_its_hash_and_size() {
    let (_tmp, dir) = bundle();
    let all = files(&dir);
    for expected in [
        "SHA256SUMS",
        "manifest.json",
        "snapshot.json",
        "findings.json",
        "findings.csv",
        "scores.csv",
        "concentration.csv",
        "reports/summary.md",
        "reports/summary.html",
        "mappings/controls.csv",
        "ci/results.sarif",
        "ci/junit.xml",
        "oscal/assessment-results.json",
        "dora/B_02.02.csv",
        "dora/B_05.01.csv",
        "dora/B_05.02.csv",
        "dora/B_06.01.csv",
        "dora/B_07.01.csv",
        "dora/gaps.csv",
        "dora/README.md",
    ] {
        assert!(all.contains_key(expected), "{expected} missing");
    }
    let manifest: Value = serde_json::from_slice(&all["manifest.json"]).unwrap();
    assert_eq!(manifest["format"], "linchpin.evidence/v1");
    assert_eq!(manifest["tool"]["name"], "linchpin");
    let run_id = manifest["run_id"].as_str().unwrap();
    assert_eq!(run_id.len(), 36);
    assert_eq!(&run_id[14..15], "5", "a v5 UUID: {run_id}");
    assert_eq!(
        manifest["scope"]["accounts"],
        serde_json::json!(["111122223333"])
    );
    assert_eq!(
        manifest["scope"]["providers"],
        serde_json::json!(["aws", "chainscreen", "edgeguard", "vaultco"])
    );
    assert_eq!(
        manifest["inputs"]["snapshot_path"],
        "examples/demo-snapshot.json"
    );
    assert_eq!(
        manifest["inputs"]["rules_digest"].as_str().unwrap().len(),
        64
    );
    assert!(!manifest["known_limitations"].as_array().unwrap().is_empty());
    assert_eq!(manifest["coverage_gaps"], serde_json::json!([]));

    let listed: Vec<&Value> = manifest["files"].as_array().unwrap().iter().collect();
    let paths: Vec<&str> = listed.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let mut expected: Vec<&str> = all
        .keys()
        .map(String::as_str)
        .filter(|p| *p != "manifest.json" && *p != "SHA256SUMS")
        .collect();
    expected.sort();
    assert_eq!(
        paths, expected,
        "the manifest lists every other file, sorted"
    );
    let sums = String::from_utf8(all["SHA256SUMS"].clone()).unwrap();
    for entry in listed {
        let path = entry["path"].as_str().unwrap();
        assert_eq!(
            entry["size"].as_u64().unwrap(),
            all[path].len() as u64,
            "{path}"
        );
        let hash = entry["sha256"].as_str().unwrap();
        assert!(
            sums.contains(&format!("{hash}  {path}\n")),
            "{path} in SHA256SUMS"
        );
    }
    assert_eq!(
        sums.lines().count(),
        all.len() - 1,
        "every file but SHA256SUMS itself"
    );
    assert!(sums.contains("  manifest.json\n"));
}

#[test]
fn sha256sum_accepts_the_checksums() {
    if Command::new("sha256sum").arg("--version").output().is_err() {
        eprintln!("sha256sum not installed; skipped");
        return;
    }
    let (_tmp, dir) = bundle();
    let out = Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn verify_passes_then_names_every_change() {
    let (_tmp, dir) = bundle();
    let count = files(&dir).len() - 1;
    let out = verify(&dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("verified {count} files\n")
    );

    // One byte changed.
    let target = dir.join("findings.csv");
    let original = std::fs::read(&target).unwrap();
    let mut changed = original.clone();
    changed[0] ^= 0x20;
    std::fs::write(&target, &changed).unwrap();
    let out = verify(&dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "changed: findings.csv\n"
    );
    std::fs::write(&target, &original).unwrap();

    // A file removed.
    let target = dir.join("dora/B_05.01.csv");
    let original = std::fs::read(&target).unwrap();
    std::fs::remove_file(&target).unwrap();
    let out = verify(&dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "missing: dora/B_05.01.csv\n"
    );
    std::fs::write(&target, &original).unwrap();

    // A file added.
    std::fs::write(dir.join("reports/notes.txt"), "added later").unwrap();
    let out = verify(&dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "extra: reports/notes.txt\n"
    );
    std::fs::remove_file(dir.join("reports/notes.txt")).unwrap();

    // A file dropped from both lists still disagrees with the manifest.
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let without: String = sums
        .lines()
        .filter(|l| !l.ends_with("  scores.csv"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.join("SHA256SUMS"), &without).unwrap();
    let out = verify(&dir);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("extra: scores.csv\n"), "{stdout}");
    assert!(
        stdout.contains("manifest: scores.csv is in manifest.json but not in SHA256SUMS"),
        "{stdout}"
    );
    std::fs::write(dir.join("SHA256SUMS"), &sums).unwrap();
    assert_eq!(verify(&dir).status.code(), Some(0));
}

#[test]
fn verify_rejects_an_unreadable_or_malformed_bundle() {
    let (tmp, dir) = bundle();
    let out = verify(&tmp.path().join("nowhere"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    let mut lines: Vec<String> = sums.lines().map(String::from).collect();
    lines[2] = "not a checksum line".into();
    std::fs::write(dir.join("SHA256SUMS"), lines.join("\n") + "\n").unwrap();
    let out = verify(&dir);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SHA256SUMS:3:"), "{stderr}");

    std::fs::remove_file(dir.join("SHA256SUMS")).unwrap();
    let out = verify(&dir);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SHA256SUMS"));
}

#[test]
fn out_must_be_new_empty_or_an_earlier_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    // A directory with something else in it is refused and left alone.
    let foreign = tmp.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("keep.txt"), "mine").unwrap();
    let out = linchpin(
        &[
            "export",
            "evidence",
            "--demo",
            "--out",
            foreign.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(files(&foreign).len(), 1);

    // An empty directory is used; an earlier bundle is replaced whole.
    let dir = tmp.path().join("bundle");
    std::fs::create_dir(&dir).unwrap();
    export(&dir, &["--timestamp", TIMESTAMP], &[]);
    std::fs::write(dir.join("stray.txt"), "left from before").unwrap();
    export(&dir, &["--timestamp", "2025-04-16T02:00:00Z"], &[]);
    assert!(!dir.join("stray.txt").exists());
    assert_eq!(verify(&dir).status.code(), Some(0));
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".linchpin"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let out = linchpin(
        &[
            "export",
            "evidence",
            "--demo",
            "--out",
            dir.to_str().unwrap(),
            "--timestamp",
            "yesterday",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
}

fn oscal_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/schemas/oscal_assessment-results_schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    jsonschema::draft7::new(&schema).expect("the OSCAL schema compiles")
}

#[test]
fn oscal_results_validate_against_the_schema() {
    let (_tmp, dir) = bundle();
    let doc: Value =
        serde_json::from_slice(&std::fs::read(dir.join("oscal/assessment-results.json")).unwrap())
            .unwrap();
    let validator = oscal_validator();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let ar = &doc["assessment-results"];
    assert_eq!(ar["metadata"]["oscal-version"], "1.0.6");
    assert_eq!(ar["metadata"]["last-modified"], TIMESTAMP);
    let result = &ar["results"][0];
    assert_eq!(result["start"], TIMESTAMP);
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("findings.json")).unwrap()).unwrap();
    let count = report["findings"].as_array().unwrap().len();
    assert!(count > 0);
    assert_eq!(result["observations"].as_array().unwrap().len(), count);
    assert_eq!(result["findings"].as_array().unwrap().len(), count);
    let first = &result["findings"][0]["target"];
    assert_eq!(first["type"], "objective-id");
    assert_eq!(first["status"]["state"], "not-satisfied");
    let controls = &result["reviewed-controls"]["control-selections"][0]["include-controls"];
    assert!(
        controls
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["control-id"] == "cp-10")
    );
    // Every other file of the bundle is a back-matter resource with its hash.
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let resources = ar["back-matter"]["resources"].as_array().unwrap();
    for entry in manifest["files"].as_array().unwrap() {
        let path = entry["path"].as_str().unwrap();
        if path == "oscal/assessment-results.json" {
            continue;
        }
        assert!(
            resources.iter().any(|r| r["rlinks"][0]["href"] == path
                && r["rlinks"][0]["hashes"][0]["value"] == entry["sha256"]),
            "{path} is not a back-matter resource"
        );
    }

    // A broken copy fails.
    let mut broken = doc.clone();
    broken["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] =
        "mostly-fine".into();
    assert!(!validator.is_valid(&broken));
    let mut broken = doc.clone();
    broken["assessment-results"]["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("oscal-version");
    assert!(!validator.is_valid(&broken));
    let mut broken = doc;
    broken["assessment-results"]["uuid"] = "not-a-uuid".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn dora_files_carry_eba_headers_and_name_their_gaps() {
    let (_tmp, dir) = bundle();
    let dora = dir.join("dora");
    let codes = |n: u32| -> String {
        let mut cols: Vec<String> = (1..=n).map(|i| format!("c{:04}", i * 10)).collect();
        cols.push("linchpin_prefill".into());
        cols.join(",")
    };
    assert_eq!(header(&dora.join("B_02.02.csv")), codes(18));
    assert_eq!(header(&dora.join("B_05.01.csv")), codes(12));
    assert_eq!(header(&dora.join("B_05.02.csv")), codes(7));
    assert_eq!(header(&dora.join("B_06.01.csv")), codes(10));
    assert_eq!(header(&dora.join("B_07.01.csv")), codes(12));
    assert_eq!(
        header(&dora.join("gaps.csv")),
        "template,row,column,column_name,why"
    );

    for file in ["B_02.02", "B_05.01", "B_05.02", "B_06.01", "B_07.01"] {
        for row in csv_rows(&dora.join(format!("{file}.csv"))) {
            assert_eq!(
                row["linchpin_prefill"],
                "pre-fill: review before submission"
            );
        }
    }

    let providers = csv_rows(&dora.join("B_05.01.csv"));
    let ids: Vec<&str> = providers.iter().map(|r| r["c0010"].as_str()).collect();
    assert_eq!(ids, ["aws", "chainscreen", "edgeguard", "vaultco"]);
    assert_eq!(
        providers[0]["c0020"],
        "linchpin provider id, replace with LEI"
    );
    assert_eq!(providers[0]["c0050"], "aws");

    let functions = csv_rows(&dora.join("B_06.01.csv"));
    let withdrawals = functions
        .iter()
        .find(|r| r["c0030"] == "withdrawals")
        .expect("withdrawals is a function");
    assert_eq!(withdrawals["c0050"], "eba_BT:x28");
    let alb = functions.iter().find(|r| r["c0030"] == "alb-api").unwrap();
    assert_eq!(alb["c0050"], "eba_BT:x21", "entry points are not assessed");

    // Withdrawals stop when vaultco (custody) is lost: full reliance. Matching runs in Tokyo.
    let arrangements = csv_rows(&dora.join("B_02.02.csv"));
    let row = |function: &str, provider: &str| {
        arrangements
            .iter()
            .find(|r| r["c0050"] == function && r["c0030"] == provider)
            .unwrap_or_else(|| panic!("no B_02.02 row for {function} × {provider}"))
            .clone()
    };
    let f_withdrawals = withdrawals["c0010"].as_str();
    assert_eq!(row(f_withdrawals, "vaultco")["c0180"], "eba_ZZ:x797");
    let f_matching = functions.iter().find(|r| r["c0030"] == "matching").unwrap()["c0010"].clone();
    assert_eq!(row(&f_matching, "aws")["c0130"], "eba_GA:JP");
    assert!(
        arrangements
            .iter()
            .all(|r| !(r["c0050"] == f_matching && r["c0030"] == "vaultco")),
        "matching does not depend on vaultco"
    );

    let assessments = csv_rows(&dora.join("B_07.01.csv"));
    let vaultco = assessments
        .iter()
        .find(|r| r["c0020"] == "vaultco")
        .unwrap();
    assert_eq!(vaultco["c0100"], "eba_ZZ:x793");

    let chain = csv_rows(&dora.join("B_05.02.csv"));
    assert!(
        chain.iter().all(|r| r["c0050"] == "1"),
        "the demo shows no sub-contracting"
    );

    let gaps = csv_rows(&dora.join("gaps.csv"));
    assert!(gaps.len() > 20, "{} gaps", gaps.len());
    assert!(
        gaps.iter()
            .all(|g| !g["why"].is_empty() && !g["column_name"].is_empty())
    );
    // The filled reliance cell is not a gap; the contract reference always is.
    let vaultco_row = format!("{f_withdrawals} (function:exchange/withdrawals) × provider vaultco");
    assert!(
        gaps.iter().any(|g| g["template"] == "B_02.02"
            && g["row"] == vaultco_row
            && g["column"] == "c0010")
    );
    assert!(
        !gaps.iter().any(|g| g["template"] == "B_02.02"
            && g["row"] == vaultco_row
            && g["column"] == "c0180")
    );
    let readme = std::fs::read_to_string(dora.join("README.md")).unwrap();
    assert!(readme.contains("pre-fill"));
}

#[test]
fn controls_csv_maps_enabled_rules_to_frameworks() {
    let (_tmp, dir) = bundle();
    let rows = csv_rows(&dir.join("mappings/controls.csv"));
    let frameworks: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["framework"].as_str()).collect();
    assert_eq!(
        frameworks.into_iter().collect::<Vec<_>>(),
        ["DORA", "ISO/IEC 27001:2022", "NIST SP 800-53 rev5", "SOC 2"]
    );
    let zone = rows
        .iter()
        .find(|r| r["rule"] == "zone-cut-set" && r["framework"] == "NIST SP 800-53 rev5")
        .unwrap();
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("findings.json")).unwrap()).unwrap();
    let open = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "zone-cut-set" && f.get("suppressed").is_none())
        .count();
    assert_eq!(zone["open_findings"], open.to_string());

    let concentration = csv_rows(&dir.join("concentration.csv"));
    assert!(concentration.iter().any(|r| r["scope"].is_empty()
        && r["over"] == "provider"
        && r["population"] == "all"
        && r["domain"] == "aws"));
    let scores = csv_rows(&dir.join("scores.csv"));
    assert!(
        scores
            .iter()
            .any(|r| r["provider"] == "aws" && r["region"].is_empty())
    );
}
