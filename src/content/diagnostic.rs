//! Problems found in content files, reported as `path:line:col: message`.
//!
//! Every loader and validator in the crate reports through [`Diagnostic`], so authors see one format
//! whether a file failed to parse or a node points at a target that does not exist.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in one file, with a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

/// The text of a file being loaded, kept so byte offsets can be turned into lines and columns.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A diagnostic pointing at the start of `span` (a byte range into the file).
    pub fn at(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let (line, col) = line_col(&self.text, span.start);
        Diagnostic {
            path: self.path.clone(),
            line,
            col,
            message: message.into(),
        }
    }

    /// A diagnostic about the file as a whole (line 1, column 1).
    pub fn whole(&self, message: impl Into<String>) -> Diagnostic {
        self.at(0..0, message)
    }
}

/// Read `paths`, then check them with `check`: unreadable files and the check's problems are
/// reported together, so an author sees everything in one run.
pub fn read_and_check<T>(
    paths: Vec<PathBuf>,
    check: impl FnOnce(&[SourceFile]) -> Result<T, Vec<Diagnostic>>,
) -> Result<T, Vec<Diagnostic>> {
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(text) => sources.push(SourceFile::new(path, text)),
            Err(e) => problems.push(Diagnostic {
                path,
                line: 1,
                col: 1,
                message: format!("cannot read file: {e}"),
            }),
        }
    }
    match check(&sources) {
        Ok(value) if problems.is_empty() => Ok(value),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// 1-based line and column (in characters) of a byte offset; offsets past the end clamp to the end.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 5), (2, 3));
        assert_eq!(line_col(text, 8), (3, 1));
        assert_eq!(line_col(text, 999), (3, 2));
    }

    #[test]
    fn display_is_path_line_col_message() {
        let file = SourceFile::new("dialogues/x.toml", "a = 1\nb = 2\n");
        let d = file.at(6..7, "bad b");
        assert_eq!(d.to_string(), "dialogues/x.toml:2:1: bad b");
    }
}
