//! Where a Terraform configuration declares its resources: the `.tf` file and line of each
//! `resource "TYPE" "NAME"` block, found by a resource's Terraform address
//! (`module.app[0].aws_instance.web["a"]`). Reports use it to point at the code that made a
//! resource (SARIF locations for code scanning).
//!
//! The configuration is every `*.tf` (and OpenTofu `*.tofu`) file under a directory, searched
//! recursively (`.terraform/` and hidden directories skipped). A directory is a module; the
//! root module is the directory given, or, when that declares nothing of the address, the one
//! directory of the tree not used as a module that does. Module calls are followed through
//! their `source` when it is local (`./modules/app`, `../shared`); a resource inside a module
//! whose source is not local (a registry or Git module) is located at the `module` block that
//! calls it. Only block structure is read — comments, strings, template interpolations and
//! heredocs are skipped — so any configuration Terraform accepts can be scanned, and a file that
//! is not valid HCL yields what could be read of it, never an error.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

/// A place in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The file, as found under the directory given (relative when it was).
    pub file: PathBuf,
    /// 1-based line of the block's first word.
    pub line: u32,
}

/// A `module` block: where it is and where its code lives.
#[derive(Debug, Clone)]
struct ModuleCall {
    at: Declared,
    /// The module's directory, for a local source.
    dir: Option<PathBuf>,
}

/// The blocks one directory (one module) declares.
#[derive(Debug, Default)]
struct Module {
    /// (type, name) → the `resource` block.
    resources: HashMap<(String, String), Declared>,
    /// name → the `module` block.
    calls: HashMap<String, ModuleCall>,
}

/// The declarations of every module under a directory.
#[derive(Debug, Default)]
pub struct Declarations {
    root: PathBuf,
    modules: BTreeMap<PathBuf, Module>,
    /// Directories some local `module` block uses as its source.
    used_as_module: HashSet<PathBuf>,
}

impl Declarations {
    /// Scan every configuration file under `root`. A directory that cannot be read is an
    /// error; a file that cannot be read is skipped with a warning.
    pub fn scan(root: &Path) -> std::io::Result<Declarations> {
        let root = normalise(root);
        let mut files = Vec::new();
        collect_files(&root, &mut files)?;
        // Override files merge into blocks declared elsewhere: the block's home is the
        // ordinary file, so they are read last and never replace an earlier declaration.
        files.sort_by_key(|f| (is_override(f), f.clone()));
        let mut declarations = Declarations {
            root,
            ..Declarations::default()
        };
        for file in files {
            let text = match std::fs::read(&file) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(err) => {
                    tracing::warn!("cannot read {}: {err}", file.display());
                    continue;
                }
            };
            declarations.add_file(&file, &text);
        }
        Ok(declarations)
    }

    fn add_file(&mut self, file: &Path, text: &str) {
        let dir = match file.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let module = self.modules.entry(dir.clone()).or_default();
        for block in top_level_blocks(text) {
            let at = Declared {
                file: file.to_path_buf(),
                line: block.line,
            };
            match (block.keyword.as_str(), block.labels.as_slice()) {
                ("resource", [type_name, name]) => {
                    module
                        .resources
                        .entry((type_name.clone(), name.clone()))
                        .or_insert(at);
                }
                ("module", [name]) => {
                    let local = block.source.as_deref().filter(|s| is_local_source(s));
                    let target = local.map(|s| normalise(&dir.join(s)));
                    if let Some(target) = &target {
                        self.used_as_module.insert(target.clone());
                    }
                    module
                        .calls
                        .entry(name.clone())
                        .or_insert(ModuleCall { at, dir: target });
                }
                _ => {}
            }
        }
    }

    /// Where the resource of a Terraform address is declared; `None` when the configuration
    /// does not declare it (or the address is a data source's, or not an address).
    pub fn locate(&self, address: &str) -> Option<Declared> {
        let address = Address::parse(address)?;
        let first_dir = self.root_for(&address)?;
        let mut dir = first_dir.to_path_buf();
        // The innermost `module` block followed, where a resource of a module whose code is
        // not here is located instead.
        let mut calling: Option<&ModuleCall> = None;
        for name in &address.modules {
            let call = self.modules.get(&dir).and_then(|m| m.calls.get(*name));
            match call {
                Some(call) => {
                    calling = Some(call);
                    match &call.dir {
                        Some(next) if self.modules.contains_key(next) => dir = next.clone(),
                        _ => return Some(call.at.clone()),
                    }
                }
                None => return calling.map(|c| c.at.clone()),
            }
        }
        let key = (address.type_name.to_string(), address.name.to_string());
        self.modules
            .get(&dir)
            .and_then(|m| m.resources.get(&key))
            .or(calling.map(|c| &c.at))
            .cloned()
    }

    /// The root module for an address: the directory given when it declares the address's
    /// first step (its first module call, or the resource), else the one root candidate (a
    /// directory no local module call uses) that does.
    fn root_for(&self, address: &Address<'_>) -> Option<&Path> {
        let declares = |module: &Module| match address.modules.first() {
            Some(name) => module.calls.contains_key(*name),
            None => module
                .resources
                .contains_key(&(address.type_name.to_string(), address.name.to_string())),
        };
        if let Some(module) = self.modules.get(&self.root)
            && declares(module)
        {
            return Some(&self.root);
        }
        let mut candidates = self
            .modules
            .iter()
            .filter(|(dir, module)| !self.used_as_module.contains(*dir) && declares(module));
        let (dir, _) = candidates.next()?;
        if candidates.next().is_some() {
            // Two configurations declare it: which one made the resource is not known.
            return None;
        }
        Some(dir)
    }
}

