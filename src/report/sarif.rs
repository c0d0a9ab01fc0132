//! sarif: the audit report as sarif.

use std::io::{self, Write};

use super::AuditReport;

pub(super) fn audit(_report: &AuditReport, _out: &mut dyn Write) -> io::Result<()> {
    Err(io::Error::other("the sarif format is not written yet"))
}
