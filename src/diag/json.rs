//! JSON paths and positions: where in a JSON document a problem is, as `$.resources[3].kind`
//! and as a 1-based line and column found only when there is an error to print.

use std::fmt;

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

/// A JSON path such as `$.resources[3].placement`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonPath(pub Vec<PathSegment>);

impl JsonPath {
    pub fn root() -> Self {
        JsonPath(Vec::new())
    }

    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Key(key.to_string()));
        JsonPath(segments)
    }

    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(PathSegment::Index(index));
        JsonPath(segments)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for segment in &self.0 {
            match segment {
                PathSegment::Key(key) => write!(f, ".{key}")?,
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// One thing wrong with a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: JsonPath,
    /// 1-based line and column of the offending value, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn new(path: JsonPath, message: impl Into<String>) -> Self {
        Problem {
            path,
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

/// Fill in the line and column of each problem from its JSON path.
pub fn locate(text: &str, problems: &mut [Problem]) {
    let options = jsonc_parser::ParseOptions::default();
    let Ok(parsed) =
        jsonc_parser::parse_to_ast(text, &jsonc_parser::CollectOptions::default(), &options)
    else {
        return;
    };
    let Some(root) = parsed.value else { return };
    for problem in problems.iter_mut() {
        if problem.line.is_some() {
            continue;
        }
        let offset = offset_of(&root, &problem.path.0);
        let (line, column) = line_column(text, offset);
        problem.line = Some(line);
        problem.column = Some(column);
    }
}

/// The byte offset of the deepest node the path reaches (a missing key points at its parent).
fn offset_of(root: &jsonc_parser::ast::Value<'_>, path: &[PathSegment]) -> usize {
    use jsonc_parser::ast::Value as Node;
    use jsonc_parser::common::Ranged;
    let mut node = root;
    let mut offset = node.range().start;
    for segment in path {
        let next = match (segment, node) {
            (PathSegment::Key(key), Node::Object(object)) => object
                .properties
                .iter()
                .find(|prop| prop.name.as_str() == key)
                .map(|prop| {
                    offset = prop.range.start;
                    &prop.value
                }),
            (PathSegment::Index(index), Node::Array(array)) => array.elements.get(*index),
            _ => None,
        };
        match next {
            Some(child) => {
                if !matches!(segment, PathSegment::Key(_)) {
                    offset = child.range().start;
                }
                node = child;
            }
            None => break,
        }
    }
    offset
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters_from_one() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, text.find('f').unwrap()), (3, 1));
        assert_eq!(line_column(text, text.len() + 10), (3, 2));
        let e_acute_end = text.find('\u{e9}').unwrap() + 2;
        assert_eq!(line_column(text, e_acute_end), (2, 4));
    }

    #[test]
    fn paths_render_like_jsonpath() {
        let path = JsonPath::root().key("resources").index(3).key("placement");
        assert_eq!(path.to_string(), "$.resources[3].placement");
        assert_eq!(JsonPath::root().to_string(), "$");
    }

    #[test]
    fn a_missing_key_points_at_its_object() {
        let text = "{\n  \"resources\": [\n    {\"id\": \"x\"}\n  ]\n}";
        let mut problems = vec![Problem::new(
            JsonPath::root().key("resources").index(0).key("kind"),
            "missing",
        )];
        locate(text, &mut problems);
        assert_eq!((problems[0].line, problems[0].column), (Some(3), Some(5)));
    }
}
