//! `linchpin diff`: what changed between two audit reports.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use linchpin::drift;

use super::audit::{FailOn, parse_fail_on};
use super::exit::Exit;

/// Compare two JSON audit reports (`audit --format json`): findings new, fixed and changed
/// (matched by their stable fingerprint), and the scores, concentration and single-domain cut
/// sets that moved.
#[derive(Debug, Args)]
#[command(after_help = super::exit::DIFF.render())]
pub struct DiffArgs {
    /// The earlier report.
    #[arg(value_name = "OLD")]
    old: PathBuf,
    /// The later report.
    #[arg(value_name = "NEW")]
    new: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when NEW has a new unsuppressed finding at or above this severity: critical,
    /// high, medium, low, info, or never.
    #[arg(long, value_name = "SEVERITY", default_value = "never", value_parser = parse_fail_on)]
    fail_on_new: FailOn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    /// Plain text.
    Text,
    /// The JSON document (`linchpin.diff/v1`).
    Json,
    /// A summary for a pull request or CI job page.
    Markdown,
}

pub fn run(args: &DiffArgs) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    // The two reports are read side by side: each is a whole-file parse, and there are two
    // cores.
    let (old, new) = std::thread::scope(|scope| {
        let old = scope.spawn(|| drift::load_report(&args.old));
        let new = drift::load_report(&args.new);
        (old.join(), new)
    });
    let old = old.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    let new = new?;
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "reports read"
    );
    let started = std::time::Instant::now();
    let result = drift::compare(
        old,
        new,
        &args.old.display().to_string(),
        &args.new.display().to_string(),
    );
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "compared"
    );
    let started = std::time::Instant::now();
    super::output::write_output(args.output.as_deref(), |out| match args.format {
        DiffFormat::Text => result.write_text(out, false),
        DiffFormat::Json => result.write_json(out),
        DiffFormat::Markdown => result.write_text(out, true),
    })
    .with_context(|| match &args.output {
        Some(path) => format!("cannot write {}", path.display()),
        None => "cannot write to stdout".to_string(),
    })?;
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "written");
    let exit = exit_of(args, &result);
    super::leave(result);
    Ok(exit)
}

/// The exit code: findings new at or above --fail-on-new (counted on stderr), else clean.
fn exit_of(args: &DiffArgs, result: &drift::Diff) -> Exit {
    if let FailOn::AtOrAbove(severity) = args.fail_on_new {
        let count = result.new_at_or_above(severity);
        if count > 0 {
            eprintln!("linchpin: {count} new finding(s) at or above {severity}");
            return Exit::Findings;
        }
    }
    Exit::Clean
}
