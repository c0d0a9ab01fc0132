//! The whole audit (graph, analyses, the built-in rule pack, scores) on a generated 100,000-resource estate,
//! and the load of its snapshot from JSON.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use linchpin::graph::Estate;
use linchpin::judge::score;
use linchpin::rules::{RulePack, engine};
use linchpin::sources::synth;
use linchpin::{analysis, snapshot};

fn audit(c: &mut Criterion) {
    let generated = synth::generate(100_000, 1);
    let text = serde_json::to_string(&generated).unwrap();
    let mut group = c.benchmark_group("100k resources");
    group.sample_size(10);
    group.bench_function("load snapshot", |b| {
        b.iter(|| snapshot::load_str(&text, "bench").unwrap())
    });
    let pack = RulePack::builtin().expect("the built-in pack is valid");
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
        let estate = Estate::build(generated.clone());
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
