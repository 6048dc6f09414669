//! Escalation: what the bot says when the scanner finds risk, and the contacts it gives.

mod card;
mod resources;
pub mod wording;

pub use card::{
    CrisisCard, GROUNDING_DIALOGUE, crisis_card, directories_message, resources_message,
};
pub use resources::{Contact, ContactKind, INTERNATIONAL, Region, Resources};
