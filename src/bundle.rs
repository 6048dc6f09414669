//! Everything under the content directory, loaded and checked together: dialogues, the risk
//! lexicon, the crisis resources and the daily prompt pool. `securebase validate` and the bot use the same loader, so
//! what validates is exactly what runs.

use std::path::{Path, PathBuf};

use crate::content::{Diagnostic, Library, PROMPTS_DIR, SAFETY_DIR};
use crate::crisis::Resources;
use crate::prompts::PromptPool;
use crate::risk::Scanner;

/// The lexicon file, relative to the content directory.
pub const LEXICON_FILE: &str = "risk-lexicon.toml";
/// The crisis resources file, relative to the content directory.
pub const RESOURCES_FILE: &str = "resources.toml";

#[derive(Debug, Clone)]
pub struct Bundle {
    pub library: Library,
    pub scanner: Scanner,
    pub resources: Resources,
    pub prompts: PromptPool,
}

impl Bundle {
    /// Load `dir`; on failure, every problem in every file.
    pub fn load(dir: &Path) -> Result<Bundle, Vec<Diagnostic>> {
        let safety = safety_dir(dir);
        let library = Library::load_dir(dir);
        let scanner = Scanner::load(&safety.join(LEXICON_FILE));
        let resources = Resources::load(&safety.join(RESOURCES_FILE));
        let prompts = PromptPool::load_dir(&dir.join(PROMPTS_DIR));
        match (library, scanner, resources, prompts) {
            (Ok(library), Ok(scanner), Ok(resources), Ok(prompts)) => {
                let missing = prompts.missing_follow_ups(|id| library.get(id).is_some());
                if !missing.is_empty() {
                    return Err(missing);
                }
                Ok(Bundle {
                    library,
                    scanner,
                    resources,
                    prompts,
                })
            }
            (library, scanner, resources, prompts) => {
                let mut problems = Vec::new();
                problems.extend(library.err().unwrap_or_default());
                problems.extend(scanner.err().unwrap_or_default());
                problems.extend(resources.err().unwrap_or_default());
                problems.extend(prompts.err().unwrap_or_default());
                Err(problems)
            }
        }
    }
}

pub fn safety_dir(dir: &Path) -> PathBuf {
    dir.join(SAFETY_DIR)
}
