//! Engine behaviour on a small library that uses every node kind.

use super::*;
use crate::content::SourceFile;

const MENU: &str = r#"
id = "menu"
title = "Menu"
description = "Main menu"
start = "home"
[[node]]
id = "home"
text = ["First visit", "Second visit", "Later visits"]
  [[node.choice]]
  label = "Quiz"
  dialogue = "quiz"
  [[node.choice]]
  label = "Again"
  next = "home"
  add = { loops = 1 }
  [[node.choice]]
  label = "Only after looping"
  next = "home"
  if = "loops >= 1"
  [[node.choice]]
  label = "Help"
  command = "help"
"#;

const QUIZ: &str = r#"
id = "quiz"
title = "Quiz"
description = "Scored"
start = "q1"
[questionnaire]
scales = ["worry"]
answers = ["1", "2", "3", "4", "5"]
[[node]]
id = "q1"
kind = "item"
scale = "worry"
text = "Q1"
next = "q2"
[[node]]
id = "q2"
kind = "item"
scale = "worry"
reverse = true
text = "Q2"
next = "route"
[[node]]
id = "route"
kind = "branch"
otherwise = "low"
  [[node.when]]
  if = "worry >= 4"
  next = "high"
[[node]]
id = "high"
text = "High {worry}"
record = "leaning high"
next = "journal"
[[node]]
id = "low"
text = "Low {worry}"
next = "journal"
[[node]]
id = "journal"
kind = "input"
text = "Write something"
save = "entry"
next = "back"
[[node]]
id = "back"
kind = "jump"
dialogue = "end"
"#;

const END: &str = r#"
id = "end"
title = "The end"
description = "Closing"
start = "bye"
[[node]]
id = "bye"
kind = "end"
text = ["Bye A", "Bye B", "Bye C"]
vary = "random"
offer = ["quiz"]
"#;

fn library() -> Library {
    Library::from_sources(&[
        SourceFile::new("menu.toml", MENU),
        SourceFile::new("quiz.toml", QUIZ),
        SourceFile::new("end.toml", END),
    ])
    .expect("test library is valid")
}

fn choose(library: &Library, turn: &Turn, index: usize) -> Turn {
    let node = turn.session.node.clone();
    advance(library, &turn.session, Input::Choose { node: &node, index }).expect("step")
}

#[test]
fn start_shows_text_and_choices() {
    let library = library();
    let turn = start(&library, "menu", 1).unwrap();
    assert_eq!(turn.prompt.text, "First visit");
    let labels: Vec<_> = turn
        .prompt
        .options
        .iter()
        .map(|o| o.label.as_str())
        .collect();
    assert_eq!(
        labels,
        ["Quiz", "Again", "Help"],
        "conditional choice hidden"
    );
    assert_eq!(
        turn.prompt.options[2].action,
        Action::Command(Command::Help)
    );
}

#[test]
fn sequence_variations_advance_and_stay_on_the_last() {
    let library = library();
    let mut turn = start(&library, "menu", 1).unwrap();
    let mut seen = vec![turn.prompt.text.clone()];
    for _ in 0..3 {
        turn = choose(&library, &turn, 1);
        seen.push(turn.prompt.text.clone());
    }
    assert_eq!(
        seen,
        [
            "First visit",
            "Second visit",
            "Later visits",
            "Later visits"
        ]
    );
}

#[test]
fn effects_and_conditions() {
    let library = library();
    let turn = start(&library, "menu", 1).unwrap();
    let turn = choose(&library, &turn, 1);
    assert_eq!(turn.session.variables.get("loops"), Some(&1.0));
    assert!(
        turn.prompt
            .options
            .iter()
            .any(|o| o.label == "Only after looping")
    );
    // The hidden choice cannot be picked while its condition is false.
    let fresh = start(&library, "menu", 1).unwrap();
    let err = advance(
        &library,
        &fresh.session,
        Input::Choose {
            node: "home",
            index: 2,
        },
    );
    assert_eq!(err, Err(EngineError::StaleChoice));
}

#[test]
fn scoring_reverses_items_and_routes_on_the_mean() {
    let library = library();
    let turn = start(&library, "quiz", 1).unwrap();
    assert_eq!(turn.prompt.options.len(), 5);
    // Answer 5 (scores 5), then answer 1 on the reversed item (scores 5): mean 5.
    let turn = choose(&library, &turn, 4);
    let turn = choose(&library, &turn, 0);
    assert_eq!(
        turn.session.scales["worry"],
        ScaleScore {
            sum: 10.0,
            count: 2
        }
    );
    assert_eq!(turn.prompt.text, "High 5");
    assert_eq!(turn.records.len(), 1, "the result node keeps the scores");
    assert_eq!(turn.records[0].label, "leaning high");
    assert_eq!(turn.records[0].scores["worry"], 5.0);

    let turn = start(&library, "quiz", 1).unwrap();
    let turn = choose(&library, &turn, 1); // scores 2
    let turn = choose(&library, &turn, 3); // reversed: 5 - 3 = 2
    assert_eq!(turn.prompt.text, "Low 2");
}

