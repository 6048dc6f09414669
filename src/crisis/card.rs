//! The crisis card: the reply to a risk match, written to safe-messaging guidance.
//!
//! It acknowledges, says in general terms what was noticed (never the person's words), says
//! plainly that this is an automated bot, gives one or two contacts, then a directory, and ends
//! with the emergency number: a way to reach a human is always the last thing said.

use serde::Serialize;

use crate::action::{Action, Command, Offer};
use crate::risk::{Assessment, Level};

use super::resources::{ContactKind, INTERNATIONAL, Region, Resources};

/// Contacts shown before the directory: one or two, never a wall of numbers.
const MAX_LOCAL_CONTACTS: usize = 2;

/// The dialogue offered for grounding after a crisis reply, when the content has it.
pub const GROUNDING_DIALOGUE: &str = "grounding";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrisisCard {
    pub level: Level,
    /// What the bot says first: acknowledgement, what it noticed, that it is automated.
    pub opening: Vec<String>,
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
    let opening = match assessment.level {
        Level::Crisis => vec![
            "Thank you for telling me. What you wrote sounds like you may be in danger or thinking about ending your life, and that matters.".to_string(),
            "I'm an automated bot, not a person, so I can't give you the help you deserve right now. People at these services can, and they want to hear from you:".to_string(),
        ],
        Level::Concern | Level::None => vec![
            "Thank you for sharing that. Some of what you wrote sounds really heavy, and I want to make sure you have support.".to_string(),
            "I'm an automated bot, not a person. If things feel hard to carry, you can talk to someone at any of these, any time:".to_string(),
        ],
    };
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
        opening,
        contacts: contact_lines(region, resources),
        emergency: emergency_line(region),
        options,
    }
}

fn contact_lines(region: &Region, resources: &Resources) -> Vec<String> {
    let mut lines: Vec<String> = region
        .contacts
        .iter()
        .filter(|c| matches!(c.kind, ContactKind::CrisisLine | ContactKind::TextLine))
        .take(MAX_LOCAL_CONTACTS)
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

fn emergency_line(region: &Region) -> String {
    if region.code == INTERNATIONAL {
        format!(
            "If you are in immediate danger, call {} now.",
            region.emergency
        )
    } else {
        format!(
            "If you are in immediate danger, call {} now ({}).",
            region.emergency, region.name
        )
    }
}
