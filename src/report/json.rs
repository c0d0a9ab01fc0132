//! JSON documents, pretty-printed as serde_json prints them. The audit report's findings —
//! nine tenths of a million-resource report — are printed on every core, run by run, and
//! written in order: the bytes are those of printing the whole report in one pass.
//!
//! A value printed on its own starts at depth 0; placed deeper in a document, every line
//! after its first needs the indentation of that depth. A raw newline in serde_json's output
//! is always structural (newlines inside strings are escaped as `\n`), so [`Indented`] puts
//! the indentation after each one.

use std::io::{self, Write};

use serde::Serialize;

use super::AuditReport;
use crate::model::Finding;

/// Findings printed as one task.
const FINDINGS_PER_RUN: usize = 1024;

/// Runs printed before they are written: bounds what is held in memory at once (a few MB)
/// while keeping every core busy.
const RUNS_PER_WINDOW: usize = 16;

/// Pretty JSON and a final newline. serde_json writes a document in many small pieces (a
/// quote, a key, an indent); a buffer of its own type here takes them without a dynamic call
/// each, and hands `out` 64 KiB at a time.
pub fn write_json(value: &impl Serialize, out: &mut dyn Write) -> io::Result<()> {
    let mut buffered = io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut buffered, value)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

/// Write the audit report exactly as [`write_json`] would, its findings printed in parallel.
pub fn write_audit(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    // Every field, named so that a new one fails to compile here until it is written.
    let AuditReport {
        schema,
        tool,
        estate,
        critical_services,
        scores,
        concentration,
        cut_sets,
        spofs,
        findings,
        coverage,
        summary,
        suppressed,
        rules,
        rule_errors,
        suppressions,
        baseline,
        picture: _,
        catalog: _,
        code_locations: _,
    } = report;
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut object = Members::open(&mut out)?;
    object.value("schema", schema)?;
    object.value("tool", tool)?;
    object.value("estate", estate)?;
    object.value("critical_services", critical_services)?;
    object.value("scores", scores)?;
    object.value("concentration", concentration)?;
    object.value("cut_sets", cut_sets)?;
    object.value("spofs", spofs)?;
    object.member("findings", |out| write_findings(findings, out))?;
    object.value("coverage", coverage)?;
    object.value("summary", summary)?;
    object.value("suppressed", suppressed)?;
    object.value("rules", rules)?;
    object.value("rule_errors", rule_errors)?;
    object.value("suppressions", suppressions)?;
    if let Some(baseline) = baseline {
        object.value("baseline", baseline)?;
    }
    object.close()?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The members of a top-level object, written one after another.
struct Members<'w, W: Write> {
    out: &'w mut W,
    written: usize,
}

impl<'w, W: Write> Members<'w, W> {
    fn open(out: &'w mut W) -> io::Result<Self> {
        out.write_all(b"{")?;
        Ok(Members { out, written: 0 })
    }

    fn member(
        &mut self,
        key: &str,
        value: impl FnOnce(&mut W) -> io::Result<()>,
    ) -> io::Result<()> {
        let separator: &[u8] = if self.written == 0 { b"\n  " } else { b",\n  " };
        self.out.write_all(separator)?;
        serde_json::to_writer(&mut *self.out, key)?;
        self.out.write_all(b": ")?;
        self.written += 1;
        value(self.out)
    }

    fn value(&mut self, key: &str, value: &impl Serialize) -> io::Result<()> {
        self.member(key, |out| {
            Ok(serde_json::to_writer_pretty(Indented::new(out, 1), value)?)
        })
    }

    fn close(self) -> io::Result<()> {
        self.out
            .write_all(if self.written == 0 { b"}" } else { b"\n}" })
    }
}

/// The findings array at depth 1: runs printed on every core, a window at a time, and
/// written in order.
fn write_findings(findings: &[Finding], out: &mut impl Write) -> io::Result<()> {
    if findings.is_empty() {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    for (w, window) in findings
        .chunks(FINDINGS_PER_RUN * RUNS_PER_WINDOW)
        .enumerate()
    {
        let runs: Vec<(bool, &[Finding])> = window
            .chunks(FINDINGS_PER_RUN)
            .enumerate()
            .map(|(r, run)| (w == 0 && r == 0, run))
            .collect();
        for printed in crate::parallel::map(&runs, |&(first, run)| print_run(first, run)) {
            out.write_all(&printed?)?;
        }
    }
    out.write_all(b"\n  ]")
}

/// Findings as elements of an array at depth 1, each with the separator before it.
fn print_run(first: bool, run: &[Finding]) -> io::Result<Vec<u8>> {
    let mut printed = Vec::with_capacity(run.len() * 2048);
    for (i, finding) in run.iter().enumerate() {
        printed.extend_from_slice(if first && i == 0 {
            b"\n    "
        } else {
            b",\n    "
        });
        serde_json::to_writer_pretty(Indented::new(&mut printed, 2), finding)?;
    }
    Ok(printed)
}

/// A writer that indents every line after the first by `depth` levels of two spaces.
struct Indented<W> {
    inner: W,
    indent: &'static [u8],
}

impl<W: Write> Indented<W> {
    fn new(inner: W, depth: usize) -> Self {
        const SPACES: &[u8] = b"                ";
        Indented {
            inner,
            indent: &SPACES[..2 * depth],
        }
    }
}

impl<W: Write> Write for Indented<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(at) = memchr::memchr(b'\n', rest) {
            self.inner.write_all(&rest[..=at])?;
            self.inner.write_all(self.indent)?;
            rest = &rest[at + 1..];
        }
        self.inner.write_all(rest)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_indented_value_is_the_value_printed_deeper() {
        let value = serde_json::json!({
            "a": [1, {"b": "two\nlines", "c": []}, {}],
            "d": {"e": null}
        });
        let mut printed = Vec::new();
        serde_json::to_writer_pretty(Indented::new(&mut printed, 2), &value).unwrap();
        let nested = serde_json::json!({"x": {"y": value}});
        let whole = serde_json::to_string_pretty(&nested).unwrap();
        let inner = String::from_utf8(printed).unwrap();
        assert!(
            whole.contains(&format!("\"y\": {inner}\n")),
            "{whole}\n{inner}"
        );
    }

    #[test]
    fn findings_across_runs_and_windows_print_as_one_array() {
        let finding = |i: usize| -> Finding {
            serde_json::from_value(serde_json::json!({
                "id": format!("f{i}"), "rule": "r", "title": "t", "severity": "high",
                "resources": ["a", "b"], "domains": [], "services": [], "provider": "aws",
                "region": null, "message": format!("line {i}\nand \"quotes\""), "path": [],
                "remediation": "", "controls": {"dora": ["Art. 7"], "iso27001": [], "soc2": [], "nist80053": []}
            }))
            .expect("a finding")
        };
        for count in [
            0,
            1,
            2,
            FINDINGS_PER_RUN + 1,
            FINDINGS_PER_RUN * RUNS_PER_WINDOW + 3,
        ] {
            let findings: Vec<Finding> = (0..count).map(finding).collect();
            let mut printed = Vec::new();
            write_findings(&findings, &mut Indented::new(&mut printed, 0)).unwrap();
            #[derive(Serialize)]
            struct Wrapped<'a> {
                f: &'a [Finding],
            }
            let expected = serde_json::to_string_pretty(&Wrapped { f: &findings }).unwrap();
            let printed = String::from_utf8(printed).unwrap();
            assert_eq!(
                expected,
                format!("{{\n  \"f\": {printed}\n}}"),
                "{count} findings"
            );
        }
    }
}
