//! CEL in rule files: conditions (one expression that must yield a bool) and message
//! templates (text with `{expression}` placeholders). Both are compiled when a rule is loaded,
//! and their compile errors point at the line and column inside the rule file.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use cel::{Context, Env, ExecutionError, Program, Value};

use crate::diag::{Diagnostic, Located, SourceFile};

/// The CEL environment rules run in, built once: the standard library plus the strings
/// (`join`, `lowerAscii`, `split`, ...), lists (`distinct`, `flatten`, `sort`, ...) and math
/// (`math.greatest`, ...) extensions.
pub fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        for extension in [
            cel::extensions::strings as fn(&mut Env) -> Result<(), cel::DeclarationError>,
            cel::extensions::lists,
            cel::extensions::math,
        ] {
            env.add_extension(extension)
                .expect("the bundled CEL extensions declare distinct functions");
        }
        Arc::new(env)
    })
    .clone()
}

/// A compiled CEL expression with its text.
#[derive(Clone)]
pub struct Expression {
    pub source: String,
    program: Arc<Program>,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Expression").field(&self.source).finish()
    }
}

impl Expression {
    /// Compile `text`, which sits at byte `offset` of `file` (for error positions).
    pub fn compile(text: &str, file: &SourceFile, offset: usize) -> Result<Expression, Diagnostic> {
        match env().compile(text) {
            Ok(program) => Ok(Expression {
                source: text.to_string(),
                program: Arc::new(program),
            }),
            Err(errors) => {
                let first = errors.errors.first();
                let (line, column) = first.map_or((0, 0), |e| {
                    (e.pos.0.max(1) as usize - 1, e.pos.1.max(1) as usize - 1)
                });
                // Find the byte offset of (line, column) inside the expression text.
                let mut at = 0;
                for (n, text_line) in text.split_inclusive('\n').enumerate() {
                    if n == line {
                        at += text_line
                            .char_indices()
                            .nth(column)
                            .map_or(text_line.len(), |(i, _)| i);
                        break;
                    }
                    at += text_line.len();
                }
                let message =
                    first.map_or_else(|| "invalid CEL expression".to_string(), |e| e.msg.clone());
                Err(file.diagnostic(offset + at, format!("invalid CEL: {message}")))
            }
        }
    }

    pub fn evaluate(&self, context: &Context) -> Result<Value, ExecutionError> {
        self.program.execute(context)
    }

    /// The parsed expression, macros expanded.
    pub fn ast(&self) -> &cel::IdedExpr {
        self.program.expression()
    }

    /// The top-level variables it names (including comprehension variables).
    pub fn variables(&self) -> Vec<String> {
        self.program
            .references()
            .variables()
            .into_iter()
            .map(str::to_string)
            .collect()
    }
}

/// A rule's condition: a CEL expression that must evaluate to a bool.
pub type Condition = Expression;

/// Evaluate a condition: `Ok(true)` fires.
pub fn holds(condition: &Condition, context: &Context) -> Result<bool, String> {
    match condition.evaluate(context) {
        Ok(Value::Bool(flag)) => Ok(flag),
        Ok(other) => Err(format!(
            "condition gave {} instead of true or false",
            render(&other)
        )),
        Err(error) => Err(describe_error(&error)),
    }
}

/// An evaluation error as a short sentence.
pub fn describe_error(error: &ExecutionError) -> String {
    match error {
        ExecutionError::NoSuchKey(key) => {
            format!("no such key `{key}` (guard optional attributes with has())")
        }
        ExecutionError::UndeclaredReference(name) => format!("unknown variable `{name}`"),
        other => other.to_string(),
    }
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Placeholder(Expression),
}

/// Text with `{expression}` placeholders; `{{` and `}}` are literal braces.
#[derive(Debug, Clone)]
pub struct Template {
    pub source: String,
    parts: Vec<Part>,
}

