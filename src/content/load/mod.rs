//! Reads dialogue files, checks everything an author can get wrong, and compiles them.
//!
//! Checking happens in two passes: each file on its own (syntax, fields per node kind, node
//! references, reachability, dead ends, variables, Discord limits), then across files (duplicate
//! dialogue ids, references to other dialogues, the main menu). Every problem becomes a
//! [`Diagnostic`]; loading succeeds only when there are none, so the bot never runs half-checked
//! content.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::condition::Condition;
use super::diagnostic::{Diagnostic, SourceFile};
use super::dialogue::{
    Choice, Dialogue, DialogueHeader, Effect, MENU_DIALOGUE, Node, NodeBody, Questionnaire, Target,
};
use super::format::{ChoiceSpec, DialogueFile, NodeKind, NodeSpec, TextSpec};
use super::limits;
use super::template;
use crate::action::Command;

/// The folder under the content directory that holds safety data, not dialogues.
pub const SAFETY_DIR: &str = "safety";

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

    /// Load every dialogue file under `dir` (recursively, skipping the `safety/` folder).
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
        let mut sources = Vec::new();
        let mut problems = Vec::new();
        for path in paths {
            match std::fs::read_to_string(&path) {
                Ok(text) => sources.push(SourceFile::new(path, text)),
                Err(e) => problems.push(Diagnostic {
                    path,
                    line: 1,
                    col: 1,
                    message: format!("cannot read file: {e}"),
                }),
            }
        }
        match Library::from_sources(&sources) {
            Ok(library) if problems.is_empty() => Ok(library),
            Ok(_) => Err(problems),
            Err(more) => {
                problems.extend(more);
                Err(problems)
            }
        }
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
            if path.file_name().is_some_and(|n| n == SAFETY_DIR) {
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
    by_id
        .into_iter()
        .filter_map(|(id, item)| Some((id, item.dialogue?)))
        .collect()
}

/// Checks one parsed file and compiles it if it is sound.
struct FileCheck<'a> {
    source: &'a SourceFile,
    problems: &'a mut Vec<Diagnostic>,
    found: usize,
}

impl<'a> FileCheck<'a> {
    fn new(source: &'a SourceFile, problems: &'a mut Vec<Diagnostic>) -> Self {
        let found = problems.len();
        Self {
            source,
            problems,
            found,
        }
    }

    fn report(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push(self.source.at(span, message));
    }

    fn clean(&self) -> bool {
        self.problems.len() == self.found
    }

    fn check_id(&mut self, id: &Spanned<String>, what: &str) {
        if !limits::is_valid_id(id.get_ref()) {
            self.report(
                id.span(),
                format!(
                    "{what} `{}` must be 1-{} characters of a-z, 0-9, `_` or `-`, starting with a letter or digit",
                    id.get_ref(),
                    limits::MAX_ID_LEN
                ),
            );
        }
    }

