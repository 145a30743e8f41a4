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
pub(crate) mod options;
pub(crate) mod rate_limit;
pub(crate) mod response;
pub(crate) mod retry;
pub(crate) mod tls;
pub(crate) mod transport;

use std::future::Future;

use reqwest::StatusCode;
use uuid::Uuid;

use crate::http::classify::Repeatable;
use crate::http::intercept::Success;
use crate::http::options::CallOptions;
use crate::http::response::Response;
use crate::raw::{self, types::ErrorMessage};
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

    /// An operation that would act twice if repeated (a create), or whose
    /// second answer would differ (an unlink): sent with an
    /// `Idempotency-Key`, the same on every attempt, so that Codat replays
    /// its first answer.
    pub(crate) const fn keyed(name: &'static str) -> Self {
        Self {
            name,
            repeatable: Repeatable::Keyed,
        }
    }
}

/// Makes one operation: `send` sends the generated call (once per attempt),
/// `read` turns its success answer into the value; attempts are repeated as
/// `policy` and the operation allow, each with the call's `options` (a keyed
/// operation's `Idempotency-Key` is chosen here, once for all its attempts).
pub(crate) async fn call<T, O, Fut, R>(
    policy: &RetryPolicy,
    operation: Operation,
    options: CallOptions,
    send: impl Fn() -> Fut,
    read: R,
) -> Result<Response<T>, Error>
where
    Fut: Future<Output = Result<O, raw::Error<ErrorMessage>>>,
    R: Fn(Success) -> Result<T, Error> + Copy + Send + 'static,
    T: Send + 'static,
{
    call_decoding(policy, operation, options, send, read)
        .await?
        .await
}

/// [`call`], returning as soon as the success answer has arrived, with its
/// decoding under way (on tokio's blocking pool for a large body, see
/// [`decode::start`]): concurrent pages send the next request then, not once
/// this page is decoded. The only caller of the retry loop.
///
/// Decoding is not an attempt of its own: an answer that does not decode
/// is not asked for again (no attempt would decode it either).
pub(crate) async fn call_decoding<T, O, Fut, R>(
    policy: &RetryPolicy,
    operation: Operation,
    mut options: CallOptions,
    send: impl Fn() -> Fut,
    read: R,
) -> Result<impl Future<Output = Result<Response<T>, Error>> + Send + 'static, Error>
where
    Fut: Future<Output = Result<O, raw::Error<ErrorMessage>>>,
    R: Fn(Success) -> Result<T, Error> + Copy + Send + 'static,
    T: Send + 'static,
{
    if let Some(refused) = options.refused.take() {
        return Err(refused.into());
    }
    let key = match (operation.repeatable, options.idempotency_key) {
        (Repeatable::Keyed, key) => Some(key.unwrap_or_else(Uuid::new_v4)),
        (_, Some(_)) => {
            return Err(Error::InvalidInput {
                field: "Idempotency-Key",
                value: None,
                reason: "is sent only with creates and unlinks (Codat's POST and PATCH)",
            });
        }
        (_, None) => None,
    };
    options.idempotency_key = key;
    let send = &send;
    // Boxed: the exchange's future is kilobytes (the generated call's,
    // inside the interception's), and every layer around it would carry
    // and copy its whole size again.
    let attempt = move || Box::pin(intercept::exchange(send()));
    let run = retry::run(policy, operation.repeatable, operation.name, attempt);
    let (mut answer, attempts) = options
        .scope(run)
        .await
        .map_err(|error| with_key(error, key))?;
    let (status, headers) = (answer.status, std::mem::take(&mut answer.headers));
    let decoding = decode::start(answer, read);
    Ok(async move {
        match decoding.await {
            Ok(value) => Ok(Response {
                value,
                status,
                headers,
                attempts,
            }),
            Err(error) => Err(with_key(error.with_attempts(attempts), key)),
        }
    })
}

/// `error` of a request that carried `key`: Codat's answer says the key,
/// and a 422 for it is [`Error::IdempotencyKeyReused`].
fn with_key(error: Error, key: Option<Uuid>) -> Error {
    match (error, key) {
        (Error::Api(mut api), Some(key)) => {
            api.idempotency_key = Some(key);
            if api.status == StatusCode::UNPROCESSABLE_ENTITY {
                Error::IdempotencyKeyReused { key, api }
            } else {
                Error::Api(api)
            }
        }
        (error, _) => error,
    }
}