impl Template {
    /// Parse and compile a template read from `file`; every bad placeholder is reported.
    pub fn parse(text: &Located<String>, file: &SourceFile) -> Result<Template, Vec<Diagnostic>> {
        let offset = content_offset(&file.text, &text.span);
        let source = &text.value;
        let mut parts = Vec::new();
        let mut problems = Vec::new();
        let mut literal = String::new();
        let mut rest = source.char_indices().peekable();
        while let Some((i, c)) = rest.next() {
            match c {
                '{' if rest.peek().map(|&(_, c)| c) == Some('{') => {
                    rest.next();
                    literal.push('{');
                }
                '}' if rest.peek().map(|&(_, c)| c) == Some('}') => {
                    rest.next();
                    literal.push('}');
                }
                '{' => {
                    let start = i + 1;
                    let Some(end) = source[start..].find('}').map(|n| start + n) else {
                        problems.push(file.diagnostic(offset + i, "unclosed `{` in template"));
                        break;
                    };
                    while rest.peek().is_some_and(|&(j, _)| j <= end) {
                        rest.next();
                    }
                    let expression = &source[start..end];
                    if expression.trim().is_empty() {
                        problems.push(file.diagnostic(offset + i, "empty `{}` in template"));
                        continue;
                    }
                    match Expression::compile(expression, file, offset + start) {
                        Ok(expression) => {
                            if !literal.is_empty() {
                                parts.push(Part::Text(std::mem::take(&mut literal)));
                            }
                            parts.push(Part::Placeholder(expression));
                        }
                        Err(problem) => problems.push(problem),
                    }
                }
                '}' => problems.push(file.diagnostic(
                    offset + i,
                    "unmatched `}` in template (write `}}` for a literal brace)",
                )),
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        if problems.is_empty() {
            Ok(Template {
                source: source.clone(),
                parts,
            })
        } else {
            Err(problems)
        }
    }

    /// The placeholders' expressions.
    pub fn expressions(&self) -> impl Iterator<Item = &Expression> {
        self.parts.iter().filter_map(|part| match part {
            Part::Placeholder(expression) => Some(expression),
            Part::Text(_) => None,
        })
    }

    /// Whether a placeholder names `variable`.
    pub fn uses(&self, variable: &str) -> bool {
        self.expressions()
            .any(|e| e.variables().iter().any(|v| v == variable))
    }

    pub fn render(&self, context: &Context) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Placeholder(expression) => {
                    let value = expression.evaluate(context).map_err(|e| {
                        format!("in `{{{}}}`: {}", expression.source, describe_error(&e))
                    })?;
                    out.push_str(&render(&value));
                }
            }
        }
        Ok(out)
    }
}

/// Where a TOML string's content starts, past its opening quotes (and the newline right
/// after `'''` or `"""`, which TOML drops).
pub fn content_offset(text: &str, span: &std::ops::Range<usize>) -> usize {
    let token = text.get(span.clone()).unwrap_or("");
    let quotes = if token.starts_with("'''") || token.starts_with("\"\"\"") {
        3
    } else if token.starts_with('\'') || token.starts_with('"') {
        1
    } else {
        0
    };
    let mut offset = span.start + quotes;
    if quotes == 3 {
        let after = &token[quotes..];
        if after.starts_with("\r\n") {
            offset += 2;
        } else if after.starts_with('\n') {
            offset += 1;
        }
    }
    offset
}

/// A CEL value as message text: strings as they are, lists comma-separated.
pub fn render(value: &Value) -> String {
    match value {
        Value::String(text) => text.to_string(),
        Value::List(items) => {
            if items.is_empty() {
                "none".to_string()
            } else {
                items.iter().map(render).collect::<Vec<_>>().join(", ")
            }
        }
        Value::Int(n) => n.to_string(),
        Value::UInt(n) => n.to_string(),
        Value::Float(x) => {
            if x.fract() == 0.0 && x.abs() < 1e15 {
                format!("{x:.0}")
            } else {
                format!("{x:.2}")
            }
        }
        Value::Bool(flag) => flag.to_string(),
        Value::Null => "null".to_string(),
        Value::Map(map) => {
            let mut entries: Vec<String> = map
                .map
                .iter()
                .map(|(k, v)| format!("{}: {}", render(&Value::from(k)), render(v)))
                .collect();
            entries.sort();
            format!("{{{}}}", entries.join(", "))
        }
        other => format!("{other:?}"),
    }
}

