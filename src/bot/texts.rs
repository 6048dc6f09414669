//! The bot's own fixed texts: first contact, help, privacy, consent. They describe what the code
//! does (what is stored, for how long), so they live next to it rather than in `dialogues/`.

pub const GREETING: &str = "Hi, I'm securebase, an automated self-help bot about attachment and relationships. \
I'm not a person, not a therapist, and not an emergency service, and nothing here is a diagnosis. \
If you are in danger, type `resources` at any time to see who you can talk to right now.";

pub const WELCOME_BACK: &str = "Welcome back. Your progress was saved, so you can carry on where you left off, or type `menu` to choose something else.";

pub const HELP: &str = "**What I can do**\n\
I offer short guided conversations: a reflection check-in about how you tend to relate to others, \
self-care exercises, and information about getting support.\n\n\
**What I am not**\n\
I'm an automated bot. I'm not an emergency service, not a therapist, and I can't diagnose anything. \
If you are in danger, please contact a crisis line or your local emergency number.\n\n\
**Words you can type at any time**\n\
`menu` main menu · `help` this message · `prompt` a small self-compassion prompt for today · `daily` a prompt every day at a time you choose · `resources` people to talk to now · `region` where you are, for the right helplines · `privacy` what I store · \
`consent` turn saving on or off · `export` see your saved data · `forget` erase it all";

pub const CONSENT_ASK: &str = "Would you like me to save your progress?\n\n\
If you say yes, I keep: where you are in a conversation, your settings (such as your region), \
any answers you choose to save in an exercise, and your check-in results, so you can see how they change (type `history`). \
I never save the messages you type unless an exercise asks and you have said yes here.\n\n\
You can see everything saved with `export` and erase it all with `forget`, at any time.";

pub const CONSENT_ON: &str = "Saving is on. I'll keep your progress and settings until you type `forget` or turn saving off.";

pub const CONSENT_ALREADY_ON: &str =
    "Saving is on for you. Do you want to stop saving? That also deletes everything saved so far.";

pub const CONSENT_OFF: &str = "Saving is off, and everything I had saved for you is deleted. This conversation still works; it just isn't kept. (Daily prompts, if you have them, are a separate choice: `/daily stop` ends them.)";

pub const FORGET_ASK: &str = "This erases everything I have stored about you: your consent, progress, settings and saved answers, and your daily prompts (they stop). It can't be undone. Erase it all?";

pub const FORGET_DONE: &str =
    "Done. Everything I stored about you has been erased, and saving is off.";

pub const NOT_UNDERSTOOD: &str = "I didn't catch that. Pick one of the options (you can type its number), or type `menu` or `help`.";

pub const STALE_CHOICE: &str =
    "That choice belongs to an earlier step, so I can't use it now. Here is where you are:";

pub const DIALOGUE_FAILED: &str = "Something went wrong with that conversation on my side. If you need someone to talk to, the button below shows who you can reach right now.";

pub const PROMPT_INTRO: &str = "A small self-compassion prompt for today:";

pub const NO_PROMPTS: &str = "There are no daily prompts available right now.";

pub const HISTORY_NEEDS_SAVING: &str = "I only keep check-in results for people who turned saving on, so there is no history yet. Type `consent` if you'd like me to keep them from now on.";

pub const HISTORY_EMPTY: &str = "You have no saved check-in results yet. Results are kept each time you finish the check-in with saving on.";

pub const HISTORY_INTRO: &str =
    "Your saved check-in results, oldest first (scores are averages out of 7):";

pub const HISTORY_NOTE: &str = "Scores move with life and mood; a change is something to notice, not a grade. This is a reflection, not a diagnosis.";

pub const SAVE_FAILED: &str = "I couldn't save this step, so it may not be there next time. The conversation itself carries on.";

pub const UNREADABLE_PROGRESS: &str = "I couldn't read your saved progress, so we'll start fresh. The unreadable record was kept aside, and `export` or `forget` still include it.";

pub const EXPORT_INTRO: &str = "Here is everything I have stored about you, as JSON.";

/// The privacy statement, adjusted to whether this person has saving on.
pub fn privacy(saving_on: bool) -> String {
    let status = if saving_on {
        "Saving is **on** for you."
    } else {
        "Saving is **off** for you: nothing about you is stored, and this conversation is forgotten after a while without activity or when I restart."
    };
    format!(
        "**Privacy**\n{status}\n\n\
         I only read messages sent to me. I never log what you write. \
         When something you write suggests you may be in danger, I show people you can contact; I count that it happened, never what was said.\n\n\
         With saving on, I store: that you agreed and when, where you are in a conversation, your settings, answers an exercise asked to save, and your check-in results. \
         If you subscribe to daily prompts, I store your time, time zone, how many prompts you've had, whether they're paused, and our DM channel, until you stop them. \
         Type `export` to see all of it and `forget` to erase all of it."
    )
}

// --- daily prompts --------------------------------------------------------------------------

pub const DAILY_WHAT_IS_KEPT: &str = "To send these I keep your time and time zone, how many prompts you've had (and a number that shuffles them for you), whether they're paused, and on Discord our DM channel. Nothing you write. Subscribing is your agreement to that. `/daily stop` ends the prompts and deletes it all; `/daily pause` takes a break.";

pub const DAILY_START_HOW: &str = "To start: `/daily start` with a time such as 08:30 and your time zone (such as Europe/London), or a window such as 09:00-12:00 for a surprise time each day.";

pub const DAILY_NEED_ZONE: &str = "I need your time zone to send prompts at your local time: a name such as Europe/London, America/New_York or Asia/Kolkata.";

pub const DAILY_OFF: &str = "You don't have daily prompts on. They are one short self-compassion prompt a day, at a time you choose.";

pub const DAILY_STOPPED: &str = "Daily prompts are stopped, and I've deleted your subscription (your time, zone and place in the list). You can start again any time with `/daily start`.";

pub const DAILY_STOPPED_ALREADY: &str =
    "Daily prompts are already off, and nothing about them is stored.";

pub const DAILY_DMS_CLOSED: &str = "I tried to send your daily prompt but couldn't message you directly (your DMs are closed to me), so I've put daily prompts on hold. To get them again, allow direct messages from this server's members in its privacy settings, then use `/daily resume`. Or `/daily stop` to end them.";

/// The confirmation after subscribing or changing the time.
pub fn daily_on(plan: &str, when: &str) -> String {
    format!("Daily prompts are on: one short self-compassion prompt a day, {plan}. {when}")
}

/// A delivered prompt.
pub fn daily_prompt(text: &str) -> String {
    format!(
        "**Today's self-compassion prompt**\n\n{text}\n\nNo need to reply. Take it or leave it; it's here for you. (An automated message from securebase.)"
    )
}
