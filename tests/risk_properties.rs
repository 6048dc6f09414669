//! Properties of normalisation and scanning on arbitrary input.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use securebase::bundle::Bundle;
use securebase::risk::{Scanner, normalize};

fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| {
        Bundle::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues"))
            .expect("shipped content is valid")
            .scanner
    })
}

/// Text with the characters that exercise normalisation: leetspeak, markup, zero-width,
/// look-alikes, fullwidth, combining marks, repeats.
fn tricky_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "kill",
        "my",
        "self",
        "i",
        "I",
        "k1ll",
        "||",
        "**",
        " ",
        "  ",
        "\u{200b}",
        "\u{200d}",
        "\u{feff}",
        "\u{0301}",
        "\u{0430}",
        "\u{ff4b}",
        "lll",
        "!",
        "|",
        "1",
        "die",
        "to",
        "a",
        "\n",
        "'",
        "\u{2019}",
        "İ",
        "ß",
        "ς",
        "Σ",
        "🙂",
        "\u{e0041}",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn normalisation_is_idempotent_on_arbitrary_text(text in any::<String>()) {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn normalisation_is_idempotent_on_tricky_text(text in tricky_text()) {
        let once = normalize(&text);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn scanning_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = scanner().scan(&text);
    }

    #[test]
    fn scanning_tricky_text_never_panics(text in tricky_text()) {
        let _ = scanner().scan(&text);
    }
}

#[test]
fn a_100_kb_message_is_scanned_and_still_caught() {
    let mut rng = StdRng::seed_from_u64(7);
    let alphabet: Vec<char> = "abcdefghijklmnopqrstuvwxyz  .,!?'1|*_~`\u{200b}\u{0430}é"
        .chars()
        .collect();
    let mut text: String = (0..100_000)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())])
        .collect();
    text.push_str(" i want to kill myself");
    let found = scanner().scan(&text);
    assert!(
        found.is_risk(),
        "the risk at the end of a long message was missed"
    );
}

#[test]
fn invalid_utf8_read_lossily_still_matches() {
    let bytes = b"\xed\xa0\x80 i want to \xff die";
    let text = String::from_utf8_lossy(bytes);
    assert!(scanner().scan(&text).is_risk());
}