    fn run(&mut self, file: &DialogueFile) -> Checked {
        self.check_id(&file.id, "dialogue id");
        self.check_short_text(&file.title, "title", limits::MAX_TITLE_LEN);
        self.check_short_text(
            &file.description,
            "description",
            limits::MAX_DESCRIPTION_LEN,
        );

        let questionnaire = file.questionnaire.as_ref().map(|q| {
            for scale in q.scales.get_ref() {
                if !limits::is_valid_variable(scale) {
                    self.report(
                        q.scales.span(),
                        format!("scale name `{scale}` must be lower-case letters, digits and `_`"),
                    );
                }
            }
            if q.scales.get_ref().is_empty() {
                self.report(q.scales.span(), "a questionnaire needs at least one scale");
            }
            let answers = q.answers.get_ref();
            if answers.len() < 2 || answers.len() > limits::MAX_CHOICES {
                self.report(
                    q.answers.span(),
                    format!(
                        "a questionnaire needs 2 to {} answers (found {})",
                        limits::MAX_CHOICES,
                        answers.len()
                    ),
                );
            }
            for answer in answers {
                self.check_label(answer, q.answers.span());
            }
            Questionnaire {
                scales: q.scales.get_ref().clone(),
                answers: answers.clone(),
            }
        });

        let mut seen: HashMap<&str, Range<usize>> = HashMap::new();
        for node in &file.nodes {
            self.check_id(&node.id, "node id");
            if let Some(first) = seen.get(node.id.get_ref().as_str()) {
                let (line, _) = super::diagnostic::line_col(&self.source.text, first.start);
                self.report(
                    node.id.span(),
                    format!(
                        "node id `{}` is used twice (first on line {line})",
                        node.id.get_ref()
                    ),
                );
            } else {
                seen.insert(node.id.get_ref(), node.id.span());
            }
        }
        if !seen.contains_key(file.start.get_ref().as_str()) {
            self.report(
                file.start.span(),
                format!(
                    "start node `{}` is not a node in this file",
                    file.start.get_ref()
                ),
            );
        }

        let mut references = Vec::new();
        let mut nodes = Vec::new();
        for spec in &file.nodes {
            if let Some(node) =
                self.compile_node(spec, &seen, questionnaire.as_ref(), &mut references)
            {
                nodes.push(node);
            }
        }
        let mut checked = Checked {
            id: file.id.get_ref().clone(),
            dialogue: None,
            id_span: file.id.span(),
            source: self.source.clone(),
            references,
        };
        if !self.clean() {
            return checked;
        }
        let dialogue = Dialogue::new(
            DialogueHeader {
                id: file.id.get_ref().clone(),
                title: file.title.get_ref().clone(),
                description: file.description.get_ref().clone(),
                tags: file.tags.clone(),
                start: file.start.get_ref().clone(),
                path: self.source.path.clone(),
            },
            questionnaire,
            nodes,
        );
        let spans: HashMap<&str, Range<usize>> = file
            .nodes
            .iter()
            .map(|n| (n.id.get_ref().as_str(), n.id.span()))
            .collect();
        self.check_graph(&dialogue, &spans);
        self.check_variables(&dialogue, file);
        if let Some(q) = &file.questionnaire {
            for scale in q.scales.get_ref() {
                let used = dialogue
                    .nodes()
                    .iter()
                    .any(|n| matches!(&n.body, NodeBody::Item { scale: s, .. } if s == scale));
                if !used {
                    self.report(
                        q.scales.span(),
                        format!("scale `{scale}` has no items (nodes with kind = \"item\" and scale = \"{scale}\")"),
                    );
                }
            }
        }
        if self.clean() {
            checked.dialogue = Some(dialogue);
        }
        checked
    }

    fn check_short_text(&mut self, text: &Spanned<String>, what: &str, max: usize) {
        let len = text.get_ref().chars().count();
        if text.get_ref().trim().is_empty() {
            self.report(text.span(), format!("the {what} is empty"));
        } else if len > max {
            self.report(
                text.span(),
                format!("the {what} is {len} characters; Discord allows at most {max}"),
            );
        }
    }

    fn check_label(&mut self, label: &str, span: Range<usize>) {
        let len = label.chars().count();
        if label.trim().is_empty() {
            self.report(span, "a choice label is empty");
        } else if len > limits::MAX_LABEL_LEN {
            self.report(
                span,
                format!(
                    "label \"{}\" is {len} characters; Discord buttons allow at most {}",
                    shorten(label),
                    limits::MAX_LABEL_LEN
                ),
            );
        }
    }

    /// Report fields that mean nothing for this kind of node, so typos in intent surface.
    fn forbid(&mut self, spec: &NodeSpec, kind: NodeKind, fields: &[(&str, bool)]) {
        for (name, present) in fields {
            if *present {
                self.report(
                    spec.id.span(),
                    format!(
                        "node `{}` is {} node, which cannot have `{name}`",
                        spec.id.get_ref(),
                        kind_name(kind)
                    ),
                );
            }
        }
    }

