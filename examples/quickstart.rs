//! The onboarding and connection lifecycle a Codat integration walks
//! through: a company for the customer, a connection for it, list and get
//! it, find the ones that need the customer again, unlink, delete.
//!
//! With `CODAT_API_KEY` set it talks to Codat: to the company
//! `CODAT_COMPANY_ID` when set, and otherwise it creates one company (saying
//! so first: Codat counts each company). Without it, it runs against the mock
//! Codat embedded in this crate, and creates its company through the API.
//!
//! ```sh
//! cargo run --example quickstart --features mock
//! ```

use codat_connections::mock::MockCodat;
use codat_connections::{Client, CompanyId, ConnectionStatus, PlatformKey, Reauthorization};

/// The name of the company this example creates when it has none.
const COMPANY_NAME: &str = "Quickstart company";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the mock alive for the whole run when it is used.
    let (client, mock) = match std::env::var("CODAT_API_KEY") {
        Ok(_) => {
            println!(
                "Using Codat at {}",
                std::env::var("CODAT_BASE_URL")
                    .unwrap_or_else(|_| codat_connections::DEFAULT_BASE_URL.into())
            );
            (Client::from_env()?, None)
        }
        Err(_) => {
            let mock = MockCodat::start().await?;
            println!(
                "CODAT_API_KEY is not set: using the embedded mock Codat at {}",
                mock.base_url()
            );
            (mock.client()?, Some(mock))
        }
    };

    // 0. The company: the customer whose platforms its connections link.
    let company: CompanyId = match std::env::var("CODAT_COMPANY_ID") {
        Ok(id) if mock.is_none() => id.parse()?,
        _ => {
            if mock.is_none() {
                println!("CODAT_COMPANY_ID is not set: creating one company, {COMPANY_NAME:?}");
            }
            let created = client.companies().create(COMPANY_NAME).await?;
            println!(
                "created the company {} ({}); its Link URL is {}",
                created.id, created.name, created.redirect
            );
            created.id
        }
    };
    if let Some(mock) = &mock {
        // A connection whose platform revoked access, as happens when a
        // customer's credentials expire.
        let sandbox: PlatformKey = "gbol".parse()?;
        mock.add_connection(company, sandbox, ConnectionStatus::Deauthorized);
    }
    let connections = client.connections();

    // 1. Create a connection: it starts PendingAuth, and the customer
    //    authorizes it at its link URL.
    let created = connections.create(company, "gbol").await?;
    println!(
        "created {} ({}): send the customer to {}",
        created.id, created.status, created.link_url
    );

    // 2. List the company's connections.
    let page = connections.list(company).page_size(100).await?;
    println!("the company has {} connection(s):", page.total_results);
    for connection in &page.results {
        println!(
            "  {} {:<12} {}",
            connection.id,
            connection.status.as_str(),
            connection.platform_name
        );
    }

    // 3. Get one.
    let fetched = connections.get(company, created.id).await?;
    println!("got {}: {}", fetched.id, fetched.status);

    // 4. Find the connections that need the customer again.
    let deauthorized = connections
        .list(company)
        .status(ConnectionStatus::Deauthorized)
        .await?;
    for connection in deauthorized.results {
        if let Reauthorization::Required {
            link_url,
            connection,
        } = Reauthorization::of(connection)?
        {
            println!(
                "{} is {}: re-authorize at {link_url}",
                connection.id, connection.status
            );
        }
    }

    // 5. Unlink (Codat keeps the data) once the customer has linked; on the
    //    mock, pretend they have.
    if let Some(mock) = &mock {
        mock.set_status(company, created.id, ConnectionStatus::Linked);
    }
    match connections.unlink(company, created.id).await {
        Ok(unlinked) => println!("unlinked {}: {}", unlinked.id, unlinked.status),
        Err(err) => println!("could not unlink {} yet: {err}", created.id),
    }

    // 6. Delete the connection this run created, and its data.
    connections.delete(company, created.id).await?;
    println!("deleted {}", created.id);
    Ok(())
}
