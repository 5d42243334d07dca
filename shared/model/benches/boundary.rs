//! Boundary lookup benchmarks: building the registry from the bytes of `data/boundaries`, and
//! placing the 108 inside points of the 2020 communes in each set, with the edge distance
//! (`locate`) and without (`commune_at`). The comparison with shapely is `bench/lookup.sh`.
//!
//! `cargo bench -p coverage-shared --bench boundary`

// `criterion_group!` generates a public function without documentation.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;

use coverage_shared::boundary::{BoundaryRegistry, MAPPING_2020_TO_2025_FILE, SetInfo};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/boundaries")
}

/// The `inside_lat/inside_lon` points of `bac-kan-communes-2020.csv`.
fn inside_points() -> Vec<(f64, f64)> {
    let mut reader = csv::Reader::from_path(data_dir().join("bac-kan-communes-2020.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (lat, lon) = (column("inside_lat"), column("inside_lon"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[lat].parse().unwrap(), r[lon].parse().unwrap())
        })
        .collect()
}

fn build(c: &mut Criterion) {
    let read = |name: &str| std::fs::read(data_dir().join(name)).unwrap();
    let old = read(&SetInfo::BAC_KAN_2020.file);
    let new = read(&SetInfo::THAI_NGUYEN_2025.file);
    let mapping = read(MAPPING_2020_TO_2025_FILE);
    let mut group = c.benchmark_group("registry");
    group.sample_size(10);
    group.bench_function("parse both sets and mapping", |b| {
        b.iter(|| {
            BoundaryRegistry::parse(black_box(&old), black_box(&new), black_box(&mapping)).unwrap()
        })
    });
    group.finish();
}

fn locate(c: &mut Criterion) {
    let registry = BoundaryRegistry::from_dir(data_dir()).unwrap();
    let points = inside_points();
    assert_eq!(points.len(), 108);
    let mut group = c.benchmark_group("locate");
    group.throughput(Throughput::Elements(points.len() as u64));
    for set in registry.sets() {
        group.bench_function(format!("108 inside points/{}", set.name()), |b| {
            b.iter(|| {
                for &(lat, lon) in &points {
                    black_box(set.locate(black_box(lat), black_box(lon)));
                }
            })
        });
    }
    for set in registry.sets() {
        group.bench_function(
            format!("108 inside points, commune only/{}", set.name()),
            |b| {
                b.iter(|| {
                    for &(lat, lon) in &points {
                        black_box(set.commune_at(black_box(lat), black_box(lon)));
                    }
                })
            },
        );
    }
    group.throughput(Throughput::Elements(1));
    for set in registry.sets() {
        // Far outside: the nearest-commune search covers many edges.
        group.bench_function(format!("outside (Ha Noi)/{}", set.name()), |b| {
            b.iter(|| black_box(set.locate(black_box(21.0285), black_box(105.8542))))
        });
    }
    group.finish();
}

criterion_group!(benches, build, locate);
criterion_main!(benches);
