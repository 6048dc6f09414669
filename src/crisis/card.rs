//! The crisis card: the reply to a risk match, written to safe-messaging guidance.
//!
//! It acknowledges, says in general terms what was noticed (never the person's words), says
//! plainly that this is an automated bot, gives one or two contacts, then a directory, and ends
//! with the emergency number: a way to reach a human is always the last thing said.

use serde::Serialize;

use crate::action::{Action, Command, Offer};
use crate::risk::{Assessment, Category, Level};

use super::resources::{ContactKind, INTERNATIONAL, Region, Resources};
use super::wording::wording;

/// Contacts shown before the directory: one or two, never a wall of numbers.
const MAX_LOCAL_CONTACTS: usize = 2;

/// The dialogue offered for grounding after a crisis reply, when the content has it.
pub const GROUNDING_DIALOGUE: &str = "grounding";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrisisCard {
    pub level: Level,
    /// The category the card is written for (`None` for a general one).
    pub category: Option<Category>,
    /// What the bot says first: acknowledgement, what it noticed, that it is automated.
    pub opening: Vec<String>,
    /// Practical steps (helping someone else), shown before the contacts.
    pub guidance: Vec<String>,
    /// Contact lines, most local first, then the directory.
    pub contacts: Vec<String>,
    /// The closing line: the emergency number for immediate danger.
    pub emergency: String,
    pub options: Vec<Offer>,
}

impl CrisisCard {
    /// The whole card as plain text (terminal, DMs without embeds).
    pub fn plain_text(&self) -> String {
        let mut out = self.opening.join("\n\n");
        out.push_str("\n\n");
        for line in &self.guidance {
            out.push_str("- ");
            out.push_str(line);
            out.push('\n');
        }
        if !self.guidance.is_empty() {
            out.push('\n');
        }
        for line in &self.contacts {
            out.push_str("• ");
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.emergency);
        out
    }
}

/// Build the reply for `assessment` with contacts for `region`.
pub fn crisis_card(
    assessment: &Assessment,
    resources: &Resources,
    region: Option<&str>,
    grounding_available: bool,
) -> CrisisCard {
    let region = resources.region(region);
    let wording = wording(assessment.primary, assessment.level);
    let fill = |text: &str| text.replace("{emergency}", &region.emergency);
    let mut options = vec![Offer::command("Keep talking with me", Command::Resume)];
    if grounding_available {
        options.push(Offer::new(
            "Try a grounding exercise",
            Action::Start {
                dialogue: GROUNDING_DIALOGUE.to_string(),
            },
        ));
    }
    options.push(Offer::command("Main menu", Command::Menu));
    CrisisCard {
        level: assessment.level,
        category: assessment.primary,
        opening: wording.opening.iter().map(|t| fill(t)).collect(),
        guidance: wording.guidance.iter().map(|t| fill(t)).collect(),
        contacts: contact_lines(region, resources, wording.contact_kinds, MAX_LOCAL_CONTACTS),
        emergency: emergency_line(region, wording.emergency),
        options,
    }
}

/// Every contact for `region` (crisis, text and domestic-violence lines), then the directory,
/// then the emergency line: the `resources` command's reply.
pub fn resources_message(resources: &Resources, region: Option<&str>) -> String {
    let region = resources.region(region);
    let kinds = [
        ContactKind::CrisisLine,
        ContactKind::TextLine,
        ContactKind::DomesticViolence,
        ContactKind::PoisonControl,
    ];
    let mut text = format!(
        "If you'd like to talk to a person, these services are free and confidential ({}):\n",
        region.name
    );
    for line in contact_lines(region, resources, &kinds, usize::MAX) {
        text.push_str("\n• ");
        text.push_str(&line);
    }
    text.push_str("\n\n");
    text.push_str(&emergency_line(
        region,
        "If you are in immediate danger, call {emergency} now.",
    ));
    text
}

/// Therapist directories listed for `region` in the resources data, or, where none has been
/// checked yet, how to find a licensed therapist without one.
pub fn directories_message(resources: &Resources, region: Option<&str>) -> String {
    let region = resources.region(region);
    let listed: Vec<String> = region
        .contacts_of(ContactKind::TherapistDirectory)
        .map(|c| format!("• {}: {}", c.name, c.reach))
        .collect();
    let place = if region.code == INTERNATIONAL {
        "your region"
    } else {
        region.name.as_str()
    };
    if listed.is_empty() {
        format!(
            "I don't have a checked list of therapist directories for {place} yet. A doctor or GP can often refer you, and most countries keep a public register of licensed therapists that you can search."
        )
    } else {
        format!(
            "Therapist directories for {place}:\n\n{}\n\nCheck that a therapist is licensed or registered before you start.",
            listed.join("\n")
        )
    }
}

/// Every message this module can build for `region`, by name, that would not fit in one
/// Discord message or whose region name would not fit on a button: checked when the
/// resources load, so a long contact list fails `validate` instead of a crisis reply.
pub(super) fn oversized(resources: &Resources, region: &Region) -> Vec<String> {
    use crate::content::{MAX_LABEL_LEN, MAX_MESSAGE_LEN};
    let mut problems = Vec::new();
    let mut check = |what: String, text: String| {
        let length = text.chars().count();
        if length > MAX_MESSAGE_LEN {
            problems.push(format!(
                "{}: the {what} would be {length} characters; Discord allows at most {MAX_MESSAGE_LEN}",
                region.code
            ));
        }
    };
    check(
        "resources message".into(),
        resources_message(resources, Some(&region.code)),
    );
    check(
        "therapist directories message".into(),
        directories_message(resources, Some(&region.code)),
    );
    for category in Category::PRIORITY {
        for level in [Level::Concern, Level::Crisis] {
            let assessment = Assessment {
                level,
                categories: vec![category],
                primary: Some(category),
            };
            let card = crisis_card(&assessment, resources, Some(&region.code), true);
            check(
                format!("crisis card for {} ({level:?})", category.as_str()),
                card.plain_text(),
            );
        }
    }
    if region.name.chars().count() > MAX_LABEL_LEN {
        problems.push(format!(
            "{}: the name is shown on a button and must be at most {MAX_LABEL_LEN} characters",
            region.code
        ));
    }
    problems
}

