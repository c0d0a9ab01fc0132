//! `linchpin generate`: write a synthetic snapshot (or Terraform state), for benchmarks and
//! trials.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use linchpin::sources::{Source, Synthetic};

use super::exit::Exit;

/// Write a synthetic estate snapshot of about N resources (deterministic per seed): VPCs,
/// subnets, NAT gateways, load-balanced fleets skewed to one zone, databases and business
/// functions that call one another
///
/// With `--terraform`, write a Terraform state (v4) of about N resource instances across AWS,
/// Google Cloud and Azure instead, to try `--terraform` on.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many resources (at least).
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    resources: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The AWS account (12 digits) of the snapshot's resources: snapshots of several
    /// accounts to try `merge` on (their business functions are shared).
    #[arg(long, value_name = "ID", default_value = linchpin::sources::synth::ACCOUNT, value_parser = account_id)]
    account: String,
    /// Write a Terraform state of about N managed instances (AWS, Google Cloud and Azure
    /// cells) instead of a snapshot.
    #[arg(long)]
    terraform: bool,
    /// Where to write the snapshot (atomically); `-` for stdout.
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
}

pub fn run(args: &GenerateArgs) -> anyhow::Result<Exit> {
    if args.terraform {
        let state = linchpin::sources::terraform::synth::state(args.resources, args.seed);
        super::output::write_output(Some(&args.output), |out| {
            out.write_all(state.as_bytes())?;
            out.write_all(b"\n")
        })
        .with_context(|| format!("cannot write {}", args.output.display()))?;
        return Ok(Exit::Clean);
    }
    let snapshot = if args.account == linchpin::sources::synth::ACCOUNT {
        let Ok(snapshot) = Synthetic {
            resources: args.resources,
            seed: args.seed,
        }
        .read();
        snapshot
    } else {
        linchpin::sources::synth::generate_in(args.resources, args.seed, &args.account)
    };
    super::output::write_output(Some(&args.output), |out| {
        serde_json::to_writer(&mut *out, &snapshot)?;
        out.write_all(b"\n")
    })
    .with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(Exit::Clean)
}

/// An AWS account id: twelve digits.
fn account_id(text: &str) -> Result<String, String> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_string())
    } else {
        Err(format!("`{text}` is not an AWS account id (twelve digits)"))
    }
}
