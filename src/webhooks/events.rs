//! The connection events a verified delivery holds: Codat's event types,
//! what each carries, and the decoding of a verified body into one.
// The entry points that verify and then decode (`Webhooks::verify`) sit here
// with the decoding, so that verification knows nothing of what a body holds.

use std::time::SystemTime;

use super::verification::{VerifiedWebhook, WebhookError, WebhookHeaders, Webhooks};
use crate::raw::types::{CompanyReference, Connection, ConnectionWebhook};

/// Codat's connection webhooks, each a variant of [`ConnectionEvent`].
const EVENT_TYPES: [&str; 6] = [
    "connection.created",
    "connection.connected",
    "connection.failed",
    "connection.disconnected",
    "connection.reconnected",
    "connection.deleted",
];

/// A verified connection webhook, by event type.
///
/// Codat delivers at least once: de-duplicate on [`ConnectionEvent::id`].
/// An event type this SDK does not know yet is kept, with its JSON, in
/// [`ConnectionEvent::Unknown`] rather than refused.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// `connection.created`: a connection was created (it is `PendingAuth`).
    Created(ConnectionChange),
    /// `connection.connected`: the customer linked the connection.
    Connected(ConnectionChange),
    /// `connection.failed`: linking the connection failed.
    Failed(ConnectionChange),
    /// `connection.disconnected`: the connection was unlinked, or
    /// de-authorized by the customer or the platform; see
    /// [`ConnectionEvent::reauthorization`].
    Disconnected(ConnectionChange),
    /// `connection.reconnected`: a disconnected connection was linked again.
    Reconnected(ConnectionChange),
    /// `connection.deleted`: the connection was deleted.
    Deleted(ConnectionChange),
    /// An event type this SDK does not know (yet).
    Unknown {
        /// The event's id.
        id: uuid::Uuid,
        /// Its `eventType`, as Codat sent it.
        event_type: String,
        /// The whole event, as JSON.
        raw: serde_json::Value,
    },
}

/// What every connection event carries: the event's id and time, the
/// company, and the connection as it is after the change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConnectionChange {
    /// The event's id: the same on every delivery of the event.
    pub id: uuid::Uuid,
    /// When Codat generated the event.
    pub generated_date: Option<crate::DateTime>,
    /// The company the connection belongs to.
    pub company: Option<CompanyReference>,
    /// The connection, as Codat's Connections endpoints return it.
    pub connection: Box<Connection>,
}

impl ConnectionEvent {
    /// The event's id, for de-duplication: Codat delivers at least once.
    pub fn id(&self) -> uuid::Uuid {
        self.parts().0
    }

    /// The event type, as Codat writes it (`connection.disconnected`).
    pub fn event_type(&self) -> &str {
        self.parts().1
    }

    /// The event's details, for every known event type.
    pub fn change(&self) -> Option<&ConnectionChange> {
        self.parts().2
    }

    /// The event's id, its type and, for a known type, its details: one
    /// match over the variants for the accessors above.
    fn parts(&self) -> (uuid::Uuid, &str, Option<&ConnectionChange>) {
        let (event_type, change) = match self {
            ConnectionEvent::Created(c) => (EVENT_TYPES[0], c),
            ConnectionEvent::Connected(c) => (EVENT_TYPES[1], c),
            ConnectionEvent::Failed(c) => (EVENT_TYPES[2], c),
            ConnectionEvent::Disconnected(c) => (EVENT_TYPES[3], c),
            ConnectionEvent::Reconnected(c) => (EVENT_TYPES[4], c),
            ConnectionEvent::Deleted(c) => (EVENT_TYPES[5], c),
            ConnectionEvent::Unknown { id, event_type, .. } => return (*id, event_type, None),
        };
        (change.id, event_type, Some(change))
    }

    /// The connection the event is about, for every known event type.
    pub fn connection(&self) -> Option<&Connection> {
        self.change().map(|c| c.connection.as_ref())
    }

