//! Random walks through every shipped dialogue: no walk may hit an engine error, every walk
//! reaches an exit, and together the walks cover every node (the coverage report is printed).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use securebase::action::Action;
use securebase::bundle::Bundle;
use securebase::content::Library;
use securebase::engine::{self, Input, Turn};

/// Steps after which a walk that has not left its dialogue counts as stuck.
const MAX_STEPS: usize = 400;

/// Loaded once: loading runs the lexicon's examples, which would dominate 128 cases.
fn library() -> &'static Library {
    static LIBRARY: OnceLock<Library> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        Bundle::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues"))
            .expect("shipped content is valid")
            .library
    })
}

/// Walk `dialogue` with `pick(option count)` choosing; returns the nodes entered, or an error.
fn walk(
    library: &Library,
    dialogue: &str,
    mut pick: impl FnMut(usize) -> usize,
) -> Result<BTreeSet<String>, String> {
    let mut seen = BTreeSet::new();
    let mut turn: Turn = engine::start(library, dialogue, 7).map_err(|e| e.to_string())?;
    for _ in 0..MAX_STEPS {
        seen.extend(turn.path.iter().cloned());
        if turn.prompt.finished {
            return Ok(seen);
        }
        let next = if turn.prompt.awaits_text {
            engine::advance(library, &turn.session, Input::Text("a walk"))
        } else {
            let options = &turn.prompt.options;
            if options.is_empty() {
                return Err(format!("stuck at {} with no options", turn.session.node));
            }
            match &options[pick(options.len()) % options.len()].action {
                Action::Choose { node, index, .. } => engine::advance(
                    library,
                    &turn.session,
                    Input::Choose {
                        node,
                        index: *index,
                    },
                ),
                // Commands and new dialogues leave this dialogue: the walk is over.
                Action::Command(_)
                | Action::Start { .. }
                | Action::SetRegion { .. }
                | Action::DailyStart { .. } => {
                    return Ok(seen);
                }
            }
        };
        turn =
            next.map_err(|e| format!("at {}/{}: {e}", turn.session.dialogue, turn.session.node))?;
    }
    Err(format!("no exit after {MAX_STEPS} steps in {dialogue}"))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_walks_end_without_error(choices in proptest::collection::vec(0usize..25, MAX_STEPS)) {
        let library = library();
        for dialogue in library.dialogues() {
            let mut next = choices.iter().copied().cycle();
            let result = walk(library, &dialogue.id, |_| next.next().unwrap_or(0));
            prop_assert!(result.is_ok(), "{}: {:?}", dialogue.id, result);
        }
    }
}

#[test]
fn walks_cover_every_node() {
    let library = library();
    let mut rng = StdRng::seed_from_u64(2026);
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for dialogue in library.dialogues() {
        for _ in 0..500 {
            let seen = walk(library, &dialogue.id, |n| rng.random_range(0..n)).expect("walk");
            covered.extend(seen);
        }
    }
    let mut report = BTreeMap::new();
    let mut missing = Vec::new();
    for dialogue in library.dialogues() {
        let total = dialogue.nodes().len();
        let mut hit = 0;
        for node in dialogue.nodes() {
            let key = format!("{}/{}", dialogue.id, node.id);
            if covered.contains(&key) {
                hit += 1;
            } else {
                missing.push(key);
            }
        }
        report.insert(dialogue.id.clone(), (hit, total));
    }
    println!("node coverage by random walks:");
    for (id, (hit, total)) in &report {
        println!("  {id:<24} {hit}/{total}");
    }
    assert!(missing.is_empty(), "nodes no walk reached: {missing:?}");
}
