//! `linchpin merge`: one snapshot from many (shards of a crawl, accounts, Terraform states).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use linchpin::model::{Resource, Snapshot};
use linchpin::snapshot;
use linchpin::sources::manifest::{self, Manifest};
use linchpin::sources::merge::{Merged, merge_all, merge_counted};
use linchpin::sources::state_files::{self, origin_of};
use linchpin::sources::terraform;
use serde::Deserialize;

use super::exit::Exit;

/// Merge snapshots (and Terraform state or plan files) into one snapshot
///
/// The same id from several inputs is one resource listing every source it came from, with
/// tags, attributes and requirements united. Where inputs disagree (two placements, two
/// regions, two values of an attribute), the smallest value is kept and a coverage record of
/// status `conflict` names every value and the sources: never a silent overwrite. External
/// stand-ins (resources an input references but another holds) are replaced by the resource
/// itself; those no input holds stay external. The result does not depend on the order of
/// the inputs, nor on how they were grouped into earlier merges.
///
/// An input is a snapshot when it has `"schema": "linchpin.snapshot/v1"`, else it is read as
/// Terraform state or `terraform show -json`; the Terraform files are imported together (as
/// `--terraform` does: references resolve across them and to the snapshots' resources), but a
/// resource two files hold is joined like any other, both files named and a disagreement
/// noted. A one-line summary, the conflicts and the references still external go to stderr.
#[derive(Debug, Args)]
#[command(after_help = super::exit::MERGE.render())]
pub struct MergeArgs {
    /// The snapshots and Terraform files to merge; `-` reads standard input.
    #[arg(value_name = "FILE", required = true)]
    inputs: Vec<PathBuf>,
    /// Write the merged snapshot to FILE (atomically) instead of stdout; never one of the
    /// inputs.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Apply the business functions, third parties, edges and zone maps a manifest declares
    /// (TOML, as `audit --manifest` reads it) to the merged snapshot: its selectors match the
    /// resources of every input. Repeatable.
    #[arg(long = "manifest", value_name = "FILE")]
    manifest: Vec<PathBuf>,
}

/// Conflicts and external references listed on stderr before the rest is counted.
const LISTED: usize = 10;

pub fn run(args: &MergeArgs) -> anyhow::Result<Exit> {
    if let Some(output) = &args.output
        && let Some(input) = args
            .inputs
            .iter()
            .chain(&args.manifest)
            .find(|i| super::same_file(i, output))
    {
        anyhow::bail!(
            "--output {} is {}, an input being read; write the merged snapshot elsewhere",
            output.display(),
            input.display()
        );
    }
    let started = std::time::Instant::now();
    // The manifests first: a mistake in one stops the run before the inputs are read.
    let declared = if args.manifest.is_empty() {
        None
    } else {
        let (read, problems) = manifest::load(&args.manifest)?;
        if !problems.is_empty() {
            return Err(manifest::invalid(problems).into());
        }
        Some(read)
    };
    let snapshots = read_inputs(&args.inputs)?;
    let mut merged = merge_counted(snapshots);
    // The Terraform files are imported as one or two snapshots: the summary counts files.
    merged.inputs = args.inputs.len();
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "merged");
    if let Some(declared) = &declared {
        merged.snapshot = declare(declared, merged.snapshot)?;
    }
    let problems = snapshot::validate(&merged.snapshot);
    if !problems.is_empty() {
        return Err(snapshot::SnapshotError {
            origin: "the merged snapshot".into(),
            problems,
        }
        .into());
    }
    // Compact JSON, written as it is serialised: merged estates are the large ones.
    super::output::write_output(args.output.as_deref(), |out| {
        serde_json::to_writer(&mut *out, &merged.snapshot)?;
        out.write_all(b"\n")
    })
    .with_context(|| match &args.output {
        Some(path) => format!("cannot write {}", path.display()),
        None => "cannot write to stdout".to_string(),
    })?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "written");
    eprint!("{}", summary(&merged));
    Ok(Exit::complete_or_partial(
        merged.snapshot.coverage_complete(),
    ))
}

/// The merged snapshot with a manifest's declarations, in the merge's canonical form: what
/// the manifest adds (functions, third-party services, stand-ins of the regions they run
/// on) names the manifest as its source, so merging the output again changes nothing.
fn declare(declared: &Manifest, snapshot: Snapshot) -> anyhow::Result<Snapshot> {
    let mut snapshot = manifest::apply_with(declared, snapshot, true, Vec::new())?;
    let label = snapshot
        .sources
        .last()
        .map(|source| source.label())
        .expect("applying a manifest names it as a source");
    for resource in &mut snapshot.resources {
        if resource.sources.is_empty() {
            resource.sources.push(label.clone());
        }
    }
    Ok(merge_all(vec![snapshot]))
}

/// What an input file holds.
#[derive(Debug, PartialEq)]
enum Holds {
    Snapshot,
    Terraform,
}

/// A snapshot has a top-level `schema`; linchpin writes it first, so the first key usually
/// decides without reading the rest. Anything else is for the Terraform reader to judge.
fn holds(text: &str) -> Holds {
    let rest = text.trim_start_matches('\u{feff}').trim_start();
    if let Some(body) = rest.strip_prefix('{')
        && body.trim_start().starts_with("\"schema\"")
    {
        return Holds::Snapshot;
    }
    #[derive(Deserialize)]
    struct Top {
        schema: Option<serde::de::IgnoredAny>,
    }
    match serde_json::from_str::<Top>(text) {
        Ok(Top { schema: Some(_) }) => Holds::Snapshot,
        _ => Holds::Terraform,
    }
}

