//! `linchpin verify`: check an evidence bundle against its checksums and manifest.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

const VERIFY_HELP: &str = "\
Exit codes:
  0  every file matches SHA256SUMS and manifest.json
  1  some file changed, is missing, or is not listed (each is printed), or manifest.json
     disagrees with SHA256SUMS
  2  DIR or its SHA256SUMS cannot be read or is malformed";

/// Verify an evidence bundle against its SHA256SUMS and manifest.json.
///
/// Re-hashes every file listed in DIR/SHA256SUMS, reports files changed, missing or not
/// listed, and checks that manifest.json's file list agrees with the checksums.
#[derive(Debug, Args)]
#[command(after_help = VERIFY_HELP)]
pub struct VerifyArgs {
    /// The bundle directory (as written by `linchpin export evidence --out DIR`).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let verification = linchpin::evidence::verify(&args.dir)?;
    if verification.problems.is_empty() {
        println!("verified {} files", verification.listed);
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &verification.problems {
        println!("{problem}");
    }
    eprintln!(
        "linchpin: {} does not verify: {} problem(s)",
        args.dir.display(),
        verification.problems.len()
    );
    Ok(ExitCode::from(1))
}
