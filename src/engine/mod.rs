//! The dialogue engine: a pure, synchronous step function over plain data.
//!
//! `(library, session, input) -> turn`: no I/O, no clock, no randomness beyond the session's seed,
//! so every behaviour is a unit test away. The core decides what to store and what to show; the
//! engine only knows dialogues.

mod session;

pub use session::{ScaleScore, Session};

use thiserror::Error;

use crate::action::{Action, Command, Offer};
use crate::content::dialogue::Vary;
use crate::content::template;
use crate::content::{Effect, Library, Node, NodeBody, Target};

/// How many automatic steps (branches, jumps) a turn may take before the engine gives up.
const MAX_AUTOMATIC_STEPS: usize = 64;

/// What the person sees after a step.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub text: String,
    pub options: Vec<Offer>,
    /// The node waits for typed text rather than a choice.
    pub awaits_text: bool,
    /// The dialogue reached an end node.
    pub finished: bool,
}

/// Typed text the dialogue asked to keep under a name (stored only with consent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub name: String,
    pub text: String,
}

/// Questionnaire scores a node asked to keep (stored only with consent).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub label: String,
    /// Each scale's average so far.
    pub scores: std::collections::BTreeMap<String, f64>,
}

/// The result of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub session: Session,
    pub prompt: Prompt,
    pub notes: Vec<Note>,
    /// Scores to keep in the person's history.
    pub records: Vec<Record>,
    /// Every node entered during the step, as `dialogue/node`, including branches and jumps
    /// passed through on the way (for coverage reports and debugging; never shown).
    pub path: Vec<String>,
    /// Short messages about the step itself (e.g. content changed, so the dialogue restarted).
    pub notices: Vec<String>,
}

