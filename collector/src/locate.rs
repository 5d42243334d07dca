//! `coverage-collector locate` in batch: many positions from a reader (standard input), one JSON
//! line per position on a writer, in input order, placed in one boundary set.
//!
//! Input, auto-detected from the first non-empty line or chosen ([`InputFormat`]):
//! - CSV: `id,lat,lon` or `lat,lon`, with a header naming the columns (`id`, `lat`/`latitude`,
//!   `lon`/`lng`/`longitude`, any order, other columns ignored) or without one (then 2 columns
//!   are `lat,lon`, 3 are `id,lat,lon`);
//! - JSON lines: `{"id":"bk-1","lat":22.1,"lon":105.8}` (`id` optional, a string or a number).
//!
//! Invariants: a bad line (a missing or unparsable field, a position out of range) is reported
//! with its one-based line number and the field, and does not stop the lines after it nor undo
//! those written before; every good line gives exactly one output line, in input order; blank
//! lines are skipped. Output lines are [`coverage_shared::boundary::LocationSummary`] with the
//! line's `id` in front.

use std::io::{BufRead, Write};

use coverage_shared::boundary::{BoundarySet, LocationSummary, NEAR_EDGE_M};
use coverage_shared::geo::LatLon;
use serde::Serialize;

/// How the input lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// `id,lat,lon` or `lat,lon`, with or without a header.
    Csv,
    /// One JSON object per line: `{"id":"bk-1","lat":22.1,"lon":105.8}`.
    Jsonl,
}

/// Why a whole batch could not run (a bad line is a [`LineError`] instead).
#[derive(Debug, thiserror::Error)]
pub enum LocateError {
    /// Reading the input failed.
    #[error("reading the positions")]
    Read(#[source] std::io::Error),
    /// Writing the output failed.
    #[error("writing the placements")]
    Write(#[source] std::io::Error),
    /// The CSV header has no latitude or longitude column.
    #[error("line {line}: the CSV header has no `{column}` column (found: {found})")]
    Header {
        /// One-based line number of the header.
        line: u64,
        /// The column looked for (`lat`, `lon`).
        column: &'static str,
        /// The header's columns, comma-separated.
        found: String,
    },
}

/// One input line that could not be placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {field}: {problem}")]
pub struct LineError {
    /// One-based line number in the input.
    pub line: u64,
    /// The field at fault (`lat`, `lon`, `id`), or `line` when the line itself is malformed.
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
}

/// The outcome of a batch: how many lines were placed and which failed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchSummary {
    /// Lines placed and written.
    pub placed: u64,
    /// Of those, lines inside a commune.
    pub inside: u64,
    /// Lines that failed, in input order.
    pub failed: Vec<LineError>,
}

/// One output line: the input's id, then the placement.
#[derive(Serialize)]
struct Placed<'a> {
    id: Option<&'a str>,
    #[serde(flatten)]
    location: LocationSummary<'a>,
}

/// Places every position read from `input` in `set` and writes one JSON line per position to
/// `output`, in input order. `on_error` is told each bad line as it is met (the line is then
/// skipped); the summary lists them all. `format` `None` detects it from the first non-empty
/// line (`{` starts JSON lines).
pub fn locate_batch(
    set: &BoundarySet,
    input: impl BufRead,
    format: Option<InputFormat>,
    mut output: impl Write,
    mut on_error: impl FnMut(&LineError),
) -> Result<BatchSummary, LocateError> {
    let mut summary = BatchSummary::default();
    let mut parser: Option<LineParser> = format.map(LineParser::new);
    for (index, line) in input.lines().enumerate() {
        let line_no = index as u64 + 1;
        let line = line.map_err(LocateError::Read)?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let parser = parser.get_or_insert_with(|| {
            LineParser::new(if text.starts_with('{') {
                InputFormat::Jsonl
            } else {
                InputFormat::Csv
            })
        });
        let position = match parser.parse(line_no, text) {
            Ok(Some(position)) => position,
            Ok(None) => continue,
            Err(Parse::Line(e)) => {
                on_error(&e);
                summary.failed.push(e);
                continue;
            }
            Err(Parse::Fatal(e)) => return Err(e),
        };
        let location = set.locate(position.lat, position.lon);
        let placed = Placed {
            id: position.id.as_deref(),
            location: location.summary(NEAR_EDGE_M),
        };
        serde_json::to_writer(&mut output, &placed).map_err(|e| LocateError::Write(e.into()))?;
        output.write_all(b"\n").map_err(LocateError::Write)?;
        summary.placed += 1;
        summary.inside += u64::from(location.is_inside());
    }
    output.flush().map_err(LocateError::Write)?;
    Ok(summary)
}

