//! markdown: the audit report as markdown.

use std::io::{self, Write};

use super::AuditReport;

pub(super) fn audit(_report: &AuditReport, _out: &mut dyn Write) -> io::Result<()> {
    Err(io::Error::other("the markdown format is not written yet"))
}
