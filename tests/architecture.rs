//! The map of which module may use which, enforced.
//!
//! The table of direction rules lives in the module docs of `src/lib.rs` (one row per
//! top-level module, its last column the modules it may import). This test reads that table
//! and every `src/**/*.rs`, and fails, naming file and line, on:
//! - a `crate::` path (in a `use` or inline, `super::` chains resolved) into a top-level
//!   module the importer's row does not allow;
//! - a top-level module with no row, or a row naming a module that does not exist;
//! - an import cycle between top-level modules (in the imports found or in the table);
//! - `clap` outside the binary (`src/main.rs`, `src/cli/`);
//! - a function longer than [`MAX_FUNCTION_LINES`] lines.
//!
//! The checker itself is tested on a small fixture tree with one of each violation, so a
//! checker that stopped seeing them would fail too.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// No function in `src/` may be longer than this, from its `fn` line to its closing brace.
const MAX_FUNCTION_LINES: usize = 120;

/// The binary's files: they may use anything, and nothing may use them.
const BINARY: &str = "cli";

/// One broken rule, where it is broken.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    file: String,
    line: usize,
    message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// What a module may import: the modules named, or anything (the binary).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    Only(BTreeSet<String>),
    Anything,
}

/// The direction table read from the docs of `lib.rs`, with the line of each row.
struct Table {
    rows: BTreeMap<String, (Allowed, usize)>,
}

/// Read the table: rows `//! | `module` | what it owns | `a`, `b` |`, a last cell of
/// `nothing` for none and one starting `everything` for the binary.
fn read_table(lib: &str) -> Table {
    let mut rows = BTreeMap::new();
    for (at, line) in lib.lines().enumerate() {
        let Some(row) = line.strip_prefix("//! |") else {
            continue;
        };
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (Some(first), Some(last)) = (cells.first(), cells.iter().rev().find(|c| !c.is_empty()))
        else {
            continue;
        };
        let Some(module) = first.strip_prefix('`').and_then(|m| m.strip_suffix('`')) else {
            continue;
        };
        let allowed = if last.starts_with("everything") {
            Allowed::Anything
        } else {
            Allowed::Only(
                last.split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_string)
                    .collect(),
            )
        };
        rows.insert(module.to_string(), (allowed, at + 1));
    }
    Table { rows }
}

/// A Rust file of the tree: its path under the root, its top-level module and its module
/// path (`src/rules/load.rs` is `rules::load`, in `rules`).
struct SourceFile {
    name: String,
    module_path: Vec<String>,
    text: String,
}

impl SourceFile {
    fn top(&self) -> &str {
        self.module_path.first().map_or("", String::as_str)
    }
}

fn collect_files(root: &Path) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    walk(&root.join("src"), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(root.join("src")).expect("under src");
            let mut module_path: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module_path.last().is_some_and(|m| m == "mod" || m == "lib") {
                module_path.pop();
            }
            if module_path == ["main"] {
                module_path = vec![BINARY.to_string()];
            }
            SourceFile {
                name: path
                    .strip_prefix(root)
                    .expect("under root")
                    .display()
                    .to_string(),
                module_path,
                text: std::fs::read_to_string(&path).expect("readable source"),
            }
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("readable directory")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The line's code without its comment, string contents and character literals (paths in
/// docs or messages are not imports, and `b'{'` opens no block).
fn code_of(line: &str) -> String {
    let mut code = String::with_capacity(line.len());
    let chars: Vec<char> = line.chars().collect();
    let mut in_string = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if in_string => i += 1,
            '"' => {
                in_string = !in_string;
                code.push('"');
            }
            '/' if !in_string && chars.get(i + 1) == Some(&'/') => break,
            // A character literal (`'x'`, `'\''`, `'\u{7b}'`); a lifetime (`'a`) has no
            // closing quote.
            '\'' if !in_string => match (chars.get(i + 1), chars.get(i + 2)) {
                (Some('\\'), _) => {
                    let close = chars
                        .get(i + 3..)
                        .and_then(|rest| rest.iter().position(|&c| c == '\''));
                    i += close.map_or(0, |at| at + 3);
                }
                (Some(_), Some('\'')) => i += 2,
                _ => code.push(c),
            },
            _ if in_string => {}
            _ => code.push(c),
        }
        i += 1;
    }
    code
}

