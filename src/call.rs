//! [`Call`]: one operation, with what a caller may set for it (a timeout,
//! headers, a retry policy, an `Idempotency-Key`), sent when awaited.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt as _};

use crate::http::intercept::Success;
use crate::http::options::CallOptions;
use crate::http::{self, Operation};
use crate::raw::{self, types::ErrorMessage};
use crate::{Client, Error, Response, RetryPolicy};

/// Sends the operation's generated call once (one attempt).
type Sender<'a> =
    Box<dyn Fn() -> BoxFuture<'a, Result<(), raw::Error<ErrorMessage>>> + Send + Sync + 'a>;

/// One operation, ready to send: `.await` it for its value, or
/// [`send_with_response`](Self::send_with_response) for the answer around
/// it. Options set here apply to this call alone, to each of its attempts.
///
/// ```no_run
/// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
/// use std::time::Duration;
///
/// let connection = client
///     .connections()
///     .get("8a210b68-6988-11ed-a1eb-0242ac120002", "2e9d2c44-f675-40ba-8049-353bfcb5e171")
///     .timeout(Duration::from_secs(5))
///     .header("X-Trace-Id", "4bf92f3577b34da6")
///     .await?;
/// # let _ = connection;
/// # Ok(()) }
/// ```
#[must_use = "a call does nothing until awaited"]
pub struct Call<'a, T> {
    client: &'a Client,
    retry: Option<RetryPolicy>,
    operation: Operation,
    /// The sender, or the input it could not be made from.
    send: Result<Sender<'a>, Error>,
    read: fn(Success) -> Result<T, Error>,
    options: CallOptions,
}

impl<'a, T: Send + 'static> Call<'a, T> {
    /// `operation`, made by sending (a copy of) `builder` with `send` and
    /// reading its success answer with `read`.
    pub(crate) fn new<B, O, S, Fut>(
        client: &'a Client,
        retry: Option<RetryPolicy>,
        operation: Operation,
        builder: Result<B, Error>,
        send: S,
        read: fn(Success) -> Result<T, Error>,
    ) -> Self
    where
        B: Clone + Send + Sync + 'a,
        S: Fn(B) -> Fut + Send + Sync + 'a,
        Fut: Future<Output = Result<O, raw::Error<ErrorMessage>>> + Send + 'a,
    {
        // The error is progenitor's, as the generated call returns it.
        #[allow(clippy::result_large_err)]
        let send = builder.map(|builder| -> Sender<'a> {
            Box::new(move || send(builder.clone()).map(|sent| sent.map(drop)).boxed())
        });
        Self {
            client,
            retry,
            operation,
            send,
            read,
            options: CallOptions::default(),
        }
    }

    /// The longest each attempt of this call may take, instead of the
    /// client's [`timeout`](crate::ClientBuilder::timeout); clamped to
    /// [`ClientBuilder::MAX_TIMEOUT`](crate::ClientBuilder::MAX_TIMEOUT)
    /// (one day).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.set_timeout(timeout);
        self
    }

    /// Sends the header `name: value` with this call (a trace id, say). A
    /// header the client sets itself (`Authorization`, `Idempotency-Key`,
    /// `User-Agent`, `Content-Type`, ...) or one that is not valid HTTP
    /// fails the call with [`Error::InvalidInput`], before anything is sent.
    ///
    /// ```
    /// # async fn run() -> Result<(), codat_connections::Error> {
    /// let client = codat_connections::Client::new("your-api-key")?;
    /// let refused = client
    ///     .connections()
    ///     .get("8a210b68-6988-11ed-a1eb-0242ac120002", "2e9d2c44-f675-40ba-8049-353bfcb5e171")
    ///     .header("Authorization", "Basic someone-else")
    ///     .await;
    /// assert!(matches!(
    ///     refused,
    ///     Err(codat_connections::Error::InvalidInput { field: "header", .. })
    /// ));
    /// # Ok(()) }
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.options.add_header(name, value);
        self
    }

    /// Retries this call with `policy` instead of the client's policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Sends `key` (a UUID) as this write's `Idempotency-Key` instead of a
    /// fresh one: store it before the call, and a process that restarts and
    /// asks again with it gets Codat's first answer instead of acting twice.
    /// Only creates and unlinks carry a key; on another operation, or when
    /// `key` is not a UUID, the call fails with [`Error::InvalidInput`]
    /// before anything is sent.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// let key = uuid::Uuid::new_v4(); // stored with the order it belongs to
    /// let connection = client
    ///     .connections()
    ///     .create("8a210b68-6988-11ed-a1eb-0242ac120002", "gbol")
    ///     .idempotency_key(key)
    ///     .await?;
    /// # let _ = connection;
    /// # Ok(()) }
    /// ```
    pub fn idempotency_key(mut self, key: impl fmt::Display) -> Self {
        self.options.set_idempotency_key(&key.to_string());
        self
    }

    /// Sends the call: its value.
    pub async fn send(self) -> Result<T, Error> {
        Ok(self.send_with_response().await?.value)
    }

    /// Sends the call: its value, with the answer's status and headers
    /// and how many attempts it took (retries and the rate limit apply as
    /// to [`send`](Self::send)).
    pub async fn send_with_response(self) -> Result<Response<T>, Error> {
        let send = self.send?;
        let policy = self.client.policy(self.retry.as_ref());
        http::call(policy, self.operation, self.options, send, self.read).await
    }
}

impl<'a, T: Send + 'static> IntoFuture for Call<'a, T> {
    type Output = Result<T, Error>;
    type IntoFuture = BoxFuture<'a, Result<T, Error>>;

    fn into_future(self) -> Self::IntoFuture {
        self.send().boxed()
    }
}

impl<T> fmt::Debug for Call<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("operation", &self.operation.name)
            .field("retry", &self.retry)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}
