//! One template being filled: its rows, and the gaps (cells a person must fill) found while
//! filling them.

use std::io;

use super::columns::Columns;

/// The marker column every row carries.
const PREFILL: &str = "pre-fill: review before submission";

/// What a cell holds, or why it stays empty: `Ok(value)` fills it, `Err(why)` makes it a gap.
pub(super) type Cell = Result<String, String>;

/// One template being filled.
pub(super) struct Table {
    pub(super) id: &'static str,
    columns: Columns,
    rows: Vec<Vec<String>>,
    /// How each row is named in the gaps.
    keys: Vec<String>,
    gaps: Vec<Gap>,
}

/// One cell a person must fill.
pub(super) struct Gap {
    template: &'static str,
    row: String,
    column: &'static str,
    name: &'static str,
    why: String,
}

impl Table {
    pub(super) fn new(id: &'static str, columns: Columns) -> Self {
        Table {
            id,
            columns,
            rows: Vec::new(),
            keys: Vec::new(),
            gaps: Vec::new(),
        }
    }

    fn column(&self, code: &str) -> usize {
        self.columns
            .iter()
            .position(|(c, _)| *c == code)
            .unwrap_or_else(|| unreachable!("{code} is a column of {}", self.id))
    }

    /// Start a row, named `key` in the gaps; cells are set with `set`, `gap` and `fill`.
    pub(super) fn row(&mut self, key: impl Into<String>) -> usize {
        self.rows.push(vec![String::new(); self.columns.len()]);
        self.keys.push(key.into());
        self.rows.len() - 1
    }

    pub(super) fn set(&mut self, row: usize, code: &str, value: impl Into<String>) {
        let col = self.column(code);
        self.rows[row][col] = value.into();
    }

    pub(super) fn gap(&mut self, row: usize, code: &str, why: impl Into<String>) {
        let col = self.column(code);
        self.gaps.push(Gap {
            template: self.id,
            row: self.keys[row].clone(),
            column: self.columns[col].0,
            name: self.columns[col].1,
            why: why.into(),
        });
    }

    /// Set the cell, or record why it is a gap.
    pub(super) fn fill(&mut self, row: usize, code: &str, cell: Cell) {
        match cell {
            Ok(value) => self.set(row, code, value),
            Err(why) => self.gap(row, code, why),
        }
    }

    /// The gaps found, in the order they were found.
    pub(super) fn take_gaps(&mut self) -> Vec<Gap> {
        std::mem::take(&mut self.gaps)
    }

    pub(super) fn to_csv(&self) -> io::Result<Vec<u8>> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<&str> = self.columns.iter().map(|(code, _)| *code).collect();
        header.push("linchpin_prefill");
        writer.write_record(&header)?;
        for row in &self.rows {
            let mut record: Vec<&str> = row.iter().map(String::as_str).collect();
            record.push(PREFILL);
            writer.write_record(&record)?;
        }
        writer.into_inner().map_err(|err| err.into_error())
    }
}

/// `gaps.csv`: one row per cell a person must fill.
pub(super) fn gaps_csv(gaps: &[Gap]) -> io::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["template", "row", "column", "column_name", "why"])?;
    for gap in gaps {
        writer.write_record([gap.template, &gap.row, gap.column, gap.name, &gap.why])?;
    }
    writer.into_inner().map_err(|err| err.into_error())
}
