//! Store behaviour: consent gating, export, erase, corrupted records.

use chrono::TimeZone;

use super::*;

fn user(id: &str) -> UserId {
    UserId::new(id).unwrap()
}

fn consent() -> ConsentRecord {
    ConsentRecord {
        given_at: chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
            .unwrap(),
        privacy_version: PRIVACY_VERSION,
    }
}

fn session() -> Session {
    Session::new("menu", "home", 1)
}

#[test]
fn nothing_is_written_without_consent() {
    let store = Store::temporary().unwrap();
    let alice = user("discord:1");
    assert!(matches!(
        store.save_session(&alice, &session()),
        Err(StoreError::NoConsent)
    ));
    assert!(matches!(
        store.save_settings(&alice, &UserSettings::default()),
        Err(StoreError::NoConsent)
    ));
    let note = SavedNote {
        dialogue: "d".into(),
        name: "n".into(),
        text: "t".into(),
        saved_at: consent().given_at,
    };
    assert!(matches!(
        store.add_note(&alice, &note),
        Err(StoreError::NoConsent)
    ));
    assert!(!store.holds_anything_of(&alice).unwrap());
}

#[test]
fn with_consent_records_round_trip_and_export() {
    let store = Store::temporary().unwrap();
    let alice = user("discord:1");
    store.give_consent(&alice, &consent()).unwrap();
    store.save_session(&alice, &session()).unwrap();
    let settings = UserSettings {
        region: Some("UK".into()),
    };
    store.save_settings(&alice, &settings).unwrap();
    let note = SavedNote {
        dialogue: "grounding".into(),
        name: "noticed".into(),
        text: "the warm mug".into(),
        saved_at: consent().given_at,
    };
    store.add_note(&alice, &note).unwrap();

    assert_eq!(store.session(&alice).unwrap(), Some(session()));
    assert_eq!(store.settings(&alice).unwrap(), Some(settings));
    assert_eq!(store.notes(&alice).unwrap(), vec![note]);
    let export = store.export(&alice).unwrap();
    assert_eq!(export["user"], "discord:1");
    assert_eq!(export["session"]["node"], "home");
    assert_eq!(export["settings"]["region"], "UK");
    assert_eq!(export["notes"][0]["text"], "the warm mug");
    assert_eq!(export["consent"]["privacy_version"], PRIVACY_VERSION);
}

#[test]
fn erase_removes_every_key_of_that_person_only() {
    let store = Store::temporary().unwrap();
    let alice = user("discord:1");
    let alicia = user("discord:12"); // shares a prefix with alice's id
    for person in [&alice, &alicia] {
        store.give_consent(person, &consent()).unwrap();
        store.save_session(person, &session()).unwrap();
        store
            .add_note(
                person,
                &SavedNote {
                    dialogue: "d".into(),
                    name: "n".into(),
                    text: "t".into(),
                    saved_at: consent().given_at,
                },
            )
            .unwrap();
    }
    store.raw_insert("sessions", "discord:1", b"{not json");
    assert!(store.session(&alice).is_err()); // moves the bad record to quarantine
    assert!(store.erase(&alice).unwrap() >= 3);
    assert!(!store.holds_anything_of(&alice).unwrap());
    assert!(store.holds_anything_of(&alicia).unwrap());
    assert_eq!(store.session(&alicia).unwrap(), Some(session()));
}

#[test]
fn results_are_kept_in_order_exported_and_erased() {
    let store = Store::temporary().unwrap();
    let alice = user("discord:1");
    let result = |label: &str| SavedResult {
        dialogue: "checkin".into(),
        label: label.into(),
        scores: [("anxiety".to_string(), 5.5)].into_iter().collect(),
        saved_at: consent().given_at,
    };
    assert!(matches!(
        store.add_result(&alice, &result("first")),
        Err(StoreError::NoConsent)
    ));
    store.give_consent(&alice, &consent()).unwrap();
    store.add_result(&alice, &result("first")).unwrap();
    store.add_result(&alice, &result("second")).unwrap();
    let kept = store.results(&alice).unwrap();
    assert_eq!(
        kept.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(),
        ["first", "second"]
    );
    assert_eq!(
        store.export(&alice).unwrap()["results"][1]["label"],
        "second"
    );
    store.erase(&alice).unwrap();
    assert!(!store.holds_anything_of(&alice).unwrap());
}

#[test]
fn corrupted_record_is_set_aside_not_lost() {
    let store = Store::temporary().unwrap();
    let alice = user("discord:1");
    store.give_consent(&alice, &consent()).unwrap();
    store.raw_insert("sessions", "discord:1", b"\xff garbage");
    let err = store.session(&alice).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt {
                tree: "session",
                ..
            }
        ),
        "{err}"
    );
    // The next read is clean, and the bytes are still there for export and erasure.
    assert_eq!(store.session(&alice).unwrap(), None);
    let export = store.export(&alice).unwrap();
    assert!(
        export["unreadable_records"][0]
            .as_str()
            .unwrap()
            .contains("garbage")
    );
}

#[test]
fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let alice = user("terminal:local");
    {
        let store = Store::open(dir.path()).unwrap();
        store.give_consent(&alice, &consent()).unwrap();
        store.save_session(&alice, &session()).unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.session(&alice).unwrap(), Some(session()));
}

#[test]
fn guild_settings_round_trip_without_consent() {
    let store = Store::temporary().unwrap();
    let settings = GuildSettings {
        default_region: Some("DE".into()),
        alert_channel: Some("42".into()),
        monitored_channels: vec!["7".into()],
    };
    store.save_guild_settings("guild:9", &settings).unwrap();
    assert_eq!(store.guild_settings("guild:9").unwrap(), Some(settings));
    assert_eq!(store.guild_settings("guild:10").unwrap(), None);
}

#[test]
fn user_ids_are_checked() {
    assert!(UserId::new("").is_err());
    assert!(UserId::new("a\0b").is_err());
    assert!(UserId::new("x".repeat(129)).is_err());
}

#[test]
fn the_click_key_survives_a_reopen_and_a_bad_one_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let first = {
        let store = Store::open(dir.path()).unwrap();
        let key = store.click_key().unwrap();
        assert_eq!(store.click_key().unwrap(), key);
        key
    };
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.click_key().unwrap(), first);
    store.raw_insert("meta", "click_key", b"short");
    let replaced = store.click_key().unwrap();
    assert_ne!(replaced, first);
    assert_eq!(store.click_key().unwrap(), replaced);
}

#[test]
fn changing_an_unreadable_subscription_sets_it_aside_and_writes_the_new_one() {
    let store = Store::temporary().unwrap();
    let who = user("discord:1");
    let now = chrono::Utc.with_ymd_and_hms(2026, 12, 3, 8, 0, 0).unwrap();
    let sub = crate::daily::Subscription::new(chrono_tz::UTC, "09:00".parse().unwrap(), 1, now);
    store.save_subscription(&who, &sub).unwrap();
    store.raw_insert("daily", "discord:1", b"{not json");
    let written = store.update_subscription(&who, |before| {
        assert_eq!(before, None, "an unreadable record reads as none");
        Some(sub.clone())
    });
    assert_eq!(written.unwrap(), Some(sub.clone()));
    assert_eq!(store.subscription(&who).unwrap(), Some(sub));
    let export = store.export(&who).unwrap();
    assert_eq!(export["unreadable_records"][0], "{not json");
}