/// Up to `max` contacts of `kinds` from `region` (in the order of `kinds`), then the
/// international directory.
fn contact_lines(
    region: &Region,
    resources: &Resources,
    kinds: &[ContactKind],
    max: usize,
) -> Vec<String> {
    let mut lines: Vec<String> = kinds
        .iter()
        .flat_map(|kind| region.contacts_of(*kind))
        .take(max)
        .map(|c| format!("{}: {}", c.name, c.reach))
        .collect();
    let directory = resources
        .region(Some(INTERNATIONAL))
        .contacts_of(ContactKind::Directory)
        .next();
    if let Some(directory) = directory {
        lines.push(format!("{}: {}", directory.name, directory.reach));
    }
    lines
}

fn emergency_line(region: &Region, template: &str) -> String {
    let line = template.replace("{emergency}", &region.emergency);
    if region.code == INTERNATIONAL {
        line
    } else {
        format!("{} ({})", line.trim_end_matches('.'), region.name) + "."
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::SourceFile;

    fn resources() -> Resources {
        Resources::parse(&SourceFile::new(
            "r.toml",
            "[[region]]\ncode = \"INTL\"\nname = \"International\"\nemergency = \"your local emergency number\"\n[[region.contact]]\nname = \"Find A Helpline\"\nkind = \"directory\"\nreach = \"findahelpline.com\"\nsource = \"https://findahelpline.com\"\nverified = \"2026-11-22\"\n",
        ))
        .unwrap()
    }

    fn card(category: Category) -> CrisisCard {
        let assessment = Assessment {
            level: Level::Crisis,
            categories: vec![category],
            primary: Some(category),
        };
        crisis_card(&assessment, &resources(), None, true)
    }

    #[test]
    fn the_opening_names_what_was_noticed_by_category() {
        assert!(card(Category::SelfHarm).opening[0].contains("hurting yourself"));
        assert!(card(Category::Suicide).opening[0].contains("ending your life"));
        assert!(!card(Category::SelfHarm).opening[0].contains("ending your life"));
        assert!(card(Category::Overdose).opening[0].contains("medical help now"));
        assert!(card(Category::Abuse).opening[1].contains("safe for you to read this"));
        assert!(card(Category::HarmOthers).opening[0].contains("hurting someone"));
        assert!(!card(Category::ThirdParty).guidance.is_empty());
    }

    #[test]
    fn directories_come_from_the_resources_data() {
        assert!(directories_message(&resources(), None).contains("your region yet"));
        let with_directory = Resources::parse(&SourceFile::new(
            "r.toml",
            "[[region]]\ncode = \"INTL\"\nname = \"International\"\nemergency = \"your local emergency number\"\n[[region.contact]]\nname = \"Find A Helpline\"\nkind = \"directory\"\nreach = \"findahelpline.com\"\nsource = \"https://findahelpline.com\"\nverified = \"2026-11-22\"\n[[region]]\ncode = \"ZZ\"\nname = \"Testland\"\nemergency = \"000\"\n[[region.contact]]\nname = \"Register\"\nkind = \"therapist_directory\"\nreach = \"register.example\"\nsource = \"https://register.example\"\nverified = \"2026-11-22\"\n",
        ))
        .unwrap();
        let text = directories_message(&with_directory, Some("ZZ"));
        assert!(
            text.contains("Therapist directories for Testland"),
            "{text}"
        );
        assert!(text.contains("Register: register.example"), "{text}");
    }

    #[test]
    fn messages_too_long_for_discord_fail_to_load() {
        let fine = resources();
        assert!(oversized(&fine, fine.region(None)).is_empty());
        let long = format!(
            "[[region]]\ncode = \"INTL\"\nname = \"International\"\nemergency = \"your local emergency number\"\n[[region.contact]]\nname = \"Find A Helpline\"\nkind = \"directory\"\nreach = \"{}\"\nsource = \"https://findahelpline.com\"\nverified = \"2026-11-22\"\n",
            "x".repeat(2100)
        );
        let problems = Resources::parse(&SourceFile::new("r.toml", long)).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|p| p.starts_with("r.toml:2:") && p.contains("resources message")),
            "{text:?}"
        );
        assert!(text.iter().any(|p| p.contains("crisis card for suicide")));
    }

    #[test]
    fn never_a_wall_of_numbers() {
        for category in Category::PRIORITY {
            assert!(card(category).contacts.len() <= MAX_LOCAL_CONTACTS + 1);
        }
    }

    #[test]
    fn every_card_says_it_is_automated_and_ends_with_a_human() {
        for category in [Category::Suicide, Category::SelfHarm, Category::Abuse] {
            let text = card(category).plain_text();
            assert!(text.contains("automated bot"));
            assert!(text.contains("findahelpline.com"));
            assert!(
                text.ends_with("call your local emergency number now."),
                "{text}"
            );
        }
    }
}
