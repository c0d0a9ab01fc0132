//! Each stage of an audit on a generated 100,000-resource estate: loading the snapshot from
//! JSON, building the graph, each analysis, the rule pack (lazy facts as the audit runs it,
//! and the eager maps for comparison), each report writer; the whole audit; and a region's
//! simulated failure. docs/PERFORMANCE.md gives the figures and the complexity of each stage.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use linchpin::analysis::{self, components, domain_kill_sets, resource_kill_sets};
use linchpin::graph::Estate;
use linchpin::judge::config::Config;
use linchpin::judge::score;
use linchpin::report::Format;
use linchpin::rules::RulePack;
use linchpin::rules::engine::{self, Facts};
use linchpin::snapshot;
use linchpin::sources::synth;

fn audit(c: &mut Criterion) {
    let generated = synth::generate(100_000, 1);
    let text = serde_json::to_string(&generated).unwrap();
    let pack = RulePack::builtin().expect("the built-in pack is valid");
    let mut group = c.benchmark_group("100k resources");
    group.sample_size(10);
    group.bench_function("load snapshot", |b| {
        b.iter(|| snapshot::load_str(&text, "bench").unwrap())
    });
    group.bench_function("build graph", |b| {
        b.iter_batched(|| generated.clone(), Estate::build, BatchSize::LargeInput)
    });
    let estate = Estate::build(generated.clone());
    let scope = analysis::critical_scope(&estate);
    let parts = components(&estate);
    group.bench_function("analysis: components", |b| b.iter(|| components(&estate)));
    group.bench_function("analysis: domain kill sets", |b| {
        b.iter(|| domain_kill_sets(&estate, &parts))
    });
    group.bench_function("analysis: resource kill sets", |b| {
        b.iter(|| resource_kill_sets(&estate, &parts, &scope))
    });
    group.bench_function("analysis: concentration", |b| {
        b.iter(|| analysis::concentration::concentration(&estate, &scope))
    });
    group.bench_function("analyses", |b| b.iter(|| analysis::analyse(&estate)));
    let analysed = analysis::analyse(&estate);
    for (name, mode) in [
        ("rules (native checks)", Facts::Native),
        ("rules (lazy facts)", Facts::Lazy),
        ("rules (eager facts)", Facts::Eager),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| engine::run_with(&pack, &estate, &analysed, mode))
        });
    }
    let report = linchpin::judge::audit::run(
        &estate,
        &pack,
        &Config::default(),
        &[],
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
    );
    for format in Format::ALL {
        group.bench_function(format!("write {}", format.name()), |b| {
            b.iter(|| {
                let mut out = std::io::BufWriter::new(std::io::sink());
                report.write(format, &mut out).unwrap();
            })
        });
    }
    group.bench_function("audit", |b| {
        b.iter_batched(
            || generated.clone(),
            |snapshot| {
                let estate = Estate::build(snapshot);
                let analysis = analysis::analyse(&estate);
                let evaluation = engine::run(&pack, &estate, &analysis);
                score::scores(&estate, &evaluation.findings)
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("simulate a region", |b| {
        let region = estate
            .find_domain(linchpin::model::DomainKind::Region, "ap-northeast-1")
            .unwrap();
        b.iter(|| {
            analysis::propagate(
                &estate,
                &analysis::Failure {
                    domains: vec![region],
                    resources: Vec::new(),
                },
            )
        })
    });
    group.finish();
}

// The binary's allocator, so the figures match what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

criterion_group!(benches, audit);
criterion_main!(benches);