/// The parts of a resource address that find its block.
#[derive(Debug, PartialEq, Eq)]
struct Address<'a> {
    /// Module call names, outermost first (`module.a[0].module.b` → `a`, `b`).
    modules: Vec<&'a str>,
    type_name: &'a str,
    name: &'a str,
}

impl<'a> Address<'a> {
    /// `module.a[0].module.b["k"].aws_instance.web[1]`; `None` for a data source or text that
    /// is not a resource address.
    fn parse(text: &'a str) -> Option<Address<'a>> {
        let mut rest = text.trim();
        let mut modules = Vec::new();
        while let Some(after) = rest.strip_prefix("module.") {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            modules.push(&after[..end]);
            let tail = skip_index(&after[end..]);
            rest = tail.strip_prefix('.')?;
        }
        if rest.starts_with("data.") {
            return None;
        }
        let (type_name, tail) = rest.split_once('.')?;
        let end = tail.find('[').unwrap_or(tail.len());
        let name = &tail[..end];
        if type_name.is_empty() || name.is_empty() || name.contains('.') {
            return None;
        }
        Some(Address {
            modules,
            type_name,
            name,
        })
    }
}

/// The text after a leading `[0]` or `["key"]` (quotes inside the key escaped), if any.
fn skip_index(text: &str) -> &str {
    if !text.starts_with('[') {
        return text;
    }
    let mut in_string = false;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ']' if !in_string => return &text[at + 1..],
            _ => {}
        }
    }
    ""
}

/// Terraform's rule: a local module source starts with `./` or `../` (on Windows also with
/// backslashes).
fn is_local_source(source: &str) -> bool {
    ["./", "../", ".\\", "..\\"]
        .iter()
        .any(|prefix| source.starts_with(prefix))
}

fn is_override(file: &Path) -> bool {
    file.file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|stem| stem == "override" || stem.ends_with("_override"))
}

/// Every configuration file under `dir`, skipping `.terraform/` and hidden directories.
fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut pending = vec![dir.to_path_buf()];
    let mut first = true;
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if first => return Err(err),
            Err(err) => {
                tracing::warn!("cannot read {}: {err}", dir.display());
                continue;
            }
        };
        first = false;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = normalise(&dir.join(&*name));
            if kind.is_dir() {
                if !name.starts_with('.') {
                    pending.push(path);
                }
            } else if name.ends_with(".tf") || name.ends_with(".tofu") {
                files.push(path);
            }
        }
    }
    Ok(())
}

/// A path with `.` segments dropped and `..` applied where it can be, without touching the
/// file system (the paths stay as relative as they were given).
fn normalise(path: &Path) -> PathBuf {
    let mut parts: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(component),
            },
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return PathBuf::from(".");
    }
    parts.iter().collect()
}

// ---- block structure -------------------------------------------------------------------------

/// A top-level block: `resource "aws_instance" "web" {` at line 12.
#[derive(Debug, PartialEq, Eq)]
struct Block {
    keyword: String,
    labels: Vec<String>,
    line: u32,
    /// For a `module` block: its `source` attribute, when it is a plain string.
    source: Option<String>,
}

/// What the scanner sees: words, string literals and the punctuation that shapes blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    /// A string; `None` when it holds an interpolation (its value is not a literal).
    Text(Option<String>),
    Open,
    Close,
    Equals,
    Newline,
    Other,
}

