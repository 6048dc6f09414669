//! Measuring the scanner on a labelled set (`LABEL | CATEGORY | TEXT` per line, `#` comments).
//!
//! Labels: `risk` (must be flagged at any level), `safe` (must not be flagged), `either` (not
//! scored). Recall is over risk lines, the false-positive rate over safe lines.

use serde::Serialize;

use super::{Level, Scanner};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledLine {
    pub line: usize,
    pub label: Label,
    pub category: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Risk,
    Safe,
    Either,
}

/// Parse a labelled set; malformed lines are errors with their line number.
pub fn parse(text: &str) -> Result<Vec<LabelledLine>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, '|').map(str::trim);
        let (Some(label), Some(category), Some(text)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "line {}: expected `LABEL | CATEGORY | TEXT`",
                i + 1
            ));
        };
        let label = match label {
            "risk" => Label::Risk,
            "safe" => Label::Safe,
            "either" => Label::Either,
            other => {
                return Err(format!(
                    "line {}: unknown label `{other}` (risk, safe or either)",
                    i + 1
                ));
            }
        };
        out.push(LabelledLine {
            line: i + 1,
            label,
            category: category.to_string(),
            text: text.to_string(),
        });
    }
    Ok(out)
}

/// Recall, false-positive rate and the lines the scanner got wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub risk_lines: usize,
    pub caught: usize,
    pub safe_lines: usize,
    pub false_positives: usize,
    /// Risk lines flagged, but not with their labelled category.
    pub wrong_category: usize,
    /// `(line, category, text)` of risk lines not flagged.
    pub misses: Vec<(usize, String, String)>,
    /// `(line, level, text)` of safe lines flagged.
    pub false_alarms: Vec<(usize, Level, String)>,
}

impl Report {
    pub fn recall(&self) -> f64 {
        ratio(self.caught, self.risk_lines)
    }

    pub fn false_positive_rate(&self) -> f64 {
        ratio(self.false_positives, self.safe_lines)
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

pub fn evaluate(scanner: &Scanner, lines: &[LabelledLine]) -> Report {
    let mut report = Report {
        risk_lines: 0,
        caught: 0,
        safe_lines: 0,
        false_positives: 0,
        wrong_category: 0,
        misses: Vec::new(),
        false_alarms: Vec::new(),
    };
    for line in lines {
        let found = scanner.scan(&line.text);
        match line.label {
            Label::Risk => {
                report.risk_lines += 1;
                if found.is_risk() {
                    report.caught += 1;
                    if !found.categories.iter().any(|c| c.as_str() == line.category) {
                        report.wrong_category += 1;
                    }
                } else {
                    report
                        .misses
                        .push((line.line, line.category.clone(), line.text.clone()));
                }
            }
            Label::Safe => {
                report.safe_lines += 1;
                if found.is_risk() {
                    report.false_positives += 1;
                    report
                        .false_alarms
                        .push((line.line, found.level, line.text.clone()));
                }
            }
            Label::Either => {}
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_labels_and_reports_bad_lines() {
        let lines = parse("# c\nrisk | suicide | a | b\n\nsafe | idiom | x\n").unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text, "a | b");
        assert_eq!(lines[1].label, Label::Safe);
        assert!(parse("risk | only two").unwrap_err().contains("line 1"));
        assert!(
            parse("maybe | x | y")
                .unwrap_err()
                .contains("unknown label")
        );
    }
}
