//! Everything under the generated client: what every request carries, how every answer
//! is read, the retry policy and loop, and the client's shared rate limit.

pub(crate) mod hooks;
pub(crate) mod rate_limit;
pub(crate) mod retry;
pub(crate) mod transport;
