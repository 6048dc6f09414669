//! Content: the dialogue file format, its loader and validator, and the compiled dialogues.

pub mod condition;
pub mod diagnostic;
pub mod dialogue;
pub mod format;
pub mod graph;
mod limits;
mod load;
pub mod readability;
pub mod template;

pub use diagnostic::{Diagnostic, SourceFile};
pub use dialogue::{Choice, Dialogue, Effect, MENU_DIALOGUE, Node, NodeBody, Target};
pub use limits::{MAX_CHOICES, MAX_ID_LEN, MAX_LABEL_LEN, MAX_MESSAGE_LEN};
pub use load::{Library, PROMPTS_DIR, SAFETY_DIR};
