//! The limits content must respect: Discord's (message, label and choice counts) and the
//! project's own (id lengths chosen so ids fit in a button's 100-character `custom_id`).

/// A Discord message holds at most this many characters.
pub const MAX_MESSAGE_LEN: usize = 2000;
/// A button label holds at most 80 characters.
pub const MAX_LABEL_LEN: usize = 80;
/// A select menu holds at most 25 options (and 5 rows of 5 buttons make 25 too).
pub const MAX_CHOICES: usize = 25;
/// Titles become button labels when an end node offers the dialogue (80 characters).
pub const MAX_TITLE_LEN: usize = MAX_LABEL_LEN;
/// Descriptions are shown as select-menu option descriptions (100 characters).
pub const MAX_DESCRIPTION_LEN: usize = 100;
/// Dialogue and node ids: short enough that owner, dialogue, node and choice fit in a custom_id.
pub const MAX_ID_LEN: usize = 32;
/// Room each `{placeholder}` is given when checking a text's length (numbers, short words).
pub const PLACEHOLDER_WIDTH: usize = 12;
/// End nodes add the menu and a help button to their offers; keep the total to one row of five.
pub const MAX_END_OFFERS: usize = 3;
/// The label of the single button a message node with `next` shows.
pub const CONTINUE_LABEL: &str = "Continue";

/// Dialogue and node ids: `a-z 0-9 _ -`, starting with a letter or digit.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && !id.starts_with(['_', '-'])
}

/// Variable and scale names: `a-z 0-9 _`, starting with a letter.
pub fn is_valid_variable(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The longest a text can be once its placeholders are filled in.
pub fn rendered_len(text: &str) -> usize {
    let placeholders = super::template::placeholders(text);
    let raw: usize = placeholders.iter().map(|(_, name)| name.len() + 2).sum();
    text.chars().count() - raw + placeholders.len() * PLACEHOLDER_WIDTH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_valid_id("self-compassion_1"));
        assert!(!is_valid_id("Self"));
        assert!(!is_valid_id("-x"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id(&"a".repeat(33)));
    }

    #[test]
    fn variables() {
        assert!(is_valid_variable("anxiety_2"));
        assert!(!is_valid_variable("2x"));
        assert!(!is_valid_variable("a-b"));
    }

    #[test]
    fn rendered_length_counts_placeholder_room() {
        assert_eq!(rendered_len("ab {x} c"), 5 + PLACEHOLDER_WIDTH);
    }
}