/// Every top-level module a file's code reaches, with the line: `crate::x`, the first
/// segments of a grouped `use crate::{x::A, y::B}`, and `super::` chains that climb out of
/// the file's top-level module.
fn imports(file: &SourceFile) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut group: Option<(usize, usize)> = None; // (line of the `crate::{`, brace depth)
    for (at, raw) in file.text.lines().enumerate() {
        let line = code_of(raw);
        if let Some((start, depth)) = group.as_mut() {
            first_segments(&line, *depth, &mut |m| found.push((m, *start)));
            *depth = depth_after(&line, *depth);
            if *depth == 0 {
                group = None;
            }
            continue;
        }
        let mut rest = line.as_str();
        while let Some(pos) = rest.find("crate::") {
            let before = rest[..pos].chars().last();
            rest = &rest[pos + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(inner) = rest.strip_prefix('{') {
                first_segments(inner, 1, &mut |m| found.push((m, at + 1)));
                let depth = depth_after(inner, 1);
                if depth > 0 {
                    group = Some((at + 1, depth));
                }
            } else {
                found.push((identifier(rest), at + 1));
            }
        }
        if let Some(target) = climbing_super(&line, file) {
            found.push((target, at + 1));
        }
    }
    found.retain(|(m, _)| !m.is_empty() && m != file.top());
    found
}

/// The module named at brace depth 1 of a `use` group: `a` and `b` of `a::X, b::{Y, Z}`.
fn first_segments(text: &str, mut depth: usize, found: &mut dyn FnMut(String)) {
    let mut expecting = depth == 1;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '{' => {
                depth += 1;
                expecting = false;
            }
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return;
                }
            }
            ',' if depth == 1 => expecting = true,
            c if expecting && (c.is_alphabetic() || c == '_') => {
                found(identifier(rest));
                expecting = false;
            }
            _ => {}
        }
        rest = &rest[c.len_utf8()..];
    }
}

fn depth_after(text: &str, depth: usize) -> usize {
    text.chars().fold(depth, |d, c| match c {
        '{' => d + 1,
        '}' => d.saturating_sub(1),
        _ => d,
    })
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// `super::super::graph` from `src/rules/produce.rs` reaches `graph`.
fn climbing_super(line: &str, file: &SourceFile) -> Option<String> {
    let pos = line.find("super::")?;
    let mut rest = &line[pos..];
    let mut climbs = 0;
    while let Some(next) = rest.strip_prefix("super::") {
        climbs += 1;
        rest = next;
    }
    (climbs >= file.module_path.len()).then(|| identifier(rest))
}

/// Function lengths: from each `fn` line to the line of its closing brace.
fn long_functions(file: &SourceFile, max: usize) -> Vec<Violation> {
    let lines: Vec<String> = file.text.lines().map(code_of).collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(name) = function_name(line) else {
            continue;
        };
        let mut depth = 0usize;
        let mut opened = false;
        for (offset, body) in lines[start..].iter().enumerate() {
            if !opened && body.contains(';') && !body.contains('{') {
                break; // a declaration without a body
            }
            for c in body.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            if opened && depth == 0 {
                let length = offset + 1;
                if length > max {
                    found.push(Violation {
                        file: file.name.clone(),
                        line: start + 1,
                        message: format!("function `{name}` is {length} lines (at most {max})"),
                    });
                }
                break;
            }
        }
    }
    found
}

fn function_name(line: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "fn")?;
    let before_ok = words[..at].iter().all(|w| {
        w.starts_with("pub") || matches!(*w, "async" | "const" | "unsafe" | "extern" | "\"C\"")
    });
    let name = identifier(words.get(at + 1)?);
    (before_ok && !name.is_empty()).then_some(name)
}

