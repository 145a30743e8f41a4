//! progenitor's [`ClientHooks`] for the generated [`raw::Client`]: the only
//! code that knows progenitor's hooks.
//!
//! They hand every request to the client's [`RequestSettings`] (its inner
//! value), so that the crate's own operations and a user who drops down to
//! [`crate::Client::raw`] get the same Authorization header, user agent,
//! timeout, tracing span, rate limit and bounded body; then the options of
//! the call being made, when it is one of the crate's own (`src/http/options.rs`:
//! its timeout, headers and `Idempotency-Key`). What the crate's own calls do
//! with the answer is in `src/http/intercept.rs`.

use progenitor_client::{ClientHooks, OperationInfo};
use tracing::Instrument;

use crate::http::transport::RequestSettings;
use crate::http::{intercept, options};
use crate::raw;

/// Codat's name for an operation (progenitor's names use `_`).
fn codat_operation(operation_id: &str) -> String {
    operation_id.replace('_', "-")
}

impl ClientHooks<RequestSettings> for raw::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> Result<(), raw::Error<E>> {
        self.inner.prepare(request);
        options::apply(request);
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let span = tracing::debug_span!(
            "codat.request",
            operation = %codat_operation(info.operation_id),
            method = %request.method(),
            path = %request.url().path(),
            rate_limit.limit = tracing::field::Empty,
            rate_limit.remaining = tracing::field::Empty,
            rate_limit.reset = tracing::field::Empty,
        );
        // Instrumenting the future (not entering the span across awaits)
        // keeps other tasks' events out of this request's span.
        async {
            // Before the request's own timeout starts: a wait for the
            // client's rate limit is not the server being slow.
            self.inner.admit().await;
            let response = self.client.execute(request).await?;
            let answer = self.inner.read(response).await?;
            Ok(intercept::keep(answer))
        }
        .instrument(span)
        .await
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), raw::Error<E>> {
        intercept::post(result).map_err(raw::Error::Custom)
    }
}
