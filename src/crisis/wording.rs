//! What the bot says for each kind of risk, written to safe-messaging guidance.
//!
//! Every opening acknowledges, says in general terms what was noticed (never the person's words,
//! never a method), and says plainly that this is an automated bot. No jokes, no "you have so
//! much to live for", no promise of secrecy. `{emergency}` is filled with the region's number.

use crate::risk::{Category, Level};

use super::resources::ContactKind;

/// The parts of a reply that depend on the category and level.
pub struct Wording {
    pub opening: &'static [&'static str],
    /// Practical steps shown before the contacts (for helping someone else).
    pub guidance: &'static [&'static str],
    /// Which contacts to show first, in order of preference.
    pub contact_kinds: &'static [ContactKind],
    /// The closing line; ends the message with a way to reach a human.
    pub emergency: &'static str,
}

const CRISIS_LINES: &[ContactKind] = &[ContactKind::CrisisLine, ContactKind::TextLine];
const YOU_IN_DANGER: &str = "If you are in immediate danger, call {emergency} now.";

pub fn wording(category: Option<Category>, level: Level) -> Wording {
    let base = |opening| Wording {
        opening,
        guidance: &[],
        contact_kinds: CRISIS_LINES,
        emergency: YOU_IN_DANGER,
    };
    match (category, level) {
        (Some(Category::Overdose), _) => Wording {
            opening: &[
                "If you have taken too much of something, please get medical help now, even if you feel fine: call {emergency} or go to the nearest emergency department. Some effects only show up hours later.",
                "I'm an automated bot, not a person. While you get help, or if you want to talk to someone, these services are there:",
            ],
            guidance: &[],
            contact_kinds: &[
                ContactKind::PoisonControl,
                ContactKind::CrisisLine,
                ContactKind::TextLine,
            ],
            emergency: YOU_IN_DANGER,
        },
        (Some(Category::Abuse), _) => Wording {
            opening: &[
                "Thank you for telling me. What you wrote sounds like someone may be hurting you. That is not your fault, and you deserve to be safe.",
                "Is it safe for you to read this right now? If someone might see this screen or this chat, you can close it at any time.",
                "I'm an automated bot, not a person. These services can help you think about what to do, in confidence:",
            ],
            guidance: &[],
            contact_kinds: &[
                ContactKind::DomesticViolence,
                ContactKind::CrisisLine,
                ContactKind::TextLine,
            ],
            emergency: YOU_IN_DANGER,
        },
        (Some(Category::ThirdParty), _) => Wording {
            opening: &[
                "It sounds like someone you care about may be in danger. It's good that you're looking out for them.",
                "I'm an automated bot, not a person, but these steps tend to help:",
            ],
            guidance: &[
                "Ask them directly how they are, and whether they are thinking about suicide. Asking does not put the idea in their head.",
                "Listen without judging, and stay with them or keep in touch.",
                "Help them contact one of the services below, or contact it together.",
                "Supporting someone is heavy. These services are there for you too:",
            ],
            contact_kinds: CRISIS_LINES,
            emergency: "If they are in immediate danger, call {emergency} now.",
        },
        (Some(Category::HarmOthers), _) => Wording {
            opening: &[
                "It sounds like you may be having thoughts of hurting someone. Thank you for saying it. Thoughts like these can be frightening, and talking about them is a good step.",
                "I'm an automated bot, not a person. Someone at these services can talk it through with you right now, without judging you:",
            ],
            guidance: &[],
            contact_kinds: CRISIS_LINES,
            emergency: "If anyone is in immediate danger, call {emergency} now.",
        },
        (Some(Category::SelfHarm), Level::Crisis) => base(&[
            "Thank you for telling me. What you wrote sounds like you may be hurting yourself or thinking about it. You don't have to carry that alone.",
            "I'm an automated bot, not a person. People at these services understand self-harm and can talk with you right now:",
        ]),
        (Some(Category::SelfHarm), _) => base(&[
            "Thank you for sharing that. It sounds like self-harm may be on your mind, and that can be really hard.",
            "I'm an automated bot, not a person. If you'd like to talk to someone, these services are free and confidential:",
        ]),
        (_, Level::Crisis) => base(&[
            "Thank you for telling me. What you wrote sounds like you may be thinking about ending your life, and that matters.",
            "I'm an automated bot, not a person, so I can't give you the help you deserve right now. People at these services can, and they want to hear from you:",
        ]),
        (_, _) => base(&[
            "Thank you for sharing that. Some of what you wrote sounds really heavy, and I want to make sure you have support.",
            "I'm an automated bot, not a person. If things feel hard to carry, you can talk to someone at any of these, any time:",
        ]),
    }
}

/// The two questions the bot asks when a message suggests thoughts of death without saying so
/// plainly (the structure of the Columbia screener's first two questions, in our own words).
pub const CHECK_WISHED_DEAD: &str = "I'd like to check in, because what you wrote could mean you're going through something really hard. I'm an automated bot, and I ask this directly: in the past few weeks, have you wished you were dead, or wished you could go to sleep and not wake up?";
pub const CHECK_THOUGHTS: &str =
    "Thank you for telling me. Have you had any thoughts of killing yourself?";
pub const CHECK_NO: &str = "Thank you for answering. If that ever changes, or things get heavier, you can talk to a person at any time:";
pub const CHECK_NO_THOUGHTS: &str = "Thank you for being honest. Wishing you weren't here is a heavy thing to carry, even without thoughts of acting on it. Talking it through with someone can help:";
pub const CHECK_CARRY_ON: &str = "Would you like to carry on where we were?";
