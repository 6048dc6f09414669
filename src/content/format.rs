//! The dialogue file format as authors write it (TOML, read with serde).
//!
//! These types mirror the file one to one and keep source spans, so the validator can point at
//! the exact line of a mistake. `dialogues/README.md` documents the format for authors;
//! [`super::dialogue`] holds the checked, compiled form the engine runs.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// One dialogue file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialogueFile {
    pub id: Spanned<String>,
    pub title: Spanned<String>,
    pub description: Spanned<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub start: Spanned<String>,
    #[serde(default)]
    pub questionnaire: Option<QuestionnaireSpec>,
    #[serde(default, rename = "node")]
    pub nodes: Vec<NodeSpec>,
}

/// Shared settings for a scored check-in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionnaireSpec {
    /// Names of the scales items add to, e.g. `["anxiety", "avoidance"]`.
    pub scales: Spanned<Vec<String>>,
    /// The answer labels, lowest agreement first; answer `n` scores `n`.
    pub answers: Spanned<Vec<String>>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// Text and choices (or a single `next` shown as "Continue").
    #[default]
    Message,
    /// Text, then the person types a free-text answer.
    Input,
    /// No text: goes to the first `[[node.when]]` whose condition holds, else `otherwise`.
    Branch,
    /// A questionnaire item: text plus the questionnaire's answers, scored on `scale`.
    Item,
    /// Continues in another dialogue.
    Jump,
    /// Closing text; the bot adds what to do next (offers, the menu, help).
    End,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Vary {
    /// Variations in order across visits, staying on the last one.
    #[default]
    Sequence,
    /// A variation picked at random on each visit.
    Random,
}

/// Node text: one string, or several variations.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TextSpec {
    One(String),
    Many(Vec<String>),
}

impl TextSpec {
    pub fn variations(&self) -> Vec<String> {
        match self {
            TextSpec::One(text) => vec![text.clone()],
            TextSpec::Many(texts) => texts.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    pub id: Spanned<String>,
    #[serde(default)]
    pub kind: Option<Spanned<NodeKind>>,
    #[serde(default)]
    pub text: Option<Spanned<TextSpec>>,
    #[serde(default)]
    pub vary: Vary,
    #[serde(default, rename = "choice")]
    pub choices: Vec<ChoiceSpec>,
    #[serde(default)]
    pub next: Option<Spanned<String>>,
    /// Input nodes: the name a typed answer is saved under (only with consent).
    #[serde(default)]
    pub save: Option<Spanned<String>>,
    #[serde(default, rename = "when")]
    pub branches: Vec<BranchSpec>,
    #[serde(default)]
    pub otherwise: Option<Spanned<String>>,
    /// Jump nodes: the dialogue to continue in.
    #[serde(default)]
    pub dialogue: Option<Spanned<String>>,
    /// Item nodes: the scale this item scores on.
    #[serde(default)]
    pub scale: Option<Spanned<String>>,
    /// Item nodes: score the answers the other way round.
    #[serde(default)]
    pub reverse: bool,
    /// End nodes: dialogues to suggest next.
    #[serde(default)]
    pub offer: Vec<Spanned<String>>,
    /// Message and end nodes of a questionnaire: when shown, keep the scale scores under this
    /// label in the person's history (only if they turned saving on).
    #[serde(default)]
    pub record: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceSpec {
    pub label: Spanned<String>,
    #[serde(default)]
    pub next: Option<Spanned<String>>,
    #[serde(default)]
    pub dialogue: Option<Spanned<String>>,
    /// A bot command instead of a node or dialogue: `menu`, `help`, `resources`...
    #[serde(default)]
    pub command: Option<Spanned<String>>,
    #[serde(default, rename = "if")]
    pub condition: Option<Spanned<String>>,
    #[serde(default)]
    pub set: Option<Spanned<BTreeMap<String, f64>>>,
    #[serde(default)]
    pub add: Option<Spanned<BTreeMap<String, f64>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchSpec {
    #[serde(rename = "if")]
    pub condition: Spanned<String>,
    pub next: Spanned<String>,
}
