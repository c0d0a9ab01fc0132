//! Resource selectors used by the config: `tag:KEY=VALUE`, `tag:KEY`, `id:PATTERN`,
//! `kind:PATTERN`, `name:PATTERN`, where patterns may use `*` as a wildcard.

use super::Resource;

/// A resource selector: `tag:KEY=VALUE`, `tag:KEY`, `id:PATTERN`, `kind:PATTERN`,
/// `name:PATTERN`; patterns may use `*` as a wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Tag { key: String, value: Option<String> },
    Id(String),
    Kind(String),
    Name(String),
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, String> {
        let (kind, rest) = text.split_once(':').ok_or_else(|| {
            format!("selector `{text}` needs a type: tag:KEY=VALUE, id:…, kind:… or name:…")
        })?;
        if rest.is_empty() {
            return Err(format!("selector `{text}` is empty after `{kind}:`"));
        }
        Ok(match kind {
            "tag" => match rest.split_once('=') {
                Some((key, value)) => Selector::Tag {
                    key: key.to_string(),
                    value: Some(value.to_string()),
                },
                None => Selector::Tag {
                    key: rest.to_string(),
                    value: None,
                },
            },
            "id" => Selector::Id(rest.to_string()),
            "kind" => Selector::Kind(rest.to_string()),
            "name" => Selector::Name(rest.to_string()),
            other => {
                return Err(format!(
                    "unknown selector type `{other}`; expected tag, id, kind or name"
                ));
            }
        })
    }

    pub fn matches(&self, resource: &Resource) -> bool {
        match self {
            Selector::Tag { key, value } => match (resource.tags.get(key), value) {
                (Some(_), None) => true,
                (Some(actual), Some(wanted)) => glob(wanted, actual),
                (None, _) => false,
            },
            Selector::Id(pattern) => glob(pattern, &resource.id),
            Selector::Kind(pattern) => glob(pattern, &resource.kind),
            Selector::Name(pattern) => glob(pattern, resource.label()),
        }
    }
}

/// `*` matches any run of characters; everything else literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("arn:aws:rds:*", "arn:aws:rds:x"));
        assert!(glob("*ledger*", "rds:db:wallet-ledger-1"));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXcYYb"));
        assert!(!glob("ab*ba", "aba"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
    }

    #[test]
    fn selectors_parse_or_say_why_not() {
        assert_eq!(
            Selector::parse("tag:service=withdrawals").unwrap(),
            Selector::Tag {
                key: "service".into(),
                value: Some("withdrawals".into())
            }
        );
        assert!(
            Selector::parse("withdrawals")
                .unwrap_err()
                .contains("needs a type")
        );
        assert!(
            Selector::parse("zone:x")
                .unwrap_err()
                .contains("unknown selector type")
        );
    }
}
