//! Throughput of `nmc::entropy::{encode, decode}` on 10^6 symbols.
//!
//! `cargo bench --bench entropy -- --warm-up-time 1 --measurement-time 3`
//!
//! - `channels192`: 192 per-channel tables (like a factorized bottleneck), channel-major order
//!   (each table codes a run of ~5208 consecutive symbols).
//! - `gaussian64`: 64 Gaussian scale tables, a random table per symbol (like a mean–scale
//!   hyperprior).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use nmc::entropy::{decode, encode, gaussian_scales, gaussian_tables, CdfTable, TableSet};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const N: usize = 1_000_000;

fn sample(table: &CdfTable, rng: &mut StdRng) -> i32 {
    let pmf = table.pmf();
    let mut u = rng.random_range(0..(1u32 << 24));
    for (i, &p) in pmf.iter().enumerate() {
        if u < p {
            return if i + 1 == pmf.len() {
                1 << 20
            } else {
                table.offset() + i as i32
            };
        }
        u -= p;
    }
    unreachable!()
}

fn case(name: &str, set: &TableSet, indexes: Vec<u32>, c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(7);
    let values: Vec<i32> = indexes
        .iter()
        .map(|&k| sample(&set.tables()[k as usize], &mut rng))
        .collect();
    let data = encode(&values, &indexes, set).unwrap();
    eprintln!(
        "{name}: {N} symbols -> {} bytes ({:.3} bits/symbol)",
        data.len(),
        data.len() as f64 * 8.0 / N as f64
    );
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("encode", |b| {
        b.iter(|| encode(black_box(&values), black_box(&indexes), set).unwrap())
    });
    g.bench_function("decode", |b| {
        b.iter(|| decode(black_box(&data), black_box(&indexes), set).unwrap())
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    // 192 channel tables: Gaussian-like with scales 0.2 .. 20.
    let scales = gaussian_scales(192, 0.2, 20.0);
    let set = gaussian_tables(&scales).unwrap();
    let per_channel = N.div_ceil(192);
    let indexes: Vec<u32> = (0..N).map(|i| (i / per_channel) as u32).collect();
    case("channels192", &set, indexes, c);

    let set = gaussian_tables(&gaussian_scales(64, 0.11, 256.0)).unwrap();
    let mut rng = StdRng::seed_from_u64(3);
    let indexes: Vec<u32> = (0..N).map(|_| rng.random_range(0..64)).collect();
    case("gaussian64", &set, indexes, c);
}

criterion_group!(benches, bench);
criterion_main!(benches);
