//! The daily self-compassion prompt pool (`dialogues/prompts/*.toml`), checked at load, and
//! each person's own order of it.
//!
//! Each prompt is one or two short sentences, kind and doable in a minute, with optional tags
//! and an optional follow-up dialogue. Loading refuses duplicates (by id and by text), empty or
//! over-long prompts and exclamation marks, with a `path:line:col` for each problem, like every
//! other content file. A person's order is a shuffle computed from a seed: what is stored is the
//! seed and a count, never the list.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::content::diagnostic::read_and_check;
use crate::content::{Diagnostic, SourceFile};

/// A prompt holds at most this many characters (one or two short sentences).
pub const MAX_PROMPT_LEN: usize = 200;

/// The dialogue "Talk about it" opens when a prompt names no `follow_up`.
pub const DEFAULT_FOLLOW_UP: &str = "daily-reflection";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub id: String,
    pub text: String,
    pub tags: Vec<String>,
    /// The dialogue to open for "Talk about it"; `None` means [`DEFAULT_FOLLOW_UP`].
    pub follow_up: Option<String>,
}

impl Prompt {
    pub fn follow_up(&self) -> &str {
        self.follow_up.as_deref().unwrap_or(DEFAULT_FOLLOW_UP)
    }
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
    text: Spanned<String>,
    #[serde(default)]
    tags: Vec<String>,
    follow_up: Option<Spanned<String>>,
}

/// All prompts, in file order.
#[derive(Debug, Clone, Default)]
pub struct PromptPool {
    prompts: Vec<Prompt>,
    /// Where each prompt's dialogue reference is, to report one that does not exist.
    follow_ups: Vec<(String, Diagnostic)>,
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
        let mut follow_ups = Vec::new();
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
                let follow_up = spec.follow_up.as_ref().map(|f| f.get_ref().clone());
                let site = match &spec.follow_up {
                    Some(f) => source.at(f.span(), ""),
                    None => source.at(spec.id.span(), ""),
                };
                let target = follow_up
                    .clone()
                    .unwrap_or_else(|| DEFAULT_FOLLOW_UP.into());
                follow_ups.push((target, site));
                prompts.push(Prompt {
                    id: spec.id.get_ref().clone(),
                    text: text.to_string(),
                    tags: spec.tags,
                    follow_up,
                });
            }
        }
        if problems.is_empty() {
            Ok(PromptPool {
                prompts,
                follow_ups,
            })
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

    /// Every follow-up dialogue a prompt names (or the default) that `exists` says is missing.
    pub fn missing_follow_ups(&self, exists: impl Fn(&str) -> bool) -> Vec<Diagnostic> {
        let mut problems: Vec<Diagnostic> = Vec::new();
        for (dialogue, site) in &self.follow_ups {
            if exists(dialogue) {
                continue;
            }
            // The default is reported once, not once per prompt.
            if problems
                .iter()
                .any(|p| p.message.contains(&format!("`{dialogue}`")))
            {
                continue;
            }
            let mut problem = site.clone();
            problem.message = if dialogue == DEFAULT_FOLLOW_UP {
                format!(
                    "\"Talk about it\" on a prompt opens the dialogue `{dialogue}`, and there is none: add it, or give each prompt a follow_up"
                )
            } else {
                format!("follow_up names the dialogue `{dialogue}`, and there is none")
            };
            problems.push(problem);
        }
        problems
    }

    /// Prompt number `index` in the order given by `seed`: each cycle through the pool is its
    /// own shuffle, so every prompt comes once before any repeats, and a cycle never starts
    /// with the prompt the last one ended on.
    pub fn in_order(&self, seed: u64, index: u64) -> Option<&Prompt> {
        let len = self.prompts.len() as u64;
        if len == 0 {
            return None;
        }
        // With two prompts only alternation avoids a repeat at the seam: one order for every
        // cycle. (With more, the fix below moves only the first two places, never the last.)
        let cycle = if len == 2 { 0 } else { index / len };
        let mut order = shuffle(len as usize, seed, cycle);
        if cycle > 0 && len > 2 {
            let previous_last = shuffle(len as usize, seed, cycle - 1)[len as usize - 1];
            if order[0] == previous_last {
                order.swap(0, 1);
            }
        }
        self.prompts.get(order[(index % len) as usize])
    }
}

