//! Everything under the generated client, and the one door to it: [`call`],
//! which every operation of the crate goes through.
//!
//! `call` → `retry` (the loop; `classify` says what may be retried) →
//! `intercept::exchange` → the generated call → `hooks` → `transport` (and
//! `rate_limit`, shared by every request of a client) → the network, and the
//! answer back the same way, to be read by `decode` (off the task when large).

pub(crate) mod classify;
pub(crate) mod decode;
pub(crate) mod hooks;
pub(crate) mod intercept;
pub(crate) mod rate_limit;
pub(crate) mod retry;
pub(crate) mod transport;

use std::future::Future;

use crate::http::classify::Repeatable;
use crate::http::intercept::Success;
use crate::raw::{self, types::ErrorMessage, ResponseValue};
use crate::{Error, RetryPolicy};

/// One of Codat's operations, as the retry loop needs to know it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Operation {
    /// Codat's name for it, for the log.
    pub name: &'static str,
    pub repeatable: Repeatable,
}

impl Operation {
    /// An operation that has the same effect sent once or several times.
    pub(crate) const fn idempotent(name: &'static str) -> Self {
        Self {
            name,
            repeatable: Repeatable::Idempotent,
        }
    }

    /// An operation that may act twice if repeated (a create).
    pub(crate) const fn only_once(name: &'static str) -> Self {
        Self {
            name,
            repeatable: Repeatable::OnlyIfNotProcessed,
        }
    }
}

/// Makes one operation: `send` sends the generated call (once per attempt),
/// `read` turns its success answer into the result; attempts are repeated as
/// `policy` and the operation allow. The only caller of the retry loop.
pub(crate) async fn call<T, V, Fut, R>(
    policy: &RetryPolicy,
    operation: Operation,
    send: impl Fn() -> Fut,
    read: R,
) -> Result<T, Error>
where
    Fut: Future<Output = Result<ResponseValue<V>, raw::Error<ErrorMessage>>>,
    R: Fn(Success) -> Result<T, Error> + Copy + Send + 'static,
    T: Send + 'static,
{
    let send = &send;
    let attempt =
        move || async move { decode::decode(intercept::exchange(send()).await?, read).await };
    retry::run(policy, operation.repeatable, operation.name, attempt).await
}
