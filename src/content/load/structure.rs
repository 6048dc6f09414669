//! Structural checks on a compiled dialogue: unreachable nodes, dead ends, branch-only loops,
//! and variables that are read but never set.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::ops::Range;

use toml::Spanned;

use super::file_check::FileCheck;
use crate::content::condition::Condition;
use crate::content::dialogue::{Dialogue, Effect, NodeBody};
use crate::content::format::DialogueFile;
use crate::content::template;

impl FileCheck<'_> {
    /// Unreachable nodes, dead ends (no way to finish), and branch loops that never wait.
    pub(super) fn check_graph(&mut self, dialogue: &Dialogue, spans: &HashMap<&str, Range<usize>>) {
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
    pub(super) fn check_variables(&mut self, dialogue: &Dialogue, file: &DialogueFile) {
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

/// Jump nodes from which the conversation can come back to the same node through jumps and
/// branches alone (never waiting for the person), across dialogues. Each as (dialogue, node,
/// the path taken as `dialogue/node` steps).
pub(super) fn jump_cycles(
    dialogues: &BTreeMap<String, Dialogue>,
) -> Vec<(String, String, Vec<String>)> {
    let automatic = |dialogue: &str, node: &str| -> Vec<(String, String)> {
        let Some(found) = dialogues.get(dialogue).and_then(|d| d.node(node)) else {
            return Vec::new();
        };
        match &found.body {
            NodeBody::Branch { .. } => found
                .local_targets()
                .into_iter()
                .map(|t| (dialogue.to_string(), t.to_string()))
                .collect(),
            NodeBody::Jump { dialogue: to } => dialogues
                .get(to)
                .map(|d| vec![(to.clone(), d.start.clone())])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    };
    let mut cycles = Vec::new();
    for dialogue in dialogues.values() {
        for node in dialogue.nodes() {
            if !matches!(node.body, NodeBody::Jump { .. }) {
                continue;
            }
            let origin = (dialogue.id.clone(), node.id.clone());
            let mut seen = HashSet::new();
            let mut stack = vec![(origin.clone(), vec![format!("{}/{}", origin.0, origin.1)])];
            while let Some((at, path)) = stack.pop() {
                for next in automatic(&at.0, &at.1) {
                    let mut longer = path.clone();
                    longer.push(format!("{}/{}", next.0, next.1));
                    if next == origin {
                        cycles.push((origin.0.clone(), origin.1.clone(), longer));
                        stack.clear();
                        break;
                    }
                    if seen.insert(next.clone()) {
                        stack.push((next, longer));
                    }
                }
            }
        }
    }
    cycles
}
