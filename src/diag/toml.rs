//! Reading hand-written TOML files (rule files, `linchpin.toml`) in two steps: parse with
//! spans, then read field by field, collecting every problem — unknown keys, wrong types,
//! missing fields — with its file, line and column instead of stopping at the first.

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// One problem in a file, pointing at the offending text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based line and column.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Every problem found in a set of files, as one error.
#[derive(Debug, thiserror::Error)]
pub struct Diagnostics {
    /// What was being read, e.g. `rule files` or `config`.
    pub what: String,
    pub list: Vec<Diagnostic>,
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.list.len();
        write!(
            f,
            "invalid {} ({count} problem{})",
            self.what,
            if count == 1 { "" } else { "s" }
        )?;
        for diagnostic in &self.list {
            write!(f, "\n  {diagnostic}")?;
        }
        Ok(())
    }
}

/// A file's text with its name, to turn byte offsets into lines and columns.
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |prefix| prefix.chars().count() + 1);
        (line, column)
    }

    pub fn diagnostic(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        let (line, column) = self.position(offset);
        Diagnostic {
            file: self.name.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Parse the whole file as a table, reporting every syntax error.
    pub fn parse(&self, problems: &mut Vec<Diagnostic>) -> Option<DeTable<'_>> {
        let (table, errors) = DeTable::parse_recoverable(&self.text);
        if errors.is_empty() {
            return Some(table.into_inner());
        }
        for error in errors {
            let offset = error.span().map_or(0, |span| span.start);
            problems.push(self.diagnostic(offset, error.message().trim().to_string()));
        }
        None
    }
}

/// A value with the byte range it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub span: Range<usize>,
}

/// A table being read: each accessor takes a key and notes it as known; `finish` reports
/// the keys nobody asked for.
pub struct TableReader<'a, 'i> {
    source: &'a SourceFile,
    entries: Vec<(&'a str, Range<usize>, &'a toml::Spanned<DeValue<'i>>)>,
    known: Vec<&'static str>,
    /// Where the table starts, for "missing key" problems.
    at: usize,
}

impl<'a, 'i> TableReader<'a, 'i> {
    pub fn new(source: &'a SourceFile, table: &'a DeTable<'i>, at: usize) -> Self {
        let entries = table
            .iter()
            .map(|(key, value)| (key.get_ref().as_ref(), key.span(), value))
            .collect();
        TableReader {
            source,
            entries,
            known: Vec::new(),
            at,
        }
    }

