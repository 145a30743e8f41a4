//! The mock sends Codat's connection webhooks to a receiver built on this
//! crate's API, as a user's service would be: every change of a connection
//! arrives signed, and the mock's delivery faults (duplicates, out of
//! order, refused, forged, replayed) do what Codat's would. Each case
//! becomes a row of RELIABILITY.md.
#![cfg(feature = "mock")]

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use codat_connections::mock::{
    DeliveryOutcome, MAX_DELIVERY_ATTEMPTS, MockCodat, WebhookDelivery, WebhookFault,
};
use codat_connections::webhooks::{ConnectionEvent, Webhooks};
use codat_connections::{CompanyId, ConnectionId, ConnectionStatus, Reauthorization, Url};
use support::mock_setup::MockSetup;
use support::webhooks::SECRET;
use tokio::sync::mpsc;

const AREA: &str = "Webhooks";

#[derive(Clone)]
struct Shared {
    webhooks: Arc<Webhooks>,
    events: mpsc::UnboundedSender<ConnectionEvent>,
    refuse_next: Arc<AtomicUsize>,
}

/// A receiver as a user writes it: verify, queue, answer.
struct Receiver {
    url: Url,
    events: mpsc::UnboundedReceiver<ConnectionEvent>,
    refuse_next: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start() -> Receiver {
        let (events, receiver) = mpsc::unbounded_channel();
        let refuse_next = Arc::new(AtomicUsize::new(0));
        let shared = Shared {
            webhooks: Arc::new(Webhooks::new(SECRET).unwrap()),
            events,
            refuse_next: refuse_next.clone(),
        };
        let app = axum::Router::new().fallback(receive).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/codat/webhooks", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url,
            events: receiver,
            refuse_next,
        }
    }

    async fn next(&mut self) -> ConnectionEvent {
        tokio::time::timeout(Duration::from_secs(5), self.events.recv())
            .await
            .expect("an event within 5 s")
            .expect("the receiver is running")
    }

    fn nothing_more(&mut self) -> bool {
        self.events.try_recv().is_err()
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if shared
        .refuse_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match shared.webhooks.verify(&headers, &body) {
        Ok(event) => {
            let _ = shared.events.send(event);
            StatusCode::NO_CONTENT
        }
        Err(err) if err.is_unauthenticated() => StatusCode::UNAUTHORIZED,
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

/// A mock sending its webhooks to a new receiver, and a company of it with
/// a connection in each of `statuses`.
async fn delivering(
    statuses: &[ConnectionStatus],
) -> (MockCodat, CompanyId, Vec<ConnectionId>, Receiver) {
    let codat = MockCodat::start().await.unwrap();
    let (company, connections) = codat.company_with(statuses);
    let receiver = Receiver::start().await;
    codat
        .send_webhooks_to(receiver.url.clone(), SECRET)
        .unwrap();
    (codat, company, connections, receiver)
}

#[tokio::test]
async fn a_deauthorized_connection_reaches_the_receiver_with_the_clients_link_url() {
    let (codat, company, connections, mut receiver) = delivering(&[ConnectionStatus::Linked]).await;
    let connection = connections[0];

    codat.set_status(company, connection, ConnectionStatus::Deauthorized);

    let event = receiver.next().await;
    let ConnectionEvent::Disconnected(change) = &event else {
        panic!("{event:?}");
    };
    assert_eq!(change.connection.id, connection);
    assert_eq!(change.company.as_ref().unwrap().id, Some(company));
    let from_event = event.reauthorization().unwrap().unwrap();
    let client = codat.client().unwrap();
    let from_client = client
        .connections()
        .reauthorization(company, connection)
        .await;
    let Reauthorization::Required { link_url, .. } = &from_event else {
        panic!("{from_event:?}");
    };
    assert_eq!(Some(link_url), from_client.unwrap().required_link_url());

    let deliveries = codat.wait_for_webhook_deliveries(1).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].event_type, "connection.disconnected");
    assert_eq!(deliveries[0].event_id, event.id());
    assert_eq!(deliveries[0].outcome, DeliveryOutcome::Answered(204));
    assert!(receiver.nothing_more());
    support::record(
        AREA,
        "mock moves a connection to Deauthorized; its signed connection.disconnected reaches a receiver",
        "verified and decoded; reauthorization() gives the same link URL as the client's, with no request",
    );
}

