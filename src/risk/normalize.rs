//! Text normalisation before matching: the same words, written the way patterns expect.
//!
//! Lower-case, typographic apostrophes and quotes folded to ASCII, whitespace collapsed.

/// The normalised form of `text` that lexicon patterns are written against.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            '\u{2018}' | '\u{2019}' | '\u{02bc}' | '`' => out.push('\''),
            '\u{201c}' | '\u{201d}' => out.push('"'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_and_collapses_space() {
        assert_eq!(normalize("  I  WANT\tto\n go "), "i want to go");
    }

    #[test]
    fn folds_typographic_apostrophes() {
        assert_eq!(normalize("I don\u{2019}t"), "i don't");
    }
}