/// What the person did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    Choose { node: &'a str, index: usize },
    Text(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EngineError {
    #[error("there is no dialogue `{0}`")]
    UnknownDialogue(String),
    #[error("that choice is not available here any more")]
    StaleChoice,
    #[error("this step expects a choice, not typed text")]
    NotExpectingText,
    #[error("dialogue `{0}` loops without ever waiting for the person")]
    Loop(String),
}

pub const CONTENT_CHANGED_NOTICE: &str = "This conversation was updated since you were last here, so it starts again from the beginning.";

/// Start `dialogue` from its start node.
pub fn start(library: &Library, dialogue: &str, seed: u64) -> Result<Turn, EngineError> {
    start_after(library, dialogue, seed, None)
}

/// Start `dialogue` fresh, keeping the visit counts of the `previous` session so text
/// variations move on ("Back at the menu") rather than repeating the first visit's text.
pub fn start_after(
    library: &Library,
    dialogue: &str,
    seed: u64,
    previous: Option<&Session>,
) -> Result<Turn, EngineError> {
    let start = &library
        .get(dialogue)
        .ok_or_else(|| EngineError::UnknownDialogue(dialogue.to_string()))?
        .start;
    let mut session = Session::new(dialogue, start, seed);
    if let Some(previous) = previous {
        session.visits = previous.visits.clone();
    }
    enter(library, session, Vec::new(), Vec::new())
}

/// Show the current step again (after a restart or an interruption), without counting a visit.
pub fn current(library: &Library, session: &Session) -> Result<Turn, EngineError> {
    match locate(library, session) {
        Some(node) => Ok(Turn {
            prompt: prompt(library, session, node, 0),
            session: session.clone(),
            notes: Vec::new(),
            records: Vec::new(),
            path: Vec::new(),
            notices: Vec::new(),
        }),
        None => restart(library, session),
    }
}

/// Apply `input` to `session`.
pub fn advance(library: &Library, session: &Session, input: Input) -> Result<Turn, EngineError> {
    let Some(node) = locate(library, session) else {
        return restart(library, session);
    };
    let mut next = session.clone();
    let mut notes = Vec::new();
    match (&node.body, input) {
        (NodeBody::Message { choices }, Input::Choose { node: at, index }) => {
            if at != node.id {
                return Err(EngineError::StaleChoice);
            }
            let choice = choices.get(index).ok_or(EngineError::StaleChoice)?;
            if let Some(condition) = &choice.condition {
                if !condition.eval(&|name| session.value(name)) {
                    return Err(EngineError::StaleChoice);
                }
            }
            for effect in &choice.effects {
                match effect {
                    Effect::Set(name, value) => {
                        next.variables.insert(name.clone(), *value);
                    }
                    Effect::Add(name, value) => {
                        *next.variables.entry(name.clone()).or_default() += value;
                    }
                }
            }
            match &choice.target {
                Target::Node(id) => next.node = id.clone(),
                Target::Dialogue(id) => switch_dialogue(library, &mut next, id)?,
                // Commands never reach the engine: their offers carry the command itself.
                Target::Command(_) => return Err(EngineError::StaleChoice),
            }
        }
        (
            NodeBody::Item {
                scale,
                reverse,
                next: to,
            },
            Input::Choose { node: at, index },
        ) => {
            let answers = library
                .get(&session.dialogue)
                .and_then(|d| d.questionnaire.as_ref())
                .map_or(0, |q| q.answers.len());
            if at != node.id || index >= answers {
                return Err(EngineError::StaleChoice);
            }
            let score = if *reverse { answers - index } else { index + 1 };
            let entry = next.scales.entry(scale.clone()).or_default();
            entry.sum += score as f64;
            entry.count = entry.count.saturating_add(1);
            next.node = to.clone();
        }
        (NodeBody::Input { next: to, save }, Input::Text(text)) => {
            if let Some(name) = save {
                notes.push(Note {
                    name: name.clone(),
                    text: text.to_string(),
                });
            }
            next.node = to.clone();
        }
        (NodeBody::Input { .. }, Input::Choose { .. }) => return Err(EngineError::StaleChoice),
        (_, Input::Text(_)) => return Err(EngineError::NotExpectingText),
        (_, Input::Choose { .. }) => return Err(EngineError::StaleChoice),
    }
    enter(library, next, notes, Vec::new())
}

/// The label choice `index` at `node` of `dialogue` has in the content now (a message node's
/// choice, or a questionnaire item's answer), so an adapter can tell a button made before a
/// content edit from one made after it.
pub fn choice_label<'l>(
    library: &'l Library,
    dialogue: &str,
    node: &str,
    index: usize,
) -> Option<&'l str> {
    let dialogue = library.get(dialogue)?;
    match &dialogue.node(node)?.body {
        NodeBody::Message { choices } => choices.get(index).map(|c| c.label.as_str()),
        NodeBody::Item { .. } => dialogue
            .questionnaire
            .as_ref()?
            .answers
            .get(index)
            .map(String::as_str),
        _ => None,
    }
}

fn locate<'l>(library: &'l Library, session: &Session) -> Option<&'l Node> {
    library.get(&session.dialogue)?.node(&session.node)
}

/// The saved place no longer exists: start that dialogue again, with a note saying why.
fn restart(library: &Library, session: &Session) -> Result<Turn, EngineError> {
    let dialogue = library
        .get(&session.dialogue)
        .ok_or_else(|| EngineError::UnknownDialogue(session.dialogue.clone()))?;
    let mut fresh = Session::new(&dialogue.id, &dialogue.start, session.seed);
    fresh.visits = session.visits.clone();
    enter(
        library,
        fresh,
        Vec::new(),
        vec![CONTENT_CHANGED_NOTICE.to_string()],
    )
}

fn switch_dialogue(library: &Library, session: &mut Session, id: &str) -> Result<(), EngineError> {
    let dialogue = library
        .get(id)
        .ok_or_else(|| EngineError::UnknownDialogue(id.to_string()))?;
    session.dialogue = dialogue.id.clone();
    session.node = dialogue.start.clone();
    // Each dialogue starts with its own variables and scores; visit counts carry on.
    session.variables.clear();
    session.scales.clear();
    Ok(())
}

