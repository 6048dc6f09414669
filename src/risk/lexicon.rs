//! The risk lexicon file: patterns by category and level, idiom guards, and their examples.
//!
//! Authors extend the lexicon without touching Rust; loading checks that each pattern compiles
//! and that every example behaves as stated, so a change that breaks detection fails validation.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::content::{Diagnostic, SourceFile};

use super::Scanner;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Suicide,
    SelfHarm,
    Overdose,
    HarmOthers,
    Abuse,
    ThirdParty,
}

impl Category {
    /// Which category a reply is about when several match at the same level: the most urgent
    /// need first (an overdose needs emergency care before anything else).
    pub const PRIORITY: [Category; 6] = [
        Category::Overdose,
        Category::Suicide,
        Category::SelfHarm,
        Category::HarmOthers,
        Category::Abuse,
        Category::ThirdParty,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Suicide => "suicide",
            Category::SelfHarm => "self_harm",
            Category::Overdose => "overdose",
            Category::HarmOthers => "harm_others",
            Category::Abuse => "abuse",
            Category::ThirdParty => "third_party",
        }
    }
}

/// How urgent a match is. Ordered: `None < Concern < Crisis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    None,
    /// Passive or ambiguous: ask gently.
    Concern,
    /// Explicit intent, plan, means, attempt or ongoing abuse: respond at once.
    Crisis,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    /// Named pieces of pattern that rules and guards use as `{name}`.
    #[serde(default)]
    define: BTreeMap<String, Spanned<String>>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleSpec>,
    #[serde(default, rename = "guard")]
    guards: Vec<GuardSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: Spanned<String>,
    category: Category,
    level: Spanned<Level>,
    pattern: Spanned<String>,
    matches: Spanned<Vec<String>>,
    #[serde(default)]
    ignores: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GuardSpec {
    id: Spanned<String>,
    pattern: Spanned<String>,
    matches: Spanned<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub category: Category,
    pub level: Level,
    pub pattern: String,
}

#[derive(Debug, Clone)]
pub struct Guard {
    pub id: String,
    pub pattern: String,
}

/// A checked lexicon.
#[derive(Debug, Clone)]
pub struct Lexicon {
    pub rules: Vec<Rule>,
    pub guards: Vec<Guard>,
}

