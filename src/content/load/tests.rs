//! One test per kind of mistake an author can make, each checking file, line and message.

use super::*;

const MENU: &str = r#"
id = "menu"
title = "Menu"
description = "Main menu"
start = "home"

[[node]]
id = "home"
text = "Pick one."

  [[node.choice]]
  label = "Try it"
  dialogue = "x"
"#;

/// Diagnostics for `text` as `x.toml`, loaded next to a valid menu, as `line:col: message`.
fn problems(text: &str) -> Vec<String> {
    let sources = [
        SourceFile::new("menu.toml", MENU),
        SourceFile::new("x.toml", text),
    ];
    match Library::from_sources(&sources) {
        Ok(_) => Vec::new(),
        Err(found) => found
            .iter()
            .map(|d| {
                assert_eq!(d.path, PathBuf::from("x.toml"), "unexpected: {d}");
                format!("{}:{}: {}", d.line, d.col, d.message)
            })
            .collect(),
    }
}

fn assert_one(text: &str, line: usize, fragment: &str) {
    let found = problems(text);
    assert_eq!(found.len(), 1, "expected one problem, got {found:#?}");
    assert!(
        found[0].starts_with(&format!("{line}:")),
        "expected line {line}: {}",
        found[0]
    );
    assert!(
        found[0].contains(fragment),
        "expected `{fragment}` in: {}",
        found[0]
    );
}

const HEAD: &str = "id = \"x\"\ntitle = \"X\"\ndescription = \"An example\"\nstart = \"a\"\n";

fn file(body: &str) -> String {
    format!("{HEAD}{body}")
}

#[test]
fn a_valid_file_has_no_problems() {
    let text = file(
        r#"
[[node]]
id = "a"
text = "Hello {n}"
  [[node.choice]]
  label = "Go"
  next = "b"
  set = { n = 1 }
[[node]]
id = "b"
kind = "end"
text = "Bye"
"#,
    );
    assert_eq!(problems(&text), Vec::<String>::new());
}

#[test]
fn toml_syntax_error_has_line_and_column() {
    let text = file("[[node]]\nid = \"a\"\ntext = \"unterminated\n");
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("7:"), "{found:?}");
}

#[test]
fn unknown_key_is_named() {
    let text = file("[[node]]\nid = \"a\"\nkind = \"end\"\ntxt = \"Hi\"\n");
    assert_one(&text, 8, "unknown field `txt`");
}

#[test]
fn key_after_a_choice_gets_a_hint() {
    let text = file(
        "[[node]]\nid = \"a\"\ntext = \"Hi\"\n  [[node.choice]]\n  label = \"Go\"\n  next = \"a\"\nkind = \"end\"\n",
    );
    assert_one(&text, 11, "belong to that choice");
}

#[test]
fn unknown_next_target_is_named() {
    let text = file(
        "[[node]]\nid = \"a\"\ntext = \"Hi\"\n  [[node.choice]]\n  label = \"Go\"\n  next = \"nowhere\"\n  [[node.choice]]\n  label = \"Stop\"\n  command = \"menu\"\n",
    );
    assert_one(&text, 10, "`nowhere`");
}

#[test]
fn unknown_start_node() {
    let text = file("[[node]]\nid = \"b\"\nkind = \"end\"\ntext = \"Hi\"\n");
    let found = problems(&text);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("4:") && p.contains("start node `a`")),
        "{found:?}"
    );
}

#[test]
fn duplicate_node_id_names_the_first() {
    let text = file(
        "[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"Hi\"\n[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"Again\"\n",
    );
    assert_one(&text, 10, "used twice (first on line 6)");
}

#[test]
fn duplicate_dialogue_id_across_files() {
    let sources = [
        SourceFile::new("menu.toml", MENU),
        SourceFile::new(
            "x.toml",
            file("[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"Hi\"\n"),
        ),
        SourceFile::new(
            "y.toml",
            file("[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"Hi\"\n"),
        ),
    ];
    let found = Library::from_sources(&sources).unwrap_err();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, PathBuf::from("y.toml"));
    assert!(found[0].message.contains("already used by x.toml"));
}

#[test]
fn unreachable_node() {
    let text = file(
        "[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"Hi\"\n[[node]]\nid = \"lost\"\nkind = \"end\"\ntext = \"Nobody comes here\"\n",
    );
    assert_one(&text, 10, "`lost` is unreachable");
}

