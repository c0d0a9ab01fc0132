//! Organization-wide and sharded AWS crawls against a real moto server: moto serves
//! Organizations (CreateOrganization, CreateAccount, ListAccounts, CloseAccount) and STS
//! AssumeRole, and maps the credentials AssumeRole returns to the account of the role, so each
//! member account is its own estate (tests/fixtures/aws/seed_org.py).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use common::moto::{Moto, linchpin_aws};
use linchpin::model::Snapshot;
use serde_json::Value;

const TOKYO: &str = "ap-northeast-1";
const VIRGINIA: &str = "us-east-1";

/// `crawl aws --endpoint-url … --region ap-northeast-1 --region us-east-1` and `extra`; the
/// snapshot when one was printed.
fn crawl(moto: &Moto, extra: &[&str], env: &[(&str, &str)]) -> (Output, Option<Value>) {
    let mut args = vec![
        "crawl",
        "aws",
        "--endpoint-url",
        &moto.url,
        "--region",
        TOKYO,
        "--region",
        VIRGINIA,
        "--max-attempts",
        "1",
    ];
    args.extend_from_slice(extra);
    let out = linchpin_aws(&args, env);
    let snapshot = serde_json::from_slice(&out.stdout).ok();
    (out, snapshot)
}

/// A crawl that must succeed completely (exit 0).
fn crawled(moto: &Moto, extra: &[&str]) -> Value {
    let (out, snapshot) = crawl(moto, extra, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    snapshot.expect("a snapshot on stdout")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn accounts_of_sources(snapshot: &Value) -> Vec<String> {
    snapshot["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

fn ids(snapshot: &Value) -> BTreeSet<String> {
    snapshot["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// The elements of an array of the snapshot, each as its JSON text (keys sorted).
fn set(snapshot: &Value, key: &str) -> BTreeSet<String> {
    snapshot[key]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::to_string)
        .collect()
}

/// The resources sorted by id, each one's requirement groups sorted: a group resolved from a
/// DNS name after the merge comes last, where the crawl of the whole estate writes it in
/// place (the order of groups means nothing).
fn resources_by_id(snapshot: &Value) -> Vec<Value> {
    let mut resources = snapshot["resources"].as_array().unwrap().clone();
    resources.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    for resource in &mut resources {
        if let Some(groups) = resource
            .get_mut("requirements")
            .and_then(Value::as_array_mut)
        {
            groups.sort_by_key(Value::to_string);
        }
    }
    resources
}

/// Whether a snapshot's coverage says it read (account, region) — region `None`: the global
/// services.
fn read_unit(snapshot: &Value, account: &str, region: Option<&str>) -> bool {
    let operation = if region.is_some() {
        "DescribeInstances"
    } else {
        "ListHostedZones"
    };
    snapshot["coverage"].as_array().unwrap().iter().any(|c| {
        c["account"] == account && c["region"].as_str() == region && c["operation"] == operation
    })
}

/// The shard (1-based, of `count`) the documented rule gives unit `position` of `account`:
/// `((account id mod N) + position) mod N`, plus one.
fn documented_shard(account: &str, position: u64, count: u64) -> u64 {
    let id: u64 = account.parse().unwrap();
    (id % count + position) % count + 1
}

/// `linchpin merge` of shard snapshots (exit 0), with the DNS targets the shards left by
/// name resolved, as the audit of the merged snapshot resolves them.
fn merged(shards: &[&Value]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["merge".to_string()];
    for (n, shard) in shards.iter().enumerate() {
        args.push(write(dir.path(), &format!("shard-{n}.json"), shard));
    }
    let output = dir.path().join("merged.json");
    args.extend(["--output".to_string(), output.to_str().unwrap().to_string()]);
    let out = common::linchpin(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(output).unwrap();
    let mut all: Snapshot = serde_json::from_str(&text).expect("a snapshot");
    linchpin::sources::aws::link_dns_targets(&mut all);
    serde_json::to_value(all).unwrap()
}

/// The same resources, or the first that differs, shown whole.
fn same_resources(merged: &Value, expected: &Value) {
    let (left, right) = (resources_by_id(merged), resources_by_id(expected));
    for (l, r) in left.iter().zip(&right) {
        assert_eq!(
            l,
            r,
            "merged:\n{}\nexpected:\n{}",
            serde_json::to_string_pretty(l).unwrap(),
            serde_json::to_string_pretty(r).unwrap()
        );
    }
    assert_eq!(
        left.len(),
        right.len(),
        "{:#?}",
        ids(merged)
            .symmetric_difference(&ids(expected))
            .collect::<Vec<_>>()
    );
}

fn write(dir: &Path, name: &str, snapshot: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(snapshot).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

/// A snapshot is valid input for `audit` (exit 0 or 1: findings, never 2).
fn audits(path: &str) {
    let out = common::linchpin(&["audit", "--snapshot", path, "--format", "json"]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "audit of {path}: {}",
        stderr(&out)
    );
}

fn requirement_members(resource: &Value) -> Vec<String> {
    resource["requirements"]
        .as_array()
        .map(|groups| {
            groups
                .iter()
                .flat_map(|g| match (&g["requires"], &g["any_of"]) {
                    (Value::String(one), _) => vec![one.clone()],
                    (_, Value::Array(many)) => many
                        .iter()
                        .map(|m| m.as_str().unwrap().to_string())
                        .collect(),
                    _ => Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_organization_crawl_reads_every_active_account_and_two_shards_merge_into_it() {
    let moto = Moto::start();
    let seeded = moto.run_seed("seed_org.py");
    let accounts = &seeded["accounts"];
    let account = |name: &str| accounts[name].as_str().unwrap().to_string();
    let organization = seeded["organization"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();

    // (a) Unsharded: every ACTIVE account, the management account with its own credentials.
    let (out, all) = crawl(&moto, &["--organization"], &[]);
    let all = all.unwrap_or_else(|| panic!("no snapshot: {}", stderr(&out)));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(
        log.contains(&format!(
            "organization {organization} lists 5 account(s) (from 123456789012)"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "not ACTIVE, left out: {} SUSPENDED",
            account("retired")
        )),
        "{log}"
    );
    let mut members: Vec<String> = ["management", "payments", "ledger", "reporting"]
        .map(account)
        .to_vec();
    members.sort();
    assert_eq!(accounts_of_sources(&all), members);
    for source in all["sources"].as_array().unwrap() {
        assert_eq!(source["organization"], organization);
        assert!(source.get("shard").is_none());
    }
    let instance = |name: &str, region: &str, id: &Value| {
        format!(
            "arn:aws:ec2:{region}:{}:instance/{}",
            account(name),
            id.as_str().unwrap()
        )
    };
    let found = ids(&all);
    for expected in [
        instance("management", VIRGINIA, &seeded["management"]["instance"]),
        instance("payments", TOKYO, &seeded["payments"]["tokyo_instances"][0]),
        instance("payments", TOKYO, &seeded["payments"]["tokyo_instances"][1]),
        instance("payments", VIRGINIA, &seeded["payments"]["web"]),
        instance("ledger", TOKYO, &seeded["ledger"]["instance"]),
        instance("reporting", VIRGINIA, &seeded["reporting"]["instance"]),
    ] {
        assert!(found.contains(&expected), "{expected} crawled: {found:?}");
    }
    assert!(
        all["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["account"] != account("retired").as_str())
    );
    // The member accounts were read through the role: one identity check each, in its account.
    let coverage = all["coverage"].as_array().unwrap();
    for name in ["payments", "ledger", "reporting"] {
        assert!(
            coverage
                .iter()
                .any(|c| c["account"] == account(name).as_str()
                    && c["operation"] == "GetCallerIdentity"
                    && c["status"] == "complete"),
            "{name}"
        );
    }
    assert!(coverage.iter().any(|c| c["service"] == "organizations"
        && c["operation"] == "ListAccounts"
        && c["account"] == "123456789012"));
    // The Route 53 alias and the CloudFront origin name the payments ALB (in us-east-1) by DNS
    // name: resolved to it.
    let alb = seeded["payments"]["alb"].as_str().unwrap();
    let dns_users: Vec<&Value> = all["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "aws:route53:record" || r["kind"] == "aws:cloudfront:distribution")
        .collect();
    assert_eq!(dns_users.len(), 2, "{dns_users:?}");
    for user in &dns_users {
        assert!(requirement_members(user).iter().any(|m| m == alb), "{user}");
        assert!(user["attributes"].get("dns_requirements").is_none());
    }

    // (b) Two shards: each reads its slice of (account, region) pairs, by the documented rule.
    let first = crawled(&moto, &["--organization", "--shard", "1/2"]);
    let second = crawled(&moto, &["--organization", "--shard", "2/2"]);
    for (k, shard) in [(1, &first), (2, &second)] {
        for source in shard["sources"].as_array().unwrap() {
            assert_eq!(source["shard"], format!("{k}/2"));
            assert_eq!(source["organization"], organization);
        }
        for member in &members {
            for (position, region) in [(0, Some(TOKYO)), (1, Some(VIRGINIA)), (2, None)] {
                assert_eq!(
                    read_unit(shard, member, region),
                    documented_shard(member, position, 2) == k,
                    "shard {k}/2, account {member}, {region:?}"
                );
            }
        }
        // Each shard's snapshot loads and audits alone.
        audits(&write(dir.path(), &format!("shard-{k}.json"), shard));
    }
    // The ALB is in the payments account's second region and its DNS names are in the global
    // unit: always different shards. The shard with the names keeps them for after the merge.
    let names_shard = if read_unit(&first, &account("payments"), None) {
        &first
    } else {
        &second
    };
    assert!(!ids(names_shard).contains(alb));
    let pending = names_shard["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["attributes"].get("dns_requirements").is_some())
        .count();
    assert_eq!(
        pending, 2,
        "the record and the distribution wait for the ALB"
    );

    // Merged, the shards are the unsharded crawl: the same resources (each naming its account's
    // source, as the merge of the unsharded crawl alone does), zones and coverage.
    let union = merged(&[&first, &second]);
    let canonical = merged(&[&all]);
    same_resources(&union, &canonical);
    // Merged alone, a crawl only gains the source of each resource (and a group of one
    // member is written `requires`).
    let unsourced: Vec<Value> = resources_by_id(&canonical)
        .into_iter()
        .map(|mut r| {
            assert!(r["sources"].is_array(), "{r}");
            r.as_object_mut().unwrap().remove("sources");
            r
        })
        .collect();
    let mut written = resources_by_id(&all);
    for group in written
        .iter_mut()
        .filter_map(|r| r.get_mut("requirements").and_then(Value::as_array_mut))
        .flatten()
    {
        let one = match group.get("any_of").and_then(Value::as_array) {
            Some(many) if many.len() == 1 && group.get("min").is_none() => many[0].clone(),
            _ => continue,
        };
        let group = group.as_object_mut().unwrap();
        group.remove("any_of");
        group.insert("requires".into(), one);
    }
    for (merged, crawled) in unsourced.iter().zip(&written) {
        assert_eq!(merged, crawled);
    }
    assert_eq!(unsourced.len(), written.len());
    assert_eq!(set(&union, "zones"), set(&all, "zones"));
    assert_eq!(set(&union, "coverage"), set(&all, "coverage"));
    let mut union_accounts = accounts_of_sources(&union);
    union_accounts.sort();
    union_accounts.dedup();
    assert_eq!(union_accounts, members);
    audits(&write(dir.path(), "merged.json", &union));

    // One shard of one is the whole crawl.
    let one = crawled(&moto, &["--organization", "--shard", "1/1"]);
    assert_eq!(resources_by_id(&one), resources_by_id(&all));
}

#[test]
fn accounts_filters_bad_flags_and_pagination() {
    let moto = Moto::start();
    let seeded = moto.run_seed("seed_org.py");
    let account = |name: &str| seeded["accounts"][name].as_str().unwrap().to_string();
    let (payments, ledger) = (account("payments"), account("ledger"));

    // (c) --accounts and --exclude-accounts.
    let only = crawled(
        &moto,
        &[
            "--organization",
            "--accounts",
            &format!("{ledger},{payments}"),
        ],
    );
    let mut expected = vec![payments.clone(), ledger.clone()];
    expected.sort();
    assert_eq!(accounts_of_sources(&only), expected);
    assert!(
        only["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| expected.contains(&r["account"].as_str().unwrap().to_string()))
    );
    let without = crawled(
        &moto,
        &[
            "--organization",
            "--exclude-accounts",
            &format!("{payments},123456789012"),
        ],
    );
    let mut rest = vec![ledger.clone(), account("reporting")];
    rest.sort();
    assert_eq!(accounts_of_sources(&without), rest);
    // Filters and shards combine: the shards of the filtered organization.
    let filtered: Vec<Value> = (1..=3)
        .map(|k| {
            crawled(
                &moto,
                &[
                    "--organization",
                    "--exclude-accounts",
                    &payments,
                    "--shard",
                    &format!("{k}/3"),
                ],
            )
        })
        .collect();
    let unsharded = crawled(&moto, &["--organization", "--exclude-accounts", &payments]);
    let union = merged(&filtered.iter().collect::<Vec<_>>());
    same_resources(&union, &merged(&[&unsharded]));
    assert_eq!(set(&union, "coverage"), set(&unsharded, "coverage"));

    // An --accounts id outside the organization, or not ACTIVE: exit 2, named.
    for (wanted, says) in [
        ("999999999999".to_string(), "not an account of organization"),
        (account("retired"), "is SUSPENDED, not ACTIVE"),
    ] {
        let (out, snapshot) = crawl(&moto, &["--organization", "--accounts", &wanted], &[]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(snapshot.is_none());
        assert!(
            stderr(&out).contains(&format!("--accounts {wanted}")) && stderr(&out).contains(says),
            "{}",
            stderr(&out)
        );
    }
    // (d) Bad flags: clap errors, exit 2.
    for (args, says) in [
        (
            vec!["--shard", "3/2"],
            "K must be between 1 and N (2), not 3",
        ),
        (vec!["--shard", "0/2"], "K must be between 1 and N"),
        (vec!["--shard", "2"], "expected K/N"),
        (vec!["--shard", "1/0"], "N must be at least 1"),
        (
            vec!["--organization", "--accounts", "12345"],
            "exactly 12 digits",
        ),
        (
            vec!["--organization", "--exclude-accounts", "1234567890ab"],
            "exactly 12 digits",
        ),
        (vec!["--accounts", &payments], "--organization"),
        (vec!["--role-name", "Audit"], "--organization"),
        (
            vec!["--organization", "--role-name", "bad name"],
            "IAM role name",
        ),
        (
            vec!["--organization", "--assume-role", "arn:aws:iam::1:role/x"],
            "cannot be used with",
        ),
    ] {
        let (out, _) = crawl(&moto, &args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    // The AWS flags are flags of audit --aws too, and need it.
    let out = common::linchpin(&["audit", "--demo", "--shard", "1/2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--shard needs --aws"),
        "{}",
        stderr(&out)
    );
    let out = common::linchpin(&["audit", "--demo", "--organization"]);
    assert!(
        stderr(&out).contains("--organization needs --aws"),
        "{}",
        stderr(&out)
    );

    // ListAccounts is read page by page (20 accounts a page): an account on the second page.
    let code = "import sys, boto3\n\
        org = boto3.client('organizations', region_name='us-east-1', endpoint_url=sys.argv[1], \
        aws_access_key_id='testing', aws_secret_access_key='testing')\n\
        for i in range(20):\n    last = org.create_account(Email=f'x{i}@example.com', AccountName=f'x{i}')\n\
        print(last['CreateAccountStatus']['AccountId'])";
    let made = std::process::Command::new("python3")
        .args(["-c", code, &moto.url])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let last = String::from_utf8(made.stdout).unwrap().trim().to_string();
    let paged = crawled(&moto, &["--organization", "--accounts", &last]);
    assert_eq!(accounts_of_sources(&paged), [last]);
    let listing = paged["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["operation"] == "ListAccounts")
        .unwrap();
    assert_eq!(listing["calls"], 2, "25 accounts in two pages: {listing}");
}

#[test]
fn shards_split_the_single_account_and_assume_role_crawls_too() {
    let moto = Moto::start();
    let seeded = moto.run_seed("seed_org.py");
    let account = |name: &str| seeded["accounts"][name].as_str().unwrap().to_string();

    // The default credentials' account alone (moto's 123456789012, the management account).
    let whole = crawled(&moto, &[]);
    let halves = [
        crawled(&moto, &["--shard", "1/2"]),
        crawled(&moto, &["--shard", "2/2"]),
    ];
    // 123456789012 mod 2 = 0: ap-northeast-1 and the global services on shard 1.
    assert!(read_unit(&halves[0], "123456789012", Some(TOKYO)));
    assert!(read_unit(&halves[0], "123456789012", None));
    assert!(read_unit(&halves[1], "123456789012", Some(VIRGINIA)));
    assert!(!read_unit(&halves[1], "123456789012", Some(TOKYO)));
    let union = merged(&[&halves[0], &halves[1]]);
    same_resources(&union, &merged(&[&whole]));
    assert_eq!(set(&union, "coverage"), set(&whole, "coverage"));

    // Roles given one by one.
    let roles: Vec<String> = ["payments", "reporting"]
        .map(|name| {
            format!(
                "arn:aws:iam::{}:role/OrganizationAccountAccessRole",
                account(name)
            )
        })
        .to_vec();
    let role_args = |shard: Option<&str>| {
        let mut args: Vec<String> = roles
            .iter()
            .flat_map(|r| ["--assume-role".to_string(), r.clone()])
            .collect();
        if let Some(shard) = shard {
            args.extend(["--shard".to_string(), shard.to_string()]);
        }
        args
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        crawled(&moto, &args)
    };
    let whole = run(role_args(None));
    let thirds: Vec<Value> = (1..=3)
        .map(|k| run(role_args(Some(&format!("{k}/3")))))
        .collect();
    let union = merged(&thirds.iter().collect::<Vec<_>>());
    same_resources(&union, &merged(&[&whole]));
    assert_eq!(set(&union, "coverage"), set(&whole, "coverage"));
    // Three units an account, three shards: every shard reads each account once.
    for third in &thirds {
        let mut sources = accounts_of_sources(third);
        sources.sort();
        let mut expected = vec![account("payments"), account("reporting")];
        expected.sort();
        assert_eq!(sources, expected);
    }
}

#[test]
fn a_role_that_cannot_be_assumed_is_a_coverage_gap_and_the_crawl_goes_on() {
    let moto = Moto::start();
    let seeded = moto.run_seed_with("seed_org.py", &["--enforce-iam", "ledger"]);
    let account = |name: &str| seeded["accounts"][name].as_str().unwrap().to_string();
    let key = seeded["auditor"][0].as_str().unwrap();
    let secret = seeded["auditor"][1].as_str().unwrap();
    let (out, snapshot) = crawl(
        &moto,
        &["--organization"],
        &[
            ("AWS_ACCESS_KEY_ID", key),
            ("AWS_SECRET_ACCESS_KEY", secret),
        ],
    );
    // moto's IAM emulation refuses the REST-protocol services (Route 53, CloudFront, EFS,
    // Lambda) whatever the policy: the crawl is partial in every account, exit 3.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let snapshot = snapshot.expect("a snapshot although an account is denied");
    let ledger = account("ledger");
    let mut read = vec![
        "123456789012".to_string(),
        account("payments"),
        account("reporting"),
    ];
    read.sort();
    assert_eq!(accounts_of_sources(&snapshot), read);
    let coverage = snapshot["coverage"].as_array().unwrap();
    let denied: Vec<&Value> = coverage
        .iter()
        .filter(|c| c["account"] == ledger.as_str())
        .collect();
    assert_eq!(denied.len(), 1, "only the role assumption: {denied:?}");
    assert_eq!(denied[0]["service"], "sts");
    assert_eq!(denied[0]["operation"], "AssumeRole");
    assert_eq!(denied[0]["status"], "failed");
    let error = denied[0]["error"].as_str().unwrap();
    assert!(
        error.contains("AccessDenied") || error.contains("access denied"),
        "{error}"
    );
    assert!(stderr(&out).contains(&ledger), "{}", stderr(&out));
    // The others were read.
    for name in ["payments", "reporting"] {
        assert!(
            coverage
                .iter()
                .any(|c| c["account"] == account(name).as_str()
                    && c["operation"] == "DescribeInstances"
                    && c["status"] == "complete")
        );
    }
    let instance = format!(
        "arn:aws:ec2:{VIRGINIA}:{}:instance/{}",
        account("reporting"),
        seeded["reporting"]["instance"].as_str().unwrap()
    );
    assert!(ids(&snapshot).contains(&instance));
}

/// A YAML file of examples/ci/ as JSON (PyYAML, which moto brings along).
fn yaml(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/ci")
        .join(name);
    let code = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))";
    let out = std::process::Command::new("python3")
        .args(["-c", code, path.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{name} is not YAML: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The `--flags` of the `linchpin <command>` lines of a script, each a flag the command's help
/// lists.
fn assert_flags_exist(script: &str, command: &[&str]) {
    let help =
        String::from_utf8(common::linchpin(&[command, &["--help"]].concat()).stdout).unwrap();
    let invocation = format!("linchpin {}", command.join(" "));
    let mut checked = 0;
    for line in script.split(&invocation).skip(1) {
        let line = line
            .split(['\n', ';'])
            .take_while(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        for flag in line.split_whitespace().filter(|w| w.starts_with("--")) {
            assert!(
                help.contains(flag),
                "{invocation} {flag}: not in its --help"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no {invocation} line in {script}");
}

#[test]
fn the_sharded_ci_examples_parse_and_cover_every_shard() {
    for name in ["github-actions.yml", "gitlab-ci.yml"] {
        yaml(name);
    }

    let github = yaml("github-actions-organization.yml");
    let shards = github["env"]["SHARDS"].as_u64().unwrap();
    let matrix: Vec<u64> = github["jobs"]["crawl"]["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_u64().unwrap())
        .collect();
    assert_eq!(
        matrix,
        (1..=shards).collect::<Vec<_>>(),
        "shards 1..N, each once"
    );
    let steps = |job: &str| -> String {
        github["jobs"][job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["run"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let crawl = steps("crawl");
    assert!(crawl.contains(r#"--shard "${{ matrix.shard }}/${{ env.SHARDS }}""#));
    assert_flags_exist(&crawl.replace("\\\n", " "), &["crawl", "aws"]);
    let audit = steps("audit");
    assert_eq!(github["jobs"]["audit"]["needs"], "crawl");
    assert!(audit.contains("linchpin merge shards/*.json --output estate.json"));
    assert_flags_exist(&audit.replace("\\\n", " "), &["audit"]);

    let gitlab = yaml("gitlab-ci-organization.yml");
    assert!(gitlab["crawl"]["parallel"].as_u64().unwrap() >= 2);
    let script = |job: &str| -> String {
        gitlab[job]["script"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let crawl = script("crawl");
    assert!(crawl.contains(r#"--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL""#));
    assert_flags_exist(&crawl, &["crawl", "aws"]);
    assert_eq!(gitlab["audit"]["needs"][0]["job"], "crawl");
    let audit = script("audit");
    assert!(audit.contains("linchpin merge shards/*.json --output estate.json"));
    assert_flags_exist(&audit, &["audit"]);
}
