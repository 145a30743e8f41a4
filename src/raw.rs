//! The client progenitor generates from `openapi/connections.json`, as
//! generated: every type of Codat's document, and the client every request
//! of this crate is sent with. [`crate::Client::raw`] gives it, with the
//! crate's authorization, user agent, timeout, body limit and tracing (see
//! `src/http/hooks.rs`), for when the rest of this crate does not fit.
#![allow(missing_docs, clippy::all, clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/codat_connections.rs"));
