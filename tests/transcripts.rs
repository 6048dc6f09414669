//! Transcript tests: scripted conversations in `tests/transcripts/*.txt`, run through the
//! terminal adapter and the real core, store and content.
//!
//! Format, one directive per line:
//! - `> text`    the person types `text` (a number picks a numbered choice)
//! - `< text`    the bot's reply to the last input contains `text`
//! - `<! text`   the bot's reply to the last input does not contain `text`
//! - `@restart`  stop the bot and start a new one on the same data directory
//! - `@start ID` start dialogue `ID` directly (as a button that opens it would)
//! - `@locale X` from now on, the transport reports the person's locale as `X` (e.g. `en-GB`)
//! - `@clock T`  the simulated clock reads `T` (RFC 3339) from now on, across restarts; until
//!   the first `@clock` it is the real time. The terminal's zone is Europe/London.
//! - `# ...`     a comment; blank lines are ignored
//!
//! The bot's opening (greeting and menu) is the reply before the first `>`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use securebase::bot::{Bot, BotOptions};
use securebase::bundle::Bundle;
use securebase::chat::{TERMINAL_USER, TerminalChat};
use securebase::store::{Store, UserId};

fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues")
}

/// The simulated clock: `None` reads the real time.
type Clock = Arc<Mutex<Option<DateTime<Utc>>>>;

fn start(bundle: &Bundle, data: &Path, clock: &Clock) -> TerminalChat {
    let store = Store::open(data).expect("store opens");
    let options = BotOptions {
        default_zone: Some(chrono_tz::Europe::London),
        ..BotOptions::default()
    };
    let clock = clock.clone();
    let bot = Bot::new(bundle.clone(), store, options)
        .with_clock(move || clock.lock().unwrap().unwrap_or_else(Utc::now));
    TerminalChat::new(bot, UserId::new(TERMINAL_USER).unwrap())
}

/// Run one transcript; every failed expectation is returned as `file:line: what`.
fn run(path: &Path, bundle: &Bundle) -> Vec<String> {
    let script = std::fs::read_to_string(path).expect("readable transcript");
    let data = tempfile::tempdir().expect("temp dir");
    let clock: Clock = Arc::default();
    let mut chat = start(bundle, data.path(), &clock);
    let mut last = chat.open();
    let mut failures = Vec::new();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    for (number, line) in script.lines().enumerate() {
        let line_no = number + 1;
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(input) = line.strip_prefix("> ") {
            match chat.input(input) {
                Some(output) => last = output,
                None => {
                    failures.push(format!("{name}:{line_no}: `{input}` ended the chat"));
                    break;
                }
            }
        } else if let Some(absent) = line.strip_prefix("<! ") {
            if last.contains(absent) {
                failures.push(format!(
                    "{name}:{line_no}: did not expect `{absent}` in:\n{last}"
                ));
            }
        } else if let Some(expected) = line.strip_prefix("< ") {
            if !last.contains(expected) {
                failures.push(format!(
                    "{name}:{line_no}: expected `{expected}` in:\n{last}"
                ));
            }
        } else if let Some(id) = line.strip_prefix("@start ") {
            last = chat.start_dialogue(id.trim());
        } else if let Some(locale) = line.strip_prefix("@locale ") {
            chat.set_locale(Some(locale.trim().to_string()));
        } else if let Some(at) = line.strip_prefix("@clock ") {
            match DateTime::parse_from_rfc3339(at.trim()) {
                Ok(at) => *clock.lock().unwrap() = Some(at.with_timezone(&Utc)),
                Err(e) => failures.push(format!("{name}:{line_no}: bad @clock: {e}")),
            }
        } else if line == "@restart" {
            drop(chat);
            chat = start(bundle, data.path(), &clock);
            last = chat.open();
        } else {
            failures.push(format!("{name}:{line_no}: unknown directive `{line}`"));
        }
    }
    failures
}

#[test]
fn every_transcript_passes() {
    let bundle = Bundle::load(&content_dir()).expect("shipped content is valid");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("transcripts folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no transcripts found");
    let failures: Vec<String> = paths.iter().flat_map(|p| run(p, &bundle)).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_shipped_dialogue_has_a_transcript() {
    let bundle = Bundle::load(&content_dir()).expect("shipped content is valid");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    for dialogue in bundle.library.dialogues() {
        let path = dir.join(format!("dialogue-{}.txt", dialogue.id));
        assert!(path.exists(), "missing transcript {}", path.display());
    }
}

#[test]
fn a_failing_expectation_is_reported_with_its_line() {
    let bundle = Bundle::load(&content_dir()).expect("shipped content is valid");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.txt");
    std::fs::write(
        &path,
        "# comment\n< this text is not in the greeting\n> menu\n<! menu\n",
    )
    .unwrap();
    let failures = run(&path, &bundle);
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(failures[0].starts_with("broken.txt:2:"));
    assert!(failures[1].starts_with("broken.txt:4:"));
}