    fn require<'s, T>(
        &mut self,
        spec: &NodeSpec,
        kind: NodeKind,
        value: &'s Option<T>,
        name: &str,
    ) -> Option<&'s T> {
        if value.is_none() {
            self.report(
                spec.id.span(),
                format!(
                    "node `{}` is {} node and needs `{name}`",
                    spec.id.get_ref(),
                    kind_name(kind)
                ),
            );
        }
        value.as_ref()
    }

    fn local_target(
        &mut self,
        target: &Spanned<String>,
        nodes: &HashMap<&str, Range<usize>>,
    ) -> String {
        if !nodes.contains_key(target.get_ref().as_str()) {
            self.report(
                target.span(),
                format!(
                    "`next` points to `{}`, which is not a node in this file",
                    target.get_ref()
                ),
            );
        }
        target.get_ref().clone()
    }

    fn texts(&mut self, spec: &NodeSpec, kind: NodeKind) -> Vec<String> {
        let Some(text) = self.require(spec, kind, &spec.text, "text") else {
            return Vec::new();
        };
        let variations = text.get_ref().variations();
        if variations.is_empty() {
            self.report(text.span(), "`text` is an empty list");
        }
        for variation in &variations {
            if variation.trim().is_empty() {
                self.report(text.span(), "the text is empty");
            }
            let longest = limits::rendered_len(variation);
            if longest > limits::MAX_MESSAGE_LEN {
                self.report(
                    text.span(),
                    format!(
                        "the text can be {longest} characters once filled in; a Discord message holds at most {}",
                        limits::MAX_MESSAGE_LEN
                    ),
                );
            }
        }
        if let TextSpec::One(_) = text.get_ref() {
            if spec.vary != Default::default() {
                self.report(text.span(), "`vary` only makes sense with a list of texts");
            }
        }
        variations
    }

    fn compile_node(
        &mut self,
        spec: &NodeSpec,
        nodes: &HashMap<&str, Range<usize>>,
        questionnaire: Option<&Questionnaire>,
        references: &mut Vec<(String, Range<usize>)>,
    ) -> Option<Node> {
        let kind = spec
            .kind
            .as_ref()
            .map_or(NodeKind::Message, |k| *k.get_ref());
        let has_choices = !spec.choices.is_empty();
        let body = match kind {
            NodeKind::Message => {
                self.forbid(
                    spec,
                    kind,
                    &[
                        ("save", spec.save.is_some()),
                        ("when", !spec.branches.is_empty()),
                        ("otherwise", spec.otherwise.is_some()),
                        ("dialogue", spec.dialogue.is_some()),
                        ("scale", spec.scale.is_some()),
                        ("reverse", spec.reverse),
                        ("offer", !spec.offer.is_empty()),
                    ],
                );
                let choices = match (&spec.next, has_choices) {
                    (Some(next), false) => vec![Choice {
                        label: limits::CONTINUE_LABEL.to_string(),
                        target: Target::Node(self.local_target(next, nodes)),
                        condition: None,
                        effects: Vec::new(),
                    }],
                    (None, true) => self.choices(spec, nodes, references),
                    (Some(next), true) => {
                        self.report(
                            next.span(),
                            format!(
                                "node `{}` has both `next` and choices; use one (a single `next` shows a Continue button)",
                                spec.id.get_ref()
                            ),
                        );
                        Vec::new()
                    }
                    (None, false) => {
                        self.report(
                            spec.id.span(),
                            format!(
                                "dead end: node `{}` has no choices and no `next`; add choices, a `next`, or make it kind = \"end\"",
                                spec.id.get_ref()
                            ),
                        );
                        Vec::new()
                    }
                };
                NodeBody::Message { choices }
            }
            NodeKind::Input => {
                self.forbid(
                    spec,
                    kind,
                    &[
                        ("choice", has_choices),
                        ("when", !spec.branches.is_empty()),
                        ("otherwise", spec.otherwise.is_some()),
                        ("dialogue", spec.dialogue.is_some()),
                        ("scale", spec.scale.is_some()),
                        ("reverse", spec.reverse),
                        ("offer", !spec.offer.is_empty()),
                    ],
                );
                let next = self
                    .require(spec, kind, &spec.next, "next")
                    .map(|n| self.local_target(n, nodes))
                    .unwrap_or_default();
                let save = spec.save.as_ref().map(|s| {
                    if !limits::is_valid_variable(s.get_ref()) {
                        self.report(
                            s.span(),
                            "`save` must be a name of lower-case letters, digits and `_`",
                        );
                    }
                    s.get_ref().clone()
                });
                NodeBody::Input { next, save }
            }
            NodeKind::Branch => {
                self.forbid(
                    spec,
                    kind,
                    &[
                        ("text", spec.text.is_some()),
                        ("choice", has_choices),
                        ("next", spec.next.is_some()),
                        ("save", spec.save.is_some()),
                        ("dialogue", spec.dialogue.is_some()),
                        ("scale", spec.scale.is_some()),
                        ("reverse", spec.reverse),
                        ("offer", !spec.offer.is_empty()),
                    ],
                );
                if spec.branches.is_empty() {
                    self.report(
                        spec.id.span(),
                        format!(
                            "branch node `{}` needs at least one [[node.when]] with `if` and `next`",
                            spec.id.get_ref()
                        ),
                    );
                }
                let mut arms = Vec::new();
                for arm in &spec.branches {
                    let next = self.local_target(&arm.next, nodes);
                    if let Some(condition) = self.condition(&arm.condition) {
                        arms.push((condition, next));
                    }
                }
                let otherwise = self
                    .require(spec, kind, &spec.otherwise, "otherwise")
                    .map(|n| self.local_target(n, nodes))
                    .unwrap_or_default();
                NodeBody::Branch { arms, otherwise }
            }
            NodeKind::Item => {
                self.forbid(
                    spec,
                    kind,
                    &[
                        ("choice", has_choices),
                        ("when", !spec.branches.is_empty()),
                        ("otherwise", spec.otherwise.is_some()),
                        ("save", spec.save.is_some()),
                        ("dialogue", spec.dialogue.is_some()),
                        ("offer", !spec.offer.is_empty()),
                    ],
                );
                let next = self
                    .require(spec, kind, &spec.next, "next")
                    .map(|n| self.local_target(n, nodes))
                    .unwrap_or_default();
                let scale = self
                    .require(spec, kind, &spec.scale, "scale")
                    .map(|s| {
                        match questionnaire {
                            None => self.report(
                                s.span(),
                                "item nodes need a [questionnaire] section in the file (scales and answers)",
                            ),
                            Some(q) if !q.scales.contains(s.get_ref()) => self.report(
                                s.span(),
                                format!(
                                    "scale `{}` is not one of the questionnaire's scales ({})",
                                    s.get_ref(),
                                    q.scales.join(", ")
                                ),
                            ),
                            Some(_) => {}
                        }
                        s.get_ref().clone()
                    })
                    .unwrap_or_default();
                NodeBody::Item {
                    scale,
                    reverse: spec.reverse,
                    next,
                }
            }
            NodeKind::Jump => {
                self.forbid(
                    spec,
                    kind,
                    &[
                        ("text", spec.text.is_some()),
                        ("choice", has_choices),
                        ("next", spec.next.is_some()),
                        ("save", spec.save.is_some()),
                        ("when", !spec.branches.is_empty()),
                        ("otherwise", spec.otherwise.is_some()),
                        ("scale", spec.scale.is_some()),
                        ("reverse", spec.reverse),
                        ("offer", !spec.offer.is_empty()),
                    ],
                );
                let dialogue = self
                    .require(spec, kind, &spec.dialogue, "dialogue")
                    .map(|d| {
                        references.push((d.get_ref().clone(), d.span()));
                        d.get_ref().clone()
                    })
                    .unwrap_or_default();
                NodeBody::Jump { dialogue }
            }
            NodeKind::End => {
                self.forbid(
                    spec,
                    kind,
                    &[
                        ("choice", has_choices),
                        ("next", spec.next.is_some()),
                        ("save", spec.save.is_some()),
                        ("when", !spec.branches.is_empty()),
                        ("otherwise", spec.otherwise.is_some()),
                        ("dialogue", spec.dialogue.is_some()),
                        ("scale", spec.scale.is_some()),
                        ("reverse", spec.reverse),
                    ],
                );
                if spec.offer.len() > limits::MAX_END_OFFERS {
                    self.report(
                        spec.id.span(),
                        format!(
                            "an end node can offer at most {} dialogues (the menu and help are added too)",
                            limits::MAX_END_OFFERS
                        ),
                    );
                }
                let offer = spec
                    .offer
                    .iter()
                    .map(|d| {
                        references.push((d.get_ref().clone(), d.span()));
                        d.get_ref().clone()
                    })
                    .collect();
                NodeBody::End { offer }
            }
        };
        let texts = match kind {
            NodeKind::Branch | NodeKind::Jump => Vec::new(),
            _ => self.texts(spec, kind),
        };
        Some(Node {
            id: spec.id.get_ref().clone(),
            texts,
            vary: spec.vary,
            body,
        })
    }

    fn condition(&mut self, source: &Spanned<String>) -> Option<Condition> {
        match Condition::parse(source.get_ref()) {
            Ok(condition) => Some(condition),
            Err(e) => {
                // +1 skips the opening quote of the TOML string.
                let at = source.span().start + 1 + e.offset;
                self.report(at..at, format!("in condition `{}`: {e}", source.get_ref()));
                None
            }
        }
    }

    fn choices(
        &mut self,
        spec: &NodeSpec,
        nodes: &HashMap<&str, Range<usize>>,
        references: &mut Vec<(String, Range<usize>)>,
    ) -> Vec<Choice> {
        if spec.choices.len() > limits::MAX_CHOICES {
            self.report(
                spec.id.span(),
                format!(
                    "node `{}` has {} choices; Discord shows at most {}",
                    spec.id.get_ref(),
                    spec.choices.len(),
                    limits::MAX_CHOICES
                ),
            );
        }
        let mut labels = HashSet::new();
        let mut out = Vec::new();
        for choice in &spec.choices {
            self.check_label(choice.label.get_ref(), choice.label.span());
            if !labels.insert(choice.label.get_ref().trim().to_lowercase()) {
                self.report(
                    choice.label.span(),
                    format!(
                        "two choices in node `{}` have the label \"{}\"",
                        spec.id.get_ref(),
                        choice.label.get_ref()
                    ),
                );
            }
            if let Some(choice) = self.choice(choice, nodes, references) {
                out.push(choice);
            }
        }
        if !spec.choices.is_empty() && spec.choices.iter().all(|c| c.condition.is_some()) {
            self.report(
                spec.id.span(),
                format!(
                    "every choice in node `{}` has an `if`; when none holds the person is stuck, so leave at least one without",
                    spec.id.get_ref()
                ),
            );
        }
        out
    }

    fn choice(
        &mut self,
        spec: &ChoiceSpec,
        nodes: &HashMap<&str, Range<usize>>,
        references: &mut Vec<(String, Range<usize>)>,
    ) -> Option<Choice> {
        let given: Vec<&Spanned<String>> = [&spec.next, &spec.dialogue, &spec.command]
            .into_iter()
            .flatten()
            .collect();
        if given.len() != 1 {
            let message = if given.is_empty() {
                format!(
                    "choice \"{}\" needs `next` (a node), `dialogue` (another dialogue) or `command`",
                    spec.label.get_ref()
                )
            } else {
                format!(
                    "choice \"{}\" has more than one of `next`, `dialogue` and `command`; give one",
                    spec.label.get_ref()
                )
            };
            self.report(spec.label.span(), message);
            return None;
        }
        let target = if let Some(next) = &spec.next {
            Target::Node(self.local_target(next, nodes))
        } else if let Some(dialogue) = &spec.dialogue {
            references.push((dialogue.get_ref().clone(), dialogue.span()));
            Target::Dialogue(dialogue.get_ref().clone())
        } else {
            let name = given[0];
            match Command::from_content_name(name.get_ref()) {
                Some(command) => Target::Command(command),
                None => {
                    let known: Vec<&str> = Command::FOR_CONTENT.iter().map(|(n, _)| *n).collect();
                    self.report(
                        name.span(),
                        format!(
                            "`{}` is not a command a choice can run; use one of: {}",
                            name.get_ref(),
                            known.join(", ")
                        ),
                    );
                    return None;
                }
            }
        };
        if matches!(target, Target::Command(_)) {
            for table in [&spec.set, &spec.add].into_iter().flatten() {
                self.report(
                    table.span(),
                    "`set` and `add` do nothing on a choice with `command` (it leaves the dialogue); remove them",
                );
            }
        }
        let condition = spec.condition.as_ref().and_then(|c| self.condition(c));
        let mut effects = Vec::new();
        for (table, make) in [
            (&spec.set, Effect::Set as fn(String, f64) -> Effect),
            (&spec.add, Effect::Add as fn(String, f64) -> Effect),
        ] {
            if let Some(table) = table {
                for (name, value) in table.get_ref() {
                    if !limits::is_valid_variable(name) {
                        self.report(
                            table.span(),
                            format!(
                                "variable name `{name}` must be lower-case letters, digits and `_`"
                            ),
                        );
                    }
                    effects.push(make(name.clone(), *value));
                }
            }
        }
        Some(Choice {
            label: spec.label.get_ref().clone(),
            target,
            condition,
            effects,
        })
    }

    /// Unreachable nodes, dead ends (no way to finish), and branch loops that never wait.
    fn check_graph(&mut self, dialogue: &Dialogue, spans: &HashMap<&str, Range<usize>>) {
        let span_of = |id: &str| spans.get(id).cloned().unwrap_or(0..0);
        let mut reachable = HashSet::new();
        let mut queue = VecDeque::from([dialogue.start.as_str()]);
        while let Some(id) = queue.pop_front() {
            if !reachable.insert(id) {
                continue;
            }
            if let Some(node) = dialogue.node(id) {
                queue.extend(node.local_targets());
            }
        }
        for node in dialogue.nodes() {
            if !reachable.contains(node.id.as_str()) {
                self.report(
                    span_of(&node.id),
                    format!(
                        "node `{}` is unreachable: nothing leads to it from the start node `{}`",
                        node.id, dialogue.start
                    ),
                );
            }
        }

        // Nodes from which some exit can be reached, found backwards from the exits.
        let mut can_finish: HashSet<&str> = dialogue
            .nodes()
            .iter()
            .filter(|n| n.is_exit())
            .map(|n| n.id.as_str())
            .collect();
        loop {
            let before = can_finish.len();
            for node in dialogue.nodes() {
                if node
                    .local_targets()
                    .iter()
                    .any(|target| can_finish.contains(target))
                {
                    can_finish.insert(node.id.as_str());
                }
            }
            if can_finish.len() == before {
                break;
            }
        }
        for node in dialogue.nodes() {
            if reachable.contains(node.id.as_str()) && !can_finish.contains(node.id.as_str()) {
                self.report(
                    span_of(&node.id),
                    format!(
                        "dead end: from node `{}` the conversation can never reach an end node or another dialogue",
                        node.id
                    ),
                );
            }
        }

        // A cycle made only of branch nodes would loop forever without showing anything.
        for node in dialogue.nodes() {
            if !matches!(node.body, NodeBody::Branch { .. }) {
                continue;
            }
            let mut seen = HashSet::new();
            let mut stack = vec![node.id.as_str()];
            while let Some(id) = stack.pop() {
                let Some(current) = dialogue.node(id) else {
                    continue;
                };
                if !matches!(current.body, NodeBody::Branch { .. }) || !seen.insert(id) {
                    continue;
                }
                for target in current.local_targets() {
                    if target == node.id {
                        self.report(
                            span_of(&node.id),
                            format!(
                                "branch node `{}` can loop back to itself through branch nodes only, which never waits for the person",
                                node.id
                            ),
                        );
                        return;
                    }
                    stack.push(target);
                }
            }
        }
    }

    /// Every variable read (in a condition or a `{placeholder}`) must be set by some choice or be
    /// a questionnaire scale; effects must not overwrite scales.
    fn check_variables(&mut self, dialogue: &Dialogue, file: &DialogueFile) {
        let mut set: BTreeSet<&str> = BTreeSet::new();
        for node in dialogue.nodes() {
            if let NodeBody::Message { choices } = &node.body {
                for effect in choices.iter().flat_map(|c| &c.effects) {
                    let (Effect::Set(name, _) | Effect::Add(name, _)) = effect;
                    set.insert(name);
                }
            }
        }
        for spec in &file.nodes {
            for choice in &spec.choices {
                for table in [&choice.set, &choice.add].into_iter().flatten() {
                    for name in table.get_ref().keys() {
                        if dialogue.is_scale(name) {
                            self.report(
                                table.span(),
                                format!("`{name}` is a questionnaire scale; its score comes from the items, not from set/add"),
                            );
                        }
                    }
                }
                if let Some(c) = &choice.condition {
                    self.check_condition_variables(c, dialogue, &set);
                }
            }
            for arm in &spec.branches {
                self.check_condition_variables(&arm.condition, dialogue, &set);
            }
            if let Some(text) = &spec.text {
                for variation in text.get_ref().variations() {
                    for (_, name) in template::placeholders(&variation) {
                        if !set.contains(name) && !dialogue.is_scale(name) {
                            self.report(
                                text.span(),
                                format!("the text shows `{{{name}}}`, but no choice sets a variable `{name}` and it is not a scale"),
                            );
                        }
                    }
                }
            }
        }
    }

    fn check_condition_variables(
        &mut self,
        source: &Spanned<String>,
        dialogue: &Dialogue,
        set: &BTreeSet<&str>,
    ) {
        let Ok(condition) = Condition::parse(source.get_ref()) else {
            return;
        };
        for name in condition.variables() {
            if !set.contains(name) && !dialogue.is_scale(name) {
                self.report(
                    source.span(),
                    format!("the condition reads `{name}`, but no choice in this dialogue sets it and it is not a scale"),
                );
            }
        }
    }
}

/// The kind with its article, as messages use it: "a message", "an item".
fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Message => "a message",
        NodeKind::Input => "an input",
        NodeKind::Branch => "a branch",
        NodeKind::Item => "an item",
        NodeKind::Jump => "a jump",
        NodeKind::End => "an end",
    }
}

fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(30).collect();
    if text.chars().count() > 30 {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests;
