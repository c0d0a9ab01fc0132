//! The view as Graphviz DOT: failure domains as nested clusters (provider, region, zone).

use std::io::{self, Write};

use super::{Tree, View};

/// A double-quoted DOT string.
fn dot_quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            c if c.is_control() => quoted.push(' '),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// The view as Graphviz DOT: failure domains as nested clusters (provider, region, zone),
/// critical services bold, `any of` edges dashed, each edge labelled with its group.
pub fn dot(view: &View, out: &mut dyn Write) -> io::Result<()> {
    let tree = Tree::of(view);
    writeln!(out, "digraph linchpin {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(out, "  compound=true;")?;
    writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=Helvetica];"
    )?;
    writeln!(out, "  edge [fontname=Helvetica, fontsize=9];")?;
    let node = |out: &mut dyn Write, indent: &str, i: usize| -> io::Result<()> {
        let n = &view.nodes[i];
        let style = if n.critical {
            ", penwidth=2.5, fillcolor=\"#fde2e1\""
        } else {
            ""
        };
        let zones = n
            .zone_note()
            .map_or_else(String::new, |note| format!("\n{note}"));
        writeln!(
            out,
            "{indent}n{i} [label={}, tooltip={}{style}];",
            dot_quote(&format!("{}\n{}{zones}", n.name, n.kind)),
            dot_quote(&n.id)
        )
    };
    for (p, (provider, pbox)) in tree.providers.iter().enumerate() {
        writeln!(out, "  subgraph cluster_p{p} {{")?;
        writeln!(
            out,
            "    label={}; style=rounded; color=\"#555555\";",
            dot_quote(&format!("provider {provider}"))
        )?;
        for (r, (region, rbox)) in pbox.regions.iter().enumerate() {
            writeln!(out, "    subgraph cluster_p{p}_r{r} {{")?;
            writeln!(
                out,
                "      label={}; style=rounded; color=\"#1f77b4\";",
                dot_quote(&format!("region {region}"))
            )?;
            for (z, (zone, nodes)) in rbox.zones.iter().enumerate() {
                writeln!(out, "      subgraph cluster_p{p}_r{r}_z{z} {{")?;
                writeln!(
                    out,
                    "        label={}; style=\"rounded,dashed\"; color=\"#2ca02c\";",
                    dot_quote(&format!("zone {zone}"))
                )?;
                for &i in nodes {
                    node(out, "        ", i)?;
                }
                writeln!(out, "      }}")?;
            }
            for &i in &rbox.nodes {
                node(out, "      ", i)?;
            }
            writeln!(out, "    }}")?;
        }
        for &i in &pbox.nodes {
            node(out, "    ", i)?;
        }
        writeln!(out, "  }}")?;
    }
    for &i in &tree.loose {
        node(out, "  ", i)?;
    }
    for edge in &view.edges {
        let style = if edge.group.starts_with("any of") {
            ", style=dashed"
        } else {
            ""
        };
        writeln!(
            out,
            "  n{} -> n{} [label={}{style}];",
            edge.from,
            edge.to,
            dot_quote(&edge.group)
        )?;
    }
    if view.omitted > 0 {
        writeln!(
            out,
            "  omitted [shape=note, label={}];",
            dot_quote(&format!("{} more resources not drawn", view.omitted))
        )?;
    }
    writeln!(out, "}}")
}
