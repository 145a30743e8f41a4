//! The mock's connection webhooks: signed as Codat signs them, delivered to
//! the endpoint a test registered, in order, with the faults a receiver must
//! survive, and every attempt recorded for the test to assert on.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::sync::Notify;

use crate::raw::types::Connection;
use crate::webhooks::{WebhookError, Webhooks};
use crate::{CompanyId, ConnectionStatus};

/// How often a delivery the endpoint does not answer 2xx is attempted in all
/// (Codat retries for days; a test needs only to see that it does).
pub const MAX_DELIVERY_ATTEMPTS: usize = 3;

/// The pause between attempts of one delivery.
const RETRY_PAUSE: Duration = Duration::from_millis(10);

/// The secret the mock signs with when a fault asks it to sign wrongly.
const WRONG_SECRET: &str = "whsec_QmFkU2lnbmF0dXJlRnJvbU1vY2tDb2RhdA==";

/// How long one attempt may take: Codat gives an endpoint 15 seconds.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// Something the mock does to the next delivery instead of sending it once,
/// in order, correctly signed; see [`MockCodat::inject_webhook_fault`].
///
/// [`MockCodat::inject_webhook_fault`]: crate::mock::MockCodat::inject_webhook_fault
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookFault {
    /// Delivers the event twice (same event id, same message id), as Codat
    /// may: it delivers at least once.
    Duplicate,
    /// Holds the event back and delivers it after the event that follows.
    OutOfOrder,
    /// Signs the event with another secret: the endpoint must refuse it.
    BadSignature,
    /// Signs the event with a timestamp ten minutes old, like a replay: the
    /// endpoint must refuse it.
    Stale,
}

/// What an endpoint answered to one attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// The endpoint answered with this status.
    Answered(u16),
    /// No answer: refused connection, timeout, dropped connection.
    Failed(String),
}

impl DeliveryOutcome {
    /// Whether the endpoint accepted the delivery (answered 2xx).
    pub fn is_accepted(&self) -> bool {
        matches!(self, DeliveryOutcome::Answered(status) if (200..300).contains(status))
    }
}

/// One attempt to deliver a webhook; see [`MockCodat::webhook_deliveries`].
///
/// [`MockCodat::webhook_deliveries`]: crate::mock::MockCodat::webhook_deliveries
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// The event type, such as `connection.disconnected`.
    pub event_type: String,
    /// The event's id (the body's `id`).
    pub event_id: uuid::Uuid,
    /// The Svix message id (`webhook-id`), the same on every attempt.
    pub message_id: String,
    /// Which attempt of this message this was, from 1.
    pub attempt: usize,
    /// The headers sent (`webhook-id`, `webhook-timestamp`,
    /// `webhook-signature`, `content-type`).
    pub headers: Vec<(String, String)>,
    /// The body sent.
    pub body: Vec<u8>,
    /// What the endpoint answered.
    pub outcome: DeliveryOutcome,
}

/// An event waiting to be delivered.
#[derive(Debug, Clone)]
struct Pending {
    event_type: &'static str,
    event_id: uuid::Uuid,
    message_id: String,
    body: Vec<u8>,
}

/// Where events go, and how they are signed.
#[derive(Debug)]
struct Endpoint {
    url: url::Url,
    webhooks: Webhooks,
}

#[derive(Debug, Default)]
struct Inner {
    endpoint: Option<Endpoint>,
    queue: VecDeque<Pending>,
    faults: VecDeque<WebhookFault>,
    held: Option<Pending>,
    delivered: Vec<WebhookDelivery>,
    /// Whether the delivery task runs.
    running: bool,
    /// Set when the mock stops: the delivery task ends.
    closed: bool,
}

/// The events the mock has to send, shared by its handlers (which add them),
/// its delivery task (which sends them) and [`crate::mock::MockCodat`].
#[derive(Debug, Clone, Default)]
pub(in crate::mock) struct Outbox {
    inner: Arc<Mutex<Inner>>,
    wake: Arc<Notify>,
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends every later event to `url`, signed with `secret`; starts the
    /// delivery task on the current tokio runtime the first time.
    pub(in crate::mock) fn register(
        &self,
        url: url::Url,
        secret: &str,
    ) -> Result<(), WebhookError> {
        let webhooks = Webhooks::new(secret)?;
        let start = {
            let mut inner = self.lock();
            inner.endpoint = Some(Endpoint { url, webhooks });
            !std::mem::replace(&mut inner.running, true)
        };
        if start {
            tokio::spawn(deliver_forever(self.clone()));
        }
        Ok(())
    }

    /// Ends the delivery task (what is still queued is not sent).
    pub(in crate::mock) fn close(&self) {
        self.lock().closed = true;
        self.wake.notify_one();
    }

    pub(in crate::mock) fn inject(&self, fault: WebhookFault, times: usize) {
        self.lock().faults.extend(std::iter::repeat_n(fault, times));
    }