#[tokio::test]
async fn each_change_of_a_connection_sends_its_event_in_order() {
    let (codat, company, _, mut receiver) = delivering(&[]).await;
    let client = codat.client().unwrap();
    let connections = client.connections();

    let created = connections.create(company, "gbol").await.unwrap();
    codat.fail_linking(company, created.id);
    codat.set_status(company, created.id, ConnectionStatus::Linked);
    connections.unlink(company, created.id).await.unwrap();
    codat.set_status(company, created.id, ConnectionStatus::Linked);
    codat.set_status(company, created.id, ConnectionStatus::Linked); // no change, no event
    connections.delete(company, created.id).await.unwrap();

    let mut seen = Vec::new();
    for _ in 0..6 {
        let event = receiver.next().await;
        let connection = event.connection().unwrap();
        assert_eq!(connection.id, created.id);
        seen.push(format!("{} {}", event.event_type(), connection.status));
    }
    assert_eq!(
        seen,
        [
            "connection.created PendingAuth",
            "connection.failed PendingAuth",
            "connection.connected Linked",
            "connection.disconnected Unlinked",
            "connection.reconnected Linked",
            "connection.deleted Linked",
        ]
    );
    let deliveries = codat.wait_for_webhook_deliveries(6).await;
    assert_eq!(deliveries.len(), 6);
    assert!(deliveries.iter().all(|d| d.outcome.is_accepted()));
    support::record(
        AREA,
        "mock: create a connection, fail to link it, link, unlink, re-link, delete it",
        "connection.created, .failed, .connected, .disconnected, .reconnected, .deleted delivered in order, signed",
    );
}

/// A delivery fault: the connection's first status, the mock's faults and
/// the attempts the endpoint refuses, the statuses the connection then
/// moves through; what reaches the receiver's queue (event type and status,
/// in order), and every attempt (event type, attempt, answer), in order.
struct DeliveryFault {
    case: &'static str,
    outcome: &'static str,
    from: ConnectionStatus,
    faults: Vec<WebhookFault>,
    refused_by_endpoint: usize,
    changes: Vec<ConnectionStatus>,
    arrives: Vec<&'static str>,
    attempts: Vec<String>,
    /// What else the events and the attempts show.
    then: fn(&[ConnectionEvent], &[WebhookDelivery]),
}

fn attempts(event_type: &str, answers: &[u16]) -> Vec<String> {
    (1..)
        .zip(answers)
        .map(|(attempt, answer)| format!("{event_type} {attempt} {answer}"))
        .collect()
}

