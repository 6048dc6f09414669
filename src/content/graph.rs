//! A dialogue drawn as a graph (Mermaid or Graphviz dot), so authors can see its shape.

use std::fmt::Write;

use super::dialogue::{Dialogue, NodeBody, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

/// One edge: from a node to a node (or to another dialogue), with a label.
struct Edge {
    from: String,
    to: String,
    label: String,
}

fn edges(dialogue: &Dialogue) -> Vec<Edge> {
    let mut out = Vec::new();
    for node in dialogue.nodes() {
        let mut push = |to: String, label: &str| {
            out.push(Edge {
                from: node.id.clone(),
                to,
                label: label.to_string(),
            })
        };
        match &node.body {
            NodeBody::Message { choices } => {
                for choice in choices {
                    match &choice.target {
                        Target::Node(id) => push(id.clone(), &choice.label),
                        Target::Dialogue(id) => push(format!("dialogue:{id}"), &choice.label),
                        Target::Command(command) => {
                            push(format!("command:{command:?}").to_lowercase(), &choice.label)
                        }
                    }
                }
            }
            NodeBody::Input { next, .. } => push(next.clone(), "typed answer"),
            NodeBody::Item { next, .. } => push(next.clone(), "answer"),
            NodeBody::Branch { arms, otherwise } => {
                for (i, (_, next)) in arms.iter().enumerate() {
                    push(next.clone(), &format!("when #{}", i + 1));
                }
                push(otherwise.clone(), "otherwise");
            }
            NodeBody::Jump { dialogue } => push(format!("dialogue:{dialogue}"), "jump"),
            NodeBody::End { offer } => {
                for id in offer {
                    push(format!("dialogue:{id}"), "offer");
                }
            }
        }
    }
    out
}

fn node_label(body: &NodeBody, id: &str) -> String {
    let kind = match body {
        NodeBody::Message { .. } => "",
        NodeBody::Input { .. } => " (input)",
        NodeBody::Branch { .. } => " (branch)",
        NodeBody::Item { .. } => " (item)",
        NodeBody::Jump { .. } => " (jump)",
        NodeBody::End { .. } => " (end)",
    };
    format!("{id}{kind}")
}

fn quote(text: &str) -> String {
    text.replace('"', "'")
}

/// Render `dialogue` in `format`.
pub fn render(dialogue: &Dialogue, format: GraphFormat) -> String {
    let mut out = String::new();
    // Mermaid ids: a prefix (so `end` is never a keyword) and an escape for `-`, `_` and `:`
    // that keeps `a-b` and `a_b` apart.
    let safe = |id: &str| {
        let escaped: String = id
            .chars()
            .map(|c| match c {
                '_' => "_u".to_string(),
                '-' => "_d".to_string(),
                ':' => "_c".to_string(),
                c => c.to_string(),
            })
            .collect();
        format!("n_{escaped}")
    };
    match format {
        GraphFormat::Mermaid => {
            let _ = writeln!(out, "flowchart TD");
            for node in dialogue.nodes() {
                let _ = writeln!(
                    out,
                    "  {}[\"{}\"]",
                    safe(&node.id),
                    quote(&node_label(&node.body, &node.id))
                );
            }
            for edge in edges(dialogue) {
                let _ = writeln!(
                    out,
                    "  {} -->|\"{}\"| {}",
                    safe(&edge.from),
                    quote(&edge.label),
                    safe(&edge.to)
                );
            }
        }
        GraphFormat::Dot => {
            let _ = writeln!(out, "digraph \"{}\" {{", quote(&dialogue.id));
            for node in dialogue.nodes() {
                let _ = writeln!(
                    out,
                    "  \"{}\" [label=\"{}\"];",
                    node.id,
                    quote(&node_label(&node.body, &node.id))
                );
            }
            for edge in edges(dialogue) {
                let _ = writeln!(
                    out,
                    "  \"{}\" -> \"{}\" [label=\"{}\"];",
                    edge.from,
                    edge.to,
                    quote(&edge.label)
                );
            }
            let _ = writeln!(out, "}}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Library, SourceFile};

    #[test]
    fn mermaid_ids_are_distinct_and_never_keywords() {
        let menu = "id = \"menu\"\ntitle = \"M\"\ndescription = \"d\"\nstart = \"a-b\"\n[[node]]\nid = \"a-b\"\ntext = \"x\"\n  [[node.choice]]\n  label = \"one\"\n  next = \"a_b\"\n[[node]]\nid = \"a_b\"\ntext = \"y\"\nnext = \"end\"\n[[node]]\nid = \"end\"\nkind = \"end\"\ntext = \"z\"\n";
        let library = Library::from_sources(&[SourceFile::new("menu.toml", menu)]).unwrap();
        let out = render(library.get("menu").unwrap(), GraphFormat::Mermaid);
        assert!(out.contains("n_a_db -->|\"one\"| n_a_ub"), "{out}");
        assert!(out.contains("n_end[\"end (end)\"]"), "{out}");
    }
}