/// Every violation of the rules in the tree at `root` (a crate: `src/lib.rs` and the rest).
fn check(root: &Path) -> Vec<Violation> {
    let files = collect_files(root);
    let lib = files
        .iter()
        .find(|f| f.module_path.is_empty())
        .expect("a src/lib.rs");
    let table = read_table(&lib.text);
    let mut violations = Vec::new();
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| f.top().to_string())
        .filter(|m| !m.is_empty())
        .collect();
    let lib_name = lib.name.clone();
    for module in &modules {
        if !table.rows.contains_key(module) {
            violations.push(Violation {
                file: lib_name.clone(),
                line: 1,
                message: format!("module `{module}` has no row in the direction table"),
            });
        }
    }
    for (module, (allowed, line)) in &table.rows {
        let named = match allowed {
            Allowed::Only(names) => names.iter().collect(),
            Allowed::Anything => Vec::new(),
        };
        for name in std::iter::once(module).chain(named) {
            if !modules.contains(name) {
                violations.push(Violation {
                    file: lib_name.clone(),
                    line: *line,
                    message: format!("the direction table names `{name}`, which is no module"),
                });
            }
        }
    }
    let mut edges: BTreeMap<String, BTreeMap<String, (String, usize)>> = BTreeMap::new();
    for file in files.iter().filter(|f| !f.module_path.is_empty()) {
        violations.extend(long_functions(file, MAX_FUNCTION_LINES));
        violations.extend(clap_outside_binary(file));
        let from = file.top();
        if from == BINARY {
            continue;
        }
        for (to, line) in imports(file) {
            if !modules.contains(&to) {
                continue; // an item of the crate root, or a name that only looks like one
            }
            edges
                .entry(from.to_string())
                .or_default()
                .entry(to.clone())
                .or_insert((file.name.clone(), line));
            let permitted = match table.rows.get(from) {
                Some((Allowed::Anything, _)) => true,
                Some((Allowed::Only(names), _)) => names.contains(&to),
                None => false,
            };
            if !permitted {
                violations.push(Violation {
                    file: file.name.clone(),
                    line,
                    message: format!(
                        "`{from}` may not import `{to}` (see the table in src/lib.rs)"
                    ),
                });
            }
        }
    }
    violations.extend(cycles(&edges));
    violations.extend(table_cycles(&table, &lib_name));
    violations.sort();
    violations.dedup();
    violations
}

fn clap_outside_binary(file: &SourceFile) -> Vec<Violation> {
    if file.top() == BINARY {
        return Vec::new();
    }
    file.text
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            let code = code_of(line);
            code.contains("clap::") || code.contains("use clap") || code.contains("#[arg(")
        })
        .map(|(at, _)| Violation {
            file: file.name.clone(),
            line: at + 1,
            message: "clap is used outside the binary (src/main.rs, src/cli/)".into(),
        })
        .collect()
}

/// One violation per import cycle between top-level modules, at its first import.
fn cycles(edges: &BTreeMap<String, BTreeMap<String, (String, usize)>>) -> Vec<Violation> {
    let graph: BTreeMap<&str, Vec<&str>> = edges
        .iter()
        .map(|(from, tos)| (from.as_str(), tos.keys().map(String::as_str).collect()))
        .collect();
    find_cycles(&graph)
        .into_iter()
        .map(|cycle| {
            let (file, line) = &edges[cycle[0]][cycle[1]];
            Violation {
                file: file.clone(),
                line: *line,
                message: format!("import cycle: {}", cycle.join(" → ")),
            }
        })
        .collect()
}

fn table_cycles(table: &Table, lib: &str) -> Vec<Violation> {
    let graph: BTreeMap<&str, Vec<&str>> = table
        .rows
        .iter()
        .map(|(module, (allowed, _))| {
            let names = match allowed {
                Allowed::Only(names) => names.iter().map(String::as_str).collect(),
                Allowed::Anything => Vec::new(),
            };
            (module.as_str(), names)
        })
        .collect();
    find_cycles(&graph)
        .into_iter()
        .map(|cycle| Violation {
            file: lib.to_string(),
            line: table.rows[cycle[0]].1,
            message: format!("the direction table allows a cycle: {}", cycle.join(" → ")),
        })
        .collect()
}

