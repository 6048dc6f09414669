//! The core's safety paths: escalation after a risk match, the two-question check-in for
//! ambiguous messages, and which region's crisis contacts a person sees.
//!
//! Escalation never waits: it reads the person's record only if it is free (`try_lock`), and a
//! storage fault falls back to the default region. Nothing of the message is kept; only the
//! per-category counters move.

use std::sync::atomic::Ordering;

use crate::action::{Action, Command, Offer, SafetyAnswer, SafetyQuestion};
use crate::crisis::wording::{
    CHECK_CARRY_ON, CHECK_NO, CHECK_NO_THOUGHTS, CHECK_THOUGHTS, CHECK_WISHED_DEAD,
};
use crate::crisis::{GROUNDING_DIALOGUE, INTERNATIONAL, crisis_card, resources_message};
use crate::risk::{Assessment, Category, Level};
use crate::store::UserId;

use super::{Bot, Hints, Person, Reply};

/// Where the region used for crisis contacts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RegionSource {
    Chosen,
    Server,
    Language,
    Default,
    Unknown,
}

impl Bot {
    /// Scan `text` for risk, counting a match by category (never keeping the text). Adapters
    /// that must answer differently in public (a server channel) call this directly; every
    /// other text goes through [`Bot::handle`], which calls it first.
    pub fn assess(&self, text: &str) -> Assessment {
        let assessment = self.bundle.scanner.scan(text);
        if assessment.is_risk() {
            for category in &assessment.categories {
                let index = Category::PRIORITY
                    .iter()
                    .position(|c| c == category)
                    .unwrap_or(0);
                self.risk_counts[index].fetch_add(1, Ordering::Relaxed);
            }
            tracing::info!(level = ?assessment.level, categories = ?assessment.categories, "risk match");
        }
        assessment
    }

    /// The crisis card for `text` if it shows risk, built from the text alone without touching
    /// any conversation: what an adapter still sends when handling the text failed. Not
    /// counted again ([`Bot::assess`] counted it on the way in).
    pub fn crisis_reply(&self, text: &str, server_region: Option<&str>) -> Option<Reply> {
        let assessment = self.bundle.scanner.scan(text);
        let region = server_region
            .map(str::to_string)
            .or_else(|| self.options.default_region.clone());
        assessment
            .is_risk()
            .then(|| self.card(&assessment, region.as_deref()))
    }

    /// Answer a risk match. Ambiguous thoughts of death get the check-in questions; everything
    /// else gets the crisis card for its category.
    pub(super) fn escalate(
        &self,
        user: &UserId,
        hints: &Hints,
        assessment: &Assessment,
    ) -> Vec<Reply> {
        let slot = self.slot(user, (self.clock)());
        let mut person = slot.try_lock().ok();
        if let Some(person) = person.as_mut() {
            hints.apply(person);
        }
        let ask_first = assessment.level == Level::Concern
            && matches!(assessment.primary, None | Some(Category::Suicide));
        if let (true, Some(person)) = (ask_first, person.as_mut()) {
            person.check = Some(SafetyQuestion::WishedDead);
            return vec![self.remember(person, check_question(SafetyQuestion::WishedDead))];
        }
        let region = match person.as_ref() {
            Some(person) => self.region_of(person).0,
            // The record is busy: read the saved choice directly, or use the default.
            None => self
                .store
                .settings(user)
                .ok()
                .flatten()
                .and_then(|s| s.region)
                .or_else(|| hints.server_region.clone())
                .or_else(|| self.options.default_region.clone()),
        };
        let card = self.card(assessment, region.as_deref());
        if let Some(person) = person.as_mut() {
            person.check = None;
            person.offers = card.options().to_vec();
        }
        vec![card]
    }

    fn card(&self, assessment: &Assessment, region: Option<&str>) -> Reply {
        let grounding = self.bundle.library.get(GROUNDING_DIALOGUE).is_some();
        Reply::Crisis(crisis_card(
            assessment,
            &self.bundle.resources,
            region,
            grounding,
        ))
    }

    /// A typed yes or no while a check-in question is waiting, as that answer. Any other text
    /// while a question waits counts as not answering, which still shows how to get help.
    pub(super) fn pending_check_answer(&self, user: &UserId, text: &str) -> Option<Action> {
        let slot = self.lock_people().get(user).cloned()?;
        let question = slot.lock().unwrap_or_else(|e| e.into_inner()).check?;
        let answer = SafetyAnswer::from_text(text).unwrap_or(SafetyAnswer::RatherNotSay);
        Some(Action::Command(Command::SafetyCheck { question, answer }))
    }

