//! Checks one dialogue file on its own and compiles it: ids, fields per node kind, choices,
//! conditions, node references and Discord limits. Structural checks (reachability, dead ends,
//! variables) are in `structure.rs`.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use toml::Spanned;

use super::Checked;
use crate::action::Command;
use crate::content::condition::Condition;
use crate::content::diagnostic::{Diagnostic, SourceFile};
use crate::content::dialogue::{
    Choice, Dialogue, DialogueHeader, Effect, Node, NodeBody, Questionnaire, Target,
};
use crate::content::format::{ChoiceSpec, DialogueFile, NodeKind, NodeSpec, TextSpec};
use crate::content::limits;

/// Checks one parsed file and compiles it if it is sound.
pub(super) struct FileCheck<'a> {
    source: &'a SourceFile,
    problems: &'a mut Vec<Diagnostic>,
    found: usize,
}

impl<'a> FileCheck<'a> {
    pub(super) fn new(source: &'a SourceFile, problems: &'a mut Vec<Diagnostic>) -> Self {
        let found = problems.len();
        Self {
            source,
            problems,
            found,
        }
    }

    pub(super) fn report(&mut self, span: Range<usize>, message: impl Into<String>) {
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

    pub(super) fn run(&mut self, file: &DialogueFile) -> Checked {
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
                let (line, _) =
                    crate::content::diagnostic::line_col(&self.source.text, first.start);
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

    /// Report keys that mean nothing for this kind of node, so a mistaken intent surfaces.
    fn check_fields(&mut self, spec: &NodeSpec, kind: NodeKind) {
        let present = [
            ("text", spec.text.is_some()),
            ("choice", !spec.choices.is_empty()),
            ("next", spec.next.is_some()),
            ("save", spec.save.is_some()),
            ("when", !spec.branches.is_empty()),
            ("otherwise", spec.otherwise.is_some()),
            ("dialogue", spec.dialogue.is_some()),
            ("scale", spec.scale.is_some()),
            ("reverse", spec.reverse),
            ("offer", !spec.offer.is_empty()),
            ("record", spec.record.is_some()),
        ];
        let allowed = allowed_fields(kind);
        for (name, is_present) in present {
            if is_present && !allowed.contains(&name) {
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
        self.check_fields(spec, kind);
        let body = match kind {
            NodeKind::Message => {
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
        let record = spec.record.as_ref().map(|label| {
            if questionnaire.is_none() {
                self.report(
                    label.span(),
                    "`record` keeps questionnaire scores, but this file has no [questionnaire]",
                );
            }
            if label.get_ref().trim().is_empty()
                || label.get_ref().chars().count() > limits::MAX_LABEL_LEN
            {
                self.report(
                    label.span(),
                    format!(
                        "`record` needs a short label (1-{} characters)",
                        limits::MAX_LABEL_LEN
                    ),
                );
            }
            label.get_ref().clone()
        });
        Some(Node {
            id: spec.id.get_ref().clone(),
            texts,
            vary: spec.vary,
            body,
            record,
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
}

/// The keys (besides `id`, `kind` and `vary`) each kind of node may have.
fn allowed_fields(kind: NodeKind) -> &'static [&'static str] {
    match kind {
        NodeKind::Message => &["text", "choice", "next", "record"],
        NodeKind::Input => &["text", "next", "save"],
        NodeKind::Branch => &["when", "otherwise"],
        NodeKind::Item => &["text", "scale", "reverse", "next"],
        NodeKind::Jump => &["dialogue"],
        NodeKind::End => &["text", "offer", "record"],
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
