//! Crisis contacts per region, loaded from `dialogues/safety/resources.toml`.
//!
//! Every contact carries the `source` it was taken from and the date it was `verified`, so an
//! operator can re-check numbers before deploying; loading refuses a contact without either.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::content::{Diagnostic, SourceFile};

/// The region used when a person's region is unknown.
pub const INTERNATIONAL: &str = "INTL";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactKind {
    CrisisLine,
    TextLine,
    DomesticViolence,
    PoisonControl,
    Directory,
    TherapistDirectory,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: String,
    pub kind: ContactKind,
    /// How to reach it, in a few words ("call or text 988", "findahelpline.com").
    pub reach: String,
    pub source: String,
    pub verified: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub code: String,
    pub name: String,
    /// The emergency number or, for the international entry, how to find it.
    pub emergency: String,
    /// Discord locales that hint at this region when a person has not chosen one (e.g. en-GB).
    #[serde(default)]
    pub locales: Vec<String>,
    #[serde(default, rename = "contact")]
    pub contacts: Vec<Contact>,
}

impl Region {
    pub fn contacts_of(&self, kind: ContactKind) -> impl Iterator<Item = &Contact> {
        self.contacts.iter().filter(move |c| c.kind == kind)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourcesFile {
    #[serde(rename = "region")]
    regions: Vec<Spanned<Region>>,
}

/// All regions' contacts; always has the international entry.
#[derive(Debug, Clone)]
pub struct Resources {
    regions: BTreeMap<String, Region>,
}

impl Resources {
    pub fn load(path: &Path) -> Result<Resources, Vec<Diagnostic>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![Diagnostic {
                path: path.to_path_buf(),
                line: 1,
                col: 1,
                message: format!("cannot read crisis resources: {e}"),
            }]
        })?;
        Resources::parse(&SourceFile::new(path, text))
    }

    pub fn parse(source: &SourceFile) -> Result<Resources, Vec<Diagnostic>> {
        let file: ResourcesFile = toml::from_str(&source.text).map_err(|e| {
            vec![source.at(
                e.span().unwrap_or(0..0),
                format!("this file is not valid: {}", e.message().trim()),
            )]
        })?;
        let mut problems = Vec::new();
        let mut regions = BTreeMap::new();
        for spanned in file.regions {
            let span = spanned.span();
            let region = spanned.into_inner();
            if region.code.is_empty() || !region.code.chars().all(|c| c.is_ascii_uppercase()) {
                problems.push(source.at(
                    span.clone(),
                    format!(
                        "region code `{}` must be upper-case letters (e.g. UK, US, INTL)",
                        region.code
                    ),
                ));
            }
            for contact in &region.contacts {
                if contact.source.trim().is_empty() {
                    problems.push(source.at(
                        span.clone(),
                        format!("{} / {}: `source` is empty", region.code, contact.name),
                    ));
                }
                if NaiveDate::parse_from_str(&contact.verified, "%Y-%m-%d").is_err() {
                    problems.push(source.at(
                        span.clone(),
                        format!(
                            "{} / {}: `verified` must be a date like 2026-11-22",
                            region.code, contact.name
                        ),
                    ));
                }
            }
            for locale in &region.locales {
                let taken = regions
                    .values()
                    .find(|r: &&Region| r.locales.iter().any(|l| l.eq_ignore_ascii_case(locale)));
                if let Some(other) = taken {
                    problems.push(source.at(
                        span.clone(),
                        format!("locale `{locale}` is already a hint for {}", other.code),
                    ));
                }
            }
            if regions.insert(region.code.clone(), region).is_some() {
                problems.push(source.at(span, "this region code is listed twice"));
            }
        }
        match regions.get(INTERNATIONAL) {
            None => problems.push(source.whole(format!("there must be a region with code `{INTERNATIONAL}` for people whose region is unknown"))),
            Some(intl) if intl.contacts_of(ContactKind::Directory).next().is_none() => problems.push(source.whole(format!("region `{INTERNATIONAL}` needs a contact of kind \"directory\" (such as findahelpline.com)"))),
            Some(_) => {}
        }
        let resources = Resources { regions };
        if problems.is_empty() {
            for region in resources.regions.values() {
                let line = source
                    .text
                    .find(&format!("code = \"{}\"", region.code))
                    .unwrap_or(0);
                for problem in super::card::oversized(&resources, region) {
                    problems.push(source.at(line..line, problem));
                }
            }
        }
        if problems.is_empty() {
            Ok(resources)
        } else {
            Err(problems)
        }
    }

    /// The region for `code`, or the international entry.
    pub fn region(&self, code: Option<&str>) -> &Region {
        code.and_then(|c| self.regions.get(&c.to_ascii_uppercase()))
            .or_else(|| self.regions.get(INTERNATIONAL))
            .unwrap_or_else(|| unreachable_international())
    }

    /// The region a locale hints at: an exact match (`en-GB` -> UK), else its language alone
    /// (`de-AT` -> the region listing `de`). `None` when no region lists it.
    pub fn region_for_locale(&self, locale: &str) -> Option<&Region> {
        let listing = |wanted: &str| {
            self.regions
                .values()
                .find(|r| r.locales.iter().any(|l| l.eq_ignore_ascii_case(wanted)))
        };
        let locale = locale.replace('_', "-");
        listing(&locale).or_else(|| listing(locale.split('-').next().unwrap_or_default()))
    }

    pub fn knows(&self, code: &str) -> bool {
        self.regions.contains_key(&code.to_ascii_uppercase())
    }

    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }
}

