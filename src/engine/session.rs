//! Where a person is in a dialogue: plain, serialisable data the engine reads and returns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub dialogue: String,
    pub node: String,
    /// Variables set by choices (`set` / `add`).
    #[serde(default)]
    pub variables: BTreeMap<String, f64>,
    /// Questionnaire scale scores so far.
    #[serde(default)]
    pub scales: BTreeMap<String, ScaleScore>,
    /// How often each node was shown, keyed `dialogue/node` (drives text variations).
    #[serde(default)]
    pub visits: BTreeMap<String, u32>,
    /// Makes "random" text variations repeatable for a session.
    #[serde(default)]
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ScaleScore {
    pub sum: f64,
    pub count: u32,
}

impl ScaleScore {
    /// The average item score (0 before any item is answered).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / f64::from(self.count)
        }
    }
}

impl Session {
    pub fn new(dialogue: &str, node: &str, seed: u64) -> Self {
        Self {
            dialogue: dialogue.to_string(),
            node: node.to_string(),
            variables: BTreeMap::new(),
            scales: BTreeMap::new(),
            visits: BTreeMap::new(),
            seed,
        }
    }

    /// A variable's value for conditions and text: a scale's mean, a variable, or 0 if unset.
    pub fn value(&self, name: &str) -> f64 {
        if let Some(score) = self.scales.get(name) {
            return score.mean();
        }
        self.variables.get(name).copied().unwrap_or(0.0)
    }

    pub(crate) fn visit_key(&self) -> String {
        format!("{}/{}", self.dialogue, self.node)
    }
}
