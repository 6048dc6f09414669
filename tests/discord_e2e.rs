//! End to end on Discord: the real `securebase run` binary (serenity + poise, the same code path
//! as production) against the fake Discord in `support/`, on 127.0.0.1 only.

mod support;

use serde_json::json;

use support::fake_discord::payloads::{self, MANAGE_GUILD, MEMBER, Place};
use support::fake_discord::{BOT_ID, FakeDiscord};
use support::harness::{Harness, Reply};

const ALICE: u64 = 111_111_111_111;
const BOB: u64 = 222_222_222_222;
const GUILD: u64 = 700_000_000_001;
const CHANNEL: u64 = 700_000_000_002;
const MOD_CHANNEL: u64 = 700_000_000_003;

const UPDATE_MESSAGE: u64 = 7;
const CHANNEL_MESSAGE: u64 = 4;
const MODAL: u64 = 9;
const DEFERRED_MESSAGE: u64 = 5;

fn server(permissions: u64) -> Place {
    Place::Server {
        guild: GUILD,
        channel: CHANNEL,
        permissions,
    }
}

fn member() -> Place {
    server(MEMBER)
}

fn admin() -> Place {
    server(MEMBER | MANAGE_GUILD)
}

/// `/privacy`, then "Turn saving on" and yes.
async fn turn_saving_on(bot: &Harness, user: u64) {
    let privacy = bot.slash("privacy", user, Place::Dm, json!([])).await;
    let ask = bot.press(&privacy, "Turn saving on", user).await;
    let done = bot.press(&ask, "Yes, save my progress", user).await;
    assert!(
        done.content().contains("Saving is on"),
        "{}",
        done.content()
    );
}

/// `/settings alerts` to the moderators' channel, as an admin.
async fn send_alerts_to_moderators(bot: &Harness) {
    let alerts = json!([{"name": "alerts", "type": 1, "options": [
        {"name": "channel", "type": 7, "value": MOD_CHANNEL.to_string()}
    ]}]);
    let resolved = json!({"channels": {MOD_CHANNEL.to_string(): {
        "id": MOD_CHANNEL.to_string(), "name": "mods", "type": 0, "permissions": "0"
    }}});
    let set = bot
        .slash_resolved("settings", ALICE, admin(), alerts, Some(resolved))
        .await;
    assert!(
        set.content().contains("Moderator alerts go to"),
        "{}",
        set.content()
    );
}

/// `/selfcare` -> "Journaling prompts" -> "Let's start": a step that waits for typed text.
async fn first_journaling_question(bot: &Harness, place: Place) -> Reply {
    let hub = bot.slash("selfcare", ALICE, place, json!([])).await;
    let intro = bot.press(&hub, "Journaling prompts", ALICE).await;
    bot.press(&intro, "Let's start", ALICE).await
}

/// `/settings show` as an admin.
async fn show_settings(bot: &Harness) -> String {
    let show = json!([{"name": "show", "type": 1, "options": []}]);
    let shown = bot.slash("settings", ALICE, admin(), show).await;
    shown.content().to_string()
}

/// `/settings monitor` for the general channel, as an admin; returns what the bot said.
async fn set_monitoring(bot: &Harness, enabled: bool) -> String {
    let monitor = json!([{"name": "monitor", "type": 1, "options": [
        {"name": "channel", "type": 7, "value": CHANNEL.to_string()},
        {"name": "enabled", "type": 5, "value": enabled}
    ]}]);
    let resolved = json!({"channels": {CHANNEL.to_string(): {
        "id": CHANNEL.to_string(), "name": "general", "type": 0, "permissions": "0"
    }}});
    let deferred = bot
        .slash_resolved("settings", ALICE, admin(), monitor, Some(resolved))
        .await;
    assert_eq!(
        deferred.kind, DEFERRED_MESSAGE,
        "posting the notice may take a while"
    );
    bot.followup(&deferred).await
}