#[test]
fn node_without_a_way_on_is_a_dead_end() {
    let text = file("[[node]]\nid = \"a\"\ntext = \"Hi\"\n");
    assert_one(&text, 6, "dead end");
}

#[test]
fn loop_that_never_finishes_is_a_dead_end() {
    let text = file(
        "[[node]]\nid = \"a\"\ntext = \"Hi\"\nnext = \"b\"\n[[node]]\nid = \"b\"\ntext = \"Again\"\nnext = \"a\"\n",
    );
    let found = problems(&text);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|p| p.contains("can never reach an end")));
}

#[test]
fn branch_only_cycle_is_reported() {
    let text = file(
        "[[node]]\nid = \"a\"\nkind = \"branch\"\notherwise = \"b\"\n  [[node.when]]\n  if = \"1 > 2\"\n  next = \"z\"\n[[node]]\nid = \"b\"\nkind = \"branch\"\notherwise = \"a\"\n  [[node.when]]\n  if = \"1 > 2\"\n  next = \"z\"\n[[node]]\nid = \"z\"\nkind = \"end\"\ntext = \"Bye\"\n",
    );
    let found = problems(&text);
    assert!(
        found.iter().any(|p| p.contains("loop back to itself")),
        "{found:?}"
    );
}

#[test]
fn variable_read_but_never_set() {
    let text = file(
        "[[node]]\nid = \"a\"\nkind = \"branch\"\notherwise = \"b\"\n  [[node.when]]\n  if = \"mood > 2\"\n  next = \"b\"\n[[node]]\nid = \"b\"\nkind = \"end\"\ntext = \"Bye\"\n",
    );
    assert_one(&text, 10, "reads `mood`");
}

#[test]
fn placeholder_never_set() {
    let text = file("[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"Score {score}\"\n");
    assert_one(&text, 8, "`{score}`");
}

#[test]
fn bad_condition_points_at_the_column() {
    let text = file(
        "[[node]]\nid = \"a\"\ntext = \"Hi\"\n  [[node.choice]]\n  label = \"Go\"\n  command = \"menu\"\n  [[node.choice]]\n  label = \"If\"\n  command = \"help\"\n  if = \"n = 1\"\n",
    );
    let found = problems(&text);
    // `  if = "n = 1"`: the `=` sits at column 11.
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("14:11:") && p.contains("==")),
        "{found:?}"
    );
}

#[test]
fn every_choice_conditional_could_strand_the_person() {
    let text = file(
        "[[node]]\nid = \"a\"\ntext = \"Hi\"\n  [[node.choice]]\n  label = \"Go\"\n  command = \"menu\"\n  if = \"1 > 2\"\n",
    );
    assert_one(&text, 6, "leave at least one without");
}

#[test]
fn label_over_discord_limit() {
    let long = "x".repeat(81);
    let text = file(&format!(
        "[[node]]\nid = \"a\"\ntext = \"Hi\"\n  [[node.choice]]\n  label = \"{long}\"\n  command = \"menu\"\n"
    ));
    assert_one(&text, 9, "81 characters");
}

#[test]
fn too_many_choices() {
    let mut body = String::from("[[node]]\nid = \"a\"\ntext = \"Hi\"\n");
    for i in 0..26 {
        body.push_str(&format!(
            "  [[node.choice]]\n  label = \"c{i}\"\n  command = \"menu\"\n"
        ));
    }
    assert_one(&file(&body), 6, "26 choices");
}

#[test]
fn text_over_message_limit() {
    let long = "word ".repeat(401);
    let text = file(&format!(
        "[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"{long}\"\n"
    ));
    assert_one(&text, 8, "at most 2000");
}

#[test]
fn duplicate_labels_in_one_node() {
    let text = file(
        "[[node]]\nid = \"a\"\ntext = \"Hi\"\n  [[node.choice]]\n  label = \"Yes\"\n  command = \"menu\"\n  [[node.choice]]\n  label = \"yes\"\n  command = \"help\"\n",
    );
    assert_one(&text, 12, "have the label");
}

#[test]
fn choice_with_two_targets_or_none() {
    let both = file(
        "[[node]]\nid = \"a\"\ntext = \"Hi\"\n  [[node.choice]]\n  label = \"Go\"\n  next = \"a\"\n  command = \"menu\"\n",
    );
    assert_one(&both, 9, "more than one of");
    let none = file("[[node]]\nid = \"a\"\ntext = \"Hi\"\n  [[node.choice]]\n  label = \"Go\"\n");
    let found = problems(&none);
    assert!(
        found.iter().any(|p| p.contains("needs `next`")),
        "{found:?}"
    );
}

