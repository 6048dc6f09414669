//! Flesch-Kincaid grade level of a text: a rough guide to how easy bot messages are to read.
//!
//! grade = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59, with syllables
//! counted by vowel groups (a common approximation: good enough to spot long, dense messages).

/// The grade of `text`, or `None` when it has no words. Markup and `{placeholders}` are ignored.
pub fn flesch_kincaid_grade(text: &str) -> Option<f64> {
    let filled = super::template::render(text, &|_| String::new());
    let cleaned: String = filled
        .chars()
        .map(|c| if "*`_|#>".contains(c) { ' ' } else { c })
        .collect();
    let words: Vec<&str> = cleaned
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect();
    if words.is_empty() {
        return None;
    }
    let sentences = cleaned
        .split(['.', '!', '?', ':', ';', '\n'])
        .filter(|s| s.chars().any(char::is_alphabetic))
        .count()
        .max(1);
    let syllables: usize = words.iter().map(|w| syllables(w)).sum();
    let words_n = words.len() as f64;
    Some(0.39 * (words_n / sentences as f64) + 11.8 * (syllables as f64 / words_n) - 15.59)
}

/// Vowel groups, less a silent final `e`, at least one.
pub fn syllables(word: &str) -> usize {
    let word = word.to_lowercase();
    let is_vowel = |c: char| "aeiouy".contains(c);
    let mut count = 0;
    let mut previous = false;
    for c in word.chars() {
        let vowel = is_vowel(c);
        if vowel && !previous {
            count += 1;
        }
        previous = vowel;
    }
    if word.ends_with('e') && !word.ends_with("le") && count > 1 {
        count -= 1;
    }
    count.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllable_counts() {
        assert_eq!(syllables("cat"), 1);
        assert_eq!(syllables("table"), 2);
        assert_eq!(syllables("make"), 1);
        assert_eq!(syllables("relationship"), 4);
        assert_eq!(syllables("the"), 1);
    }

    #[test]
    fn simple_text_scores_lower_than_dense_text() {
        let simple = flesch_kincaid_grade("You can take a slow breath. Let it out.").unwrap();
        let dense = flesch_kincaid_grade(
            "Attachment-related interpersonal dysregulation characteristically manifests through hypervigilant relational monitoring.",
        )
        .unwrap();
        assert!(simple < 4.0, "{simple}");
        assert!(dense > 14.0, "{dense}");
        assert_eq!(flesch_kincaid_grade("** {x} 123"), None);
    }
}