/// Arrive at `session.node`: follow branches and jumps, count the visit, build the prompt.
fn enter(
    library: &Library,
    mut session: Session,
    notes: Vec<Note>,
    notices: Vec<String>,
) -> Result<Turn, EngineError> {
    let mut path = Vec::new();
    for _ in 0..MAX_AUTOMATIC_STEPS {
        let dialogue = library
            .get(&session.dialogue)
            .ok_or_else(|| EngineError::UnknownDialogue(session.dialogue.clone()))?;
        let Some(node) = dialogue.node(&session.node) else {
            return restart(library, &session);
        };
        path.push(session.visit_key());
        match &node.body {
            NodeBody::Branch { arms, otherwise } => {
                let target = arms
                    .iter()
                    .find(|(condition, _)| condition.eval(&|name| session.value(name)))
                    .map_or(otherwise, |(_, next)| next);
                session.node = target.clone();
            }
            NodeBody::Jump { dialogue: id } => switch_dialogue(library, &mut session, id)?,
            _ => {
                let visits = session.visits.entry(session.visit_key()).or_default();
                *visits = visits.saturating_add(1);
                let visit = *visits;
                let records = node
                    .record
                    .iter()
                    .map(|label| Record {
                        label: label.clone(),
                        scores: session
                            .scales
                            .iter()
                            .map(|(name, score)| (name.clone(), score.mean()))
                            .collect(),
                    })
                    .collect();
                return Ok(Turn {
                    prompt: prompt(library, &session, node, visit),
                    session,
                    notes,
                    records,
                    path,
                    notices,
                });
            }
        }
    }
    Err(EngineError::Loop(session.dialogue))
}

/// The text and options of `node`; `visit` picks the text variation (0 = reuse the last one).
fn prompt(library: &Library, session: &Session, node: &Node, visit: u32) -> Prompt {
    let visit = if visit == 0 {
        session
            .visits
            .get(&session.visit_key())
            .copied()
            .unwrap_or(1)
    } else {
        visit
    };
    let text = pick_variation(node, session.seed, visit);
    let text = template::render(text, &|name| template::format_number(session.value(name)));
    let choose = |index: usize| Action::Choose {
        dialogue: session.dialogue.clone(),
        node: node.id.clone(),
        index,
    };
    let mut awaits_text = false;
    let mut finished = false;
    let options = match &node.body {
        NodeBody::Message { choices } => choices
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.condition
                    .as_ref()
                    .is_none_or(|cond| cond.eval(&|name| session.value(name)))
            })
            .map(|(i, c)| match &c.target {
                Target::Command(command) => Offer::command(c.label.clone(), *command),
                _ => Offer::new(c.label.clone(), choose(i)),
            })
            .collect(),
        NodeBody::Item { .. } => library
            .get(&session.dialogue)
            .and_then(|d| d.questionnaire.as_ref())
            .map(|q| {
                q.answers
                    .iter()
                    .enumerate()
                    .map(|(i, label)| Offer::new(label.clone(), choose(i)))
                    .collect()
            })
            .unwrap_or_default(),
        NodeBody::Input { .. } => {
            awaits_text = true;
            Vec::new()
        }
        NodeBody::End { offer } => {
            finished = true;
            let mut options: Vec<Offer> = offer
                .iter()
                .filter_map(|id| library.get(id))
                .map(|d| {
                    Offer::new(
                        d.title.clone(),
                        Action::Start {
                            dialogue: d.id.clone(),
                        },
                    )
                })
                .collect();
            options.push(Offer::command("Main menu", Command::Menu));
            options.push(Offer::command("Talk to someone now", Command::Resources));
            options
        }
        NodeBody::Branch { .. } | NodeBody::Jump { .. } => Vec::new(),
    };
    Prompt {
        text,
        options,
        awaits_text,
        finished,
    }
}

fn pick_variation(node: &Node, seed: u64, visit: u32) -> &str {
    let count = node.texts.len();
    if count == 0 {
        return "";
    }
    let index = match node.vary {
        Vary::Sequence => (visit as usize).saturating_sub(1).min(count - 1),
        Vary::Random => (mix(seed ^ u64::from(visit) ^ hash(&node.id)) % count as u64) as usize,
    };
    &node.texts[index]
}

/// A small, stable hash (FNV-1a): std's hasher is not guaranteed stable across releases.
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// splitmix64 finaliser: spreads nearby seeds far apart.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests;