fn is_crisis_card(text: &str) -> bool {
    text.contains("automated bot") && text.contains("findahelpline.com")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_in_a_server_gives_a_private_menu_and_a_click_updates_it_in_place() {
    let bot = Harness::start().await;
    let menu = bot.slash("start", ALICE, member(), json!([])).await;
    assert_eq!(menu.kind, CHANNEL_MESSAGE);
    assert!(menu.ephemeral(), "replies in servers are ephemeral");
    assert!(menu.content().contains("automated"), "{}", menu.content());
    let labels = menu.labels();
    assert!(
        labels.contains(&"Talk to someone now".to_string()),
        "{labels:?}"
    );
    assert!(
        labels.contains(&"Continue in DMs".to_string()),
        "{labels:?}"
    );

    let next = bot.press(&menu, "What is this bot?", ALICE).await;
    assert_eq!(
        next.kind, UPDATE_MESSAGE,
        "a click updates the message in place"
    );
    assert_ne!(next.content(), menu.content());
    assert!(!next.labels().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_free_text_step_opens_a_modal_and_its_answer_moves_on() {
    let bot = Harness::start().await;
    let step = first_journaling_question(&bot, member()).await;
    assert!(
        step.content().contains("First question"),
        "{}",
        step.content()
    );
    let modal = bot.press(&step, "Type my answer", ALICE).await;
    assert_eq!(modal.kind, MODAL, "the text box is the first response");
    let next = bot
        .submit(&modal, "a quiet walk after work", ALICE, &step)
        .await;
    assert_eq!(next.kind, UPDATE_MESSAGE);
    assert!(next.content().contains("Second"), "{}", next.content());
    assert!(
        !bot.log().contains("quiet walk"),
        "no message content in logs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_dms_a_free_text_step_also_takes_the_next_message() {
    let bot = Harness::start().await;
    let step = first_journaling_question(&bot, Place::Dm).await;
    assert!(!step.ephemeral(), "plain messages in DMs");
    assert!(step.labels().contains(&"Type my answer".to_string()));
    let replies = bot.dm(ALICE, "a quiet walk after work", 1).await;
    let next = replies[0]["content"].as_str().unwrap_or_default();
    assert!(next.contains("Second"), "{next}");
    assert!(
        !bot.log().contains("quiet walk"),
        "no message content in logs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crisis_in_a_modal_answer_interrupts_with_the_card() {
    let bot = Harness::start().await;
    let step = first_journaling_question(&bot, member()).await;
    let modal = bot.press(&step, "Type my answer", ALICE).await;
    let card = bot
        .submit(&modal, "honestly I want to kill myself", ALICE, &step)
        .await;
    assert_eq!(
        card.kind, CHANNEL_MESSAGE,
        "a new message, not an edit of the step"
    );
    assert!(card.ephemeral());
    assert!(is_crisis_card(card.content()), "{}", card.content());
    assert!(!bot.log().contains("kill myself"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_from_an_old_text_box_is_still_read_for_risk() {
    let bot = Harness::start().await;
    let id = bot.fake.next_id();
    bot.fake.dispatch(
        "INTERACTION_CREATE",
        payloads::modal(
            id,
            "1:abc:T:not-a-valid-signature",
            "answer",
            "i want to kill myself",
            ALICE,
            member(),
            None,
        ),
    );
    let response = bot.fake.response_to(id).await;
    let text = response.body["data"]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(is_crisis_card(text), "{text}");
    assert_eq!(response.body["data"]["flags"], json!(64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crisis_in_a_dm_gets_the_card_first_and_an_idiom_gets_none() {
    let bot = Harness::start().await;
    let replies = bot.dm(ALICE, "I want to kill myself", 1).await;
    let first = replies[0]["content"].as_str().unwrap_or_default();
    assert!(
        is_crisis_card(first),
        "the first message is the crisis card: {first}"
    );
    assert!(
        first.trim_end().ends_with("now."),
        "ends with a way to reach a human: {first}"
    );
    assert!(
        !bot.log().contains("kill myself"),
        "no message content in logs"
    );

    let replies = bot.dm(BOB, "this exam is killing me", 1).await;
    for reply in &replies {
        let text = reply["content"].as_str().unwrap_or_default();
        assert!(!is_crisis_card(text), "an idiom is not a crisis: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_in_question_survives_a_restart_and_every_message_stays_private() {
    let mut bot = Harness::start().await;
    turn_saving_on(&bot, ALICE).await;
    let step = first_journaling_question(&bot, member()).await;
    let modal = bot.press(&step, "Type my answer", ALICE).await;
    let asked = bot
        .submit(
            &modal,
            "I wish I could go to sleep and not wake up",
            ALICE,
            &step,
        )
        .await;
    assert!(
        asked.labels().contains(&"I'd rather not say".to_string()),
        "{:#}",
        asked.data
    );
    let second = bot.press(&asked, "Yes", ALICE).await;
    assert!(second.labels().contains(&"Yes".to_string()));

    // The pending question is memory only; its buttons carry it across a restart.
    bot.restart().await;
    let card = bot.press(&second, "Yes", ALICE).await;
    assert!(is_crisis_card(card.content()), "{}", card.content());
    // The welcome back that came with it is a follow-up, and private like everything else.
    let followup = bot
        .fake
        .wait_for("the follow-up", |r| {
            r.path == format!("/api/v10/webhooks/{BOT_ID}/token-{}", card.interaction)
        })
        .await;
    assert!(
        followup.body["content"]
            .as_str()
            .unwrap_or_default()
            .contains("Welcome back"),
        "{:#}",
        followup.body
    );
    assert_eq!(
        followup.body["flags"],
        json!(64),
        "never public in a server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_refused_without_manage_server() {
    let bot = Harness::start().await;
    let show = json!([{"name": "show", "type": 1, "options": []}]);
    let refused = bot.slash("settings", BOB, member(), show).await;
    assert!(
        refused.content().contains("Manage Server"),
        "{}",
        refused.content()
    );
    assert!(refused.ephemeral());
    let allowed = show_settings(&bot).await;
    assert!(allowed.contains("Moderator alerts: off"), "{allowed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_by_someone_else_is_refused_kindly() {
    let bot = Harness::start().await;
    let menu = bot.slash("start", ALICE, member(), json!([])).await;
    let refused = bot.press(&menu, "What is this bot?", BOB).await;
    assert_eq!(
        refused.kind, CHANNEL_MESSAGE,
        "the clicked message is left alone"
    );
    assert!(refused.ephemeral());
    assert!(
        refused.content().contains("someone else's"),
        "{}",
        refused.content()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_an_old_button_still_works() {
    let mut bot = Harness::start().await;
    // Saving on, then one step into the check-in.
    turn_saving_on(&bot, ALICE).await;
    let intro = bot.slash("checkin", ALICE, Place::Dm, json!([])).await;
    let first_item = bot.press(&intro, &intro.labels()[0], ALICE).await;
    assert!(
        first_item.content().contains("1 of 12"),
        "{}",
        first_item.content()
    );

    bot.restart().await;
    let second = bot.press(&first_item, "Agree", ALICE).await;
    assert_eq!(second.kind, UPDATE_MESSAGE);
    assert!(second.content().contains("2 of 12"), "{}", second.content());

    // For someone without saving, a menu button works after a restart too.
    let menu = bot.slash("start", BOB, member(), json!([])).await;
    bot.restart().await;
    let next = bot
        .press(&menu, "Understand attachment patterns", BOB)
        .await;
    assert_eq!(next.kind, UPDATE_MESSAGE);
    assert!(
        !next.content().contains("earlier step"),
        "{}",
        next.content()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_button_from_before_a_content_edit_is_stale_not_wrong() {
    let content = tempfile::tempdir().unwrap();
    support::harness::copy_content(content.path());
    let mut bot = Harness::start_with(support::harness::Options {
        content_dir: Some(content.path().to_path_buf()),
        ..Default::default()
    })
    .await;
    let menu = bot.slash("start", ALICE, Place::Dm, json!([])).await;
    // The author swaps two choices: the old button's index now points at the other one.
    let menu_file = content.path().join("menu.toml");
    let swapped = std::fs::read_to_string(&menu_file)
        .unwrap()
        .replace(
            "label = \"Understand attachment patterns\"\n  dialogue = \"understanding\"",
            "@A",
        )
        .replace(
            "label = \"Common questions\"\n  dialogue = \"faq\"",
            "label = \"Understand attachment patterns\"\n  dialogue = \"understanding\"",
        )
        .replace("@A", "label = \"Common questions\"\n  dialogue = \"faq\"");
    std::fs::write(&menu_file, swapped).unwrap();
    bot.restart().await;
    let stale = bot
        .press(&menu, "Understand attachment patterns", ALICE)
        .await;
    assert_eq!(stale.kind, UPDATE_MESSAGE);
    assert!(
        stale.content().contains("has changed"),
        "{}",
        stale.content()
    );
    // The new menu's buttons work.
    let understanding = bot
        .press(&stale, "Understand attachment patterns", ALICE)
        .await;
    assert!(!understanding.content().contains("has changed"));
    assert!(!understanding.content().contains("earlier step"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_gateway_connection_reconnects() {
    let bot = Harness::start().await;
    let sessions = bot.fake.sessions();
    bot.fake.drop_gateway();
    bot.fake
        .wait_until("the bot to reconnect", |fake| fake.sessions() > sessions)
        .await;
    let menu = bot.slash("start", ALICE, member(), json!([])).await;
    assert!(!menu.labels().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_and_a_500_from_rest_are_survived() {
    let bot = Harness::start().await;
    bot.fake.fail_next("/callback", 429, 1);
    let menu = bot.slash("start", ALICE, member(), json!([])).await;
    assert!(!menu.labels().is_empty(), "answered after the 429");

    bot.fake.fail_next("/callback", 500, 1);
    let next = bot.press(&menu, "What is this bot?", ALICE).await;
    assert_eq!(next.kind, UPDATE_MESSAGE, "answered after the 500");

    let failed: Vec<_> = bot
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.status == 429 || r.status == 500)
        .collect();
    assert_eq!(failed.len(), 2);
    // And the bot is still serving.
    let replies = bot.dm(BOB, "menu", 1).await;
    assert!(!replies.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_leaves_no_key_of_that_person() {
    let mut bot = Harness::start().await;
    turn_saving_on(&bot, ALICE).await;
    let region = bot
        .slash(
            "region",
            ALICE,
            Place::Dm,
            json!([{"name": "code", "type": 3, "value": "UK"}]),
        )
        .await;
    assert!(region.content().contains("Saved"), "{}", region.content());
    let data = bot.slash("mydata", ALICE, Place::Dm, json!([])).await;
    let export = bot
        .fake
        .requests()
        .into_iter()
        .find(|r| {
            r.path
                .contains(&format!("/interactions/{}/", data.interaction))
        })
        .expect("the export");
    assert!(
        export.raw.contains("securebase-my-data.json"),
        "sent as a file"
    );
    assert!(export.raw.contains("\"region\": \"UK\""), "{}", export.raw);

    let ask = bot.slash("forget", ALICE, Place::Dm, json!([])).await;
    let done = bot.press(&ask, "Yes, erase everything", ALICE).await;
    assert!(done.content().contains("erased"), "{}", done.content());
    assert!(bot.stop().await.success());

    let store = securebase::store::Store::open(&bot.data_dir()).expect("store");
    let alice = securebase::store::UserId::new(format!("discord:{ALICE}")).unwrap();
    assert!(!store.holds_anything_of(&alice).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_risky_mention_gets_a_kind_public_reply_and_an_alert_without_the_text() {
    let bot = Harness::start().await;
    send_alerts_to_moderators(&bot).await;

    let id = bot.fake.next_id();
    let text = format!("<@{BOT_ID}> i cant do this anymore, i want to die");
    bot.fake.dispatch(
        "MESSAGE_CREATE",
        payloads::message(id, CHANNEL, Some(GUILD), BOB, &text, true),
    );
    let public = bot
        .fake
        .wait_for("the public reply", |r| {
            r.path == format!("/api/v10/channels/{CHANNEL}/messages") && r.status < 300
        })
        .await;
    let content = public.body["content"].as_str().unwrap_or_default();
    assert!(content.contains("automated bot"), "{content}");
    assert!(
        content.ends_with("call your local emergency number now."),
        "{content}"
    );
    assert!(!content.contains("want to die"));
    assert_eq!(
        public.body["message_reference"]["message_id"],
        json!(id.to_string())
    );
    assert_eq!(
        public.body["message_reference"]["fail_if_not_exists"],
        json!(false),
        "sent even if the person deleted their message"
    );
    let alert = bot
        .fake
        .wait_for("the moderator alert", |r| {
            r.path == format!("/api/v10/channels/{MOD_CHANNEL}/messages")
        })
        .await;
    let alert_text = alert.body["content"].as_str().unwrap_or_default();
    assert!(
        alert_text.contains(&format!("<#{CHANNEL}>")),
        "{alert_text}"
    );
    assert!(
        alert_text.contains(&id.to_string()),
        "links the message: {alert_text}"
    );
    assert!(
        !alert_text.contains("want to die"),
        "never the text: {alert_text}"
    );

    // Anyone pressing the public button gets the contacts privately.
    let public = Reply::posted(&public.body, member());
    let contacts = bot.press(&public, "See who I can talk to", ALICE).await;
    assert_eq!(
        contacts.kind, CHANNEL_MESSAGE,
        "the public message is never edited"
    );
    assert!(contacts.ephemeral());
    assert!(contacts.content().contains("findahelpline.com"));
    assert!(
        !bot.log().contains("want to die"),
        "no message content in logs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_a_dm_the_person_chooses_whether_moderators_hear_of_it() {
    let bot = Harness::start().await;
    send_alerts_to_moderators(&bot).await;
    // Bob uses the bot in the server, then writes in DMs.
    bot.slash("start", BOB, member(), json!([])).await;
    let replies = bot.dm(BOB, "I am going to kill myself tonight", 1).await;
    let card = Reply::posted(&replies[0], Place::Dm);
    assert!(is_crisis_card(card.content()), "{}", card.content());
    let mod_path = format!("/api/v10/channels/{MOD_CHANNEL}/messages");
    assert!(
        bot.posts_to(&mod_path).is_empty(),
        "never an alert from a DM unasked"
    );
    let label = card
        .labels()
        .into_iter()
        .find(|l| l.starts_with("Let a moderator of"))
        .expect("the offer to bring in a moderator");
    // The moderators' channel fails at first: the person is told, and may ask again.
    bot.fake.fail_next(&mod_path, 500, 4);
    let failed = bot.press(&card, &label, BOB).await;
    let said = bot.followup(&failed).await;
    assert!(said.contains("couldn't reach the moderators"), "{said}");
    let confirmed = bot.press(&card, &label, BOB).await;
    assert_eq!(
        confirmed.kind, DEFERRED_MESSAGE,
        "a new message: the card stays as it is"
    );
    let said = bot.followup(&confirmed).await;
    assert!(said.contains("let the moderators know"), "{said}");
    let alerts = bot.posts_to(&mod_path);
    assert_eq!(alerts.len(), 1, "one alert, the one asked for");
    let text = alerts[0].body["content"].as_str().unwrap_or_default();
    assert!(text.contains(&format!("<@{BOB}>")), "{text}");
    assert!(!text.contains("tonight"), "never the text: {text}");

    // Pressing another button on the card answers below it; the contacts stay in view.
    let more = bot.press(&card, "Keep talking with me", BOB).await;
    assert_eq!(more.kind, CHANNEL_MESSAGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continue_in_dms_explains_when_dms_are_closed() {
    let bot = Harness::start().await;
    bot.fake.close_dms(BOB);
    let menu = bot.slash("start", BOB, member(), json!([])).await;
    let id = bot.fake.next_id();
    let Some(support::harness::Component::Button(custom_id)) = menu.component("Continue in DMs")
    else {
        panic!("no DM button")
    };
    bot.fake.dispatch(
        "INTERACTION_CREATE",
        payloads::click(id, &custom_id, BOB, member(), menu.as_message()),
    );
    let edit = bot
        .fake
        .wait_for("the explanation", |r| {
            r.method == "PATCH" && r.path.contains(&format!("token-{id}"))
        })
        .await;
    let text = edit.body["content"].as_str().unwrap_or_default();
    assert!(text.contains("can't send you direct messages"), "{text}");

    let menu = bot.slash("start", ALICE, member(), json!([])).await;
    let id = bot.fake.next_id();
    let Some(support::harness::Component::Button(custom_id)) = menu.component("Continue in DMs")
    else {
        panic!("no DM button")
    };
    bot.fake.dispatch(
        "INTERACTION_CREATE",
        payloads::click(id, &custom_id, ALICE, member(), menu.as_message()),
    );
    let dm = format!(
        "/api/v10/channels/{}/messages",
        FakeDiscord::dm_channel(ALICE)
    );
    bot.fake
        .wait_until("the conversation in DMs", |_| !bot.posts_to(&dm).is_empty())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitoring_a_channel_posts_a_notice_and_reads_only_there() {
    let bot = Harness::start_with(support::harness::Options {
        channel_monitoring: true,
        ..Default::default()
    })
    .await;
    let said = set_monitoring(&bot, true).await;
    assert!(said.contains("Monitoring is on"), "{said}");
    let path = format!("/api/v10/channels/{CHANNEL}/messages");
    let notice = &bot.posts_to(&path)[0];
    assert!(
        notice.body["content"]
            .as_str()
            .unwrap_or_default()
            .contains("now reads new messages"),
        "a visible notice in the channel"
    );
    // Elsewhere, a message that does not mention the bot is not read at all.
    let elsewhere = 700_000_000_099u64;
    bot.fake.dispatch(
        "MESSAGE_CREATE",
        payloads::message(
            bot.fake.next_id(),
            elsewhere,
            Some(GUILD),
            BOB,
            "i want to end my life",
            false,
        ),
    );
    // In the monitored channel a message that does not mention the bot is read; a risky one
    // is answered.
    let id = bot.fake.next_id();
    bot.fake.dispatch(
        "MESSAGE_CREATE",
        payloads::message(
            id,
            CHANNEL,
            Some(GUILD),
            BOB,
            "i want to end my life",
            false,
        ),
    );
    bot.fake
        .wait_until("the public reply", |_| bot.posts_to(&path).len() >= 2)
        .await;
    let reply = &bot.posts_to(&path)[1];
    assert_eq!(
        reply.body["message_reference"]["message_id"],
        json!(id.to_string())
    );
    assert!(
        bot.posts_to(&format!("/api/v10/channels/{elsewhere}/messages"))
            .is_empty()
    );

    // Turning it off works even where the bot can no longer post.
    bot.fake.fail_next(&path, 403, 2);
    let said = set_monitoring(&bot, false).await;
    assert!(said.contains("Monitoring is off"), "{said}");
    assert!(said.contains("couldn't post a notice"), "{said}");
    let shown = show_settings(&bot).await;
    assert!(shown.contains("Monitored channels: none"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_is_a_clear_error() {
    let options = support::harness::Options {
        token: support::fake_discord::REJECTED_TOKEN.to_string(),
        ..Default::default()
    };
    let rejected = Harness::unstarted(options, FakeDiscord::start().await);
    let status = rejected.command().status().await.expect("run");
    assert!(!status.success());
    let log = rejected.log();
    assert!(log.contains("rejected the bot token"), "{log}");
    assert!(
        !log.contains(support::fake_discord::REJECTED_TOKEN),
        "the token is never logged"
    );
}
