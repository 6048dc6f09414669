//! The risk scanner against labelled sets: the project's own (always) and the shared
//! development set (when `../shared/eval/risk-dev.txt` is present; the project never needs it).
//! Targets: recall >= 0.98 on risk lines, false-positive rate <= 0.02 on safe lines.

use std::path::{Path, PathBuf};

use securebase::bundle::Bundle;
use securebase::risk::Scanner;
use securebase::risk::eval::{self, Report};

const MIN_RECALL: f64 = 0.98;
const MAX_FALSE_POSITIVE_RATE: f64 = 0.02;

fn scanner() -> Scanner {
    Bundle::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues"))
        .expect("shipped content is valid")
        .scanner
}

fn measure(path: &Path) -> Report {
    let text = std::fs::read_to_string(path).expect("readable labelled set");
    let lines = eval::parse(&text).expect("well-formed labelled set");
    eval::evaluate(&scanner(), &lines)
}

fn assert_targets(report: &Report, name: &str) {
    println!(
        "{name}: recall {:.3} ({}/{}), false-positive rate {:.3} ({}/{})",
        report.recall(),
        report.caught,
        report.risk_lines,
        report.false_positive_rate(),
        report.false_positives,
        report.safe_lines
    );
    assert!(report.risk_lines > 0 && report.safe_lines > 0);
    assert!(
        report.recall() >= MIN_RECALL,
        "{name}: recall {:.3} below {MIN_RECALL}; misses: {:#?}",
        report.recall(),
        report.misses
    );
    assert!(
        report.false_positive_rate() <= MAX_FALSE_POSITIVE_RATE,
        "{name}: false-positive rate {:.3} above {MAX_FALSE_POSITIVE_RATE}; false alarms: {:#?}",
        report.false_positive_rate(),
        report.false_alarms
    );
}

#[test]
fn own_labelled_set_meets_the_targets() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/risk-own.txt");
    assert_targets(&measure(&path), "tests/data/risk-own.txt");
}

#[test]
fn shared_development_set_meets_the_targets_when_present() {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/risk-dev.txt");
    if !path.exists() {
        println!("{} not present; skipped", path.display());
        return;
    }
    assert_targets(&measure(&path), "shared/eval/risk-dev.txt");
}
