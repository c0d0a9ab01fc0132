//! `manifest.json` and `SHA256SUMS`: what the bundle holds, where it came from, and the hash of
//! every file.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{CoverageRecord, Source};

/// The value of `format` in every manifest this version writes and reads.
pub const FORMAT: &str = "linchpin.evidence/v1";

/// The manifest's own file name.
pub const MANIFEST: &str = "manifest.json";

/// The checksum list's file name.
pub const SUMS: &str = "SHA256SUMS";

/// The bundle's description of itself (`manifest.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `linchpin.evidence/v1`.
    pub format: String,
    pub tool: crate::report::Tool,
    /// UUID v5 of the inputs' hashes and the start time: the same inputs at the same
    /// `--timestamp` give the same id.
    pub run_id: String,
    /// UTC start and end of the run (both the given time when one is given).
    pub started: String,
    pub finished: String,
    /// Where the times come from: `given` (`--timestamp` or `SOURCE_DATE_EPOCH`) or `clock`.
    pub time_source: String,
    pub scope: Scope,
    pub inputs: Inputs,
    /// Every file of the bundle but `manifest.json` and `SHA256SUMS`, sorted by path.
    pub files: Vec<FileEntry>,
    /// What this evidence cannot show, stated once for every bundle.
    pub known_limitations: Vec<String>,
    /// The reads that failed: resources they would have found are not in the snapshot.
    pub coverage_gaps: Vec<CoverageRecord>,
}

/// What the snapshot covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    pub providers: Vec<String>,
    /// Accounts of the resources, and of the AWS sources that were crawled.
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub sources: Vec<Source>,
}

/// What produced the findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    /// The snapshot file the estate was read from, as given (absent for an unsaved crawl).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_path: Option<String>,
    /// SHA-256 of `snapshot.json` in this bundle.
    pub snapshot_sha256: String,
    /// The config file read, as given, and the SHA-256 of its bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_sha256: Option<String>,
    /// The rule pack's digest (SHA-256 of the enabled rules' files).
    pub rules_digest: String,
    /// Ids of the enabled rules.
    pub rules_enabled: Vec<String>,
    /// Directories given with `--rules`.
    pub rule_directories: Vec<String>,
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the bundle, `/`-separated.
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

impl FileEntry {
    pub fn of(path: &str, bytes: &[u8]) -> Self {
        FileEntry {
            path: path.to_string(),
            sha256: sha256_hex(bytes),
            size: bytes.len() as u64,
        }
    }
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes in lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// `SHA256SUMS` in `sha256sum -c` format: `<hex>  <path>` per line, sorted by path.
pub fn render_sums(entries: &[FileEntry]) -> Vec<u8> {
    let mut sorted: Vec<&FileEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let mut out = String::new();
    for entry in sorted {
        out.push_str(&entry.sha256);
        out.push_str("  ");
        out.push_str(&entry.path);
        out.push('\n');
    }
    out.into_bytes()
}

/// Why a `SHA256SUMS` line cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumsError {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

/// Parse `SHA256SUMS`: `<64 hex>  <path>` or `<64 hex> *<path>` per line, relative paths
/// without `..`, each path once. Blank lines are skipped.
pub fn parse_sums(text: &str) -> Result<Vec<(String, String)>, SumsError> {
    let mut entries: Vec<(String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (ix, line) in text.lines().enumerate() {
        let line_no = ix + 1;
        let fail = |message: String| SumsError {
            line: line_no,
            message,
        };
        if line.trim().is_empty() {
            continue;
        }
        let (hash, rest) = line
            .split_at_checked(64)
            .ok_or_else(|| fail("expected `<sha256 hex>  <path>`".into()))?;
        if !hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b.to_ascii_lowercase()))
        {
            return Err(fail(format!("`{hash}` is not a SHA-256 in hex")));
        }
        let path = rest
            .strip_prefix("  ")
            .or_else(|| rest.strip_prefix(" *"))
            .ok_or_else(|| fail("expected two spaces between the hash and the path".into()))?;
        check_relative(path).map_err(fail)?;
        if !seen.insert(path.to_string()) {
            return Err(fail(format!("{path} is listed twice")));
        }
        entries.push((path.to_string(), hash.to_ascii_lowercase()));
    }
    Ok(entries)
}

/// A bundle path must stay inside the bundle.
fn check_relative(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty path".into());
    }
    if path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return Err(format!("{path:?} is not a relative path inside the bundle"));
    }
    if path
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(format!("{path:?} is not a plain relative path"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_round_trip_sorted() {
        let entries = vec![FileEntry::of("b.txt", b"b"), FileEntry::of("a/x.csv", b"a")];
        let text = String::from_utf8(render_sums(&entries)).unwrap();
        assert!(text.starts_with(&format!("{}  a/x.csv\n", sha256_hex(b"a"))));
        let parsed = parse_sums(&text).unwrap();
        assert_eq!(parsed[0].0, "a/x.csv");
        assert_eq!(parsed[1], ("b.txt".into(), sha256_hex(b"b")));
    }

    #[test]
    fn sums_reject_bad_lines_with_their_number() {
        let good = format!("{}  ok\n", sha256_hex(b""));
        for bad in [
            "short  x",
            &format!("{} x", sha256_hex(b"")),
            &format!("{}  ../up", sha256_hex(b"")),
            &format!("{}  /abs", sha256_hex(b"")),
            &format!("{}  ok", "g".repeat(64)),
            good.trim_end(),
        ] {
            let text = format!("{good}{bad}\n");
            let err = parse_sums(&text).unwrap_err();
            assert_eq!(err.line, 2, "{bad}: {err:?}");
        }
    }
}
