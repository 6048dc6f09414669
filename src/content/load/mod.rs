//! Reads dialogue files, checks everything an author can get wrong, and compiles them.
//!
//! Checking happens in two passes: each file on its own (syntax, fields per node kind, node
//! references, reachability, dead ends, variables, Discord limits), then across files (duplicate
//! dialogue ids, references to other dialogues, the main menu). Every problem becomes a
//! [`Diagnostic`]; loading succeeds only when there are none, so the bot never runs half-checked
//! content.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

mod file_check;
mod structure;

use super::diagnostic::{Diagnostic, SourceFile, read_and_check};
use super::dialogue::{Dialogue, MENU_DIALOGUE};
use super::format::DialogueFile;
use file_check::FileCheck;

/// The folder under the content directory that holds safety data, not dialogues.
pub const SAFETY_DIR: &str = "safety";
/// The folder under the content directory that holds the daily prompt pool, not dialogues.
pub const PROMPTS_DIR: &str = "prompts";

/// All dialogues, checked and compiled.
#[derive(Debug, Clone, Default)]
pub struct Library {
    dialogues: BTreeMap<String, Dialogue>,
}

impl Library {
    pub fn get(&self, id: &str) -> Option<&Dialogue> {
        self.dialogues.get(id)
    }

    pub fn dialogues(&self) -> impl Iterator<Item = &Dialogue> {
        self.dialogues.values()
    }

    /// Load every dialogue file under `dir` (recursively, skipping `safety/` and `prompts/`).
    pub fn load_dir(dir: &Path) -> Result<Library, Vec<Diagnostic>> {
        let mut paths = Vec::new();
        collect_toml_files(dir, &mut paths).map_err(|message| {
            vec![Diagnostic {
                path: dir.to_path_buf(),
                line: 1,
                col: 1,
                message,
            }]
        })?;
        read_and_check(paths, Library::from_sources)
    }

    /// Check and compile already-read files (what [`Library::load_dir`] does after reading).
    pub fn from_sources(sources: &[SourceFile]) -> Result<Library, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let mut checked = Vec::new();
        let mut broken = BTreeSet::new();
        for source in sources {
            let before = problems.len();
            match toml::from_str::<DialogueFile>(&source.text) {
                Ok(file) => {
                    let mut check = FileCheck::new(source, &mut problems);
                    checked.push(check.run(&file));
                }
                Err(e) => {
                    let span = e.span().unwrap_or(0..0);
                    let message =
                        toml_message(&e, &source.text[..span.start.min(source.text.len())]);
                    problems.push(source.at(span, message));
                }
            }
            if problems.len() > before {
                broken.extend(lenient_id(&source.text));
            }
        }
        let root = sources
            .first()
            .and_then(|s| s.path.parent())
            .map_or_else(|| PathBuf::from("dialogues"), Path::to_path_buf);
        let dialogues = link(checked, &broken, &root, &mut problems);
        if problems.is_empty() {
            Ok(Library { dialogues })
        } else {
            problems.sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
            Err(problems)
        }
    }
}

fn collect_toml_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the content folder {}: {e}", dir.display()))?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n == SAFETY_DIR || n == PROMPTS_DIR)
            {
                continue;
            }
            collect_toml_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// serde's messages name the field; drop toml's own multi-line excerpt, we give line and column.
/// `before` is the file's text up to the error, to tell whether it sits in a choice or branch.
fn toml_message(e: &toml::de::Error, before: &str) -> String {
    let message = e.message().trim().replace('\n', " ");
    let last_header = before
        .lines()
        .map(str::trim)
        .rfind(|line| line.starts_with('['))
        .unwrap_or("");
    let in_sub_table =
        last_header.starts_with("[[node.choice]]") || last_header.starts_with("[[node.when]]");
    if message.starts_with("unknown field") && in_sub_table {
        format!(
            "{message}. Note: keys written after a [[node.choice]] or [[node.when]] line belong to that choice or branch; put the node's own keys above them"
        )
    } else if message.starts_with("unknown field") {
        message
    } else {
        format!("this file is not valid: {message}")
    }
}

/// The `id` of a file that failed to load, if it can be read at all, so references to it are
/// not reported a second time.
fn lenient_id(text: &str) -> Option<String> {
    if let Ok(table) = toml::from_str::<toml::Table>(text) {
        return table.get("id")?.as_str().map(str::to_string);
    }
    // Unparseable: look for a top-level `id = "..."` line before the first table header.
    text.lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with('['))
        .find_map(|line| {
            let value = line
                .strip_prefix("id")?
                .trim_start()
                .strip_prefix('=')?
                .trim();
            Some(value.trim_matches('"').to_string())
        })
}

/// A dialogue that passed its own file's checks, with what must still be checked across files.
struct Checked {
    id: String,
    /// `None` when the file has problems of its own (already reported).
    dialogue: Option<Dialogue>,
    source: SourceFile,
    id_span: Range<usize>,
    /// Other dialogues this one names, with where it names them.
    references: Vec<(String, Range<usize>)>,
}

/// Cross-file checks. `broken` holds ids of dialogues whose files have problems of their own.
fn link(
    checked: Vec<Checked>,
    broken: &BTreeSet<String>,
    root: &Path,
    problems: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Dialogue> {
    let mut by_id: BTreeMap<String, Checked> = BTreeMap::new();
    for item in checked {
        if let Some(first) = by_id.get(&item.id) {
            problems.push(item.source.at(
                item.id_span.clone(),
                format!(
                    "dialogue id `{}` is already used by {}",
                    item.id,
                    first.source.path.display()
                ),
            ));
        } else {
            by_id.insert(item.id.clone(), item);
        }
    }
    for item in by_id.values() {
        for (target, span) in &item.references {
            if !by_id.contains_key(target) && !broken.contains(target) {
                problems.push(item.source.at(
                    span.clone(),
                    format!("there is no dialogue with id `{target}`"),
                ));
            }
        }
    }
    if !by_id.contains_key(MENU_DIALOGUE) && !broken.contains(MENU_DIALOGUE) {
        problems.push(Diagnostic {
            path: root.to_path_buf(),
            line: 1,
            col: 1,
            message: format!(
                "no dialogue has id `{MENU_DIALOGUE}`: the bot needs one as its main menu"
            ),
        });
    }
    let dialogues: BTreeMap<String, Dialogue> = by_id
        .iter()
        .filter_map(|(id, item)| Some((id.clone(), item.dialogue.clone()?)))
        .collect();
    for (dialogue, node, path) in structure::jump_cycles(&dialogues) {
        if let Some(item) = by_id.get(&dialogue) {
            problems.push(item.source.at(
                item.id_span.clone(),
                format!(
                    "jump node `{node}` leads back to itself without ever waiting for the person: {}",
                    path.join(" -> ")
                ),
            ));
        }
    }
    dialogues
}

#[cfg(test)]
mod tests;
