//! Reading one instance's attributes whatever the writer did with them: nulls, empty strings
//! and empty lists all mean "not set"; booleans and numbers may be strings (the flatmap of
//! early states); a nested block is a list of one object in states and sometimes a bare
//! object; a list attribute is sometimes a set written as one string.

use std::collections::BTreeMap;

use serde_json::Value;

/// A view of an object of attributes (an instance's, or a nested block's).
#[derive(Debug, Clone, Copy)]
pub struct Attrs<'a>(pub &'a Value);

impl<'a> Attrs<'a> {
    /// The value of `key`, unless absent or null.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// A non-empty string (numbers and booleans are given as their text).
    pub fn str(&self, key: &str) -> Option<&'a str> {
        match self.get(key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim()),
            _ => None,
        }
    }

    /// A string, a number or a boolean as text.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The non-empty strings of a list or set attribute; a single string counts as a list of
    /// one.
    pub fn strs(&self, key: &str) -> Vec<&'a str> {
        match self.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect(),
            Some(Value::String(s)) if !s.trim().is_empty() => vec![s.trim()],
            _ => Vec::new(),
        }
    }

    /// A boolean, also when written as `"true"`/`"false"` (any case) or `1`/`0`.
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            Value::Number(n) => n.as_f64().map(|n| n != 0.0),
            _ => None,
        }
    }

    /// A number, also when written as a string.
    pub fn num(&self, key: &str) -> Option<f64> {
        match self.get(key)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A nested block: the first object of a list, or an object.
    pub fn block(&self, key: &str) -> Option<Attrs<'a>> {
        self.blocks(key).into_iter().next()
    }

    /// The objects of a nested block list (an object alone counts as a list of one).
    pub fn blocks(&self, key: &str) -> Vec<Attrs<'a>> {
        match self.get(key) {
            Some(Value::Array(items)) => {
                items.iter().filter(|v| v.is_object()).map(Attrs).collect()
            }
            Some(v @ Value::Object(_)) => vec![Attrs(v)],
            _ => Vec::new(),
        }
    }

    /// A map of strings (tags, labels); values that are not strings are given as text.
    pub fn map(&self, key: &str) -> BTreeMap<String, String> {
        let Some(Value::Object(map)) = self.get(key) else {
            return BTreeMap::new();
        };
        map.iter()
            .filter_map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => return None,
                    other => other.to_string(),
                };
                Some((k.clone(), text))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unset_values_in_every_spelling_read_as_absent() {
        let v = json!({"a": null, "b": "", "c": [], "d": "  ", "e": [null, ""], "f": {}});
        let a = Attrs(&v);
        for key in ["a", "b", "c", "d", "e", "f", "missing"] {
            assert_eq!(a.str(key), None, "{key}");
            assert!(a.strs(key).is_empty(), "{key}");
            assert!(a.map(key).is_empty(), "{key}");
        }
        assert!(a.block("f").is_some_and(|b| b.get("x").is_none()));
    }

    #[test]
    fn flatmap_strings_read_as_booleans_numbers_and_blocks() {
        let v = json!({"multi_az": "true", "n": "3", "x": "False", "blk": [{"k": "v"}],
                       "obj": {"k": "w"}, "one": "subnet-1"});
        let a = Attrs(&v);
        assert_eq!(a.bool("multi_az"), Some(true));
        assert_eq!(a.bool("x"), Some(false));
        assert_eq!(a.num("n"), Some(3.0));
        assert_eq!(a.block("blk").and_then(|b| b.str("k")), Some("v"));
        assert_eq!(a.block("obj").and_then(|b| b.str("k")), Some("w"));
        assert_eq!(a.strs("one"), ["subnet-1"]);
    }
}
