//! `coverage-collector locate` in batch, running the real binary: the inside points of every
//! commune of both sets (data/boundaries/*.csv) go in on standard input as CSV or JSON lines,
//! and each must come out as one JSON line, in input order, in its own commune; bad lines are
//! named on standard error without stopping the others; thousands of sites go in one call.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// (code, lat, lon) of the inside points of one communes CSV of data/boundaries.
fn inside_points(file: &str) -> Vec<(String, f64, f64)> {
    let path = format!("{}/../data/boundaries/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (code, lat, lon) = (
        column("commune_code"),
        column("inside_lat"),
        column("inside_lon"),
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[code].to_owned(),
                r[lat].parse().unwrap(),
                r[lon].parse().unwrap(),
            )
        })
        .collect()
}

/// Runs `coverage-collector locate --set SET ARGS` with `stdin`.
fn locate(set: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_coverage-collector"))
        .args(["locate", "--set", set])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_owned();
    // Written from another thread: the output pipe may fill before the input is all written.
    let writer = std::thread::spawn(move || pipe.write_all(input.as_bytes()).unwrap());
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn every_inside_point_of_both_sets_comes_back_in_its_commune_and_in_order() {
    for (set, file, has_districts) in [
        ("bac-kan-2020", "bac-kan-communes-2020.csv", true),
        ("thai-nguyen-2025", "thai-nguyen-communes-2025.csv", false),
    ] {
        let points = inside_points(file);
        let csv: String = std::iter::once("id,lat,lon\n".to_owned())
            .chain(
                points
                    .iter()
                    .map(|(c, lat, lon)| format!("site-{c},{lat},{lon}\n")),
            )
            .collect();
        let jsonl: String = points
            .iter()
            .map(|(c, lat, lon)| format!("{{\"id\":\"site-{c}\",\"lat\":{lat},\"lon\":{lon}}}\n"))
            .collect();
        for (input, args) in [
            (&csv, &[][..]),
            (&jsonl, &[][..]),
            (&jsonl, &["--input", "jsonl"][..]),
        ] {
            let output = locate(set, args, input);
            assert!(output.status.success(), "{set}: {}", stderr(&output));
            let placed = lines(&output);
            assert_eq!(placed.len(), points.len(), "{set}");
            for ((code, lat, lon), line) in points.iter().zip(&placed) {
                assert_eq!(line["id"], format!("site-{code}"), "{set}");
                assert_eq!(line["code"], code.as_str(), "{set}: {line}");
                assert_eq!(line["set"], set);
                assert_eq!(line["inside"], true);
                assert_eq!(line["lat"].as_f64(), Some(*lat));
                assert_eq!(line["lon"].as_f64(), Some(*lon));
                assert!(line["edge_distance_m"].as_f64().unwrap() > 0.0, "{line}");
                assert_eq!(
                    line["near_edge"].as_bool(),
                    Some(line["edge_distance_m"].as_f64().unwrap() <= 250.0)
                );
                assert_eq!(line["nearest"], Value::Null);
                assert_eq!(line["district"].is_object(), has_districts, "{line}");
            }
            assert!(
                stderr(&output).contains(&format!(
                    "Placed {n} positions in {set} ({n} inside a commune); 0 lines failed.",
                    n = points.len()
                )),
                "{}",
                stderr(&output)
            );
        }
    }
}

#[test]
fn bad_lines_are_named_and_the_others_are_placed() {
    let points = inside_points("bac-kan-communes-2020.csv");
    let (a, b) = (&points[0], &points[1]);
    let input = format!(
        "lat,lon\n{},{}\n{},\n22.1,east\n\n{},{}\n21.0285,105.8542\n",
        a.1, a.2, a.1, b.1, b.2
    );
    let output = locate("bac-kan-2020", &[], &input);
    assert_eq!(output.status.code(), Some(1));
    let placed = lines(&output);
    assert_eq!(placed.len(), 3);
    assert_eq!(placed[0]["code"], a.0.as_str());
    assert_eq!(placed[0]["id"], Value::Null);
    assert_eq!(placed[1]["code"], b.0.as_str());
    // Hà Nội: outside, with the nearest commune.
    assert_eq!(placed[2]["inside"], false);
    assert!(placed[2]["nearest"]["code"].is_string());
    let err = stderr(&output);
    assert!(err.contains("line 3: lon: is missing"), "{err}");
    assert!(err.contains("line 4: lon: `east` is not a number"), "{err}");
    assert!(
        err.contains(
            "Placed 3 positions in bac-kan-2020 (2 inside a commune); 2 lines failed (lines 3, 4)."
        ),
        "{err}"
    );

    let output = locate(
        "bac-kan-2020",
        &["--input", "jsonl"],
        "{\"id\":\"x\",\"lat\":95,\"lon\":105}\n",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("line 1: lat: 95 is outside -90..90"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_registry_of_thousands_of_sites_is_placed_in_one_call() {
    let points = inside_points("thai-nguyen-communes-2025.csv");
    let n = 5_000;
    let input: String = (0..n)
        .map(|i| {
            let (_, lat, lon) = &points[i % points.len()];
            format!("{i},{lat},{lon}\n")
        })
        .collect();
    let output = locate("thai-nguyen-2025", &[], &input);
    assert!(output.status.success(), "{}", stderr(&output));
    let placed = lines(&output);
    assert_eq!(placed.len(), n);
    for (i, line) in placed.iter().enumerate() {
        assert_eq!(line["id"], i.to_string());
        assert_eq!(line["code"], points[i % points.len()].0.as_str());
    }
}