    pub(in crate::mock) fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.lock().delivered.clone()
    }

    /// Queues the event Codat sends when `connection` (of `company`) changed
    /// as `event_type` says; nothing when no endpoint is registered.
    pub(in crate::mock) fn connection_event(
        &self,
        event_type: &'static str,
        company: CompanyId,
        name: &str,
        connection: &Connection,
        base_url: &str,
    ) {
        let mut inner = self.lock();
        if inner.endpoint.is_none() {
            return;
        }
        let event_id = uuid::Uuid::new_v4();
        let event = json!({
            "id": event_id,
            "eventType": event_type,
            "generatedDate": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "payload": {
                "referenceCompany": {
                    "id": company,
                    "name": name,
                    "links": {"portal": format!("{base_url}/portal/companies/{company}/summary")},
                },
                "connection": connection,
            },
        });
        inner.queue.push_back(Pending {
            event_type,
            event_id,
            message_id: format!("msg_{}", uuid::Uuid::new_v4().simple()),
            body: event.to_string().into_bytes(),
        });
        drop(inner);
        self.wake.notify_one();
    }

    /// The next events to send, in the order to send them, with how to sign
    /// each; `None` when there is nothing to send.
    fn next(&self) -> Option<Vec<(Pending, Option<WebhookFault>)>> {
        let mut inner = self.lock();
        let pending = inner.queue.pop_front()?;
        let fault = inner.faults.pop_front();
        let mut batch = match fault {
            Some(WebhookFault::OutOfOrder) if inner.held.is_none() => {
                inner.held = Some(pending);
                return Some(Vec::new());
            }
            Some(WebhookFault::Duplicate) => {
                vec![(pending.clone(), None), (pending, None)]
            }
            Some(fault @ (WebhookFault::BadSignature | WebhookFault::Stale)) => {
                vec![(pending, Some(fault))]
            }
            _ => vec![(pending, None)],
        };
        if let Some(held) = inner.held.take() {
            batch.push((held, None));
        }
        Some(batch)
    }
}

/// The status the mock sets, as the event Codat sends for it: a link,
/// a re-link, or a disconnection; `None` for a change Codat sends nothing
/// for.
pub(in crate::mock) fn status_event(
    from: &ConnectionStatus,
    to: &ConnectionStatus,
) -> Option<&'static str> {
    use ConnectionStatus::{Deauthorized, Linked, PendingAuth, Unlinked};
    match (from, to) {
        (from, to) if from == to => None,
        (PendingAuth, Linked) => Some("connection.connected"),
        (Deauthorized | Unlinked, Linked) => Some("connection.reconnected"),
        (_, Deauthorized | Unlinked) => Some("connection.disconnected"),
        _ => None,
    }
}

async fn deliver_forever(outbox: Outbox) {
    let http = match http_client() {
        Ok(http) => http,
        Err(err) => {
            tracing::warn!(error = %err, "mock Codat cannot send webhooks");
            return;
        }
    };
    loop {
        if outbox.lock().closed {
            return;
        }
        match outbox.next() {
            Some(batch) => {
                for (pending, fault) in batch {
                    deliver(&outbox, &http, &pending, fault).await;
                }
            }
            None => outbox.wake.notified().await,
        }
    }
}

/// Sends one event until the endpoint accepts it or the attempts run out.
async fn deliver(
    outbox: &Outbox,
    http: &reqwest::Client,
    pending: &Pending,
    fault: Option<WebhookFault>,
) {
    for attempt in 1..=MAX_DELIVERY_ATTEMPTS {
        let signed = {
            let inner = outbox.lock();
            let Some(endpoint) = &inner.endpoint else {
                return;
            };
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let (webhooks, timestamp) = match fault {
                Some(WebhookFault::BadSignature) => match Webhooks::new(WRONG_SECRET) {
                    Ok(other) => (other, now),
                    Err(_) => return,
                },
                Some(WebhookFault::Stale) => (endpoint.webhooks.clone(), now - 600),
                _ => (endpoint.webhooks.clone(), now),
            };
            let headers = webhooks.sign(&pending.message_id, timestamp, &pending.body);
            (endpoint.url.clone(), headers)
        };
        let (url, signed) = signed;
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        headers.extend(signed.pairs().map(|(name, value)| (name.to_owned(), value)));
        let mut request = http
            .post(url)
            .timeout(ATTEMPT_TIMEOUT)
            .body(pending.body.clone());
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let outcome = match request.send().await {
            Ok(answer) => DeliveryOutcome::Answered(answer.status().as_u16()),
            Err(err) => DeliveryOutcome::Failed(err.to_string()),
        };
        let accepted = outcome.is_accepted();
        outbox.lock().delivered.push(WebhookDelivery {
            event_type: pending.event_type.to_owned(),
            event_id: pending.event_id,
            message_id: pending.message_id.clone(),
            attempt,
            headers,
            body: pending.body.clone(),
            outcome,
        });
        if accepted {
            return;
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
}

/// A client for plain-HTTP endpoints on the test's machine. rustls needs a
/// provider even so; it is handed over rather than installed process-wide.
fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(crate::http::tls::loopback_config()?)
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConnectionStatus::*;

    #[test]
    fn status_changes_map_to_codats_events() {
        for (from, to, event) in [
            (PendingAuth, Linked, Some("connection.connected")),
            (Deauthorized, Linked, Some("connection.reconnected")),
            (Linked, Deauthorized, Some("connection.disconnected")),
            (Linked, Unlinked, Some("connection.disconnected")),
            (Linked, Linked, None),
            (Linked, PendingAuth, None),
        ] {
            assert_eq!(status_event(&from, &to), event, "{from} -> {to}");
        }
    }

    #[test]
    fn the_wrong_key_is_a_valid_secret() {
        assert!(Webhooks::new(WRONG_SECRET).is_ok());
    }
}