/// The cycles a depth-first search meets, each as `a → b → … → a`, one per back edge.
fn find_cycles<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>) -> Vec<Vec<&'a str>> {
    fn visit<'a>(
        node: &'a str,
        graph: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
        found: &mut Vec<Vec<&'a str>>,
    ) {
        if let Some(at) = stack.iter().position(|n| *n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node);
            found.push(cycle);
            return;
        }
        if done.contains(node) {
            return;
        }
        stack.push(node);
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, stack, done, found);
        }
        stack.pop();
        done.insert(node);
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        visit(node, graph, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

#[test]
fn the_source_tree_keeps_the_direction_table() {
    let violations = check(Path::new(env!("CARGO_MANIFEST_DIR")));
    let listed: Vec<String> = violations.iter().map(Violation::to_string).collect();
    assert!(
        violations.is_empty(),
        "{} violation(s) of the architecture rules:\n{}",
        violations.len(),
        listed.join("\n")
    );
}

#[test]
fn the_table_has_a_row_for_every_module_with_the_rules_the_design_fixes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let table = read_table(&std::fs::read_to_string(root.join("src/lib.rs")).unwrap());
    let allowed = |module: &str| match &table.rows[module].0 {
        Allowed::Only(names) => names.clone(),
        Allowed::Anything => panic!("{module} may import anything"),
    };
    assert!(allowed("model").is_empty());
    assert!(allowed("diag").is_empty());
    assert!(allowed("parallel").is_empty());
    let sources = allowed("sources");
    assert!(
        sources
            .iter()
            .all(|m| ["model", "diag", "snapshot"].contains(&m.as_str()))
    );
    for module in ["graph", "analysis"] {
        for forbidden in ["rules", "report", "evidence", "drift", "sources", "cli"] {
            assert!(
                !allowed(module).contains(forbidden),
                "{module} may import {forbidden}"
            );
        }
    }
    for forbidden in ["judge", "report", "drift", "evidence"] {
        assert!(
            !allowed("rules").contains(forbidden),
            "rules may import {forbidden}"
        );
    }
    for forbidden in ["sources", "drift", "evidence", "cli"] {
        assert!(
            !allowed("report").contains(forbidden),
            "report may import {forbidden}"
        );
    }
    for (module, (allowed, _)) in &table.rows {
        if let Allowed::Only(names) = allowed {
            assert!(!names.contains(BINARY), "{module} may import the binary");
        }
    }
    assert_eq!(table.rows[BINARY].0, Allowed::Anything);
}

#[test]
fn braces_in_character_literals_and_strings_open_no_block() {
    assert_eq!(
        code_of(r#"if b == b'{' && c != '}' { f("{") }"#),
        r#"if b == b && c !=  { f("") }"#
    );
    assert_eq!(
        code_of(r"let q = '\''; let u = '\u{7b}'; x"),
        "let q = ; let u = ; x"
    );
    assert_eq!(
        code_of("fn f<'a>(x: &'a str) -> char { 'x' } // {"),
        "fn f<'a>(x: &'a str) -> char {  } "
    );
    assert_eq!(
        code_of(r"'\"),
        r"\",
        "an unclosed escape at the end of a line"
    );
}

/// The checker on `tests/fixtures/architecture/`: a tree whose table forbids `graph` to
/// import `rules`, with one violation of each kind. A checker that stopped seeing any of
/// them fails here.
#[test]
fn the_checker_names_every_violation_in_a_fixture_tree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/architecture");
    let found: Vec<String> = check(&root).iter().map(Violation::to_string).collect();
    let expected = [
        "src/graph/mod.rs:4: `graph` may not import `rules` (see the table in src/lib.rs)",
        "src/graph/mod.rs:4: import cycle: graph → rules → graph",
        "src/graph/walk.rs:3: `graph` may not import `report` (see the table in src/lib.rs)",
        "src/graph/walk.rs:8: `graph` may not import `report` (see the table in src/lib.rs)",
        "src/lib.rs:1: module `report` has no row in the direction table",
        "src/lib.rs:8: the direction table names `sources`, which is no module",
        "src/model/mod.rs:3: clap is used outside the binary (src/main.rs, src/cli/)",
        "src/model/mod.rs:6: function `long` is 122 lines (at most 120)",
        "src/rules/mod.rs:5: `rules` may not import `report` (see the table in src/lib.rs)",
    ];
    assert_eq!(found, expected, "found:\n{}", found.join("\n"));
}

#[test]
fn imports_are_found_in_every_shape_and_not_in_comments_or_strings() {
    let file = SourceFile {
        name: "src/rules/load.rs".into(),
        module_path: vec!["rules".into(), "load".into()],
        text: [
            "use crate::model::Severity;",
            "use crate::{graph::Estate, analysis::{Analysis, Population}};",
            "use crate::{",
            "    diag::SourceFile,",
            "    snapshot::{self, load_file},",
            "};",
            "// use crate::report::AuditReport;",
            "let text = \"crate::evidence is mentioned in a message\";",
            "let x = crate::judge::score::factor(s);",
            "use super::super::view::View;",
            "use super::facts::FactBase;",
            "let notcrate::x = 1;",
        ]
        .join("\n"),
    };
    let found: Vec<(String, usize)> = imports(&file);
    let expected: Vec<(String, usize)> = [
        ("model", 1),
        ("graph", 2),
        ("analysis", 2),
        ("diag", 3),
        ("snapshot", 3),
        ("judge", 9),
        ("view", 10),
    ]
    .iter()
    .map(|(m, l)| (m.to_string(), *l))
    .collect();
    assert_eq!(found, expected);
}