/// `Resources::parse` refuses a file without the international region, so this cannot happen.
#[cold]
fn unreachable_international() -> &'static Region {
    static FALLBACK: std::sync::OnceLock<Region> = std::sync::OnceLock::new();
    FALLBACK.get_or_init(|| Region {
        code: INTERNATIONAL.to_string(),
        name: "International".to_string(),
        emergency: "your local emergency number".to_string(),
        locales: Vec::new(),
        contacts: vec![Contact {
            name: "Find A Helpline".to_string(),
            kind: ContactKind::Directory,
            reach: "findahelpline.com".to_string(),
            source: "https://findahelpline.com".to_string(),
            verified: "2026-11-22".to_string(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
[[region]]
code = "INTL"
name = "Anywhere"
emergency = "your local emergency number"
[[region.contact]]
name = "Find A Helpline"
kind = "directory"
reach = "findahelpline.com"
source = "https://findahelpline.com"
verified = "2026-11-22"
"#;

    #[test]
    fn unknown_region_falls_back_to_international() {
        let r = Resources::parse(&SourceFile::new("r.toml", OK)).unwrap();
        assert_eq!(r.region(Some("ZZ")).code, "INTL");
        assert_eq!(r.region(None).code, "INTL");
        assert_eq!(r.region(Some("intl")).code, "INTL");
    }

    #[test]
    fn locales_hint_at_regions() {
        let text = OK.replace(
            "name = \"Anywhere\"",
            "name = \"Anywhere\"\nlocales = [\"de\", \"en-GB\"]",
        );
        let r = Resources::parse(&SourceFile::new("r.toml", text)).unwrap();
        assert_eq!(
            r.region_for_locale("en-GB").map(|r| r.code.as_str()),
            Some("INTL")
        );
        assert_eq!(
            r.region_for_locale("de_AT").map(|r| r.code.as_str()),
            Some("INTL")
        );
        assert!(r.region_for_locale("en-US").is_none());
        assert!(r.region_for_locale("en").is_none());
    }

    #[test]
    fn contacts_need_source_and_date() {
        let bad = OK.replace("verified = \"2026-11-22\"", "verified = \"last week\"");
        let errors = Resources::parse(&SourceFile::new("r.toml", bad)).unwrap_err();
        assert!(errors[0].message.contains("verified"));
        let bad = OK.replace("source = \"https://findahelpline.com\"", "source = \"\"");
        assert!(Resources::parse(&SourceFile::new("r.toml", bad)).is_err());
    }

    #[test]
    fn international_region_is_required() {
        let bad = OK.replace("INTL", "UK");
        let errors = Resources::parse(&SourceFile::new("r.toml", bad)).unwrap_err();
        assert!(errors[0].message.contains("INTL"));
    }
}
