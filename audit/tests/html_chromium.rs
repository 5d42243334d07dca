//! The HTML report in a real browser: an audit of the shared line-protocol data set, rendered as
//! HTML, loaded in headless Chromium (Debian's `/usr/bin/chromium`). Checks that the page loads
//! with no console message (no error, no failed script), draws one `<path>` per commune after
//! its script ran, that the map selector, the table filter and the sort work, that the page
//! refers to nothing outside itself, and writes a screenshot to
//! `target/html-chromium/audit-report.png` and prints it to A4 pages (a PDF beside it).
//!
//! Skipped with a message when Chromium is not installed, except under CI (`CI` set), where its
//! absence is a failure.

mod audit_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use audit_common::*;
use clap::Parser;
use coverage_audit::{AuditArgs, Format, render, run_audit};
use coverage_shared::boundary::BoundaryRegistry;
use coverage_shared::text::Lang;

const CHROMIUM: &str = "/usr/bin/chromium";

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    audit: AuditArgs,
}

/// Where the test leaves its page and screenshot: `target/html-chromium/`.
fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/html-chromium");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs Chromium headless on `page` with `extra` flags; returns (stdout, stderr). Fails the test
/// when it does not finish within 90 s or exits with an error.
fn chromium(page: &Path, extra: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            // Belt and braces: no name resolves, so a stray request could not leave the machine.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Read both pipes on threads so a chatty Chromium cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).ok();
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).ok();
        s
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("chromium did not finish within 90 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (stdout, stderr) = (out_t.join().unwrap(), err_t.join().unwrap());
    assert!(status.success(), "chromium failed ({status}): {stderr}");
    (stdout, stderr)
}

/// Console lines Chromium logged (`console.*` calls and uncaught errors).
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

/// Every `src`/`href` attribute value of the page.
fn link_attributes(page: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for attr in [" src=\"", " href=\"", " src='", " href='"] {
        let quote = &attr[attr.len() - 1..];
        let mut rest = page;
        while let Some(i) = rest.find(attr) {
            let after = &rest[i + attr.len()..];
            let end = after.find(quote).unwrap_or(after.len());
            out.push(&after[..end]);
            rest = &after[end..];
        }
    }
    out
}

/// Exercises the page's script like a reader would, and writes what it saw into the DOM.
const PROBE: &str = r##"<script>
(function () {
  var seen = {};
  var filter = document.getElementById("filter");
  filter.value = "sông CẦU";
  filter.dispatchEvent(new Event("input"));
  seen.visible = Array.prototype.filter.call(
    document.querySelectorAll("#communes tbody tr"), function (r) { return !r.hidden; }).length;
  seen.shown = document.getElementById("rows-shown").textContent;
  filter.value = "";
  filter.dispatchEvent(new Event("input"));
  var select = document.getElementById("colour-by");
  select.value = "fibre";
  select.dispatchEvent(new Event("change"));
  seen.fibreClass = document.querySelector('#map path[data-code="01837"]').getAttribute("class");
  seen.fibreLegend = !document.getElementById("legend-fibre").hidden;
  var counted = document.querySelectorAll("#communes thead th")[4];
  counted.click();
  counted.click();
  seen.sort = counted.getAttribute("aria-sort");
  var first = document.querySelector("#communes tbody tr").cells[4];
  seen.firstCounted = parseFloat(first.getAttribute("data-sort"));
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(seen);
  document.body.appendChild(pre);
})();
</script>
"##;

