//! `{name}` placeholders in node text, filled from session variables and scale scores.
//!
//! A `{` that is not followed by a name and `}` is kept as written, so authors never need escapes.

/// Each placeholder in `text` as (byte offset of `{`, name).
pub fn placeholders(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find('{').map(|i| rest + i) {
        let after = &text[open + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if len > 0 && after[len..].starts_with('}') {
            out.push((open, &after[..len]));
            rest = open + len + 2;
        } else {
            rest = open + 1;
        }
    }
    out
}

/// `text` with every placeholder replaced by `value(name)`.
pub fn render(text: &str, value: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (offset, name) in placeholders(text) {
        out.push_str(&text[copied..offset]);
        out.push_str(&value(name));
        copied = offset + name.len() + 2;
    }
    out.push_str(&text[copied..]);
    out
}

/// How a number is shown in text: whole numbers without decimals, others with one.
pub fn format_number(n: f64) -> String {
    if (n - n.round()).abs() < 1e-9 {
        format!("{}", n.round() as i64)
    } else {
        format!("{n:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_fills_placeholders() {
        let text = "Score {anxiety} of {max}; {not a name} {";
        assert_eq!(placeholders(text), vec![(6, "anxiety"), (19, "max")]);
        let filled = render(text, &|name| name.to_uppercase());
        assert_eq!(filled, "Score ANXIETY of MAX; {not a name} {");
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(format_number(4.0), "4");
        assert_eq!(format_number(4.25), "4.2");
        assert_eq!(format_number(-1.0), "-1");
    }
}
