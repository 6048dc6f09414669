//! Logging setup. Events carry ids, levels and timings; never what a person wrote.
//!
//! Our own code never logs content. Libraries can: serenity logs a raw gateway payload (which
//! may be someone's message) when it cannot parse it, tungstenite logs every websocket frame at
//! trace, HTTP clients log bodies at debug. So whatever filter the operator sets, only
//! securebase's own events pass at every level; every other crate is capped at WARN, and
//! serenity's gateway at ERROR (its warnings can quote a payload).

use std::io::IsTerminal;

use tracing::{Level, Metadata};
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::LogFormat;

/// Log to stderr with `filter` (overridden by `RUST_LOG` when set).
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: a log file or journal gets plain text.
    let output = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let output = match format {
        LogFormat::Pretty => output.boxed(),
        LogFormat::Json => output.json().boxed(),
    };
    // A second init (tests) is harmless; ignore the error it returns.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(filter_fn(content_safe))
        .with(output)
        .try_init();
}

/// Report panics by place only. The default hook prints the panic's message, which can quote
/// a string being handled (a slicing error shows the text), and that may be what someone wrote.
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(
            location,
            "a panic; its message is not logged, as it may quote content"
        );
    }));
}

/// Whether an event or span may be logged at all (see the module documentation).
fn content_safe(meta: &Metadata<'_>) -> bool {
    let target = meta.target();
    if target == "securebase" || target.starts_with("securebase::") {
        true
    } else if target.starts_with("serenity::gateway") {
        *meta.level() <= Level::ERROR
    } else {
        *meta.level() <= Level::WARN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discord_libraries_are_capped_whatever_the_operator_asks() {
        use tracing::callsite::Identifier;
        use tracing::field::FieldSet;
        use tracing::metadata::Kind;
        struct Callsite;
        impl tracing::Callsite for Callsite {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &Metadata<'_> {
                unreachable!()
            }
        }
        static CALLSITE: Callsite = Callsite;
        let meta = |target: &'static str, level: Level| {
            Metadata::new(
                "event",
                target,
                level,
                None,
                None,
                None,
                FieldSet::new(&[], Identifier(&CALLSITE)),
                Kind::EVENT,
            )
        };
        assert!(!content_safe(&meta("serenity::gateway::ws", Level::WARN)));
        assert!(content_safe(&meta("serenity::gateway::ws", Level::ERROR)));
        assert!(!content_safe(&meta(
            "serenity::gateway::shard",
            Level::WARN
        )));
        assert!(!content_safe(&meta("serenity::http::client", Level::DEBUG)));
        assert!(content_safe(&meta("serenity::http::client", Level::WARN)));
        assert!(!content_safe(&meta("poise::dispatch", Level::INFO)));
        assert!(!content_safe(&meta("tungstenite::protocol", Level::TRACE)));
        assert!(!content_safe(&meta("securebasement", Level::INFO)));
        assert!(content_safe(&meta("securebase::discord", Level::TRACE)));
    }
}