fn delivery_faults() -> Vec<DeliveryFault> {
    use ConnectionStatus::{Deauthorized, Linked, PendingAuth, Unlinked};
    let forged = [401; MAX_DELIVERY_ATTEMPTS];
    vec![
        DeliveryFault {
            case: "mock fault: the same event delivered twice",
            outcome: "both verify; ConnectionEvent::id is the same, for the receiver to de-duplicate",
            from: Linked,
            faults: vec![WebhookFault::Duplicate],
            refused_by_endpoint: 0,
            changes: vec![Deauthorized],
            arrives: vec!["connection.disconnected Deauthorized"; 2],
            attempts: vec!["connection.disconnected 1 204".to_owned(); 2],
            then: |events, attempts| {
                assert_eq!(
                    events[0].id(),
                    events[1].id(),
                    "de-duplicate on the event id"
                );
                assert_eq!(attempts[0].message_id, attempts[1].message_id);
            },
        },
        DeliveryFault {
            case: "mock fault: an event delivered after the one that followed it",
            outcome: "both verify; generatedDate orders them",
            from: PendingAuth,
            faults: vec![WebhookFault::OutOfOrder],
            refused_by_endpoint: 0,
            changes: vec![Linked, Deauthorized],
            arrives: vec![
                "connection.disconnected Deauthorized",
                "connection.connected Linked",
            ],
            attempts: [
                attempts("connection.disconnected", &[204]),
                attempts("connection.connected", &[204]),
            ]
            .concat(),
            then: |events, _| {
                let generated =
                    |e: &ConnectionEvent| e.change().unwrap().generated_date.clone().unwrap();
                assert!(generated(&events[0]).naive_local() >= generated(&events[1]).naive_local());
            },
        },
        DeliveryFault {
            case: "mock: the endpoint answers 503 to a delivery",
            outcome: "retried (same message id); the next attempt is accepted; each attempt recorded",
            from: Linked,
            faults: vec![],
            refused_by_endpoint: 1,
            changes: vec![Unlinked],
            arrives: vec!["connection.disconnected Unlinked"],
            attempts: attempts("connection.disconnected", &[503, 204]),
            then: |_, attempts| assert_eq!(attempts[0].message_id, attempts[1].message_id),
        },
        DeliveryFault {
            case: "mock faults: a delivery signed with another secret, one signed ten minutes ago",
            outcome: "the receiver answers 401 to every attempt; neither reaches its queue",
            from: Linked,
            faults: vec![WebhookFault::BadSignature, WebhookFault::Stale],
            refused_by_endpoint: 0,
            changes: vec![Deauthorized, Linked, Unlinked],
            // The third, signed correctly, is the only one to arrive.
            arrives: vec!["connection.disconnected Unlinked"],
            attempts: [
                attempts("connection.disconnected", &forged),
                attempts("connection.reconnected", &forged),
                attempts("connection.disconnected", &[204]),
            ]
            .concat(),
            then: |_, _| {},
        },
    ]
}

#[tokio::test]
async fn each_delivery_fault_reaches_the_receiver_as_codats_would() {
    for fault in delivery_faults() {
        let (codat, company, connections, mut receiver) = delivering(&[fault.from]).await;
        for injected in fault.faults {
            codat.inject_webhook_fault(injected, 1);
        }
        receiver
            .refuse_next
            .store(fault.refused_by_endpoint, Ordering::SeqCst);
        for status in fault.changes {
            codat.set_status(company, connections[0], status);
        }
        let mut events = Vec::new();
        for _ in &fault.arrives {
            events.push(receiver.next().await);
        }
        let arrived: Vec<String> = events
            .iter()
            .map(|e| format!("{} {}", e.event_type(), e.connection().unwrap().status))
            .collect();
        assert_eq!(arrived, fault.arrives, "{}", fault.case);
        let attempts = codat
            .wait_for_webhook_deliveries(fault.attempts.len())
            .await;
        let answered: Vec<String> = attempts
            .iter()
            .map(|d| match &d.outcome {
                DeliveryOutcome::Answered(status) => {
                    format!("{} {} {status}", d.event_type, d.attempt)
                }
                other => format!("{} {} {other:?}", d.event_type, d.attempt),
            })
            .collect();
        assert_eq!(answered, fault.attempts, "{}", fault.case);
        assert!(receiver.nothing_more(), "{}", fault.case);
        (fault.then)(&events, &attempts);
        support::record(AREA, fault.case, fault.outcome);
    }
}

#[tokio::test]
async fn without_an_endpoint_nothing_is_sent() {
    let codat = MockCodat::start().await.unwrap();
    let (company, connections) = codat.company_with(&[ConnectionStatus::Linked]);
    codat.set_status(company, connections[0], ConnectionStatus::Deauthorized);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(codat.webhook_deliveries().is_empty());
    let url = "http://127.0.0.1:9/".parse().unwrap();
    assert!(codat.send_webhooks_to(url, "whsec_").is_err());
}