impl Lexicon {
    pub fn load(path: &Path) -> Result<Lexicon, Vec<Diagnostic>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![Diagnostic {
                path: path.to_path_buf(),
                line: 1,
                col: 1,
                message: format!("cannot read the risk lexicon: {e}"),
            }]
        })?;
        Lexicon::parse(&SourceFile::new(path, text))
    }

    pub fn parse(source: &SourceFile) -> Result<Lexicon, Vec<Diagnostic>> {
        let file: LexiconFile = toml::from_str(&source.text).map_err(|e| {
            vec![source.at(
                e.span().unwrap_or(0..0),
                format!("this file is not valid: {}", e.message().trim()),
            )]
        })?;
        let mut problems = Vec::new();
        let definitions = expand_definitions(&file.define, source, &mut problems);
        let mut ids = std::collections::HashSet::new();
        let mut compile = |id: &Spanned<String>,
                           pattern: &Spanned<String>,
                           problems: &mut Vec<Diagnostic>|
         -> Option<String> {
            if !ids.insert(id.get_ref().clone()) {
                problems.push(source.at(id.span(), format!("id `{}` is used twice", id.get_ref())));
            }
            let expanded = match expand(pattern.get_ref(), &definitions) {
                Ok(expanded) => expanded,
                Err(name) => {
                    problems.push(source.at(
                        pattern.span(),
                        format!("`{{{name}}}` is not defined in [define]"),
                    ));
                    return None;
                }
            };
            match super::build(&expanded) {
                Ok(_) => Some(expanded),
                Err(e) => {
                    let message = e.to_string().replace('\n', " ");
                    problems.push(source.at(
                        pattern.span(),
                        format!("pattern does not compile: {message}"),
                    ));
                    None
                }
            }
        };
        let mut rules = Vec::new();
        for spec in &file.rules {
            if *spec.level.get_ref() == Level::None {
                problems
                    .push(source.at(spec.level.span(), "a rule's level is `crisis` or `concern`"));
            }
            if let Some(pattern) = compile(&spec.id, &spec.pattern, &mut problems) {
                rules.push(Rule {
                    id: spec.id.get_ref().clone(),
                    category: spec.category,
                    level: *spec.level.get_ref(),
                    pattern,
                });
            }
        }
        let mut guards = Vec::new();
        for spec in &file.guards {
            if let Some(pattern) = compile(&spec.id, &spec.pattern, &mut problems) {
                guards.push(Guard {
                    id: spec.id.get_ref().clone(),
                    pattern,
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let lexicon = Lexicon { rules, guards };
        lexicon.check_examples(source, &file, &mut problems);
        if problems.is_empty() {
            Ok(lexicon)
        } else {
            Err(problems)
        }
    }

    /// Every example must behave as written, against the whole lexicon (guards included).
    fn check_examples(
        &self,
        source: &SourceFile,
        file: &LexiconFile,
        problems: &mut Vec<Diagnostic>,
    ) {
        let scanner = match Scanner::from_lexicon(self) {
            Ok(scanner) => scanner,
            Err(e) => {
                problems.push(source.whole(format!("the patterns do not compile together: {e}")));
                return;
            }
        };
        for (index, spec) in file.rules.iter().enumerate() {
            if spec.matches.get_ref().is_empty() {
                problems.push(source.at(
                    spec.id.span(),
                    format!(
                        "rule `{}` needs at least one example in `matches`",
                        spec.id.get_ref()
                    ),
                ));
            }
            for example in spec.matches.get_ref() {
                if !scanner.matching_rules(example).contains(&index) {
                    problems.push(source.at(
                        spec.matches.span(),
                        format!(
                            "rule `{}`: example \"{example}\" should match but does not",
                            spec.id.get_ref()
                        ),
                    ));
                }
            }
            if let Some(ignores) = &spec.ignores {
                for example in ignores.get_ref() {
                    if scanner.scan(example).is_risk() {
                        problems.push(source.at(
                            ignores.span(),
                            format!(
                                "rule `{}`: example \"{example}\" should not be flagged but is",
                                spec.id.get_ref()
                            ),
                        ));
                    }
                }
            }
        }
        for spec in &file.guards {
            for example in spec.matches.get_ref() {
                if scanner.scan(example).is_risk() {
                    problems.push(source.at(
                        spec.matches.span(),
                        format!(
                            "guard `{}`: example \"{example}\" should not be flagged but is",
                            spec.id.get_ref()
                        ),
                    ));
                }
            }
        }
    }
}

/// Definitions expanded in order, each may use the ones before it.
fn expand_definitions(
    defines: &BTreeMap<String, Spanned<String>>,
    source: &SourceFile,
    problems: &mut Vec<Diagnostic>,
) -> BTreeMap<String, String> {
    let mut done: BTreeMap<String, String> = BTreeMap::new();
    // Sorted by position in the file, so a definition can use those above it.
    let mut ordered: Vec<_> = defines.iter().collect();
    ordered.sort_by_key(|(_, pattern)| pattern.span().start);
    for (name, pattern) in ordered {
        if !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            problems.push(source.at(
                pattern.span(),
                format!("definition name `{name}` must be lower-case letters and `_`"),
            ));
            continue;
        }
        match expand(pattern.get_ref(), &done) {
            Ok(expanded) => {
                done.insert(name.clone(), expanded);
            }
            Err(missing) => problems.push(source.at(
                pattern.span(),
                format!("`{{{missing}}}` is used before it is defined"),
            )),
        }
    }
    done
}

/// `pattern` with every `{name}` replaced by `(?:definition)`; `Err(name)` if one is unknown.
/// Repetitions like `{2}` or `{1,3}` are not names and stay as written.
fn expand(pattern: &str, definitions: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let escaped = rest[..open].ends_with('\\') && !rest[..open].ends_with("\\\\");
        let after = &rest[open + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        out.push_str(&rest[..open]);
        let is_name = len > 0 && after[len..].starts_with('}') && !escaped;
        let is_property = rest[..open].ends_with("\\p") || rest[..open].ends_with("\\P");
        if is_name && !is_property {
            let name = &after[..len];
            let definition = definitions.get(name).ok_or_else(|| name.to_string())?;
            out.push_str("(?:");
            out.push_str(definition);
            out.push(')');
            rest = &after[len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Lexicon, Vec<Diagnostic>> {
        Lexicon::parse(&SourceFile::new("lex.toml", text))
    }

    #[test]
    fn definitions_expand_and_unknown_ones_are_reported() {
        let lexicon = parse("[define]\nme = \"i|me\"\nself = \"{me}sel(f|ves)\"\n[[rule]]\nid = \"a\"\ncategory = \"suicide\"\nlevel = \"crisis\"\npattern = 'ab{1,2} {self}'\nmatches = [\"ab meself\"]\n").unwrap();
        assert_eq!(lexicon.rules[0].pattern, "ab{1,2} (?:(?:i|me)sel(f|ves))");
        let errors = parse("[[rule]]\nid = \"a\"\ncategory = \"suicide\"\nlevel = \"crisis\"\npattern = '{nope}'\nmatches = [\"x\"]\n").unwrap_err();
        assert!(
            errors[0].message.contains("`{nope}` is not defined"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn bad_pattern_is_reported_with_line() {
        let errors = parse("[[rule]]\nid = \"a\"\ncategory = \"suicide\"\nlevel = \"crisis\"\npattern = '(unclosed'\nmatches = [\"x\"]\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 5);
        assert!(errors[0].message.contains("does not compile"));
    }

    #[test]
    fn failing_examples_are_reported() {
        let errors = parse("[[rule]]\nid = \"a\"\ncategory = \"suicide\"\nlevel = \"crisis\"\npattern = 'end it'\nmatches = [\"stop it\"]\nignores = [\"end it all\"]\n").unwrap_err();
        let text: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
        assert!(
            text.iter().any(|m| m.contains("\"stop it\" should match")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|m| m.contains("\"end it all\" should not be flagged")),
            "{text:?}"
        );
    }

    #[test]
    fn unknown_category_names_the_problem() {
        let errors = parse("[[rule]]\nid = \"a\"\ncategory = \"sadness\"\nlevel = \"crisis\"\npattern = 'x'\nmatches = [\"x\"]\n").unwrap_err();
        assert_eq!(errors[0].line, 3);
        assert!(
            errors[0].message.contains("sadness"),
            "{}",
            errors[0].message
        );
    }
}
