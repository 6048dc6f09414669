//! Messages per second for normalise + scan, against a naive baseline.
//!
//! `cargo bench --bench risk_scan`. The mix is the project's labelled set (tests/data) plus
//! longer chat-like messages made by joining its safe lines, so most messages are ordinary chat
//! as on a real server. The naive baseline lower-cases each message and tries every rule's own
//! `Regex` in a loop, with no normalisation, no guards and no `RegexSet`. "normalise only"
//! shows how much of our time normalisation takes.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use regex::Regex;
use securebase::risk::{Lexicon, Scanner, eval, match_forms, normalize};

fn messages() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/data/risk-own.txt")).expect("labelled set");
    let lines = eval::parse(&text).expect("well-formed");
    let mut messages: Vec<String> = lines.iter().map(|l| l.text.clone()).collect();
    let safe: Vec<&str> = lines
        .iter()
        .filter(|l| l.label == eval::Label::Safe)
        .map(|l| l.text.as_str())
        .collect();
    // Longer messages: a few sentences of ordinary chat each.
    for window in safe.windows(4).step_by(2) {
        messages.push(window.join(". "));
    }
    messages
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues/safety");
    let scanner = Scanner::load(&dir.join("risk-lexicon.toml")).expect("lexicon");
    let lexicon = Lexicon::load(&dir.join("risk-lexicon.toml")).expect("lexicon");
    let naive: Vec<Regex> = lexicon
        .rules
        .iter()
        .map(|r| Regex::new(&r.pattern).expect("compiles"))
        .collect();
    let messages = messages();

    let mut group = c.benchmark_group("risk scan");
    group.throughput(Throughput::Elements(messages.len() as u64));
    group.bench_function("normalise + RegexSet scan", |b| {
        b.iter(|| {
            for message in &messages {
                black_box(scanner.scan(message));
            }
        })
    });
    group.bench_function("normalise only", |b| {
        b.iter(|| {
            for message in &messages {
                black_box(match_forms(&normalize(message)));
            }
        })
    });
    group.bench_function("naive: lower-case + each Regex", |b| {
        b.iter(|| {
            for message in &messages {
                let lower = message.to_lowercase();
                let hits = naive.iter().filter(|r| r.is_match(&lower)).count();
                black_box(hits);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
