//! The view as a Mermaid flowchart: failure domains as nested subgraphs.

use std::io::{self, Write};

use super::{Tree, View};

/// Text for a Mermaid label inside double quotes: quotes and markup as entity codes.
fn mermaid_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => escaped.push_str("#quot;"),
            '<' => escaped.push_str("#lt;"),
            '>' => escaped.push_str("#gt;"),
            '#' => escaped.push_str("#35;"),
            '|' => escaped.push_str("#124;"),
            '`' => escaped.push_str("#96;"),
            c if c.is_control() => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The view as a Mermaid flowchart: failure domains as nested subgraphs, critical services
/// in the `critical` class, `any of` edges dotted, each edge labelled with its group.
pub fn mermaid(view: &View, out: &mut dyn Write) -> io::Result<()> {
    let tree = Tree::of(view);
    writeln!(out, "flowchart LR")?;
    let node = |out: &mut dyn Write, indent: &str, i: usize| -> io::Result<()> {
        let n = &view.nodes[i];
        let zones = n
            .zone_note()
            .map_or_else(String::new, |note| format!("<br/>{}", mermaid_text(&note)));
        writeln!(
            out,
            "{indent}n{i}[\"{}<br/><small>{}</small>{zones}\"]",
            mermaid_text(&n.name),
            mermaid_text(&n.kind)
        )
    };
    for (p, (provider, pbox)) in tree.providers.iter().enumerate() {
        writeln!(
            out,
            "  subgraph p{p}[\"provider {}\"]",
            mermaid_text(provider)
        )?;
        for (r, (region, rbox)) in pbox.regions.iter().enumerate() {
            writeln!(
                out,
                "    subgraph p{p}_r{r}[\"region {}\"]",
                mermaid_text(region)
            )?;
            for (z, (zone, nodes)) in rbox.zones.iter().enumerate() {
                writeln!(
                    out,
                    "      subgraph p{p}_r{r}_z{z}[\"zone {}\"]",
                    mermaid_text(zone)
                )?;
                for &i in nodes {
                    node(out, "        ", i)?;
                }
                writeln!(out, "      end")?;
            }
            for &i in &rbox.nodes {
                node(out, "      ", i)?;
            }
            writeln!(out, "    end")?;
        }
        for &i in &pbox.nodes {
            node(out, "    ", i)?;
        }
        writeln!(out, "  end")?;
    }
    for &i in &tree.loose {
        node(out, "  ", i)?;
    }
    for edge in &view.edges {
        let arrow = if edge.group.starts_with("any of") {
            "-.->"
        } else {
            "-->"
        };
        writeln!(
            out,
            "  n{} {arrow}|\"{}\"| n{}",
            edge.from,
            mermaid_text(&edge.group),
            edge.to
        )?;
    }
    if view.omitted > 0 {
        writeln!(
            out,
            "  omitted[\"{} more resources not drawn\"]",
            view.omitted
        )?;
    }
    writeln!(out, "  classDef critical stroke-width:3px,fill:#fde2e1")?;
    let critical: Vec<String> = view
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.critical)
        .map(|(i, _)| format!("n{i}"))
        .collect();
    if !critical.is_empty() {
        writeln!(out, "  class {} critical", critical.join(","))?;
    }
    Ok(())
}
