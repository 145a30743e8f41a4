//! Calling each operation that answers with connections on an answer
//! generated from a document, and checking what the typed result holds.

use std::collections::HashMap;

use codat_connections::{Client, Error, Reauthorization, Url};
use uuid::Uuid;

use super::operations::Operation;

/// The operations whose success carries connections.
pub const OPERATIONS: [Operation; 5] = [
    Operation::List,
    Operation::Create,
    Operation::Get,
    Operation::Unlink,
    Operation::UpdateAuthorization,
];

/// What the answers to one operation held.
#[derive(Debug, Default, Clone, Copy)]
pub struct Held {
    pub connections: usize,
    /// Connections whose `linkUrl` is a URI no browser opens (the WHATWG
    /// URL parser refuses it), which the re-authorization helper refuses.
    pub unopenable_links: usize,
}

/// Calls `operation` as a user would and checks what it decoded, or the
/// typed error.
pub async fn decoded(client: &Client, operation: Operation, company: Uuid) -> Result<Held, Error> {
    let (area, connection) = (client.connections(), super::CONNECTION);
    let connections = match operation {
        Operation::List => {
            let page = area.list(company).send().await?;
            if let Some(undecoded) = page.undecoded.into_iter().next() {
                return Err(Error::ConnectionDecode(Box::new(undecoded)));
            }
            page.results
        }
        Operation::Create => vec![area.create(company, "gbol").await?],
        Operation::Get => vec![area.get(company, connection).await?],
        Operation::Unlink => vec![area.unlink(company, connection).await?],
        Operation::UpdateAuthorization => {
            let pairs = HashMap::from([("key".to_owned(), "value".to_owned())]);
            vec![
                area.update_authorization(company, connection, &pairs)
                    .await?,
            ]
        }
        Operation::Delete => unreachable!("a deletion answers no connection"),
    };
    let mut held = Held {
        connections: connections.len(),
        unopenable_links: 0,
    };
    for connection in connections {
        // The helper hands out a `Url`: a link the WHATWG parser refuses is
        // refused, with a typed error; any other must be read.
        let openable = Url::parse(&connection.link_url).is_ok();
        match Reauthorization::of(connection) {
            Err(Error::Decode { message, .. }) if !openable && message.starts_with("linkUrl") => {
                held.unopenable_links += 1;
            }
            other => drop(other?),
        }
    }
    Ok(held)
}

/// What the client made of `answers` generated answers (`source` says by
/// what): fails with the first few `failures`, or when the answers held too
/// few connections to prove much; then records `case` in RELIABILITY.md.
pub fn assert_all_decoded(
    source: &str,
    answers: usize,
    held: Held,
    failures: &[String],
    case: &str,
) {
    let shown: Vec<&str> = failures.iter().take(5).map(String::as_str).collect();
    assert!(
        failures.is_empty(),
        "{} of {answers} answers {source} did not decode; the first:\n{}",
        failures.len(),
        shown.join("\n\n")
    );
    let Held {
        connections,
        unopenable_links,
    } = held;
    assert!(
        connections >= answers / 2,
        "only {connections} connections in {answers} answers"
    );
    println!(
        "{answers} answers, {connections} connections, {unopenable_links} links no browser opens"
    );
    super::record(
        "Generated answers",
        case,
        "every one decodes into the typed result (0 typed decode errors, no undecoded connection); the re-authorization helper reads every connection whose linkUrl a browser opens, and refuses the others with Error::Decode",
    );
}

impl Held {
    pub fn add(&mut self, other: Held) {
        self.connections += other.connections;
        self.unopenable_links += other.unopenable_links;
    }
}
