//! Core behaviour against the shipped content: scan first, consent, erase, idle forgetting.

use std::path::Path;
use std::sync::atomic::AtomicI64;

use chrono::TimeZone;

use super::*;

/// Loaded once per test binary: loading runs every lexicon example.
fn bundle() -> Bundle {
    static BUNDLE: std::sync::OnceLock<Bundle> = std::sync::OnceLock::new();
    BUNDLE
        .get_or_init(|| {
            Bundle::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("dialogues")).expect("content")
        })
        .clone()
}

fn bot() -> Bot {
    Bot::new(bundle(), Store::temporary().unwrap(), BotOptions::default())
}

fn alice() -> UserId {
    UserId::new("test:alice").unwrap()
}

fn text_of(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| match r {
            Reply::Message { text, .. } => text.clone(),
            Reply::Crisis(card) => card.plain_text(),
            Reply::Export { json } => json.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn say(bot: &Bot, text: &str) -> Vec<Reply> {
    bot.handle(Event::text(&alice(), text))
}

fn pick(bot: &Bot, replies: &[Reply], label: &str) -> Vec<Reply> {
    let offer = replies
        .iter()
        .flat_map(|r| r.options())
        .find(|o| o.label == label)
        .unwrap_or_else(|| panic!("no option `{label}` in {replies:#?}"));
    bot.handle(Event::action(&alice(), offer.action.clone()))
}

#[test]
fn first_contact_greets_and_says_it_is_not_an_emergency_service() {
    let bot = bot();
    let replies = say(&bot, "menu");
    let text = text_of(&replies);
    assert!(text.contains("automated"));
    assert!(text.contains("not an emergency service"));
    assert!(replies.last().unwrap().options().len() >= 3);
    // Only once.
    assert!(!text_of(&say(&bot, "menu")).contains("automated self-help bot"));
}

#[test]
fn a_crisis_message_is_answered_first_and_alone() {
    let bot = bot();
    let replies = say(&bot, "I want to kill myself");
    assert_eq!(replies.len(), 1, "crisis card only, no greeting first");
    let Reply::Crisis(card) = &replies[0] else {
        panic!("expected a crisis card: {replies:?}")
    };
    let text = card.plain_text();
    assert!(text.contains("findahelpline.com"));
    assert!(text.contains("automated bot"));
    assert!(
        text.trim_end().ends_with("now."),
        "ends with the emergency line"
    );
    assert!(
        !text.contains("kill myself"),
        "never repeats the person's words"
    );
    let counts = bot.risk_counts();
    assert!(counts.contains(&(Category::Suicide, 1)), "{counts:?}");
    assert_eq!(
        counts.iter().map(|(_, n)| n).sum::<u64>(),
        1,
        "only the suicide counter moved"
    );
}

#[test]
fn crisis_interrupts_an_input_node_and_the_text_is_never_saved() {
    let bot = bot();
    let replies = say(&bot, "consent");
    let replies = pick(&bot, &replies, "Yes, save my progress");
    assert!(text_of(&replies).contains("Saving is on"));
    let mut replies = bot.handle(Event::action(
        &alice(),
        Action::Start {
            dialogue: "grounding".into(),
        },
    ));
    for label in ["Let's start", "Continue", "Continue", "Continue"] {
        replies = pick(&bot, &replies, label);
    }
    assert!(matches!(
        replies.last(),
        Some(Reply::Message {
            awaits_text: true,
            ..
        })
    ));
    let crisis = say(&bot, "i want to end my life");
    assert!(matches!(crisis[0], Reply::Crisis(_)));
    assert!(bot.store().notes(&alice()).unwrap().is_empty());
    // The dialogue is still where it was.
    let resumed = pick(&bot, &crisis, "Keep talking with me");
    assert!(matches!(
        resumed.last(),
        Some(Reply::Message {
            awaits_text: true,
            ..
        })
    ));
    let after = say(&bot, "the chair under me");
    assert!(text_of(&after).contains("How do you feel"));
    assert_eq!(
        bot.store().notes(&alice()).unwrap()[0].text,
        "the chair under me"
    );
}

#[test]
fn an_idiom_gets_no_crisis_reply() {
    let bot = bot();
    say(&bot, "menu");
    let replies = say(&bot, "this homework is killing me");
    assert!(replies.iter().all(|r| !matches!(r, Reply::Crisis(_))));
    assert!(text_of(&replies).contains("didn't catch that"));
}

#[test]
fn nothing_is_stored_before_consent() {
    let bot = bot();
    let replies = say(&bot, "menu");
    let replies = pick(&bot, &replies, "Self-care: grounding with your senses");
    pick(&bot, &replies, "Let's start");
    assert!(!bot.store().holds_anything_of(&alice()).unwrap());
}

#[test]
fn typing_a_label_picks_it() {
    let bot = bot();
    say(&bot, "menu");
    let replies = say(&bot, "self-care: grounding with your senses");
    assert!(text_of(&replies).contains("two minutes") || text_of(&replies).contains("senses"));
}

#[test]
fn consent_saves_progress_and_withdrawal_erases_it() {
    let bot = bot();
    let replies = say(&bot, "menu");
    let replies = pick(&bot, &replies, "Reflect: a short attachment check-in");
    pick(&bot, &replies, "Start");
    let replies = say(&bot, "consent");
    pick(&bot, &replies, "Yes, save my progress");
    let saved = bot
        .store()
        .session(&alice())
        .unwrap()
        .expect("session saved");
    assert_eq!(saved.node, "q1");
    assert!(bot.store().consent(&alice()).unwrap().is_some());

    let replies = say(&bot, "consent");
    let replies = pick(&bot, &replies, "Stop saving and delete");
    assert!(text_of(&replies).contains("Saving is off"));
    assert!(!bot.store().holds_anything_of(&alice()).unwrap());
}

#[test]
fn forget_needs_confirmation_then_erases_everything() {
    let bot = bot();
    let replies = say(&bot, "consent");
    pick(&bot, &replies, "Yes, save my progress");
    let replies = say(&bot, "forget");
    assert!(
        bot.store().holds_anything_of(&alice()).unwrap(),
        "not before confirming"
    );
    let replies = pick(&bot, &replies, "Yes, erase everything");
    assert!(text_of(&replies).contains("erased"));
    assert!(!bot.store().holds_anything_of(&alice()).unwrap());
}

#[test]
fn export_returns_json_of_what_is_stored() {
    let bot = bot();
    let replies = say(&bot, "consent");
    pick(&bot, &replies, "Yes, save my progress");
    let replies = say(&bot, "export");
    let json = replies
        .iter()
        .find_map(|r| match r {
            Reply::Export { json } => Some(json.clone()),
            _ => None,
        })
        .expect("export reply");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["user"], "test:alice");
    assert!(value["consent"]["given_at"].is_string());
}

#[test]
fn an_old_button_gets_an_explanation_not_an_error() {
    let bot = bot();
    say(&bot, "menu");
    let replies = bot.handle(Event::action(
        &alice(),
        Action::Choose {
            dialogue: "checkin".into(),
            node: "q3".into(),
            index: 0,
        },
    ));
    assert!(text_of(&replies).contains("earlier step"));
    assert!(!replies.last().unwrap().options().is_empty());
}

#[test]
fn idle_in_memory_conversations_are_forgotten_on_tick() {
    let now = Arc::new(AtomicI64::new(0));
    let clock = now.clone();
    let bot = bot().with_clock(move || {
        Utc.timestamp_opt(1_800_000_000 + clock.load(Ordering::Relaxed), 0)
            .unwrap()
    });
    say(&bot, "menu");
    bot.handle(Event::tick(&alice()));
    assert!(bot.remembers(&alice()));
    now.store(IDLE_FORGET_AFTER.num_seconds() + 1, Ordering::Relaxed);
    bot.handle(Event::tick(&alice()));
    assert!(!bot.remembers(&alice()));
}

#[test]
fn resources_use_the_default_region_and_end_with_emergency() {
    let bot = Bot::new(
        bundle(),
        Store::temporary().unwrap(),
        BotOptions {
            default_region: Some("INTL".into()),
            ..BotOptions::default()
        },
    );
    let text = text_of(&say(&bot, "resources"));
    assert!(text.contains("findahelpline.com"));
    assert!(text.contains("emergency"));
}

#[test]
fn a_crisis_reply_never_waits_for_a_busy_person_record() {
    let bot = Arc::new(bot());
    say(&bot, "menu");
    let slot = bot.lock_people().get(&alice()).cloned().expect("record");
    let _busy = slot.lock().unwrap(); // as if a flush for this person were in progress
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = Arc::clone(&bot);
    std::thread::spawn(move || {
        let _ = tx.send(worker.handle(Event::text(&alice(), "I want to kill myself")));
    });
    // A liveness check, not a timing one: without try_lock this would never answer.
    let replies = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the crisis reply did not wait on the busy record");
    assert!(matches!(replies[0], Reply::Crisis(_)));
}

#[test]
fn the_prompt_command_gives_one_prompt_a_day() {
    let mut content = bundle();
    let pool: String = (0..5)
        .map(|i| {
            format!("[[prompt]]\nid = \"p{i}\"\ntags = [\"rest\"]\ntext = \"Prompt number {i}.\"\n")
        })
        .collect();
    content.prompts = crate::prompts::PromptPool::from_sources(&[crate::content::SourceFile::new(
        "p.toml", pool,
    )])
    .unwrap();
    let day = Arc::new(AtomicI64::new(0));
    let clock = day.clone();
    let bot = Bot::new(content, Store::temporary().unwrap(), BotOptions::default()).with_clock(
        move || {
            Utc.timestamp_opt(1_800_000_000 + clock.load(Ordering::Relaxed) * 86_400, 0)
                .unwrap()
        },
    );
    let first = text_of(&say(&bot, "prompt"));
    assert!(
        first.contains("self-compassion prompt for today"),
        "{first}"
    );
    assert_eq!(
        text_of(&say(&bot, "prompt")),
        text_of(&say(&bot, "prompt")),
        "same day, same prompt"
    );
    let today = text_of(&say(&bot, "prompt"));
    day.store(1, Ordering::Relaxed);
    assert_ne!(
        text_of(&say(&bot, "prompt")),
        today,
        "a new day, a new prompt"
    );
}

#[test]
fn results_are_kept_with_consent_and_shown_as_history() {
    let quiz = r#"
id = "quiz"
title = "Quiz"
description = "d"
start = "q"
[questionnaire]
scales = ["worry"]
answers = ["Low", "High"]
[[node]]
id = "q"
kind = "item"
scale = "worry"
text = "Q"
next = "done"
[[node]]
id = "done"
kind = "end"
text = "Worry {worry}"
record = "leaning worried"
"#;
    let menu = "id = \"menu\"\ntitle = \"M\"\ndescription = \"d\"\nstart = \"home\"\n[[node]]\nid = \"home\"\ntext = \"Hi\"\n  [[node.choice]]\n  label = \"Quiz\"\n  dialogue = \"quiz\"\n";
    let mut content = bundle();
    content.library = crate::content::Library::from_sources(&[
        crate::content::SourceFile::new("menu.toml", menu),
        crate::content::SourceFile::new("quiz.toml", quiz),
    ])
    .unwrap();
    let bot = Bot::new(content, Store::temporary().unwrap(), BotOptions::default());
    let take_quiz = |bot: &Bot| {
        let replies = bot.handle(Event::action(
            &alice(),
            Action::Start {
                dialogue: "quiz".into(),
            },
        ));
        pick(bot, &replies, "High")
    };
    take_quiz(&bot);
    assert!(
        text_of(&say(&bot, "history"))
            .contains("only keep check-in results for people who turned saving on")
    );
    assert!(
        bot.store().results(&alice()).unwrap().is_empty(),
        "nothing kept without consent"
    );
    let replies = say(&bot, "consent");
    pick(&bot, &replies, "Yes, save my progress");
    take_quiz(&bot);
    take_quiz(&bot);
    let history = text_of(&say(&bot, "history"));
    assert_eq!(
        history.matches("leaning worried (worry 2)").count(),
        2,
        "{history}"
    );
    assert!(history.contains("not a diagnosis"));
}

#[test]
fn a_server_default_region_comes_after_the_persons_choice_and_before_their_language() {
    let bot = bot();
    let from_server = |text: &str| {
        bot.handle(
            Event::text(&alice(), text)
                .with_locale(Some("en-US".into()))
                .with_server_region(Some("UK".into())),
        )
    };
    let text = text_of(&from_server("resources"));
    assert!(text.contains("(United Kingdom)"), "{text}");
    assert!(text.contains("116 123"), "{text}");
    let text = text_of(&from_server("region"));
    assert!(text.contains("this server's default"), "{text}");
    // A crisis card uses it too.
    let text = text_of(&from_server("I want to kill myself"));
    assert!(text.contains("116 123"), "{text}");
    // The person's own choice wins.
    say(&bot, "region AU");
    let text = text_of(&from_server("resources"));
    assert!(text.contains("13 11 14"), "{text}");
    assert!(!text.contains("116 123"), "{text}");
}

#[test]
fn assess_counts_a_match_without_starting_a_conversation() {
    let bot = bot();
    assert!(bot.assess("I want to kill myself").is_risk());
    assert!(!bot.assess("this exam is killing me").is_risk());
    assert!(!bot.remembers(&alice()));
    let total: u64 = bot.risk_counts().iter().map(|(_, n)| n).sum();
    assert_eq!(total, 1);
}

#[test]
fn a_first_step_choice_works_without_a_conversation_in_memory() {
    let bot = bot();
    let menu = say(&bot, "menu");
    let choose_understanding = menu
        .iter()
        .flat_map(|r| r.options())
        .find(|o| o.label == "Understand attachment patterns")
        .expect("menu choice")
        .action
        .clone();
    // As after a restart without saving: the same button, a bot that remembers nothing.
    let fresh = self::bot();
    let replies = fresh.handle(Event::action(&alice(), choose_understanding));
    let text = text_of(&replies);
    assert!(!text.contains("earlier step"), "{text}");
    assert!(text.contains("attachment"), "{text}");
    // A choice deeper in a dialogue still needs the conversation it belongs to.
    let later = Action::Choose {
        dialogue: "checkin".into(),
        node: "q2".into(),
        index: 0,
    };
    let text = text_of(&self::bot().handle(Event::action(&alice(), later)));
    assert!(text.contains("earlier step"), "{text}");
}

#[test]
fn a_crisis_reply_can_be_built_from_the_text_alone() {
    let bot = bot();
    let Some(Reply::Crisis(card)) = bot.crisis_reply("I want to kill myself", Some("UK")) else {
        panic!("a card")
    };
    assert!(card.plain_text().contains("116 123"));
    assert!(bot.crisis_reply("this exam is killing me", None).is_none());
    assert!(!bot.remembers(&alice()), "no conversation state touched");
}

// --- daily prompts ------------------------------------------------------------------------

#[test]
fn subscribing_stores_only_the_subscription_and_says_so() {
    let bot = bot();
    let reply = text_of(&say(&bot, "daily start 08:30 Europe/London"));
    assert!(reply.contains("Subscribing is your agreement"), "{reply}");
    let store = bot.store();
    assert!(store.subscription(&alice()).unwrap().is_some());
    assert!(!store.has_consent(&alice()).unwrap(), "saving stays off");
    assert_eq!(store.session(&alice()).unwrap(), None);
    // Turning saving on and off again leaves the subscription alone; forget erases it.
    say(&bot, "consent");
    bot.handle(Event::action(
        &alice(),
        Action::Command(Command::ConsentGive),
    ));
    bot.handle(Event::action(
        &alice(),
        Action::Command(Command::ConsentWithdraw),
    ));
    assert!(store.subscription(&alice()).unwrap().is_some());
    bot.handle(Event::action(
        &alice(),
        Action::Command(Command::ForgetConfirmed),
    ));
    assert!(!store.holds_anything_of(&alice()).unwrap());
}

#[test]
fn a_zone_is_needed_where_the_transport_knows_none() {
    let bot = bot();
    let reply = text_of(&say(&bot, "daily start 08:30"));
    assert!(reply.contains("I need your time zone"), "{reply}");
    assert_eq!(bot.store().subscription(&alice()).unwrap(), None);
}

#[test]
fn an_empty_pool_refuses_to_subscribe() {
    let mut content = bundle();
    content.prompts = crate::prompts::PromptPool::default();
    let bot = Bot::new(content, Store::temporary().unwrap(), BotOptions::default());
    let reply = text_of(&say(&bot, "daily start 08:30 UTC"));
    assert!(reply.contains("no daily prompts available"), "{reply}");
    assert_eq!(bot.store().subscription(&alice()).unwrap(), None);
}

#[test]
fn closed_dms_are_explained_once_before_anything_else() {
    let bot = bot();
    say(&bot, "daily start 08:30 UTC");
    bot.daily_dms_closed(&alice());
    let replies = say(&bot, "help");
    let first = text_of(&replies[..1]);
    assert!(first.contains("couldn't message you directly"), "{first}");
    let again = text_of(&say(&bot, "help"));
    assert!(!again.contains("couldn't message you directly"));
    let status = text_of(&say(&bot, "daily"));
    assert!(status.contains("on hold"), "{status}");
    // A risk message still gets the crisis card, and the notice is not what comes first.
    bot.daily_dms_closed(&alice());
    let crisis = say(&bot, "i want to kill myself");
    assert!(matches!(crisis[0], Reply::Crisis(_)), "{crisis:?}");
}

#[test]
fn a_claimed_prompt_has_its_three_buttons_and_stop_cancels_it() {
    let clock = Arc::new(AtomicI64::new(0));
    let now = clock.clone();
    let bot = Bot::new(bundle(), Store::temporary().unwrap(), BotOptions::default()).with_clock(
        move || {
            Utc.timestamp_opt(1_796_256_000 + now.load(Ordering::Relaxed), 0)
                .unwrap()
        },
    ); // 2026-12-03T00:00:00Z
    say(&bot, "daily start 09:00 UTC");
    clock.store(9 * 3600 + 30, Ordering::Relaxed);
    let tick = bot.claim_due("test:", 100).unwrap();
    assert_eq!(tick.claims.len(), 1);
    let prompt = bot.daily_prompt(&tick.claims[0]).expect("a prompt");
    let labels: Vec<&str> = prompt.options().iter().map(|o| o.label.as_str()).collect();
    assert_eq!(labels, ["Talk about it", "Pause a week", "Stop these"]);
    bot.handle(Event::action(&alice(), Action::Command(Command::DailyStop)));
    assert_eq!(bot.daily_prompt(&tick.claims[0]), None);
}

#[test]
fn a_notice_left_while_the_person_was_away_is_shown_when_they_return() {
    let first = bot();
    say(&first, "daily start 08:30 UTC");
    // The hold is written by another process (or before a restart): no in-memory flag.
    first.store().hold_dms_closed(&alice()).unwrap();
    let again = Bot::new(bundle(), first.store().clone(), BotOptions::default());
    let text = text_of(&say(&again, "help"));
    assert!(text.contains("couldn't message you directly"), "{text}");
}
