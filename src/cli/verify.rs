//! `linchpin verify`: check an evidence bundle against its checksums and manifest.

use std::path::PathBuf;

use clap::Args;

use super::exit::Exit;

/// Verify an evidence bundle against its SHA256SUMS and manifest.json.
///
/// Re-hashes every file listed in DIR/SHA256SUMS, reports files changed, missing or not
/// listed, and checks that manifest.json's file list agrees with the checksums.
#[derive(Debug, Args)]
#[command(after_help = super::exit::VERIFY.render())]
pub struct VerifyArgs {
    /// The bundle directory (as written by `linchpin export evidence --out DIR`).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

pub fn run(args: &VerifyArgs) -> anyhow::Result<Exit> {
    let verification = linchpin::evidence::verify(&args.dir)?;
    if verification.problems.is_empty() {
        println!("verified {} files", verification.listed);
        return Ok(Exit::Clean);
    }
    for problem in &verification.problems {
        println!("{problem}");
    }
    eprintln!(
        "linchpin: {} does not verify: {} problem(s)",
        args.dir.display(),
        verification.problems.len()
    );
    Ok(Exit::Findings)
}