/// A position read from one line.
#[derive(Debug, Clone, PartialEq)]
struct Position {
    id: Option<String>,
    lat: f64,
    lon: f64,
}

/// A line's failure: the line alone, or the whole batch.
enum Parse {
    Line(LineError),
    Fatal(LocateError),
}

/// Column positions of a CSV input.
#[derive(Debug, Clone, Copy)]
struct Columns {
    id: Option<usize>,
    lat: usize,
    lon: usize,
}

/// Reads lines of one format; a CSV parser learns its columns from the first line.
struct LineParser {
    format: InputFormat,
    columns: Option<Columns>,
}

impl LineParser {
    fn new(format: InputFormat) -> Self {
        Self {
            format,
            columns: None,
        }
    }

    /// The position on one non-empty line; `None` for a CSV header.
    fn parse(&mut self, line: u64, text: &str) -> Result<Option<Position>, Parse> {
        match self.format {
            InputFormat::Jsonl => parse_json(line, text).map(Some).map_err(Parse::Line),
            InputFormat::Csv => self.parse_csv(line, text),
        }
    }

    fn parse_csv(&mut self, line: u64, text: &str) -> Result<Option<Position>, Parse> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let record = match reader.records().next() {
            Some(Ok(record)) => record,
            Some(Err(e)) => return Err(Parse::Line(bad(line, "line", e.to_string()))),
            None => return Ok(None),
        };
        let columns = match self.columns {
            Some(columns) => columns,
            None => {
                let numeric = record.iter().all(|f| f.parse::<f64>().is_ok());
                let columns = if numeric
                    || (record.len() == 3
                        && record.iter().skip(1).all(|f| f.parse::<f64>().is_ok()))
                {
                    match record.len() {
                        2 => Columns {
                            id: None,
                            lat: 0,
                            lon: 1,
                        },
                        3 => Columns {
                            id: Some(0),
                            lat: 1,
                            lon: 2,
                        },
                        n => {
                            return Err(Parse::Line(bad(
                                line,
                                "line",
                                format!(
                                    "has {n} columns; without a header, expected `lat,lon` or `id,lat,lon`"
                                ),
                            )));
                        }
                    }
                } else {
                    let columns = header_columns(line, &record).map_err(Parse::Fatal)?;
                    self.columns = Some(columns);
                    return Ok(None);
                };
                self.columns = Some(columns);
                columns
            }
        };
        let field = |i: usize| record.get(i).unwrap_or("");
        let number = |i: usize, name: &'static str| -> Result<f64, LineError> {
            let value = field(i);
            if value.is_empty() {
                return Err(bad(line, name, "is missing".to_owned()));
            }
            value
                .parse::<f64>()
                .map_err(|_| bad(line, name, format!("`{value}` is not a number")))
        };
        let position = Position {
            id: columns
                .id
                .map(|i| field(i).to_owned())
                .filter(|id| !id.is_empty()),
            lat: number(columns.lat, "lat").map_err(Parse::Line)?,
            lon: number(columns.lon, "lon").map_err(Parse::Line)?,
        };
        check_range(line, position).map(Some).map_err(Parse::Line)
    }
}

/// The columns named in a CSV header.
fn header_columns(line: u64, record: &csv::StringRecord) -> Result<Columns, LocateError> {
    let find = |names: &[&str]| {
        record
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let missing = |column: &'static str| LocateError::Header {
        line,
        column,
        found: record.iter().collect::<Vec<_>>().join(","),
    };
    Ok(Columns {
        id: find(&["id"]),
        lat: find(&["lat", "latitude"]).ok_or_else(|| missing("lat"))?,
        lon: find(&["lon", "lng", "long", "longitude"]).ok_or_else(|| missing("lon"))?,
    })
}

/// One JSON line: an object with `lat`, `lon` numbers and an optional `id`.
fn parse_json(line: u64, text: &str) -> Result<Position, LineError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(line, "line", format!("not JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(bad(line, "line", "is not a JSON object".to_owned()));
    };
    let number = |name: &'static str| match object.get(name) {
        None | Some(serde_json::Value::Null) => Err(bad(line, name, "is missing".to_owned())),
        Some(v) => v
            .as_f64()
            .ok_or_else(|| bad(line, name, format!("must be a number, found {v}"))),
    };
    let id = match object.get("id") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(bad(
                line,
                "id",
                format!("must be a string or a number, found {other}"),
            ));
        }
    };
    check_range(
        line,
        Position {
            id,
            lat: number("lat")?,
            lon: number("lon")?,
        },
    )
}