#[test]
fn input_nodes_take_text_and_offer_it_for_saving() {
    let library = library();
    let turn = start(&library, "quiz", 1).unwrap();
    let turn = choose(&library, &turn, 0);
    let turn = choose(&library, &turn, 0);
    let turn = choose(&library, &turn, 0); // "Continue" on the result
    assert!(turn.prompt.awaits_text);
    let turn = advance(&library, &turn.session, Input::Text("a calm evening")).unwrap();
    assert_eq!(
        turn.notes,
        vec![Note {
            name: "entry".into(),
            text: "a calm evening".into()
        }]
    );
    // The jump landed in another dialogue, at an end node with offers + menu + help.
    assert_eq!(turn.session.dialogue, "end");
    assert!(turn.prompt.finished);
    let labels: Vec<_> = turn
        .prompt
        .options
        .iter()
        .map(|o| o.label.as_str())
        .collect();
    assert_eq!(labels, ["Quiz", "Main menu", "Talk to someone now"]);
}

#[test]
fn random_variation_is_repeatable_per_seed_and_varies_across_seeds() {
    let library = library();
    let text_for = |seed| {
        let mut session = Session::new("end", "bye", seed);
        session.visits.insert("end/bye".into(), 1);
        current(&library, &session).unwrap().prompt.text
    };
    assert_eq!(text_for(7), text_for(7));
    let distinct: std::collections::HashSet<_> = (0..50).map(text_for).collect();
    assert!(distinct.len() > 1, "random variation never varied");
}

#[test]
fn text_where_a_choice_is_expected_is_refused() {
    let library = library();
    let turn = start(&library, "menu", 1).unwrap();
    assert_eq!(
        advance(&library, &turn.session, Input::Text("hello")),
        Err(EngineError::NotExpectingText)
    );
}

#[test]
fn choice_for_another_node_or_out_of_range_is_stale() {
    let library = library();
    let turn = start(&library, "menu", 1).unwrap();
    for input in [
        Input::Choose {
            node: "elsewhere",
            index: 0,
        },
        Input::Choose {
            node: "home",
            index: 99,
        },
    ] {
        assert_eq!(
            advance(&library, &turn.session, input),
            Err(EngineError::StaleChoice)
        );
    }
}

#[test]
fn a_saved_session_on_a_removed_node_restarts_with_a_note() {
    let library = library();
    let mut session = start(&library, "quiz", 1).unwrap().session;
    session.node = "removed-in-an-edit".into();
    let turn = current(&library, &session).unwrap();
    assert_eq!(turn.session.node, "q1");
    assert_eq!(turn.notices, vec![CONTENT_CHANGED_NOTICE.to_string()]);
    let turn = advance(
        &library,
        &session,
        Input::Choose {
            node: "x",
            index: 0,
        },
    )
    .unwrap();
    assert_eq!(turn.session.node, "q1");
}

#[test]
fn a_saved_session_on_a_removed_dialogue_is_an_error_not_a_panic() {
    let library = library();
    let session = Session::new("deleted", "n", 1);
    assert_eq!(
        current(&library, &session),
        Err(EngineError::UnknownDialogue("deleted".into()))
    );
}

#[test]
fn sessions_round_trip_through_json() {
    let library = library();
    let turn = start(&library, "quiz", 3).unwrap();
    let turn = choose(&library, &turn, 2);
    let json = serde_json::to_string(&turn.session).unwrap();
    let back: Session = serde_json::from_str(&json).unwrap();
    assert_eq!(back, turn.session);
}

#[test]
fn entering_another_dialogue_starts_with_fresh_scores() {
    let library = library();
    let turn = start(&library, "quiz", 1).unwrap();
    let turn = choose(&library, &turn, 4);
    let turn = choose(&library, &turn, 0);
    assert!(!turn.session.scales.is_empty());
    let mut session = turn.session.clone();
    session.variables.insert("loops".into(), 3.0);
    // The end dialogue's offer leads back into the quiz through a jump-like switch.
    let mut moved = session.clone();
    switch_dialogue(&library, &mut moved, "quiz").unwrap();
    assert!(moved.scales.is_empty() && moved.variables.is_empty());
    assert_eq!(moved.visits, session.visits, "visit counts carry on");
}

#[test]
fn choice_labels_come_from_the_content_as_it_is_now() {
    let library = library();
    assert_eq!(choice_label(&library, "menu", "home", 0), Some("Quiz"));
    assert_eq!(
        choice_label(&library, "menu", "home", 2),
        Some("Only after looping")
    );
    assert_eq!(choice_label(&library, "quiz", "q1", 4), Some("5"));
    assert_eq!(choice_label(&library, "quiz", "q1", 5), None);
    assert_eq!(choice_label(&library, "quiz", "journal", 0), None);
    assert_eq!(choice_label(&library, "gone", "home", 0), None);
}