/// An input file, read.
enum Loaded {
    Snapshot(Snapshot),
    Terraform(String, terraform::Document),
}

/// Read and parse one input file.
fn load(path: &Path) -> anyhow::Result<Loaded> {
    let origin = origin_of(path);
    let text = read_text(path, &origin)?;
    Ok(match holds(&text) {
        Holds::Snapshot => Loaded::Snapshot(snapshot::load_str(&text, &origin)?),
        Holds::Terraform => {
            let document = terraform::read_str(&text, &origin).with_context(|| {
                format!("{origin}: neither a linchpin snapshot (no `schema`) nor Terraform")
            })?;
            Loaded::Terraform(origin, document)
        }
    })
}

/// Every input as a snapshot: snapshot files loaded and validated (on every core, the files
/// shared out in turn), the Terraform files imported together beside the snapshots'
/// resources, each resource naming its file ([`state_files::import_documents_apart`]).
/// Every file is read before anything is merged; of several bad inputs, the first given is
/// reported.
fn read_inputs(paths: &[PathBuf]) -> anyhow::Result<Vec<Snapshot>> {
    let mut seen = std::collections::HashSet::new();
    for path in paths {
        let identity = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if !seen.insert(identity) {
            anyhow::bail!("{}: given twice; give each input once", origin_of(path));
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(paths.len());
    let mut loaded: Vec<Option<anyhow::Result<Loaded>>> = Vec::new();
    loaded.resize_with(paths.len(), || None);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|worker| {
                scope.spawn(move || {
                    (worker..paths.len())
                        .step_by(threads)
                        .map(|at| (at, load(&paths[at])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            for (at, result) in worker.join().expect("reading an input does not panic") {
                loaded[at] = Some(result);
            }
        }
    });
    let mut snapshots = Vec::new();
    let mut documents = Vec::new();
    for result in loaded.into_iter().flatten() {
        match result? {
            Loaded::Snapshot(snapshot) => snapshots.push(snapshot),
            Loaded::Terraform(origin, document) => documents.push((origin, document)),
        }
    }
    let beside: Vec<Resource> = snapshots
        .iter()
        .flat_map(|s| &s.resources)
        .map(|r| Resource::blank(r.id.as_str()))
        .collect();
    if !documents.is_empty() {
        let mut imported = state_files::import_documents_apart(&documents, &beside)?;
        for snapshot in &mut imported {
            linchpin::sources::aws::entry::state_entry_points(snapshot);
        }
        snapshots.extend(imported);
    }
    Ok(snapshots)
}

fn read_text(path: &Path, origin: &str) -> anyhow::Result<String> {
    let bytes = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes).map(|_| bytes)
    } else {
        std::fs::read(path)
    }
    .with_context(|| format!("{origin}: cannot read the file"))?;
    String::from_utf8(bytes).map_err(|err| {
        let at = err.utf8_error().valid_up_to();
        let (line, column) =
            linchpin::diag::line_column(&String::from_utf8_lossy(err.as_bytes()), at);
        anyhow::anyhow!("{origin}:{line}:{column}: the file is not valid UTF-8")
    })
}

/// The stderr summary: one line of counts, then the conflicts and the references still
/// external (the first few of each).
fn summary(merged: &Merged) -> String {
    let snapshot = &merged.snapshot;
    let conflicts: Vec<_> = merged.conflicts().collect();
    let external: Vec<&Resource> = merged.external().collect();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut out = format!(
        "linchpin: merged {} into {}: {} joined, {}, {} resolved, {} still external\n",
        plural(merged.inputs, "input", "inputs"),
        plural(snapshot.resources.len(), "resource", "resources"),
        plural(merged.joined, "id", "ids"),
        plural(conflicts.len(), "conflict", "conflicts"),
        plural(merged.resolved, "external reference", "external references"),
        external.len()
    );
    for record in conflicts.iter().take(LISTED) {
        let Some(c) = &record.conflict else { continue };
        let values: Vec<String> = c
            .values
            .iter()
            .map(|v| {
                let kept = if *v == c.kept { " (kept)" } else { "" };
                format!("{v}{kept}")
            })
            .collect();
        out.push_str(&format!(
            "  conflict: {} {}: {} (sources {})\n",
            c.id,
            c.field,
            values.join(" vs "),
            c.sources.join(", ")
        ));
    }
    if conflicts.len() > LISTED {
        out.push_str(&format!(
            "  … and {} more conflicts\n",
            conflicts.len() - LISTED
        ));
    }
    for resource in external.iter().take(LISTED) {
        out.push_str(&format!(
            "  external: {} ({}), held by no input\n",
            resource.id, resource.kind
        ));
    }
    if external.len() > LISTED {
        out.push_str(&format!(
            "  … and {} more external references\n",
            external.len() - LISTED
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_is_told_by_its_schema_key() {
        assert_eq!(
            holds("{\"schema\": \"linchpin.snapshot/v1\"}"),
            Holds::Snapshot
        );
        assert_eq!(
            holds("{\"resources\": [], \"schema\": \"linchpin.snapshot/v1\"}"),
            Holds::Snapshot
        );
        assert_eq!(
            holds("{\"version\": 4, \"resources\": []}"),
            Holds::Terraform
        );
        assert_eq!(holds("not json"), Holds::Terraform);
    }
}