/// The top-level blocks of a file, with the `source` of module blocks.
fn top_level_blocks(text: &str) -> Vec<Block> {
    let tokens = tokenize(text.strip_prefix('\u{feff}').unwrap_or(text));
    let mut blocks: Vec<Block> = Vec::new();
    let mut depth: usize = 0;
    // The words and strings seen since the last newline at depth 0: a block header.
    let mut header: Vec<(&Token, u32)> = Vec::new();
    // Inside a module block (depth 1): the tokens of the current line.
    let mut line_tokens: Vec<&Token> = Vec::new();
    let mut in_module = false;
    for (token, line) in &tokens {
        match token {
            Token::Open => {
                if depth == 0 {
                    if let Some(block) = header_block(&header) {
                        in_module = block.keyword == "module";
                        blocks.push(block);
                    } else {
                        in_module = false;
                    }
                }
                header.clear();
                line_tokens.clear();
                depth += 1;
            }
            Token::Close => {
                if depth == 1 && in_module {
                    // A one-line block: `module "x" { source = "./x" }`.
                    module_source(&line_tokens, blocks.last_mut());
                }
                depth = depth.saturating_sub(1);
                header.clear();
                line_tokens.clear();
            }
            Token::Newline => {
                if depth == 1 && in_module {
                    module_source(&line_tokens, blocks.last_mut());
                }
                header.clear();
                line_tokens.clear();
            }
            _ if depth == 0 => header.push((token, *line)),
            _ => line_tokens.push(token),
        }
    }
    blocks
}

/// `keyword label* {` as a block; anything else (an attribute, an expression) is not one.
fn header_block(header: &[(&Token, u32)]) -> Option<Block> {
    let ((Token::Word(keyword), line), rest) = header.split_first()? else {
        return None;
    };
    let mut labels = Vec::with_capacity(rest.len());
    for (token, _) in rest {
        match token {
            Token::Text(Some(label)) | Token::Word(label) => labels.push(label.clone()),
            _ => return None,
        }
    }
    Some(Block {
        keyword: keyword.clone(),
        labels,
        line: *line,
        source: None,
    })
}

/// `source = "./modules/x"` on a line directly inside a module block.
fn module_source(line: &[&Token], block: Option<&mut Block>) {
    if let ([Token::Word(name), Token::Equals, Token::Text(Some(value))], Some(block)) =
        (line, block)
        && name == "source"
        && block.source.is_none()
    {
        block.source = Some(value.clone());
    }
}

/// Tokens with their 1-based line; comments, heredoc bodies and the inside of template
/// interpolations are skipped.
fn tokenize(text: &str) -> Vec<(Token, u32)> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut line: u32 = 1;
    let mut at = 0;
    while at < bytes.len() {
        let b = bytes[at];
        match b {
            b'\n' => {
                tokens.push((Token::Newline, line));
                line += 1;
                at += 1;
            }
            b'#' => at = line_end(bytes, at),
            b'/' if bytes.get(at + 1) == Some(&b'/') => at = line_end(bytes, at),
            b'/' if bytes.get(at + 1) == Some(&b'*') => {
                let end = find(bytes, at + 2, b"*/").map_or(bytes.len(), |e| e + 2);
                line += count_lines(&bytes[at..end]);
                at = end;
            }
            b'"' => {
                let (value, end) = string(text, at);
                line += count_lines(&bytes[at..end]);
                tokens.push((Token::Text(value), line));
                at = end;
            }
            b'<' if bytes.get(at + 1) == Some(&b'<') => match heredoc(text, at) {
                Some(end) => {
                    tokens.push((Token::Other, line));
                    line += count_lines(&bytes[at..end]);
                    at = end;
                }
                None => {
                    tokens.push((Token::Other, line));
                    at += 2;
                }
            },
            b'{' => {
                tokens.push((Token::Open, line));
                at += 1;
            }
            b'}' => {
                tokens.push((Token::Close, line));
                at += 1;
            }
            b'=' if !matches!(bytes.get(at + 1), Some(b'=' | b'>')) => {
                tokens.push((Token::Equals, line));
                at += 1;
            }
            _ if is_word_start(b) => {
                let end = (at..bytes.len())
                    .find(|&i| !is_word_byte(bytes[i]))
                    .unwrap_or(bytes.len());
                tokens.push((Token::Word(text[at..end].to_string()), line));
                at = end;
            }
            b' ' | b'\t' | b'\r' => at += 1,
            _ => {
                tokens.push((Token::Other, line));
                // Skip a whole multi-byte character at once.
                at += utf8_len(b);
            }
        }
    }
    tokens
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// The position of the newline ending the line at `at` (or the end of the text).
fn line_end(bytes: &[u8], at: usize) -> usize {
    bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| at + p)
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= bytes.len() {
        return None;
    }
    bytes[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

fn count_lines(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u32
}

/// A string literal starting at the quote at `start`: its value (`None` when it holds a
/// `${...}` or `%{...}` template sequence) and the position after the closing quote. A string
/// left open ends at the end of its line.
fn string(text: &str, start: usize) -> (Option<String>, usize) {
    let bytes = text.as_bytes();
    let mut value = String::new();
    let mut literal = true;
    let mut at = start + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => return (literal.then_some(value), at + 1),
            b'\n' => return (None, at),
            b'\\' => {
                match bytes.get(at + 1) {
                    Some(b'n') => value.push('\n'),
                    Some(b't') => value.push('\t'),
                    Some(b'"') => value.push('"'),
                    Some(b'\\') => value.push('\\'),
                    _ => literal = false,
                }
                at += 2;
            }
            b'$' | b'%' if bytes.get(at + 1) == Some(&b'{') => {
                literal = false;
                at = template_end(text, at + 2);
            }
            // `$${` and `%%{` are escapes for the literal text.
            b'$' | b'%'
                if bytes.get(at + 1) == Some(&bytes[at]) && bytes.get(at + 2) == Some(&b'{') =>
            {
                value.push(bytes[at] as char);
                value.push('{');
                at += 3;
            }
            _ => {
                let len = utf8_len(bytes[at]).min(bytes.len() - at);
                value.push_str(&String::from_utf8_lossy(&bytes[at..at + len]));
                at += len;
            }
        }
    }
    (None, bytes.len())
}