/// A JSON value as a CEL value.
pub fn from_json(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(flag) => Value::Bool(*flag),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::Int(i),
            (None, Some(u), _) => Value::UInt(u),
            (_, _, Some(f)) => Value::Float(f),
            _ => Value::Null,
        },
        serde_json::Value::String(text) => Value::from(text.as_str()),
        serde_json::Value::Array(items) => {
            Value::List(Arc::new(items.iter().map(from_json).collect()))
        }
        serde_json::Value::Object(map) => {
            let map: HashMap<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect();
            Value::from(map)
        }
    }
}

/// A list of strings as a CEL value.
pub fn string_list<I, S>(items: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    Value::List(Arc::new(
        items.into_iter().map(|s| Value::from(s.as_ref())).collect(),
    ))
}

/// A map with string keys as a CEL value.
pub fn map(entries: Vec<(&str, Value)>) -> Value {
    let map: HashMap<Arc<String>, Value> = entries.into_iter().map(|(k, v)| (key(k), v)).collect();
    Value::from(map)
}

/// A shared key for a field name: the facts' maps are built once per resource, so their
/// keys are interned instead of allocated each time.
fn key(name: &str) -> Arc<String> {
    thread_local! {
        static KEYS: std::cell::RefCell<HashMap<String, Arc<String>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    KEYS.with(|keys| {
        if let Some(key) = keys.borrow().get(name) {
            return key.clone();
        }
        let key = Arc::new(name.to_string());
        keys.borrow_mut().insert(name.to_string(), key.clone());
        key
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(file: &SourceFile, needle: &str) -> Located<String> {
        let start = file.text.find(needle).expect("needle");
        let end = start + needle.len();
        let token = &file.text[start..end];
        let value = token.trim_matches('\'').trim_matches('"').to_string();
        Located {
            value,
            span: start..end,
        }
    }

    #[test]
    fn template_renders_placeholders_and_braces() {
        let file = SourceFile::new("r.toml", "message = \"{a} and {{b}} {size(l)}\"\n");
        let text = located(&file, "\"{a} and {{b}} {size(l)}\"");
        let template = Template::parse(&text, &file).expect("compiles");
        let mut context = Context::with_env(env());
        context.add_variable_from_value("a", Value::from("x"));
        context.add_variable_from_value("l", string_list(["p", "q"]));
        assert_eq!(template.render(&context).unwrap(), "x and {b} 2");
        let file = SourceFile::new("r.toml", "m = \"{l.join('+')}\"\n");
        let text = located(&file, "\"{l.join('+')}\"");
        let template = Template::parse(&text, &file).expect("extensions are available");
        assert_eq!(template.render(&context).unwrap(), "p+q");
    }

    #[test]
    fn template_errors_point_into_the_file() {
        let file = SourceFile::new("r.toml", "id = 1\nmessage = \"ok {a +} {b\"\n");
        let text = located(&file, "\"ok {a +} {b\"");
        let problems = Template::parse(&text, &file).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(text[0].starts_with("r.toml:2:"), "{text:?}");
        assert!(text[0].contains("invalid CEL"), "{text:?}");
        assert!(text[1].contains("unclosed"), "{text:?}");
    }

    #[test]
    fn conditions_must_be_bool() {
        let file = SourceFile::new("r.toml", "x");
        let condition = Expression::compile("1 + 1", &file, 0).unwrap();
        let context = Context::with_env(env());
        assert!(
            holds(&condition, &context)
                .unwrap_err()
                .contains("instead of")
        );
    }
}
