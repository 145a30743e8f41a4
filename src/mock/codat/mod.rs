//! Codat's behaviour, as the mock plays it: the server and its contract
//! check (every request against the document), compressed answers, each
//! operation's handler,
//! the listing's paging and query language, idempotency, the rate limit,
//! webhook deliveries, and the state they all keep.

pub(in crate::mock) mod answers;
pub(in crate::mock) mod companies;
pub(in crate::mock) mod compression;
pub(in crate::mock) mod contract;
pub(in crate::mock) mod handlers;
pub(in crate::mock) mod idempotency;
pub(in crate::mock) mod listing;
pub(in crate::mock) mod parameters;
pub(in crate::mock) mod query_language;
pub(in crate::mock) mod rate_limit;
pub(in crate::mock) mod server;
pub(in crate::mock) mod state;
pub(in crate::mock) mod webhooks;