#[test]
fn effects_on_a_command_choice_are_refused() {
    let text = file(
        "[[node]]\nid = \"a\"\ntext = \"Hi\"\n  [[node.choice]]\n  label = \"Go\"\n  command = \"menu\"\n  set = { n = 1 }\n",
    );
    assert_one(&text, 11, "do nothing on a choice with `command`");
}

#[test]
fn misspelt_top_level_key_gets_no_sub_table_hint() {
    let found = problems(&format!("titel = \"x\"\n{HEAD}"));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("unknown field `titel`"), "{found:?}");
    assert!(!found[0].contains("belong to that choice"), "{found:?}");
}

#[test]
fn unknown_command() {
    let text = file(
        "[[node]]\nid = \"a\"\ntext = \"Hi\"\n  [[node.choice]]\n  label = \"Go\"\n  command = \"dance\"\n",
    );
    let found = problems(&text);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("10:") && p.contains("`dance` is not a command")),
        "{found:?}"
    );
}

#[test]
fn unknown_dialogue_reference() {
    let text = file(
        "[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"Hi\"\noffer = [\"nope\"]\n[[node]]\nid = \"j\"\nkind = \"jump\"\ndialogue = \"gone\"\n",
    );
    let found = problems(&text);
    assert!(
        found
            .iter()
            .any(|p| p.contains("no dialogue with id `nope`")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("no dialogue with id `gone`")),
        "{found:?}"
    );
}

#[test]
fn field_that_does_not_fit_the_kind() {
    let text = file("[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"Hi\"\nscale = \"anxiety\"\n");
    assert_one(&text, 6, "is an end node, which cannot have `scale`");
}

#[test]
fn missing_required_field_for_kind() {
    let text = file("[[node]]\nid = \"a\"\nkind = \"input\"\ntext = \"Type\"\n");
    assert_one(&text, 6, "needs `next`");
}

#[test]
fn bad_id_characters() {
    let text = file("[[node]]\nid = \"A b\"\nkind = \"end\"\ntext = \"Hi\"\n");
    let found = problems(&text);
    assert!(
        found.iter().any(|p| p.contains("node id `A b` must be")),
        "{found:?}"
    );
}

#[test]
fn item_without_questionnaire_or_with_unknown_scale() {
    let body = "[[node]]\nid = \"a\"\nkind = \"item\"\ntext = \"Q\"\nscale = \"worry\"\nnext = \"b\"\n[[node]]\nid = \"b\"\nkind = \"end\"\ntext = \"Bye\"\n";
    assert_one(&file(body), 9, "[questionnaire]");
    let with_q = format!(
        "{HEAD}[questionnaire]\nscales = [\"anxiety\"]\nanswers = [\"No\", \"Yes\"]\n{body}"
    );
    let found = problems(&with_q);
    assert!(
        found
            .iter()
            .any(|p| p.contains("not one of the questionnaire's scales")),
        "{found:?}"
    );
}

#[test]
fn scale_without_items() {
    let text = format!(
        "{HEAD}[questionnaire]\nscales = [\"anxiety\", \"avoidance\"]\nanswers = [\"No\", \"Yes\"]\n[[node]]\nid = \"a\"\nkind = \"item\"\nscale = \"anxiety\"\ntext = \"Q\"\nnext = \"e\"\n[[node]]\nid = \"e\"\nkind = \"end\"\ntext = \"Bye\"\n"
    );
    assert_one(&text, 6, "scale `avoidance` has no items");
}

#[test]
fn effects_cannot_write_scales() {
    let text = format!(
        "{HEAD}[questionnaire]\nscales = [\"anxiety\"]\nanswers = [\"No\", \"Yes\"]\n[[node]]\nid = \"a\"\ntext = \"Hi\"\n  [[node.choice]]\n  label = \"Go\"\n  next = \"q\"\n  set = {{ anxiety = 7 }}\n[[node]]\nid = \"q\"\nkind = \"item\"\nscale = \"anxiety\"\ntext = \"Q\"\nnext = \"e\"\n[[node]]\nid = \"e\"\nkind = \"end\"\ntext = \"Bye\"\n"
    );
    let found = problems(&text);
    assert!(
        found.iter().any(|p| p.contains("is a questionnaire scale")),
        "{found:?}"
    );
}

