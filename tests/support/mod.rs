//! Shared by the end-to-end tests and the Discord latency benchmark: a fake Discord on
//! 127.0.0.1 and a harness that runs the real bot binary against it.

pub mod fake_discord;
pub mod harness;
