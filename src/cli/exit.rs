//! Exit codes: the one place that says what 0, 1, 2 and 3 mean, and the "Exit codes" section
//! of every command's `--help`, rendered from the same table.

use std::process::ExitCode;

/// How a run ended, as the process exit code says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, nothing to fail on.
    Clean,
    /// 1: findings (or changes) at or above the level the user chose to fail on.
    Findings,
    /// 2: a usage, input or tool error; nothing half-written.
    Error,
    /// 3: done, but the inventory is incomplete (coverage records say what is missing).
    Partial,
}

impl Exit {
    pub const fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Findings => 1,
            Exit::Error => 2,
            Exit::Partial => 3,
        }
    }

    /// `Partial` when the inventory is incomplete, else `Clean`.
    pub fn complete_or_partial(complete: bool) -> Exit {
        if complete { Exit::Clean } else { Exit::Partial }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// The exit codes one command can end with, each with what it means for that command.
pub struct ExitHelp(&'static [(Exit, &'static str)]);

impl ExitHelp {
    /// The `Exit codes:` section of `--help`.
    pub fn render(&self) -> String {
        let mut text = String::from("Exit codes:");
        for (exit, meaning) in self.0 {
            text.push_str(&format!("\n  {}  {meaning}", exit.code()));
        }
        text
    }
}

/// `audit` (and the top-level help).
pub const AUDIT: ExitHelp = ExitHelp(&[
    (
        Exit::Clean,
        "done (no finding at or above --fail-on), inventory complete",
    ),
    (
        Exit::Findings,
        "findings at or above --fail-on, or new ones at or above --fail-on-new (not in --baseline;\n     for a Terraform plan, not in its prior state)",
    ),
    (
        Exit::Error,
        "usage or input error (bad flag, unreadable or invalid snapshot, Terraform file, rule\n     file or config; with --aws, no account readable)",
    ),
    (
        Exit::Partial,
        "no finding at or above --fail-on, but the inventory is incomplete: some reads failed, or\n     some Terraform resources could not be placed (coverage records in the report)",
    ),
]);

/// `crawl`.
pub const CRAWL: ExitHelp = ExitHelp(&[
    (Exit::Clean, "done: every read succeeded"),
    (
        Exit::Error,
        "usage or input error, or no account could be read at all (credentials)",
    ),
    (
        Exit::Partial,
        "partial: some reads failed; the snapshot is written and lists them as coverage records",
    ),
]);

/// `crawl terraform`.
pub const CRAWL_TERRAFORM: ExitHelp = ExitHelp(&[
    (
        Exit::Clean,
        "done: every instance placed, every reference resolved",
    ),
    (
        Exit::Error,
        "usage or input error: a file unreadable or not a Terraform state or plan (named with\n     file:line:column), state version 3 or older; nothing is written",
    ),
    (
        Exit::Partial,
        "the snapshot is written, with coverage gaps: types linchpin cannot place, zone names\n     no subnet maps to a zone ID, references to resources in none of the files",
    ),
]);

/// `merge`.
pub const MERGE: ExitHelp = ExitHelp(&[
    (
        Exit::Clean,
        "merged; no input lacks a read (conflicts and external references are listed, not\n     failures)",
    ),
    (
        Exit::Error,
        "usage or input error: an input unreadable, invalid or neither a snapshot nor a Terraform\n     file (named with its problems), given twice, or --output naming an input; a manifest\n     with mistakes (every one with file:line); a merged snapshot that would not validate (a\n     region name used by two providers); nothing is written",
    ),
    (
        Exit::Partial,
        "merged, but some input carries failed reads (coverage records say what is missing)",
    ),
]);

/// `simulate`.
pub const SIMULATE: ExitHelp = ExitHelp(&[
    (Exit::Clean, "done, inventory complete"),
    (
        Exit::Error,
        "usage or input error (bad flag, unknown zone/region/provider/resource, invalid snapshot\n     or Terraform file; with --aws, no account readable)",
    ),
    (
        Exit::Partial,
        "done, but the inventory is incomplete: some reads failed, or some Terraform resources\n     could not be placed (coverage records)",
    ),
]);

/// `diff`.
pub const DIFF: ExitHelp = ExitHelp(&[
    (
        Exit::Clean,
        "compared (whatever changed, unless --fail-on-new says otherwise)",
    ),
    (Exit::Findings, "new findings at or above --fail-on-new"),
    (
        Exit::Error,
        "usage or input error (unreadable or invalid report)",
    ),
]);

/// `rules check`.
pub const RULES_CHECK: ExitHelp = ExitHelp(&[
    (Exit::Clean, "every rule file is valid"),
    (
        Exit::Error,
        "problems found (each listed as file:line:column: reason)",
    ),
]);

/// `export evidence`.
pub const EXPORT: ExitHelp = ExitHelp(&[
    (Exit::Clean, "bundle written, inventory complete"),
    (
        Exit::Error,
        "usage or input error, or the bundle could not be written (DIR is left as it was)",
    ),
    (
        Exit::Partial,
        "bundle written, but the inventory is incomplete: some reads failed (listed in the\n     manifest's coverage_gaps)",
    ),
]);

/// `verify`.
pub const VERIFY: ExitHelp = ExitHelp(&[
    (
        Exit::Clean,
        "every file matches SHA256SUMS and manifest.json",
    ),
    (
        Exit::Findings,
        "some file changed, is missing, or is not listed (each is printed), or manifest.json\n     disagrees with SHA256SUMS",
    ),
    (
        Exit::Error,
        "DIR or its SHA256SUMS cannot be read or is malformed",
    ),
]);
