//! securebase: a Discord bot that offers a secure base for working on attachment difficulties.
//!
//! The core ([`bot::Bot`]) is transport-free: adapters (the terminal [`chat`], and [`discord`]) turn
//! the outside world into [`bot::Event`]s and [`bot::Reply`]s. Every free-text message goes
//! through the [`risk`] scanner before anything else; dialogues run on the pure [`engine`];
//! people's data lives in the [`store`] only after they agree to saving.

pub mod action;
pub mod bot;
pub mod bundle;
pub mod chat;
pub mod cli;
pub mod config;
pub mod content;
pub mod crisis;
pub mod daily;
pub mod discord;
pub mod engine;
pub mod prompts;
pub mod risk;
pub mod store;
pub mod telemetry;
