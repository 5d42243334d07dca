//! Commune lookups per second on one boundary file and one list of points, for `bench/lookup.sh`,
//! which runs shapely on the same files in the same run and compares.
//!
//! `cargo bench -p coverage-shared --bench lookup -- SET.geojson POINTS.csv CODES.txt`
//!
//! - `SET.geojson`: a boundary file of `data/boundaries` (read with its set's definition) or any
//!   other FeatureCollection in that scheme without districts (the synthetic national set);
//! - `POINTS.csv`: `lat,lon` with a header;
//! - `CODES.txt`: written, one line per point, the code `commune_at` found or an empty line, for
//!   the script to compare with shapely's answers.
//!
//! Prints `key=value` lines: the build time, then for `commune_at` (lookup only, all points) and
//! `locate` (lookup and edge distance, the points inside a commune) the points per second, the
//! best of several passes on the calling thread (the script pins it to one core).

use std::borrow::Cow;
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use coverage_shared::boundary::{BoundarySet, SetInfo};

/// Passes over the points are repeated until this much time has gone by (at least 3 passes).
const MIN_TIME: Duration = Duration::from_secs(2);

fn main() {
    // cargo passes `--bench` to a bench target; the rest are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [geojson, points, codes] = args.as_slice() else {
        eprintln!("usage: lookup SET.geojson POINTS.csv CODES.txt");
        std::process::exit(2);
    };
    let bytes = std::fs::read(geojson).unwrap_or_else(|e| panic!("reading {geojson}: {e}"));
    let file = Path::new(geojson)
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or(geojson)
        .to_owned();
    let info = SetInfo::KNOWN
        .into_iter()
        .find(|s| s.file == file)
        .unwrap_or_else(|| SetInfo {
            name: Cow::Owned(file.trim_end_matches(".geojson").to_owned()),
            file: Cow::Owned(file.clone()),
            valid_from: NaiveDate::MIN,
            valid_until: None,
            has_districts: false,
        });
    let started = Instant::now();
    let set = BoundarySet::from_geojson(info, &bytes).unwrap_or_else(|e| panic!("{e}"));
    println!("set={}", set.name());
    println!("communes={}", set.communes().len());
    println!("build_ms={:.1}", started.elapsed().as_secs_f64() * 1e3);

    let points = read_points(points);
    println!("points={}", points.len());

    let mut out = std::io::BufWriter::new(
        std::fs::File::create(codes).unwrap_or_else(|e| panic!("creating {codes}: {e}")),
    );
    for &(lat, lon) in &points {
        let code = set.commune_at(lat, lon).map_or("", |c| c.code.as_str());
        writeln!(out, "{code}").expect("writing the codes");
    }
    out.flush().expect("writing the codes");

    let rate = best_rate(&points, |lat, lon| {
        black_box(set.commune_at(black_box(lat), black_box(lon)));
    });
    println!("commune_at_per_s={rate:.0}");
    // Far outside, the edge distance searches many edges (0.1 ms): `locate` is measured on the
    // points inside a commune, as sites are, at most 20,000 of them.
    let inside: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|&(lat, lon)| set.commune_at(lat, lon).is_some())
        .take(20_000)
        .collect();
    let rate = best_rate(&inside, |lat, lon| {
        black_box(set.locate(black_box(lat), black_box(lon)));
    });
    println!("locate_points={}", inside.len());
    println!("locate_per_s={rate:.0}");
}

/// The best points-per-second rate of passes over `points` until [`MIN_TIME`] has gone by.
fn best_rate(points: &[(f64, f64)], mut f: impl FnMut(f64, f64)) -> f64 {
    let started = Instant::now();
    let mut best = Duration::MAX;
    let mut passes = 0;
    while passes < 3 || started.elapsed() < MIN_TIME {
        let pass = Instant::now();
        for &(lat, lon) in points {
            f(lat, lon);
        }
        best = best.min(pass.elapsed());
        passes += 1;
    }
    points.len() as f64 / best.as_secs_f64()
}

/// `lat,lon` rows after a header.
fn read_points(path: &str) -> Vec<(f64, f64)> {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    reader
        .records()
        .enumerate()
        .map(|(i, r)| {
            let r = r.unwrap_or_else(|e| panic!("{path}: {e}"));
            let field = |k: usize| -> f64 {
                r.get(k)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("{path}: line {}: bad field {k}", i + 2))
            };
            (field(0), field(1))
        })
        .collect()
}
