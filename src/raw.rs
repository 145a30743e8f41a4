//! The client progenitor generates from `openapi/connections.json`, as
//! generated: every type of Codat's document, and a low-level client for
//! when the rest of this crate does not fit.
#![allow(missing_docs, clippy::all, clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/codat_connections.rs"));