/// The position after the `}` closing a template sequence whose body starts at `start`,
/// nested braces and strings included.
fn template_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 1usize;
    let mut at = start;
    while at < bytes.len() {
        match bytes[at] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return at + 1;
                }
            }
            b'"' => {
                let (_, end) = string(text, at);
                at = end;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    bytes.len()
}

/// A heredoc starting at the `<<` at `start` (`<<EOF`, `<<-EOF`): the position after its
/// closing marker line; `None` when `<<` does not start one.
fn heredoc(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = start + 2;
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    let marker_start = at;
    while at < bytes.len() && is_word_byte(bytes[at]) {
        at += 1;
    }
    let marker = &text[marker_start..at];
    if marker.is_empty() || !is_word_start(bytes[marker_start]) {
        return None;
    }
    // The rest of the opening line, then lines until one that is the marker alone.
    let mut line_start = line_end(bytes, at);
    while line_start < bytes.len() {
        let body = line_start + 1;
        let end = line_end(bytes, body);
        if text[body.min(end)..end].trim() == marker {
            return Some(end);
        }
        line_start = end;
    }
    Some(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_modules_type_and_name() {
        assert_eq!(
            Address::parse("module.a[0].module.b[\"x.y]\"].aws_instance.web[\"k\"]"),
            Some(Address {
                modules: vec!["a", "b"],
                type_name: "aws_instance",
                name: "web",
            })
        );
        assert_eq!(
            Address::parse("google_compute_instance.worker"),
            Some(Address {
                modules: Vec::new(),
                type_name: "google_compute_instance",
                name: "worker",
            })
        );
        assert_eq!(Address::parse("data.aws_ami.base"), None);
        assert_eq!(Address::parse("arn:aws:ec2:x"), None);
        assert_eq!(Address::parse("module.a"), None);
        assert_eq!(Address::parse(""), None);
    }

    #[test]
    fn blocks_are_found_past_comments_strings_templates_and_heredocs() {
        let text = r#"# resource "aws_instance" "commented" {
/* resource "aws_instance" "in_block_comment" {
} */
locals {
  brace = "}"
  tpl   = "${lookup(var.m, "}")} and %{ if true }x%{ endif }"
  doc   = <<-EOT
    resource "aws_instance" "in_heredoc" {
    EOT
}

resource "aws_instance" "web" {
  tags = { Name = "web" }
}
resource aws_subnet private {
}
module "app" {
  source  = "./modules/app"
  version = "1.0"
}
module "remote" {
  source = "terraform-aws-modules/vpc/aws"
}
data "aws_ami" "base" {}
"#;
        let blocks = top_level_blocks(text);
        let summary: Vec<(String, Vec<String>, u32, Option<String>)> = blocks
            .into_iter()
            .map(|b| (b.keyword, b.labels, b.line, b.source))
            .collect();
        let s = |v: &str| v.to_string();
        assert_eq!(
            summary,
            [
                (s("locals"), vec![], 4, None),
                (s("resource"), vec![s("aws_instance"), s("web")], 12, None),
                (s("resource"), vec![s("aws_subnet"), s("private")], 15, None),
                (s("module"), vec![s("app")], 17, Some(s("./modules/app"))),
                (
                    s("module"),
                    vec![s("remote")],
                    21,
                    Some(s("terraform-aws-modules/vpc/aws"))
                ),
                (s("data"), vec![s("aws_ami"), s("base")], 24, None),
            ]
        );
    }

    #[test]
    fn damaged_text_never_panics() {
        for text in [
            "resource \"a",
            "\"${",
            "<<",
            "<<EOF\nno end",
            "/* open",
            "}}}} resource \"x\" \"y\" {",
            "\u{feff}résource \"é\" \"ü\" {\n}",
            "a = \"\\",
            "$${",
        ] {
            let _ = top_level_blocks(text);
        }
    }

    fn write(root: &Path, files: &[(&str, &str)]) {
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    #[test]
    fn addresses_are_followed_through_local_modules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            &[
                (
                    "live/main.tf",
                    "module \"app\" {\n  source = \"../modules/app\"\n}\n\nmodule \"vpc\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n}\n",
                ),
                (
                    "live/network.tf",
                    "\nresource \"aws_subnet\" \"app\" {\n}\n",
                ),
                (
                    "live/network_override.tf",
                    "resource \"aws_subnet\" \"app\" {\n  cidr_block = \"10.1.0.0/24\"\n}\n",
                ),
                (
                    "modules/app/main.tf",
                    "module \"db\" { source = \"./db\" }\nresource \"aws_instance\" \"web\" {\n}\n",
                ),
                (
                    "modules/app/db/main.tf",
                    "\n\n\nresource \"aws_db_instance\" \"this\" {}\n",
                ),
                // Downloaded modules are not the configuration.
                (
                    "live/.terraform/modules/vpc/main.tf",
                    "resource \"aws_vpc\" \"this\" {}\n",
                ),
            ],
        );
        let declarations = Declarations::scan(root).unwrap();
        let at = |address: &str| {
            declarations.locate(address).map(|d| {
                (
                    d.file.strip_prefix(root).unwrap().display().to_string(),
                    d.line,
                )
            })
        };
        let found = |file: &str, line: u32| Some((file.to_string(), line));
        // The root is found under DIR: the one directory no module call uses.
        assert_eq!(
            at("aws_subnet.app[0]"),
            found("live/network.tf", 2),
            "not the override"
        );
        assert_eq!(
            at("module.app.aws_instance.web[\"k\"]"),
            found("modules/app/main.tf", 2)
        );
        assert_eq!(
            at("module.app.module.db.aws_db_instance.this"),
            found("modules/app/db/main.tf", 4)
        );
        assert_eq!(
            at("module.vpc.aws_vpc.this"),
            found("live/main.tf", 5),
            "a registry module's resources: its module block"
        );
        assert_eq!(at("aws_instance.nowhere"), None);
        assert_eq!(at("module.nowhere.aws_instance.web"), None);
        assert_eq!(
            at("module.app.aws_instance.gone"),
            found("live/main.tf", 1),
            "a module found without the block: the module call"
        );

        // Two configurations that both declare a block: which one made it is unknown.
        write(
            root,
            &[("staging/main.tf", "resource \"aws_subnet\" \"app\" {}\n")],
        );
        let declarations = Declarations::scan(root).unwrap();
        assert_eq!(declarations.locate("aws_subnet.app"), None);
        // Unless DIR is the configuration itself.
        let live = Declarations::scan(&root.join("live")).unwrap();
        assert_eq!(
            live.locate("aws_subnet.app").map(|d| d.line),
            Some(2),
            "DIR's own blocks first"
        );
        assert!(Declarations::scan(&root.join("missing")).is_err());
    }

    #[test]
    fn paths_normalise_lexically() {
        assert_eq!(
            normalise(Path::new("./infra/../infra/./main.tf")),
            PathBuf::from("infra/main.tf")
        );
        assert_eq!(normalise(Path::new("../x/./y")), PathBuf::from("../x/y"));
        assert_eq!(normalise(Path::new("./")), PathBuf::from("."));
        assert_eq!(normalise(Path::new("/a/../../b")), PathBuf::from("/b"));
    }
}