    pub(super) fn safety_answer(
        &self,
        person: &mut Person,
        question: SafetyQuestion,
        answer: SafetyAnswer,
    ) -> Vec<Reply> {
        let (region, _) = self.region_of(person);
        let suicide = |level| Assessment {
            level,
            categories: vec![Category::Suicide],
            primary: Some(Category::Suicide),
        };
        let reply = match (question, answer) {
            (SafetyQuestion::WishedDead, SafetyAnswer::Yes) => {
                person.check = Some(SafetyQuestion::Thoughts);
                check_question(SafetyQuestion::Thoughts)
            }
            (SafetyQuestion::Thoughts, SafetyAnswer::Yes) => {
                person.check = None;
                self.card(&suicide(Level::Crisis), region.as_deref())
            }
            (_, SafetyAnswer::RatherNotSay) => {
                person.check = None;
                self.card(&suicide(Level::Concern), region.as_deref())
            }
            (SafetyQuestion::WishedDead, SafetyAnswer::No) => {
                person.check = None;
                self.help_and_carry_on(CHECK_NO, region.as_deref())
            }
            (SafetyQuestion::Thoughts, SafetyAnswer::No) => {
                person.check = None;
                self.help_and_carry_on(CHECK_NO_THOUGHTS, region.as_deref())
            }
        };
        vec![self.remember(person, reply)]
    }

    /// A "no" still shows how to reach help, then offers to carry on.
    fn help_and_carry_on(&self, opening: &str, region: Option<&str>) -> Reply {
        let region = self.bundle.resources.region(region);
        let first = region
            .contacts
            .iter()
            .find(|c| c.kind == crate::crisis::ContactKind::CrisisLine);
        let mut text = format!("{opening}\n");
        if let Some(contact) = first {
            text.push_str(&format!("\n• {}: {}", contact.name, contact.reach));
        }
        text.push_str(
            "\n• findahelpline.com lists free helplines in your country, answered by people",
        );
        text.push_str(&format!("\n\n{CHECK_CARRY_ON}"));
        Reply::with_options(
            text,
            vec![
                Offer::command("Carry on where I was", Command::Resume),
                Offer::command("Talk to someone now", Command::Resources),
                super::menu(),
            ],
        )
    }

    /// The region for this person's crisis contacts, and where it came from: their choice, their
    /// server's default, their language (a hint only), the configured default, or none
    /// (international contacts).
    pub(super) fn region_of(&self, person: &Person) -> (Option<String>, RegionSource) {
        if let Some(code) = &person.settings.region {
            return (Some(code.clone()), RegionSource::Chosen);
        }
        if let Some(code) = &person.server_region {
            return (Some(code.clone()), RegionSource::Server);
        }
        let hinted = person
            .locale
            .as_deref()
            .and_then(|l| self.bundle.resources.region_for_locale(l));
        if let Some(region) = hinted {
            return (Some(region.code.clone()), RegionSource::Language);
        }
        match &self.options.default_region {
            Some(code) => (Some(code.clone()), RegionSource::Default),
            None => (None, RegionSource::Unknown),
        }
    }

    pub(super) fn region_menu(&self, person: &mut Person) -> Reply {
        let (code, source) = self.region_of(person);
        let region = self.bundle.resources.region(code.as_deref());
        let why = match source {
            RegionSource::Chosen => "you chose it",
            RegionSource::Server => "it is this server's default",
            RegionSource::Language => "it matches your language setting",
            RegionSource::Default => "it is this bot's default",
            RegionSource::Unknown => "I don't know your region yet",
        };
        let mut options: Vec<Offer> = self
            .bundle
            .resources
            .regions()
            .filter(|r| r.code != INTERNATIONAL)
            .map(|r| {
                Offer::new(
                    r.name.clone(),
                    Action::SetRegion {
                        code: r.code.clone(),
                    },
                )
            })
            .collect();
        options.push(Offer::new(
            "Somewhere else",
            Action::SetRegion {
                code: INTERNATIONAL.to_string(),
            },
        ));
        options.truncate(crate::content::MAX_CHOICES);
        self.remember(
            person,
            Reply::with_options(
                format!(
                    "I show crisis contacts for: {} ({why}). Where are you? Pick one, or type `region` followed by a code such as UK.",
                    region.name
                ),
                options,
            ),
        )
    }

    pub(super) fn set_region(&self, user: &UserId, person: &mut Person, code: &str) -> Vec<Reply> {
        if !self.bundle.resources.knows(code) {
            return vec![self.region_menu(person)];
        }
        let code = code.to_ascii_uppercase();
        person.settings.region = Some(code.clone());
        let kept = if person.saving {
            match self.store.save_settings(user, &person.settings) {
                Ok(()) => "Saved.",
                Err(_) => "I couldn't save it, so it lasts for this conversation.",
            }
        } else {
            "This lasts for this conversation; type `consent` if you'd like me to remember it."
        };
        let text = format!(
            "{kept}\n\n{}",
            resources_message(&self.bundle.resources, Some(&code))
        );
        vec![self.remember(
            person,
            Reply::with_options(
                text,
                vec![Offer::command("Continue", Command::Resume), super::menu()],
            ),
        )]
    }
}

fn check_question(question: SafetyQuestion) -> Reply {
    let text = match question {
        SafetyQuestion::WishedDead => CHECK_WISHED_DEAD,
        SafetyQuestion::Thoughts => CHECK_THOUGHTS,
    };
    let answer =
        |label: &str, answer| Offer::command(label, Command::SafetyCheck { question, answer });
    Reply::with_options(
        text,
        vec![
            answer("Yes", SafetyAnswer::Yes),
            answer("No", SafetyAnswer::No),
            answer("I'd rather not say", SafetyAnswer::RatherNotSay),
        ],
    )
}
