//! The daily self-compassion prompt pool (`dialogues/prompts/*.toml`), checked at load.
//!
//! Each prompt is one or two short sentences, kind and doable in a minute. Loading refuses
//! duplicates (by id and by text), empty or over-long prompts and exclamation marks, with a
//! `path:line:col` for each problem, like every other content file.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::content::diagnostic::read_and_check;
use crate::content::{Diagnostic, SourceFile};

/// A prompt holds at most this many characters (one or two short sentences).
pub const MAX_PROMPT_LEN: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Body,
    Kindness,
    Reflection,
    Connection,
    Rest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub id: String,
    pub theme: Theme,
    pub text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptFile {
    #[serde(default, rename = "prompt")]
    prompts: Vec<PromptSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptSpec {
    id: Spanned<String>,
    theme: Theme,
    text: Spanned<String>,
}

/// All prompts, in file order.
#[derive(Debug, Clone, Default)]
pub struct PromptPool {
    prompts: Vec<Prompt>,
}

impl PromptPool {
    /// Load every `.toml` file in `dir`; a missing folder is an empty pool.
    pub fn load_dir(dir: &Path) -> Result<PromptPool, Vec<Diagnostic>> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(PromptPool::default());
        };
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        read_and_check(paths, PromptPool::from_sources)
    }

    pub fn from_sources(sources: &[SourceFile]) -> Result<PromptPool, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let mut prompts = Vec::new();
        let mut ids: HashMap<String, ()> = HashMap::new();
        let mut texts: HashMap<String, String> = HashMap::new();
        for source in sources {
            let file: PromptFile = match toml::from_str(&source.text) {
                Ok(file) => file,
                Err(e) => {
                    problems.push(source.at(
                        e.span().unwrap_or(0..0),
                        format!("this file is not valid: {}", e.message().trim()),
                    ));
                    continue;
                }
            };
            for spec in file.prompts {
                let text = spec.text.get_ref().trim();
                if ids.insert(spec.id.get_ref().clone(), ()).is_some() {
                    problems.push(source.at(
                        spec.id.span(),
                        format!("prompt id `{}` is used twice", spec.id.get_ref()),
                    ));
                }
                let mut report =
                    |message: String| problems.push(source.at(spec.text.span(), message));
                let len = text.chars().count();
                if text.is_empty() {
                    report("the prompt is empty".to_string());
                } else if len > MAX_PROMPT_LEN {
                    report(format!(
                        "the prompt is {len} characters; keep it to {MAX_PROMPT_LEN} (one or two short sentences)"
                    ));
                }
                if text.contains('!') {
                    report("no exclamation marks: prompts are calm".to_string());
                }
                let sentences = text
                    .split(['.', '?'])
                    .filter(|s| !s.trim().is_empty())
                    .count();
                if sentences > 2 {
                    report(format!(
                        "the prompt has {sentences} sentences; keep it to one or two"
                    ));
                }
                let key = text.to_lowercase();
                if let Some(first) = texts.get(&key) {
                    report(format!("the same text as prompt `{first}`"));
                } else {
                    texts.insert(key, spec.id.get_ref().clone());
                }
                prompts.push(Prompt {
                    id: spec.id.get_ref().clone(),
                    theme: spec.theme,
                    text: text.to_string(),
                });
            }
        }
        if problems.is_empty() {
            Ok(PromptPool { prompts })
        } else {
            Err(problems)
        }
    }

    pub fn len(&self) -> usize {
        self.prompts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty()
    }

    pub fn prompts(&self) -> &[Prompt] {
        &self.prompts
    }

    /// The prompt for `day` (days since an epoch) for someone whose order is shuffled by
    /// `seed`: consecutive days walk the whole pool before any prompt repeats.
    pub fn for_day(&self, day: u64, seed: u64) -> Option<&Prompt> {
        let len = self.prompts.len() as u64;
        if len == 0 {
            return None;
        }
        // A stride coprime with the length visits every index once per cycle.
        let mut stride = (seed % len).max(1);
        while gcd(stride, len) != 1 {
            stride += 1;
        }
        let (len, day, stride, start) = (
            u128::from(len),
            u128::from(day),
            u128::from(stride),
            u128::from(seed),
        );
        let index = (start % len + (day % len) * stride) % len;
        self.prompts.get(usize::try_from(index).ok()?)
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(text: &str) -> Result<PromptPool, Vec<Diagnostic>> {
        PromptPool::from_sources(&[SourceFile::new("p.toml", text)])
    }

    #[test]
    fn loads_and_checks_prompts() {
        let ok =
            pool("[[prompt]]\nid = \"a\"\ntheme = \"body\"\ntext = \"Take one slow breath.\"\n")
                .unwrap();
        assert_eq!(ok.len(), 1);
        let bad = "[[prompt]]\nid = \"a\"\ntheme = \"body\"\ntext = \"Breathe! Now.\"\n[[prompt]]\nid = \"a\"\ntheme = \"rest\"\ntext = \"One. Two. Three.\"\n[[prompt]]\nid = \"b\"\ntheme = \"rest\"\ntext = \"breathe! now.\"\n";
        let errors: Vec<String> = pool(bad)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("p.toml:4:8: no exclamation")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("`a` is used twice")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("3 sentences")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("same text as prompt `a`")),
            "{errors:?}"
        );
        let unknown =
            pool("[[prompt]]\nid = \"a\"\ntheme = \"sleep\"\ntext = \"x\"\n").unwrap_err();
        assert!(unknown[0].message.contains("sleep"));
    }

    #[test]
    fn a_cycle_of_days_visits_every_prompt_once() {
        let text: String = (0..12)
            .map(|i| format!("[[prompt]]\nid = \"p{i}\"\ntheme = \"rest\"\ntext = \"Rest {i}.\"\n"))
            .collect();
        let pool = pool(&text).unwrap();
        for seed in [0, 1, 6, 12, 99, u64::MAX] {
            let mut seen: Vec<&str> = (0..12)
                .map(|day| pool.for_day(day, seed).unwrap().id.as_str())
                .collect();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), 12, "seed {seed}");
        }
        assert!(PromptPool::default().for_day(3, 3).is_none());
    }
}