#[test]
fn questionnaire_with_one_answer() {
    let text = format!(
        "{HEAD}[questionnaire]\nscales = [\"anxiety\"]\nanswers = [\"Only\"]\n[[node]]\nid = \"a\"\nkind = \"item\"\nscale = \"anxiety\"\ntext = \"Q\"\nnext = \"e\"\n[[node]]\nid = \"e\"\nkind = \"end\"\ntext = \"Bye\"\n"
    );
    let found = problems(&text);
    assert!(
        found.iter().any(|p| p.contains("2 to 25 answers")),
        "{found:?}"
    );
}

#[test]
fn empty_text_and_title() {
    let text = "id = \"x\"\ntitle = \" \"\ndescription = \"d\"\nstart = \"a\"\n[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"\"\n";
    let found = problems(text);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("2:") && p.contains("title is empty")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("8:") && p.contains("text is empty")),
        "{found:?}"
    );
}

#[test]
fn record_needs_a_questionnaire() {
    let text = file("[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"Hi\"\nrecord = \"done\"\n");
    assert_one(&text, 9, "has no [questionnaire]");
}

#[test]
fn too_many_end_offers() {
    let text = file(
        "[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"Hi\"\noffer = [\"menu\", \"menu\", \"menu\", \"menu\"]\n",
    );
    assert_one(&text, 6, "at most 3");
}

#[test]
fn vary_on_a_single_text() {
    let text = file("[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"Hi\"\nvary = \"random\"\n");
    assert_one(&text, 8, "`vary` only makes sense");
}

#[test]
fn missing_menu_dialogue() {
    let sources = [SourceFile::new(
        "x.toml",
        file("[[node]]\nid = \"a\"\nkind = \"end\"\ntext = \"Hi\"\n"),
    )];
    let found = Library::from_sources(&sources).unwrap_err();
    assert!(found[0].message.contains("main menu"));
    assert_eq!(
        found[0].path,
        PathBuf::from(""),
        "the folder the files came from"
    );
}

#[test]
fn broken_file_does_not_cascade_into_reference_errors() {
    // The menu points at `x`; x.toml is broken, so only its own problem is reported.
    let found = problems("id = \"x\"\ntitle = 3\n");
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn load_dir_skips_the_safety_folder_and_reports_paths() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("menu.toml"),
        MENU.replace("dialogue = \"x\"", "command = \"help\""),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("safety")).unwrap();
    std::fs::write(dir.path().join("safety/resources.toml"), "not a dialogue").unwrap();
    std::fs::create_dir(dir.path().join("prompts")).unwrap();
    std::fs::write(dir.path().join("prompts/pool.toml"), "not a dialogue").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
    let library = Library::load_dir(dir.path()).expect("loads");
    assert_eq!(library.dialogues().count(), 1);
    std::fs::write(dir.path().join("bad.toml"), "id = ").unwrap();
    let found = Library::load_dir(dir.path()).unwrap_err();
    assert!(found[0].to_string().contains("bad.toml:1:"), "{}", found[0]);
}

#[test]
fn jumps_that_loop_between_dialogues_are_reported() {
    let a = "id = \"a\"\ntitle = \"A\"\ndescription = \"d\"\nstart = \"go\"\n[[node]]\nid = \"go\"\nkind = \"jump\"\ndialogue = \"b\"\n";
    let b = "id = \"b\"\ntitle = \"B\"\ndescription = \"d\"\nstart = \"route\"\n[[node]]\nid = \"route\"\nkind = \"branch\"\notherwise = \"back\"\n  [[node.when]]\n  if = \"1 > 2\"\n  next = \"back\"\n[[node]]\nid = \"back\"\nkind = \"jump\"\ndialogue = \"a\"\n";
    let menu = MENU.replace("dialogue = \"x\"", "dialogue = \"a\"");
    let sources = [
        SourceFile::new("menu.toml", menu),
        SourceFile::new("a.toml", a),
        SourceFile::new("b.toml", b),
    ];
    let found = Library::from_sources(&sources).unwrap_err();
    assert!(
        found
            .iter()
            .any(|d| d.message.contains("a/go -> b/route -> b/back -> a/go")),
        "{found:?}"
    );
}