/// A Fisher-Yates shuffle of `0..len` driven by SplitMix64 from (`seed`, `cycle`). Written out
/// rather than taken from `rand` because stored positions must mean the same prompt in every
/// future build, which `rand`'s generators do not promise.
fn shuffle(len: usize, seed: u64, cycle: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut state = crate::daily::schedule::mix(seed ^ cycle.wrapping_mul(0xd1b5_4a32_d192_ed03));
    for i in (1..len).rev() {
        state = crate::daily::schedule::mix(state);
        let j = (state % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
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
            pool("[[prompt]]\nid = \"a\"\ntags = [\"body\"]\ntext = \"Take one slow breath.\"\n")
                .unwrap();
        assert_eq!(ok.len(), 1);
        let bad = "[[prompt]]\nid = \"a\"\ntags = [\"body\"]\ntext = \"Breathe! Now.\"\n[[prompt]]\nid = \"a\"\ntext = \"One. Two. Three.\"\n[[prompt]]\nid = \"b\"\ntext = \"breathe! now.\"\n";
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
        assert!(unknown[0].message.contains("theme"), "{unknown:?}");
        let with_follow_up = pool("[[prompt]]\nid = \"a\"\ntext = \"Rest.\"\nfollow_up = \"nope\"\n[[prompt]]\nid = \"b\"\ntext = \"Sit.\"\n[[prompt]]\nid = \"c\"\ntext = \"Walk.\"\n").unwrap();
        let missing: Vec<String> = with_follow_up
            .missing_follow_ups(|_| false)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(missing.len(), 2, "{missing:?}");
        assert!(
            missing[0].starts_with("p.toml:4:13: follow_up names the dialogue `nope`"),
            "{missing:?}"
        );
        assert!(missing[1].contains("`daily-reflection`"), "{missing:?}");
        assert!(with_follow_up.missing_follow_ups(|_| true).is_empty());
    }

    #[test]
    fn a_cycle_of_days_visits_every_prompt_once() {
        let text: String = (0..12)
            .map(|i| format!("[[prompt]]\nid = \"p{i}\"\ntext = \"Rest {i}.\"\n"))
            .collect();
        let pool = pool(&text).unwrap();
        for seed in [0, 1, 6, 12, 99, u64::MAX] {
            let mut seen: Vec<&str> = (0..12)
                .map(|day| pool.in_order(seed, day).unwrap().id.as_str())
                .collect();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), 12, "seed {seed}");
        }
        assert!(PromptPool::default().in_order(3, 3).is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Any seed, any pool size: each cycle visits every prompt once, and no prompt comes
        /// twice in a row across a cycle boundary.
        #[test]
        fn every_cycle_is_a_permutation(len in 1usize..40, seed: u64, cycles in 1u64..4) {
            let text: String = (0..len)
                .map(|i| format!("[[prompt]]\nid = \"p{i}\"\ntext = \"Rest {i}.\"\n"))
                .collect();
            let pool = pool(&text).unwrap();
            let len = len as u64;
            let ids: Vec<&str> = (0..len * cycles)
                .map(|i| pool.in_order(seed, i).unwrap().id.as_str())
                .collect();
            for cycle in ids.chunks(len as usize) {
                let mut seen = cycle.to_vec();
                seen.sort();
                seen.dedup();
                proptest::prop_assert_eq!(seen.len() as u64, len);
            }
            if len > 1 {
                for pair in ids.windows(2) {
                    proptest::prop_assert_ne!(pair[0], pair[1]);
                }
            }
        }
    }

    #[test]
    fn orders_differ_between_people() {
        let text: String = (0..30)
            .map(|i| format!("[[prompt]]\nid = \"p{i}\"\ntext = \"Rest {i}.\"\n"))
            .collect();
        let pool = pool(&text).unwrap();
        let first = |seed| -> Vec<String> {
            (0..10)
                .map(|i| pool.in_order(seed, i).unwrap().id.clone())
                .collect()
        };
        assert_ne!(first(1), first(2));
        assert_eq!(first(1), first(1));
    }
}
