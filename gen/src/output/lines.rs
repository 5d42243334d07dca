//! Readings to InfluxDB line protocol exactly as the collector writes them: placement tags from
//! [`Placer`], one line per reading from `coverage_shared::schema::lines` (the collector's own
//! line builder), timestamps in milliseconds (`precision=ms`).

use std::io::Write;

use coverage_shared::schema::lines::append_line;
use coverage_shared::wire::Reading;

use crate::GenError;
use crate::placement::Placer;

/// Bytes buffered before a write to the output.
const FLUSH_BYTES: usize = 1 << 20;

/// Writes one line per reading to `out`; returns the number of lines.
pub fn to_line_protocol<W: Write>(
    readings: impl IntoIterator<Item = Reading>,
    placer: &mut Placer,
    mut out: W,
) -> Result<u64, GenError> {
    let mut buf = Vec::with_capacity(FLUSH_BYTES + 4096);
    let mut n = 0u64;
    let io = |source| GenError::Output { source };
    for reading in readings {
        let placement = placer.place(&reading);
        buf = append_line(buf, &reading, placement);
        n += 1;
        if buf.len() >= FLUSH_BYTES {
            out.write_all(&buf).map_err(io)?;
            buf.clear();
        }
    }
    out.write_all(&buf).map_err(io)?;
    out.flush().map_err(io)?;
    Ok(n)
}

/// Batches of `lines` lines each (the last one shorter), as one `/write` body each.
pub fn line_batches<'p, I: IntoIterator<Item = Reading>>(
    readings: I,
    placer: &'p mut Placer,
    lines: usize,
) -> impl Iterator<Item = (usize, Vec<u8>)> + 'p
where
    I::IntoIter: 'p,
{
    let mut readings = readings.into_iter();
    let lines = lines.max(1);
    std::iter::from_fn(move || {
        let mut buf = Vec::with_capacity(lines * 320);
        let mut n = 0;
        for reading in readings.by_ref() {
            let placement = placer.place(&reading);
            buf = append_line(buf, &reading, placement);
            n += 1;
            if n == lines {
                break;
            }
        }
        (n > 0).then_some((n, buf))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use coverage_shared::schema::lines::line;
    use influxdb_line_protocol::parse_lines;

    const SCENARIO: &str = r#"
[period]
from = "2024-11-01T00:00:00Z"
to = "2024-11-01T06:00:00Z"
[[sites]]
id = "bk-01834-a"
lat = 22.162534
lon = 105.844234
[[sites.sims]]
operator = "452-04"
samples_per_hour = 60
usable_share = 0.9
reg = { home = 0.9, searching = 0.1 }
[[sites.fibre]]
target = "10.6.0.1"
rounds_per_hour = 12
rtt_ms = 8.0
rtt_stddev_ms = 1.0
"#;

    fn bytes(seed: u64) -> Vec<u8> {
        let s = Scenario::parse(SCENARIO, "test").unwrap();
        let mut out = Vec::new();
        let n = to_line_protocol(
            crate::generate(&s, seed),
            &mut Placer::embedded().unwrap(),
            &mut out,
        )
        .unwrap();
        // Signal, latency, and a heartbeat a minute (the default).
        assert_eq!(n, 6 * 60 + 6 * 12 + 6 * 60);
        out
    }

    #[test]
    fn same_scenario_and_seed_give_the_same_bytes() {
        assert_eq!(bytes(4), bytes(4));
        assert_ne!(bytes(4), bytes(5));
    }

    #[test]
    fn lines_are_the_collectors_with_the_site_placed() {
        let s = Scenario::parse(SCENARIO, "test").unwrap();
        let text = String::from_utf8(bytes(4)).unwrap();
        let mut placer = Placer::embedded().unwrap();
        for (reading, got) in crate::generate(&s, 4).zip(text.lines()) {
            let want = line(&reading, placer.place(&reading));
            assert_eq!(want.trim_end(), got);
        }
        let parsed: Vec<_> = parse_lines(&text).collect::<Result<_, _>>().unwrap();
        let p = &parsed[0];
        // Phường Nguyễn Thị Minh Khai, Thành phố Bắc Kạn (bac-kan-2020, in force in 2024).
        for (k, v) in [
            ("set", "bac-kan-2020"),
            ("commune", "01834"),
            ("district", "058"),
            ("province", "06"),
        ] {
            assert_eq!(p.tag_value(k).map(|t| t.as_str()), Some(v), "tag {k}");
        }
        // Batches hold the same lines.
        let batched: Vec<u8> = line_batches(crate::generate(&s, 4), &mut placer, 100)
            .flat_map(|(_, b)| b)
            .collect();
        assert_eq!(batched, text.as_bytes());
    }
}