    /// Where the table starts.
    pub fn at(&self) -> usize {
        self.at
    }

    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _, _)| *k == key)
    }

    fn value(&mut self, key: &'static str) -> Option<&'a toml::Spanned<DeValue<'i>>> {
        self.known.push(key);
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
    }

    /// Whether a required key is present; when it is not, note it as known and report it.
    fn require(&mut self, key: &'static str, problems: &mut Vec<Diagnostic>) -> bool {
        if self.has(key) {
            return true;
        }
        self.known.push(key);
        problems.push(
            self.source
                .diagnostic(self.at, format!("missing required key `{key}`")),
        );
        false
    }

    fn wrong_type(
        &self,
        key: &str,
        value: &toml::Spanned<DeValue<'_>>,
        expected: &str,
        problems: &mut Vec<Diagnostic>,
    ) {
        problems.push(self.source.diagnostic(
            value.span().start,
            format!(
                "`{key}` must be {expected}, found {}",
                value.get_ref().type_str()
            ),
        ));
    }

    /// An optional string.
    pub fn opt_string(
        &mut self,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Located<String>> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::String(text) => Some(Located {
                value: text.to_string(),
                span: value.span(),
            }),
            _ => {
                self.wrong_type(key, value, "a string", problems);
                None
            }
        }
    }

    /// A required string.
    pub fn string(
        &mut self,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Located<String>> {
        if !self.require(key, problems) {
            return None;
        }
        self.opt_string(key, problems)
    }

    /// An optional list of strings.
    pub fn opt_string_list(
        &mut self,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Vec<Located<String>>> {
        let value = self.value(key)?;
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, value, "a list of strings", problems);
            return None;
        };
        let mut list = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(text) => list.push(Located {
                    value: text.to_string(),
                    span: item.span(),
                }),
                _ => self.wrong_type(key, item, "a list of strings", problems),
            }
        }
        Some(list)
    }

    /// A required list of strings.
    pub fn string_list(
        &mut self,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Vec<Located<String>>> {
        if !self.require(key, problems) {
            return None;
        }
        self.opt_string_list(key, problems)
    }

    /// An optional number (integer or float).
    pub fn opt_number(
        &mut self,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Located<f64>> {
        let value = self.value(key)?;
        let number = match value.get_ref() {
            DeValue::Integer(int) => {
                i64::from_str_radix(&int.as_str().replace('_', ""), int.radix())
                    .ok()
                    .map(|n| n as f64)
            }
            DeValue::Float(float) => float.as_str().replace('_', "").parse::<f64>().ok(),
            _ => None,
        };
        match number {
            Some(number) if number.is_finite() => Some(Located {
                value: number,
                span: value.span(),
            }),
            _ => {
                self.wrong_type(key, value, "a number", problems);
                None
            }
        }
    }

    /// An optional boolean.
    pub fn opt_bool(
        &mut self,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Located<bool>> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::Boolean(flag) => Some(Located {
                value: *flag,
                span: value.span(),
            }),
            _ => {
                self.wrong_type(key, value, "true or false", problems);
                None
            }
        }
    }

    /// An optional date (`2027-01-31`), as (year, month, day).
    pub fn opt_date(
        &mut self,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Located<chrono::NaiveDate>> {
        let value = self.value(key)?;
        let date = match value.get_ref() {
            DeValue::Datetime(datetime) if datetime.time.is_none() => datetime.date.and_then(|d| {
                chrono::NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())
            }),
            DeValue::String(text) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(),
            _ => None,
        };
        match date {
            Some(date) => Some(Located {
                value: date,
                span: value.span(),
            }),
            None => {
                self.wrong_type(key, value, "a date such as 2027-01-31", problems);
                None
            }
        }
    }

    /// An optional sub-table.
    pub fn opt_table(
        &mut self,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<TableReader<'a, 'i>> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::Table(table) => Some(TableReader::new(self.source, table, value.span().start)),
            _ => {
                self.wrong_type(key, value, "a table", problems);
                None
            }
        }
    }

    /// A required sub-table.
    pub fn table(
        &mut self,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<TableReader<'a, 'i>> {
        if !self.require(key, problems) {
            return None;
        }
        self.opt_table(key, problems)
    }

    /// An optional array of tables (`[[key]]`).
    pub fn opt_tables(
        &mut self,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Vec<TableReader<'a, 'i>> {
        let Some(value) = self.value(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, value, "an array of tables", problems);
            return Vec::new();
        };
        let mut tables = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::Table(table) => {
                    tables.push(TableReader::new(self.source, table, item.span().start))
                }
                _ => self.wrong_type(key, item, "an array of tables", problems),
            }
        }
        tables
    }

    /// Mark a key as known without reading it (a key another reader of the same file owns).
    pub fn ignore(&mut self, key: &'static str) {
        self.known.push(key);
    }

    /// An optional string or list of strings, as a list.
    pub fn opt_one_or_many(
        &mut self,
        key: &'static str,
        problems: &mut Vec<Diagnostic>,
    ) -> Option<Vec<Located<String>>> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::String(text) => Some(vec![Located {
                value: text.to_string(),
                span: value.span(),
            }]),
            DeValue::Array(_) => self.opt_string_list(key, problems),
            _ => {
                self.wrong_type(key, value, "a string or a list of strings", problems);
                None
            }
        }
    }

    /// Every entry of a table whose keys are free-form and whose values are tables
    /// (`[zones."123456789012"]`): the key with its span, and a reader of the value.
    pub fn free_tables(
        &mut self,
        problems: &mut Vec<Diagnostic>,
    ) -> Vec<(Located<String>, TableReader<'a, 'i>)> {
        let mut out = Vec::new();
        for &(key, ref key_span, value) in &self.entries {
            match value.get_ref() {
                DeValue::Table(table) => out.push((
                    Located {
                        value: key.to_string(),
                        span: key_span.clone(),
                    },
                    TableReader::new(self.source, table, value.span().start),
                )),
                other => problems.push(self.source.diagnostic(
                    value.span().start,
                    format!("`{key}` must be a table, found {}", other.type_str()),
                )),
            }
        }
        self.entries.clear();
        out
    }

    /// Every entry of a table whose keys are free-form (e.g. severity overrides by rule id):
    /// the key, its span and the value as a string when it is one.
    pub fn free_strings(
        &mut self,
        problems: &mut Vec<Diagnostic>,
    ) -> Vec<(Located<String>, Located<String>)> {
        let mut out = Vec::new();
        for &(key, ref key_span, value) in &self.entries {
            match value.get_ref() {
                DeValue::String(text) => out.push((
                    Located {
                        value: key.to_string(),
                        span: key_span.clone(),
                    },
                    Located {
                        value: text.to_string(),
                        span: value.span(),
                    },
                )),
                other => problems.push(self.source.diagnostic(
                    value.span().start,
                    format!("`{key}` must be a string, found {}", other.type_str()),
                )),
            }
        }
        // Free-form keys are all known.
        self.entries.clear();
        out
    }

    /// Report every key that no accessor asked for.
    pub fn finish(self, problems: &mut Vec<Diagnostic>) {
        for (key, span, _) in &self.entries {
            if !self.known.contains(key) {
                let mut known: Vec<&str> = self.known.clone();
                known.sort_unstable();
                known.dedup();
                problems.push(self.source.diagnostic(
                    span.start,
                    format!("unknown key `{key}`; expected one of: {}", known.join(", ")),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let source = SourceFile::new("f.toml", "a = 1\nbé = 2\n");
        assert_eq!(source.position(0), (1, 1));
        assert_eq!(source.position(6), (2, 1));
        assert_eq!(source.position(10), (2, 4));
    }

    #[test]
    fn every_problem_in_a_table_is_reported() {
        let source = SourceFile::new(
            "f.toml",
            "name = 3\nextra = true\nlist = [\"a\", 2]\nwhen = 2027-01-31\n",
        );
        let mut problems = Vec::new();
        let table = source.parse(&mut problems).expect("parses");
        let mut reader = TableReader::new(&source, &table, 0);
        assert!(reader.string("name", &mut problems).is_none());
        assert_eq!(
            reader.opt_string_list("list", &mut problems).unwrap().len(),
            1
        );
        assert!(reader.string("title", &mut problems).is_none());
        let when = reader.opt_date("when", &mut problems).unwrap();
        assert_eq!(when.value.to_string(), "2027-01-31");
        reader.finish(&mut problems);
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "f.toml:1:8: `name` must be a string, found integer",
                "f.toml:3:14: `list` must be a list of strings, found integer",
                "f.toml:1:1: missing required key `title`",
                "f.toml:2:1: unknown key `extra`; expected one of: list, name, title, when",
            ]
        );
    }
}
