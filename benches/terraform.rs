//! Importing a generated 100,000-instance Terraform state (AWS, Google Cloud and Azure cells):
//! reading the document, and turning its instances into placed resources and edges.

use criterion::{Criterion, criterion_group, criterion_main};
use linchpin::sources::terraform::{self, File};

fn import(c: &mut Criterion) {
    let text = terraform::synth::state(100_000, 1);
    let mut group = c.benchmark_group("100k-instance Terraform state");
    group.sample_size(10);
    group.bench_function("read", |b| {
        b.iter(|| terraform::read_str(&text, "bench.tfstate").unwrap())
    });
    let doc = terraform::read_str(&text, "bench.tfstate").unwrap();
    group.bench_function("import", |b| {
        b.iter(|| {
            terraform::import(&[File {
                origin: "bench.tfstate",
                instances: &doc.instances,
            }])
        })
    });
    group.bench_function("read and import", |b| {
        b.iter(|| {
            let doc = terraform::read_str(&text, "bench.tfstate").unwrap();
            terraform::import(&[File {
                origin: "bench.tfstate",
                instances: &doc.instances,
            }])
        })
    });
    group.finish();
}

// The binary's allocator, so the figures match what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

criterion_group!(benches, import);
criterion_main!(benches);
