//! The Discord adapter's own texts: what it says about buttons, DMs, servers and moderators.
//! Like the core's fixed texts they describe what the code does, so they live next to it.

pub const NOT_YOURS: &str = "These buttons belong to someone else's conversation, so I can't use them for you. Type `/start` to open your own; in a server only you will see it. If you need someone to talk to now, type `/resources`.";

pub const STALE_BUTTON: &str = "That button is from an older message, so I can't use it any more. Type `/start` to pick up from the menu, or `/resources` to see who you can talk to right now.";

pub const CONTENT_CHANGED: &str = "That step has changed since this message was sent, so I didn't use that choice. Here is where you are now:";

pub const DM_SENT: &str = "I've sent you a direct message, so we can carry on there. The same privacy rules apply: nothing is saved unless you turn saving on.";

pub const DM_CLOSED: &str = "I can't send you direct messages: your privacy settings (for this server, or for messages from bots) don't allow it. You can carry on here instead; only you see these replies.";

pub const DM_FAILED: &str = "I couldn't send you a direct message just now. You can carry on here; only you see these replies.";

pub const SERVER_ONLY: &str = "This only works in a server.";

pub const NEEDS_MANAGE_SERVER: &str = "Only people with the Manage Server permission can change securebase's settings for this server.";

pub const ARGUMENTS_UNREADABLE: &str = "I couldn't read that command's options. Try it again, or type `/help`. If you need someone to talk to now, type `/resources`.";

pub const CORE_FAILED: &str = "Something went wrong on my side (I'm an automated bot). If you need someone to talk to, type `/resources` to see who you can reach right now. If you are in immediate danger, call your local emergency number now.";

pub const MODAL_TITLE: &str = "Your answer";
pub const MODAL_LABEL: &str = "Type your answer";

/// The public reply in a server channel to a message that may show risk. Short and kind; the
/// contacts themselves open privately, and it still ends with a way to reach a human.
pub fn public_concern(emergency: &str) -> String {
    format!(
        "I'm securebase, an automated bot. What you wrote sounds like you might be going through something really hard, and you don't have to face it alone. The button below shows people you can talk to right now; only you will see it. If you are in immediate danger, call {emergency} now."
    )
}

pub const PUBLIC_SUPPORT_LABEL: &str = "See who I can talk to";

/// The public reply to a mention that shows no risk.
pub const PUBLIC_POINTER: &str = "Hi, I'm securebase, an automated self-help bot. I talk privately: press the button (only you will see my replies), use `/start`, or send me a direct message.";

pub const OPEN_PRIVATELY_LABEL: &str = "Open securebase privately";

pub const ALERT_SENT: &str = "I've let the moderators know that you'd like someone to reach out. They see your username and that you asked, never what you wrote. The contacts above are there too, at any time.";

pub const ALERT_OFF: &str = "That server has turned moderator alerts off, so I couldn't pass it on. The contacts above are still there for you.";

pub const ALERT_RECENT: &str = "I already let the moderators know a little while ago. The contacts above are there for you in the meantime.";

pub const ALERT_FAILED: &str = "I couldn't reach the moderators' channel just now. The contacts above are still there for you, and you could message a moderator directly.";

/// The notice posted in a channel when an admin turns monitoring on: nobody is read in secret.
pub const MONITORING_ON: &str = "**securebase now reads new messages in this channel**, only to notice when someone may be in danger and offer them support contacts privately. It does not store or log what anyone writes. A server admin turned this on with `/settings monitor`, and can turn it off the same way.";

pub const MONITORING_OFF: &str = "securebase no longer reads messages in this channel. Mention it or use `/start` to talk to it.";

/// A moderator alert for a message in a server channel: where and what kind, never the text.
pub fn channel_alert(category: &str, channel_id: u64, link: &str) -> String {
    format!(
        "**securebase safety alert**\nA message in <#{channel_id}> may mean someone is at risk (kind: {category}). I replied publicly with a button to support contacts. Please check in with care.\nMessage: {link}\nI never copy what was written."
    )
}

/// A moderator alert the person asked for from a DM.
pub fn requested_alert(user_id: u64) -> String {
    format!(
        "**securebase: someone asked for a moderator**\n<@{user_id}> used securebase's crisis support in a direct message and asked that a moderator reach out to them. Please contact them with care. I never share what they wrote."
    )
}