#[tokio::test]
async fn the_html_report_loads_in_chromium_and_draws_every_commune() {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{CHROMIUM} is not installed, and CI must run this test (apt-get install chromium)"
        );
        eprintln!(
            "SKIPPED the_html_report_loads_in_chromium: {CHROMIUM} is not installed (apt-get install chromium)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("coverage.lp");
    write_archive(&archive, &lines(&dataset()));
    let argv = [
        "audit",
        "--from",
        "2024-03-04T00:00:00Z",
        "--to",
        "2024-03-06T00:00:00Z",
        "--archive",
        archive.to_str().unwrap(),
        "--claim",
        "mobile:communes:100",
        "--claim",
        "fibre:districts:100@district=058",
        "--format",
        "html",
    ];
    let args = Cli::try_parse_from(argv).unwrap().audit;
    let registry =
        BoundaryRegistry::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/boundaries"))
            .unwrap();
    let report = run_audit(&args, None, &audit_config(), &registry)
        .await
        .unwrap();
    let set = registry.get(&report.boundary_set).unwrap();
    let communes = set.communes().len();
    assert_eq!(communes, 108);
    let out = out_dir();

    for lang in Lang::ALL {
        let html = render(&report, Format::Html, set, lang);
        // Nothing outside the page: no link at all, and certainly no web address.
        for link in link_attributes(&html) {
            assert!(
                !link.starts_with("http://")
                    && !link.starts_with("https://")
                    && !link.starts_with("//"),
                "{lang}: the page refers to {link}"
            );
        }
        let page = out.join(format!("audit-report.{lang}.html"));
        std::fs::write(&page, &html).unwrap();

        // Load it, let its script run, dump the DOM.
        let (dom, stderr) = chromium(&page, &["--dump-dom"]);
        assert_eq!(
            console_lines(&stderr),
            Vec::<&str>::new(),
            "{lang}: console"
        );
        assert_eq!(dom.matches("<path ").count(), communes, "{lang}: paths");
        assert!(dom.contains(&format!("<html lang=\"{lang}\">")));
        // The script ran to its end: it shows the controls it drives.
        assert!(
            dom.contains("<p class=\"controls\" id=\"colour-controls\">"),
            "{lang}"
        );
        assert!(
            dom.contains("<p class=\"controls\" id=\"table-controls\">"),
            "{lang}"
        );

        // Use the controls, through a probe script added to a copy of the page.
        let probed = out.join(format!("audit-report.{lang}.probe.html"));
        std::fs::write(&probed, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();
        let (dom, stderr) = chromium(&probed, &["--dump-dom"]);
        assert_eq!(
            console_lines(&stderr),
            Vec::<&str>::new(),
            "{lang}: probe console"
        );
        let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + 16;
        let json = &dom[start..start + dom[start..].find("</pre>").unwrap()];
        let seen: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(
            seen["visible"], 1,
            "{lang}: filter on a name, any case: {seen}"
        );
        assert!(seen["shown"].as_str().unwrap().contains('1'), "{seen}");
        let fibre_01837 = report
            .communes
            .iter()
            .find(|c| c.code == "01837")
            .unwrap()
            .fibre;
        assert_eq!(
            seen["fibreClass"],
            format!("c v-{}", fibre_01837.as_str()),
            "{lang}: colour by fibre"
        );
        assert_eq!(seen["fibreLegend"], true);
        assert_eq!(
            seen["sort"], "descending",
            "{lang}: two clicks sort descending"
        );
        let most = report.communes.iter().map(|c| c.counted).max().unwrap();
        assert_eq!(
            seen["firstCounted"], most,
            "{lang}: most counted samples first"
        );
    }

    // A screenshot of the English page for people (docs/img/audit-report.png is a copy).
    let shot = out.join("audit-report.png");
    let _ = std::fs::remove_file(&shot);
    let page = out.join("audit-report.en.html");
    let (_, stderr) = chromium(
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1700",
            "--hide-scrollbars",
        ],
    );
    assert_eq!(console_lines(&stderr), Vec::<&str>::new());
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(png.len() > 20_000, "{} bytes: an empty page?", png.len());
    eprintln!("Screenshot: {}", shot.display());

    // Printed: A4 pages (the page's `@page { size: A4 }`), the Vietnamese page.
    let pdf_path = out.join("audit-report.vi.pdf");
    let _ = std::fs::remove_file(&pdf_path);
    chromium(
        &out.join("audit-report.vi.html"),
        &[
            &format!("--print-to-pdf={}", pdf_path.display()),
            "--no-pdf-header-footer",
        ],
    );
    let pdf = std::fs::read(&pdf_path).expect("chromium printed the page");
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let text = String::from_utf8_lossy(&pdf);
    let boxes: Vec<&str> = text
        .match_indices("/MediaBox [")
        .map(|(i, m)| {
            let rest = &text[i + m.len()..];
            &rest[..rest.find(']').unwrap()]
        })
        .collect();
    assert!(
        boxes.len() >= 2,
        "the table runs over several pages: {boxes:?}"
    );
    for b in &boxes {
        let v: Vec<f64> = b.split_whitespace().map(|x| x.parse().unwrap()).collect();
        // A4 is 595.28 x 841.89 pt; Chromium rounds to its own units.
        assert!(
            (v[2] - 595.28).abs() < 1.0 && (v[3] - 841.89).abs() < 1.0,
            "not A4: {b}"
        );
    }
}