/// A position outside -90..90 / -180..180 (or not finite) names the field at fault.
fn check_range(line: u64, position: Position) -> Result<Position, LineError> {
    if LatLon::is_valid(position.lat, 0.0) && !LatLon::is_valid(position.lat, position.lon) {
        return Err(bad(
            line,
            "lon",
            format!("{} is outside -180..180", position.lon),
        ));
    }
    if !LatLon::is_valid(position.lat, 0.0) {
        return Err(bad(
            line,
            "lat",
            format!("{} is outside -90..90", position.lat),
        ));
    }
    Ok(position)
}

fn bad(line: u64, field: &'static str, problem: String) -> LineError {
    LineError {
        line,
        field,
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coverage_shared::boundary::BoundaryRegistry;
    use std::sync::OnceLock;

    fn set() -> &'static BoundarySet {
        static REGISTRY: OnceLock<BoundaryRegistry> = OnceLock::new();
        REGISTRY
            .get_or_init(|| BoundaryRegistry::embedded().unwrap())
            .get("bac-kan-2020")
            .unwrap()
    }

    /// Runs a batch; returns the output lines as JSON and the summary.
    fn run(input: &str, format: Option<InputFormat>) -> (Vec<serde_json::Value>, BatchSummary) {
        let mut out = Vec::new();
        let summary = locate_batch(set(), input.as_bytes(), format, &mut out, |_| {}).unwrap();
        let lines = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        (lines, summary)
    }

    // Inside points of 01834 (Phường Nguyễn Thị Minh Khai) and 01837 (Phường Sông Cầu), from
    // data/boundaries/bac-kan-communes-2020.csv.
    const A: (f64, f64) = (22.162534, 105.844234);
    const B: (f64, f64) = (22.14579, 105.816676);

    #[test]
    fn every_format_gives_the_same_placements_in_input_order() {
        let inputs = [
            format!("id,lat,lon\na,{},{}\nb,{},{}\n", A.0, A.1, B.0, B.1),
            format!("lon, latitude ,id\n{},{},a\n{},{},b\n", A.1, A.0, B.1, B.0),
            format!("a,{},{}\n\nb,{},{}\n", A.0, A.1, B.0, B.1),
            format!(
                "{{\"id\":\"a\",\"lat\":{},\"lon\":{}}}\n{{\"lat\":{},\"lon\":{},\"id\":\"b\"}}\n",
                A.0, A.1, B.0, B.1
            ),
        ];
        for input in &inputs {
            let (lines, summary) = run(input, None);
            assert_eq!(summary.placed, 2, "{input}");
            assert!(summary.failed.is_empty(), "{input}: {:?}", summary.failed);
            assert_eq!(lines[0]["id"], "a");
            assert_eq!(lines[0]["code"], "01834");
            assert_eq!(lines[1]["id"], "b");
            assert_eq!(lines[1]["code"], "01837");
            assert_eq!(lines[1]["set"], "bac-kan-2020");
            assert_eq!(lines[1]["district"]["code"], "058");
            assert_eq!(lines[1]["inside"], true);
        }
        let (lines, _) = run(&format!("{},{}\n", A.0, A.1), Some(InputFormat::Csv));
        assert_eq!(lines[0]["id"], serde_json::Value::Null);
        assert_eq!(lines[0]["code"], "01834");
    }

    #[test]
    fn bad_lines_are_named_and_skipped() {
        let input = format!(
            "id,lat,lon\na,{},{}\nb,north,{}\nc,{},\nd,95,105\ne,22,200\nf,{},{}\n",
            A.0, A.1, A.1, A.0, B.0, B.1
        );
        let mut seen = Vec::new();
        let mut out = Vec::new();
        let summary = locate_batch(set(), input.as_bytes(), None, &mut out, |e| {
            seen.push(e.to_string())
        })
        .unwrap();
        assert_eq!(summary.placed, 2);
        assert_eq!(
            seen,
            [
                "line 3: lat: `north` is not a number",
                "line 4: lon: is missing",
                "line 5: lat: 95 is outside -90..90",
                "line 6: lon: 200 is outside -180..180",
            ]
        );
        assert_eq!(summary.failed.len(), 4);
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out.lines().count(), 2);

        let (lines, summary) = run("{\"id\":1,\"lat\":\"x\",\"lon\":1}\nnot json\n", None);
        assert!(lines.is_empty());
        assert_eq!(
            summary.failed[0].to_string(),
            "line 1: lat: must be a number, found \"x\""
        );
        assert_eq!(summary.failed[1].line, 2);
        assert_eq!(summary.failed[1].field, "line");
    }

    #[test]
    fn a_header_without_positions_stops_the_batch() {
        let err =
            locate_batch(set(), "name,x,y\n".as_bytes(), None, Vec::new(), |_| {}).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 1: the CSV header has no `lat` column (found: name,x,y)"
        );
    }
}
