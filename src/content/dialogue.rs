//! The checked, compiled form of a dialogue that the engine runs.
//!
//! Values of these types only come out of [`super::load`], which has already verified every
//! reference, so the engine can look things up without re-checking the author's work.

use std::collections::HashMap;
use std::path::PathBuf;

use super::condition::Condition;
pub use super::format::Vary;
use crate::action::Command;

/// The id of the dialogue the bot shows as its main menu.
pub const MENU_DIALOGUE: &str = "menu";

#[derive(Debug, Clone)]
pub struct Dialogue {
    pub id: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub start: String,
    pub questionnaire: Option<Questionnaire>,
    pub path: PathBuf,
    nodes: Vec<Node>,
    index: HashMap<String, usize>,
}

impl Dialogue {
    pub(crate) fn new(
        header: DialogueHeader,
        questionnaire: Option<Questionnaire>,
        nodes: Vec<Node>,
    ) -> Self {
        let index = nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (node.id.clone(), i))
            .collect();
        Self {
            id: header.id,
            title: header.title,
            description: header.description,
            tags: header.tags,
            start: header.start,
            questionnaire,
            path: header.path,
            nodes,
            index,
        }
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).map(|&i| &self.nodes[i])
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Whether `name` is one of this dialogue's questionnaire scales.
    pub fn is_scale(&self, name: &str) -> bool {
        self.questionnaire
            .as_ref()
            .is_some_and(|q| q.scales.iter().any(|s| s == name))
    }
}

/// The descriptive fields of a dialogue, gathered by the loader.
#[derive(Debug, Clone)]
pub(crate) struct DialogueHeader {
    pub id: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub start: String,
    pub path: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Questionnaire {
    pub scales: Vec<String>,
    /// Answer labels, lowest agreement first; answer `n` (1-based) scores `n`.
    pub answers: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    /// Text variations (empty for branch and jump nodes).
    pub texts: Vec<String>,
    pub vary: Vary,
    pub body: NodeBody,
    /// When shown, keep the questionnaire's scores under this label (with consent).
    pub record: Option<String>,
}

#[derive(Debug, Clone)]
pub enum NodeBody {
    Message {
        choices: Vec<Choice>,
    },
    Input {
        next: String,
        save: Option<String>,
    },
    Branch {
        arms: Vec<(Condition, String)>,
        otherwise: String,
    },
    Item {
        scale: String,
        reverse: bool,
        next: String,
    },
    Jump {
        dialogue: String,
    },
    End {
        offer: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub label: String,
    pub target: Target,
    pub condition: Option<Condition>,
    pub effects: Vec<Effect>,
}

/// Where a choice leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Node(String),
    Dialogue(String),
    Command(Command),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Set(String, f64),
    Add(String, f64),
}

impl Node {
    /// Node ids this node can lead to within its own dialogue.
    pub fn local_targets(&self) -> Vec<&str> {
        match &self.body {
            NodeBody::Message { choices } => choices
                .iter()
                .filter_map(|c| match &c.target {
                    Target::Node(id) => Some(id.as_str()),
                    Target::Dialogue(_) | Target::Command(_) => None,
                })
                .collect(),
            NodeBody::Input { next, .. } | NodeBody::Item { next, .. } => vec![next.as_str()],
            NodeBody::Branch { arms, otherwise } => arms
                .iter()
                .map(|(_, next)| next.as_str())
                .chain(std::iter::once(otherwise.as_str()))
                .collect(),
            NodeBody::Jump { .. } | NodeBody::End { .. } => Vec::new(),
        }
    }

    /// Whether the conversation can leave the dialogue from this node (an end, a jump, or a
    /// choice into another dialogue or a command).
    pub fn is_exit(&self) -> bool {
        match &self.body {
            NodeBody::End { .. } | NodeBody::Jump { .. } => true,
            NodeBody::Message { choices } => choices
                .iter()
                .any(|c| matches!(c.target, Target::Dialogue(_) | Target::Command(_))),
            _ => false,
        }
    }
}
