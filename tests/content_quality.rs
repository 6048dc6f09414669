//! Quality checks over everything the bot says: readability, style (no diagnosis, no method
//! words, calm punctuation) and originality against the source articles.
//!
//! Run with `--nocapture` to see the readability distribution.

use std::collections::HashSet;
use std::path::Path;

use regex::Regex;
use securebase::bundle::Bundle;
use securebase::content::readability::flesch_kincaid_grade;
use securebase::crisis::wording;

/// The median Flesch-Kincaid grade of bot messages must stay at or below this.
const MAX_MEDIAN_GRADE: f64 = 8.0;
/// Runs of this many words copied from a source article count as copying.
const COPIED_RUN: usize = 8;

fn bundle() -> Bundle {
    Bundle::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues")).expect("content")
}

/// Every message the content can show, with where it comes from.
fn messages(bundle: &Bundle) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dialogue in bundle.library.dialogues() {
        for node in dialogue.nodes() {
            for text in &node.texts {
                out.push((format!("{}/{}", dialogue.id, node.id), text.clone()));
            }
        }
    }
    for prompt in bundle.prompts.prompts() {
        out.push((format!("prompt {}", prompt.id), prompt.text.clone()));
    }
    out
}

/// Texts said around risk: crisis cards and the check-in.
fn safety_texts() -> Vec<String> {
    use securebase::risk::{Category, Level};
    let mut out = Vec::new();
    for category in Category::PRIORITY.map(Some).into_iter().chain([None]) {
        for level in [Level::Crisis, Level::Concern] {
            let w = wording::wording(category, level);
            out.extend(w.opening.iter().chain(w.guidance).map(|t| t.to_string()));
            out.push(w.emergency.to_string());
        }
    }
    out.extend(
        [
            wording::CHECK_WISHED_DEAD,
            wording::CHECK_THOUGHTS,
            wording::CHECK_NO,
            wording::CHECK_NO_THOUGHTS,
            wording::CHECK_CARRY_ON,
        ]
        .map(String::from),
    );
    out
}

#[test]
fn readability_median_is_at_most_grade_8() {
    let bundle = bundle();
    let mut grades: Vec<(f64, String)> = messages(&bundle)
        .into_iter()
        .filter_map(|(place, text)| flesch_kincaid_grade(&text).map(|g| (g, place)))
        .collect();
    grades.sort_by(|a, b| a.0.total_cmp(&b.0));
    let at = |q: f64| grades[((grades.len() - 1) as f64 * q).round() as usize].0;
    let median = at(0.5);
    println!(
        "Flesch-Kincaid grade over {} messages: min {:.1}, p25 {:.1}, median {:.1}, p75 {:.1}, p90 {:.1}, max {:.1}",
        grades.len(),
        at(0.0),
        at(0.25),
        median,
        at(0.75),
        at(0.9),
        at(1.0)
    );
    for (grade, place) in grades.iter().rev().take(5) {
        println!("  hardest: {grade:.1} {place}");
    }
    assert!(median <= MAX_MEDIAN_GRADE, "median grade {median:.1}");
}

/// Every message (content and safety wording) that `pattern` matches, with where it is.
fn matching(pattern: &Regex) -> Vec<String> {
    messages(&bundle())
        .into_iter()
        .chain(
            safety_texts()
                .into_iter()
                .map(|t| ("safety".to_string(), t)),
        )
        .filter(|(_, text)| pattern.is_match(text))
        .map(|(place, text)| format!("{place}: {text}"))
        .collect()
}

#[test]
fn no_diagnosis_language() {
    let diagnosis = Regex::new(
        r"(?i)\byou (have|are|'re) (an? )?(anxious|avoidant|fearful|disorgani[sz]ed|insecure(ly)? attached|disordered|broken|borderline|attachment disorder|mentally ill)\b|\byour (attachment )?style is\b|\byou (have|suffer from) (an? )?(disorder|condition|attachment issues)\b|\b(you are|you're) diagnosed\b",
    )
    .unwrap();
    let found = matching(&diagnosis);
    assert!(
        found.is_empty(),
        "diagnosis language:\n{}",
        found.join("\n")
    );
}

#[test]
fn no_method_words_anywhere() {
    let methods = Regex::new(
        r"(?i)\b(noose|hang(ing)? (yourself|myself)|rope|razor|blades?|wrists?|overdos\w*|pills?|tablets?|paracetamol|bleach|poison\w*|gun|firearm|shoot|jump(ing)? off|bridge|rooftop|train tracks|carbon monoxide|ligature|lethal|dose)\b",
    )
    .unwrap();
    let found = matching(&methods);
    assert!(found.is_empty(), "method words:\n{}", found.join("\n"));
}

#[test]
fn calm_punctuation() {
    for text in safety_texts() {
        assert!(
            !text.contains('!'),
            "no exclamation marks near risk: {text}"
        );
    }
    let bundle = bundle();
    for (place, text) in messages(&bundle) {
        assert!(
            text.matches('!').count() <= 1,
            "{place}: at most one exclamation mark: {text}"
        );
    }
}

/// Lower-case words, letters and digits only.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn nothing_copied_from_the_source_articles() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    let Ok(entries) = std::fs::read_dir(&seeds) else {
        println!("{} not present; skipped", seeds.display());
        return;
    };
    let mut runs: HashSet<Vec<String>> = HashSet::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "README.md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let seed_words = words(&text);
        for window in seed_words.windows(COPIED_RUN) {
            runs.insert(window.to_vec());
        }
    }
    let bundle = bundle();
    let mut copied = Vec::new();
    for (place, text) in messages(&bundle).into_iter().chain(
        safety_texts()
            .into_iter()
            .map(|t| ("safety".to_string(), t)),
    ) {
        for window in words(&text).windows(COPIED_RUN) {
            if runs.contains(window) {
                copied.push(format!("{place}: \"{}\"", window.join(" ")));
            }
        }
    }
    assert!(
        copied.is_empty(),
        "copied runs of {COPIED_RUN} words:\n{}",
        copied.join("\n")
    );
}

#[test]
fn the_prompt_pool_is_large_and_varied() {
    let bundle = bundle();
    let prompts = bundle.prompts.prompts();
    assert!(
        prompts.len() >= 150,
        "{} prompts; at least 150 distinct",
        prompts.len()
    );
    for tag in ["body", "kindness", "reflection", "connection", "rest"] {
        let count = prompts
            .iter()
            .filter(|p| p.tags.iter().any(|t| t == tag))
            .count();
        assert!(count >= 25, "{tag} has {count} prompts");
    }
}
