//! Merging 100 generated snapshots of 10,000 resources each (one AWS account each; their
//! business functions share ids, so about 7% of the resources are joined across inputs).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use linchpin::sources::merge::merge_all;
use linchpin::sources::synth;

fn merge(c: &mut Criterion) {
    let inputs: Vec<_> = (0..100u64)
        .map(|k| synth::generate_in(10_000, k + 1, &format!("{:012}", 100_000_000_000 + k)))
        .collect();
    let mut group = c.benchmark_group("100 snapshots of 10k resources");
    group.sample_size(10);
    group.bench_function("merge", |b| {
        b.iter_batched(|| inputs.clone(), merge_all, BatchSize::LargeInput)
    });
    group.finish();
}

// The binary's allocator, so the figures match what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

criterion_group!(benches, merge);
criterion_main!(benches);
