//! Risk detection: every free-text message is scanned here before anything else sees it.
//!
//! The scanner normalises the text, blanks out known idioms ("this homework is killing me"), and
//! matches what is left against the lexicon's patterns in a single `RegexSet` pass. It is pure:
//! no logging and no storage of the text it reads.

pub mod eval;
mod lexicon;
mod normalize;

pub use lexicon::{Category, Level, Lexicon};
pub use normalize::{match_forms, normalize, squeeze_pattern};

use std::path::Path;

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Serialize;

use crate::content::Diagnostic;

/// The outcome of scanning one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub level: Level,
    pub categories: Vec<Category>,
    /// The category the reply is about: the one matched at the highest level, ties broken by
    /// [`Category::PRIORITY`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<Category>,
}

impl Assessment {
    pub fn none() -> Self {
        Self {
            level: Level::None,
            categories: Vec::new(),
            primary: None,
        }
    }

    pub fn is_risk(&self) -> bool {
        self.level != Level::None
    }
}

/// A compiled lexicon, ready to scan messages.
#[derive(Debug, Clone)]
pub struct Scanner {
    rules: RegexSet,
    rule_meta: Vec<(Category, Level)>,
    guards: RegexSet,
    guard_patterns: Vec<Regex>,
}

impl Scanner {
    /// Load and check the lexicon file at `path` (including its examples).
    pub fn load(path: &Path) -> Result<Scanner, Vec<Diagnostic>> {
        let lexicon = Lexicon::load(path)?;
        Scanner::from_lexicon(&lexicon).map_err(|e| {
            vec![Diagnostic {
                path: path.to_path_buf(),
                line: 1,
                col: 1,
                message: format!("the patterns do not compile together: {e}"),
            }]
        })
    }

    /// Compile a checked lexicon. Each pattern compiled on its own when the lexicon loaded; a
    /// set can still exceed the regex size limit, which is an error, never an empty scanner.
    pub(crate) fn from_lexicon(lexicon: &Lexicon) -> Result<Scanner, regex::Error> {
        let rule_patterns: Vec<String> = lexicon
            .rules
            .iter()
            .map(|r| squeeze_pattern(&r.pattern))
            .collect();
        let guard_patterns: Vec<String> = lexicon
            .guards
            .iter()
            .map(|g| squeeze_pattern(&g.pattern))
            .collect();
        Ok(Scanner {
            rules: build_set(&rule_patterns)?,
            rule_meta: lexicon
                .rules
                .iter()
                .map(|r| (r.category, r.level))
                .collect(),
            guards: build_set(&guard_patterns)?,
            guard_patterns: guard_patterns
                .iter()
                .map(|p| build(p))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Scan one message.
    pub fn scan(&self, text: &str) -> Assessment {
        let mut best: Vec<(Category, Level)> = Vec::new();
        for index in self.matching_rules(text) {
            let (category, level) = self.rule_meta[index];
            match best.iter_mut().find(|(c, _)| *c == category) {
                Some((_, known)) => *known = (*known).max(level),
                None => best.push((category, level)),
            }
        }
        let level = best.iter().map(|(_, l)| *l).max().unwrap_or(Level::None);
        let primary = Category::PRIORITY
            .iter()
            .find(|c| best.contains(&(**c, level)))
            .copied();
        let mut categories: Vec<Category> = best.into_iter().map(|(c, _)| c).collect();
        categories.sort();
        Assessment {
            level,
            categories,
            primary,
        }
    }

    /// Indices (in lexicon order) of the rules that match `text`, each once.
    pub fn matching_rules(&self, text: &str) -> Vec<usize> {
        let mut hits: Vec<usize> = Vec::new();
        for form in match_forms(&normalize(text)) {
            let form = self.blank_guards(form.into_bytes());
            hits.extend(self.rules.matches(&form).iter());
        }
        hits.sort_unstable();
        hits.dedup();
        hits
    }

    /// Replace every idiom the guards recognise with spaces, so rules cannot match inside it.
    /// Works on bytes: a blanked range never needs to fall on a character boundary.
    fn blank_guards(&self, mut text: Vec<u8>) -> Vec<u8> {
        let hits = self.guards.matches(&text);
        for index in hits.iter() {
            let ranges: Vec<_> = self.guard_patterns[index]
                .find_iter(&text)
                .map(|m| m.range())
                .collect();
            for range in ranges {
                text[range].fill(b' ');
            }
        }
        text
    }
}

/// Patterns match normalised text, which is lower-case and (nearly) all ASCII: matching bytes
/// with Unicode off gives ASCII `\b` and `\w`, which keeps the whole set on the fast DFA path
/// (Unicode word boundaries push a large set onto the slow one). Non-ASCII letters count as
/// non-word bytes, which is right for English patterns.
pub(crate) fn build(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).unicode(false).build()
}

fn build_set(patterns: &[String]) -> Result<RegexSet, regex::Error> {
    RegexSetBuilder::new(patterns)
        .unicode(false)
        .dfa_size_limit(DFA_CACHE_BYTES)
        .build()
}

/// Room for the lazy DFA's cache: the lexicon's set is large, and with the default the cache
/// fills and is rebuilt mid-message.
const DFA_CACHE_BYTES: usize = 16 << 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::SourceFile;

    fn scanner(text: &str) -> Scanner {
        let lexicon = Lexicon::parse(&SourceFile::new("lexicon.toml", text)).expect("valid");
        Scanner::from_lexicon(&lexicon).expect("compiles")
    }

    const SMALL: &str = r#"
[[rule]]
id = "kill-self"
category = "suicide"
level = "crisis"
pattern = '\bkill (my ?self|me)\b'
matches = ["I want to kill myself"]
ignores = ["kill the process"]

[[rule]]
id = "cut"
category = "self_harm"
level = "concern"
pattern = '\bhurt myself\b'
matches = ["i might hurt myself"]

[[guard]]
id = "killing-me"
pattern = '\b(homework|work|this|it)( is)? killing me\b'
matches = ["this homework is killing me"]
"#;

    #[test]
    fn finds_level_and_categories() {
        let s = scanner(SMALL);
        let a = s.scan("I want to KILL  myself and hurt myself");
        assert_eq!(a.level, Level::Crisis);
        assert_eq!(a.categories, vec![Category::Suicide, Category::SelfHarm]);
        assert_eq!(a.primary, Some(Category::Suicide));
        // The primary category is the one at the highest level, not the first by priority.
        let a = s.scan("i might hurt myself");
        assert_eq!(a.primary, Some(Category::SelfHarm));
        assert_eq!(s.scan("i might hurt myself").level, Level::Concern);
        assert_eq!(s.scan("lovely weather"), Assessment::none());
    }

    #[test]
    fn guards_blank_idioms_but_not_the_rest() {
        let s = scanner(SMALL);
        assert!(!s.scan("this homework is killing me").is_risk());
        assert!(
            s.scan("this homework is killing me and I want to kill myself")
                .is_risk()
        );
    }
}