    /// For `connection.disconnected`, what the connection needs, exactly as
    /// [`Connections::reauthorization`](crate::Connections::reauthorization)
    /// would answer for it (usually [`Reauthorization::Required`] with the
    /// link URL to send the customer to), without a request to Codat.
    /// `Ok(None)` for every other event type.
    ///
    /// [`Reauthorization::Required`]: crate::Reauthorization::Required
    pub fn reauthorization(&self) -> Result<Option<crate::Reauthorization>, crate::Error> {
        match self {
            ConnectionEvent::Disconnected(change) => {
                crate::Reauthorization::of((*change.connection).clone()).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Decodes a verified body. Only [`Webhooks::verify`] and
    /// [`VerifiedWebhook::connection_event`] call this: an event is never
    /// built from an unverified body.
    fn decode(body: &[u8]) -> Result<Self, WebhookError> {
        let raw: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| WebhookError::NotJson {
                message: e.to_string(),
            })?;
        let not_an_event = |message: String| WebhookError::NotAnEvent { message };
        let event_type = match raw.get("eventType") {
            Some(serde_json::Value::String(t)) => t.clone(),
            Some(_) => return Err(not_an_event("`eventType` is not a string".into())),
            None => return Err(not_an_event("no `eventType`".into())),
        };
        let id = match raw.get("id").and_then(serde_json::Value::as_str) {
            Some(id) => uuid::Uuid::parse_str(id)
                .map_err(|e| not_an_event(format!("`id` is not a UUID: {e}")))?,
            None => return Err(not_an_event("no `id`".into())),
        };
        let Some(position) = EVENT_TYPES.iter().position(|t| *t == event_type) else {
            return Ok(ConnectionEvent::Unknown {
                id,
                event_type,
                raw,
            });
        };
        let webhook: ConnectionWebhook =
            serde_json::from_value(raw).map_err(|e| not_an_event(e.to_string()))?;
        let payload = webhook
            .payload
            .ok_or_else(|| not_an_event("no `payload`".into()))?;
        let connection = payload
            .connection
            .ok_or_else(|| not_an_event("no `payload.connection`".into()))?;
        let change = ConnectionChange {
            id,
            generated_date: webhook.generated_date,
            company: payload.reference_company,
            connection: Box::new(connection),
        };
        Ok(match position {
            0 => ConnectionEvent::Created(change),
            1 => ConnectionEvent::Connected(change),
            2 => ConnectionEvent::Failed(change),
            3 => ConnectionEvent::Disconnected(change),
            4 => ConnectionEvent::Reconnected(change),
            _ => ConnectionEvent::Deleted(change),
        })
    }
}

impl VerifiedWebhook<'_> {
    /// The body as a connection event.
    pub fn connection_event(&self) -> Result<ConnectionEvent, WebhookError> {
        ConnectionEvent::decode(self.body)
    }
}

impl Webhooks {
    /// Verifies a delivery (signature, timestamp, size) against the clock,
    /// then decodes it as a connection event.
    ///
    /// ```
    /// use codat_connections::webhooks::{ConnectionEvent, Webhooks};
    ///
    /// # fn handle(headers: &http::HeaderMap, body: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    /// let webhooks = Webhooks::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
    /// let event = webhooks.verify(headers, body)?;
    /// println!("{} {}", event.event_type(), event.id());
    /// if let Some(link_url) = event.reauthorization()?.as_ref().and_then(|r| r.required_link_url()) {
    ///     println!("send the customer to {link_url}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn verify<H: WebhookHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
    ) -> Result<ConnectionEvent, WebhookError> {
        self.verify_raw(headers, body)?.connection_event()
    }

    /// [`Webhooks::verify`] as if the time were `now`.
    pub fn verify_at<H: WebhookHeaders + ?Sized>(
        &self,
        headers: &H,
        body: &[u8],
        now: SystemTime,
    ) -> Result<ConnectionEvent, WebhookError> {
        self.verify_raw_at(headers, body, now)?.connection_event()
    }
}
