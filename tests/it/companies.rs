//! The companies connections belong to: onboarding (create a company, then
//! its connection, then the link URL), the companies listing with its
//! filters and streams, a company whose embedded connection does not decode,
//! and the portfolio sweep (every company once, in ceil(N / 5,000) requests,
//! through a 429 storm). Re-linking never creates a company. Against the
//! shipped mock, on tokio's paused clock where time matters.
#![cfg(feature = "mock")]

use crate::support;

use std::collections::{BTreeMap, BTreeSet};

use codat_connections::mock::{MockCodat, Seed};
use codat_connections::{
    CompanyId, CompanyReauthorizations, ConnectionId, ConnectionStatus, Error, RetryPolicy,
};
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use support::gbol;
use support::mock_setup::{json_answer, mock_authorization, status_answer};

const AREA: &str = "Companies";

/// The connections that need the customer, by company.
type Needing = BTreeMap<CompanyId, BTreeSet<ConnectionId>>;

/// `count` companies of 1 to 3 connections, every third `Deauthorized` and
/// every seventh `Unlinked`; the even ones tagged `region=uk`.
async fn portfolio(codat: &MockCodat, count: usize) -> Needing {
    let mut needing = BTreeMap::new();
    let mut companies = Vec::new();
    let mut n = 0;
    for c in 0..count {
        let company = CompanyId::from_uuid(uuid::Uuid::new_v4());
        let mut expected = BTreeSet::new();
        let mut connections = Vec::new();
        for _ in 0..(c % 3 + 1) {
            n += 1;
            let status = match n {
                n if n % 3 == 0 => ConnectionStatus::Deauthorized,
                n if n % 7 == 0 => ConnectionStatus::Unlinked,
                _ => ConnectionStatus::Linked,
            };
            let id = ConnectionId::from_uuid(uuid::Uuid::new_v4());
            if status != ConnectionStatus::Linked {
                expected.insert(id);
            }
            connections.push(json!({"id": id, "platformKey": "gbol", "status": status}));
        }
        let mut seeded = json!({"id": company, "connections": connections});
        if c % 2 == 0 {
            seeded["tags"] = json!({"region": "uk"});
        }
        companies.push(seeded);
        needing.insert(company, expected);
    }
    let seed = json!({ "companies": companies }).to_string();
    codat.seed(&Seed::from_json(&seed).unwrap()).unwrap();
    needing
}

/// The companies requests the mock received.
fn company_listings(codat: &MockCodat) -> usize {
    let requests = codat.requests();
    requests
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/companies")
        .count()
}

#[tokio::test]
async fn onboarding_creates_a_company_then_its_connection_and_hands_out_the_link() {
    let codat = MockCodat::start().await.unwrap();
    let client = codat.client().unwrap();
    let company = client
        .companies()
        .create("Technicalium")
        .description("Web and app design")
        .tag("region", "uk")
        .await
        .unwrap();
    assert_eq!(company.name, "Technicalium");
    assert_eq!(company.tags["region"], "uk");
    assert!(
        company.redirect.contains(&company.id.to_string()),
        "{}",
        company.redirect
    );
    assert_eq!(codat.companies_created(), 1);
    let create = codat.requests().pop().unwrap();
    assert!(create.idempotency_key().is_some(), "a create is keyed");

    let connection = client
        .connections()
        .create(company.id, "gbol")
        .await
        .unwrap();
    assert_eq!(connection.status, ConnectionStatus::PendingAuth);
    // The same connection, embedded in the company, got and listed.
    let got = client.companies().get(company.id).await.unwrap();
    assert_eq!(got.data_connections, std::slice::from_ref(&connection));
    let listed = client.companies().list().await.unwrap();
    assert_eq!(listed.results.len(), 1);
    assert_eq!(
        listed.results[0].data_connections[0].link_url,
        connection.link_url
    );
    let missing = client
        .companies()
        .retry(RetryPolicy::none())
        .get("2e9d2c44-f675-40ba-8049-353bfcb5e171")
        .await
        .unwrap_err();
    assert_eq!(missing.status().map(|s| s.as_u16()), Some(404));
    support::record(
        AREA,
        "onboarding: create a company, create its connection, get and list the company",
        "the company (name, tags, redirect) with the PendingAuth connection embedded; a create carries an Idempotency-Key; an unknown company is a 404",
    );
}

#[tokio::test]
async fn a_name_or_tags_codat_would_refuse_are_refused_before_anything_is_sent() {
    let codat = MockCodat::start().await.unwrap();
    let client = codat.client().unwrap();
    let companies = client.companies();
    let eleven = (0..11).fold(companies.create("Eleven"), |c, i| {
        c.tag(format!("k{i}"), "v")
    });
    for (case, request, field) in [
        ("a name with a slash", companies.create("a/b"), "name"),
        ("an empty name", companies.create(""), "name"),
        ("a name with an accent", companies.create("Café"), "name"),
        ("eleven tags", eleven, "tags"),
        (
            "a 28-character tag key",
            companies.create("X").tag("k".repeat(28), "v"),
            "tags",
        ),
        (
            "a 101-character tag value",
            companies.create("X").tag("k", "v".repeat(101)),
            "tags",
        ),
    ] {
        let err = request.await.unwrap_err();
        assert_eq!(err.invalid_field(), Some(field), "{case}: {err:?}");
        support::record(
            AREA,
            &format!("create-company with {case}"),
            &format!("Error::InvalidInput for `{field}`, nothing sent"),
        );
    }
    assert_eq!(codat.request_count(), 0, "nothing was sent");
    assert_eq!(codat.companies_created(), 0);
}

#[tokio::test]
async fn the_listing_filters_by_tags_and_query_orders_and_refuses_what_codat_refuses() {
    let codat = MockCodat::start().await.unwrap();
    let client = codat.client().unwrap();
    for (name, region) in [("Alpha", "uk"), ("Beta", "us"), ("Gamma", "uk")] {
        client
            .companies()
            .create(name)
            .tag("region", region)
            .await
            .unwrap();
    }
    let names = |page: codat_connections::Page<codat_connections::Company>| {
        page.results
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    let list = || client.companies().list().order_by("name");
    assert_eq!(
        names(list().tags("region=uk").await.unwrap()),
        ["Alpha", "Gamma"]
    );
    assert_eq!(names(list().tags("region!=uk").await.unwrap()), ["Beta"]);
    assert_eq!(
        names(list().tags("region~u").await.unwrap()),
        ["Alpha", "Beta", "Gamma"]
    );
    assert_eq!(names(list().query("name~mm").await.unwrap()), ["Gamma"]);
    assert_eq!(
        names(client.companies().list().order_by("-name").await.unwrap()),
        ["Gamma", "Beta", "Alpha"]
    );
    let once = client.companies().retry(RetryPolicy::none());
    for (case, request) in [
        ("a tags filter with >", once.list().tags("region>uk")),
        (
            "a query naming a property companies lack",
            once.list().query("colour=blue"),
        ),
        (
            "an orderBy naming a property companies lack",
            once.list().order_by("colour"),
        ),
    ] {
        let err = request.await.unwrap_err();
        assert_eq!(
            err.status().map(|s| s.as_u16()),
            Some(400),
            "{case}: {err:?}"
        );
        assert!(
            err.to_string().contains("Error parsing query"),
            "{case}: {err}"
        );
        support::record(
            AREA,
            &format!("list-companies with {case}"),
            "Codat's 400 Malformed-Query, as an Error::Api",
        );
    }
}

#[tokio::test]
async fn every_company_is_listed_once_in_order_however_the_pages_are_fetched() {
    let codat = MockCodat::start().await.unwrap();
    let expected = portfolio(&codat, 2_500).await;
    let client = codat.client().unwrap();
    for (read_ahead, concurrent) in [(0, 1), (2, 1), (1, 3)] {
        let companies = client
            .companies()
            .list()
            .page_size(1_000)
            .read_ahead(read_ahead)
            .concurrent_pages(concurrent)
            .collect_all()
            .await
            .unwrap();
        let ids: Vec<CompanyId> = companies.iter().map(|c| c.id).collect();
        let unique: BTreeSet<CompanyId> = ids.iter().copied().collect();
        assert_eq!(
            ids.len(),
            expected.len(),
            "read ahead {read_ahead}, {concurrent} at once"
        );
        assert_eq!(unique.len(), ids.len(), "none twice");
    }
    assert_eq!(company_listings(&codat), 3 * 3, "three pages, three times");
}

/// A page of companies whose second company holds a connection that does not
/// decode (its `platformName` a number), answered instead of the mock's own.
async fn page_with_a_malformed_connection(codat: &MockCodat) -> (Value, CompanyId) {
    let mut page = first_page(codat).await;
    let broken = &mut page["results"][1];
    broken["dataConnections"][0]["platformName"] = serde_json::json!(42);
    let id = broken["id"].as_str().unwrap().parse().unwrap();
    (page, id)
}

/// The mock's first page of companies, as JSON, to be changed and answered
/// instead of the mock's own; the requests it took are forgotten.
async fn first_page(codat: &MockCodat) -> Value {
    let http = support::net::plain_http();
    let answer = http
        .get(format!(
            "{}/companies?page=1&pageSize=100",
            codat.base_url()
        ))
        .header("Authorization", mock_authorization())
        .send()
        .await
        .unwrap();
    let page: Value = answer.json().await.unwrap();
    codat.clear_requests();
    page
}

#[tokio::test]
async fn a_company_that_does_not_decode_is_an_item_of_its_own_and_every_other_is_yielded() {
    let codat = MockCodat::start().await.unwrap();
    portfolio(&codat, 4).await;
    let mut page = first_page(&codat).await;
    let results = page["results"].as_array_mut().unwrap();
    results[0].as_object_mut().unwrap().remove("id");
    results[2]["name"] = json!(7);
    let (no_id, odd_name) = (results[0].clone(), results[2].clone());
    let whole: Vec<String> = [&results[1], &results[3]]
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    let client = codat.client().unwrap();
    let check = |errors: Vec<Error>, what: &str| {
        let undecoded: Vec<_> = errors
            .into_iter()
            .map(|e| match e {
                Error::CompanyDecode(company) => *company,
                other => panic!("{what}: not a company that does not decode: {other:?}"),
            })
            .collect();
        assert_eq!(undecoded.len(), 2, "{what}");
        assert_eq!(undecoded[0].raw, no_id, "{what}: its raw JSON");
        assert_eq!(undecoded[0].id, None, "{what}");
        assert_eq!(undecoded[1].raw, odd_name, "{what}: its raw JSON");
        assert_eq!(
            undecoded[1].id.as_deref(),
            odd_name["id"].as_str(),
            "{what}"
        );
        assert!(undecoded.iter().all(|u| u.page == Some(1)), "{what}");
    };

    codat.inject(json_answer(&page), 1);
    let items: Vec<_> = client.companies().list().companies().collect().await;
    let (companies, errors): (Vec<_>, Vec<_>) = items.into_iter().partition(Result::is_ok);
    let listed: Vec<String> = companies
        .into_iter()
        .map(|c| c.unwrap().id.to_string())
        .collect();
    assert_eq!(listed, whole, "every other company, in order");
    check(
        errors.into_iter().map(Result::unwrap_err).collect(),
        "listing",
    );

    codat.inject(json_answer(&page), 1);
    let items: Vec<_> = client.sweep_portfolio().collect().await;
    let (swept, errors): (Vec<_>, Vec<_>) = items.into_iter().partition(Result::is_ok);
    let swept: Vec<String> = swept
        .into_iter()
        .map(|c| c.unwrap().company_id.to_string())
        .collect();
    assert_eq!(swept, whole, "the portfolio sweep goes on after it");
    check(
        errors.into_iter().map(Result::unwrap_err).collect(),
        "portfolio sweep",
    );
    support::record(
        AREA,
        "a company of a listing that does not decode: its `id` missing, or its `name` a number",
        "every other company of the page yielded, in order; that one an item of its own, Error::CompanyDecode with its raw JSON, id where readable and page, in the listing and the portfolio sweep, which go on after it",
    );
}

#[tokio::test]
async fn a_company_whose_connection_does_not_decode_keeps_the_others_and_says_so() {
    let codat = MockCodat::start().await.unwrap();
    portfolio(&codat, 3).await;
    let (page, broken) = page_with_a_malformed_connection(&codat).await;
    let client = codat.client().unwrap();

    codat.inject(json_answer(&page), 1);
    let listed = client.companies().list().await.unwrap();
    let company = listed.results.iter().find(|c| c.id == broken).unwrap();
    assert_eq!(company.undecoded_connections.len(), 1);
    assert_eq!(company.undecoded_connections[0].company, Some(broken));
    assert_eq!(company.undecoded_connections[0].page, Some(1));
    assert_eq!(
        company.data_connections.len(),
        expected_len(&page, broken) - 1,
        "every other connection of the company"
    );
    assert_eq!(listed.results.len(), 3, "the other companies are whole");

    // The sweep reads a connection in full only when it hands it out.
    for (status, undecoded) in [("Deauthorized", 1), ("Linked", 0)] {
        let mut page = page.clone();
        let company = page["results"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|c| c["id"] == broken.to_string())
            .unwrap();
        company["dataConnections"][0]["status"] = json!(status);
        codat.inject(json_answer(&page), 1);
        let swept: Vec<_> = client.sweep_portfolio().try_collect().await.unwrap();
        assert_eq!(swept.len(), 3, "{status}");
        let item = swept.iter().find(|s| s.company_id == broken).unwrap();
        assert_eq!(item.undecoded.len(), undecoded, "{status}");
        assert_eq!(
            item.connections + item.undecoded.len(),
            expected_len(&page, broken),
            "{status}: every connection once"
        );
        for connection in &item.undecoded {
            assert_eq!(connection.company, Some(broken));
            assert_eq!(connection.page, Some(1));
            assert_eq!(connection.status.as_deref(), Some(status));
        }
    }
    support::record(
        AREA,
        "a company of a listing whose embedded connection does not decode (its `platformName` a number)",
        "the company keeps its other connections and the undecoded one, with its raw JSON and the company's ID; the portfolio sweep lists it in the company's `undecoded` when it is Deauthorized (handed out, so read in full), and counts it when it is Linked (only its status is read)",
    );
}

/// The portfolio sweep reads of a company its ID, name and each
/// connection's status, and nothing else: a field in a shape Codat's
/// document does not allow costs the listing the company, and costs the
/// sweep nothing when the sweep does not read it.
#[tokio::test]
async fn the_portfolio_sweep_reads_only_what_it_hands_out() {
    let codat = MockCodat::start().await.unwrap();
    let expected = portfolio(&codat, 3).await;
    let mut page = first_page(&codat).await;
    page["results"][0]["redirect"] = json!(7);
    page["results"][1]["tags"] = json!(["not", "a", "map"]);
    let client = codat.client().unwrap();

    codat.inject(json_answer(&page), 1);
    let listed: Vec<_> = client.companies().list().companies().collect().await;
    let undecoded = listed
        .iter()
        .filter(|c| matches!(c, Err(Error::CompanyDecode(_))))
        .count();
    assert_eq!(undecoded, 2, "the listing reads every field");

    codat.inject(json_answer(&page), 1);
    let swept: Vec<_> = client.sweep_portfolio().try_collect().await.unwrap();
    let found = needing(&swept);
    assert_eq!(found, expected, "every company, with what it needs");
    let names: Vec<_> = swept.iter().map(|s| s.company_name.clone()).collect();
    let listed_names: Vec<_> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(names, listed_names);
    support::record(
        AREA,
        "a page of companies, one with `redirect` a number, one with `tags` a list",
        "the listing yields both as Error::CompanyDecode; the portfolio sweep, which reads only IDs, names and connection statuses, sweeps all three companies with every connection needing the customer",
    );
}

/// Each swept company's ID, with the IDs of its connections needing the
/// customer.
fn needing(swept: &[CompanyReauthorizations]) -> Needing {
    swept
        .iter()
        .map(|s| {
            let ids = s
                .needing_reauthorization
                .iter()
                .map(|n| n.connection.id)
                .collect();
            (s.company_id, ids)
        })
        .collect()
}

/// How many connections the company `id` holds in `page`.
fn expected_len(page: &Value, id: CompanyId) -> usize {
    let companies = page["results"].as_array().unwrap();
    let company = companies
        .iter()
        .find(|c| c["id"] == id.to_string())
        .unwrap();
    company["dataConnections"].as_array().unwrap().len()
}

#[tokio::test]
async fn the_portfolio_sweep_reads_5000_companies_a_request_and_finds_every_one_needing_the_customer()
 {
    let codat = MockCodat::start().await.unwrap();
    let expected = portfolio(&codat, 12_000).await;
    let client = codat.client().unwrap();
    let swept: Vec<_> = client.sweep_portfolio().try_collect().await.unwrap();
    assert_eq!(company_listings(&codat), 3, "ceil(12,000 / 5,000) requests");
    let found = needing(&swept);
    assert_eq!(found.len(), swept.len(), "each company once");
    assert_eq!(found, expected);
    assert!(swept.iter().all(|s| s.undecoded.is_empty()));

    codat.clear_requests();
    let uk: Vec<_> = client
        .sweep_portfolio()
        .tags("region=uk")
        .try_collect()
        .await
        .unwrap();
    assert_eq!(uk.len(), 6_000, "the even companies");
    assert_eq!(company_listings(&codat), 2);
    support::record(
        AREA,
        "the portfolio sweep of 12,000 companies (1-3 connections each), and of those tagged region=uk",
        "3 requests (2 for the tagged half); every company once, with exactly its Deauthorized and Unlinked connections and their link URLs",
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_storm_cuts_the_portfolio_listing_and_no_company_is_lost_or_yielded_twice() {
    let codat = MockCodat::start().await.unwrap();
    let expected = portfolio(&codat, 2_500).await;
    let client = codat
        .client_builder()
        .requests_per_minute(None)
        .retry(RetryPolicy::default().max_attempts(10))
        .build()
        .unwrap();
    let mut sweep = client.sweep_portfolio().page_size(1_000).read_ahead(0);
    let mut seen = Vec::new();
    seen.push(sweep.next().await.unwrap().unwrap().company_id);
    // The first page is in; a storm answers the next requests.
    codat.inject(status_answer(429, Some("2")), 6);
    while let Some(item) = sweep.next().await {
        seen.push(item.unwrap().company_id);
    }
    let unique: BTreeSet<CompanyId> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "none twice");
    assert_eq!(unique, expected.keys().copied().collect(), "none lost");
    assert_eq!(company_listings(&codat), 3 + 6, "three pages, six refused");
    support::record(
        AREA,
        "the portfolio sweep's listing cut by a storm of six 429s (Retry-After: 2) after its first page",
        "retried until served; every company yielded exactly once",
    );
}

/// The sweep's default asks for the pages the first announces three at a
/// time: on a real link the next pages' requests are on their way while
/// this page's bytes arrive. Seven pages answered after 1 s each (the
/// paused clock) take 1 s for the first and 2 s for the other six, 3 s in
/// all, where two at a time would take 4 s and one at a time 7 s.
#[tokio::test(start_paused = true)]
async fn the_portfolio_sweep_asks_for_three_pages_at_a_time_after_the_first() {
    let codat = MockCodat::start().await.unwrap();
    let expected = portfolio(&codat, 6_500).await;
    codat.set_latency(std::time::Duration::from_secs(1));
    let client = codat
        .client_builder()
        .requests_per_minute(None)
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let swept: Vec<_> = client
        .sweep_portfolio()
        .page_size(1_000)
        .try_collect()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(swept.len(), expected.len(), "every company once");
    assert_eq!(company_listings(&codat), 7, "seven pages, each asked once");
    assert_eq!(
        took.as_secs(),
        3,
        "the first page, then three at a time: {took:?}"
    );
    support::record(
        AREA,
        "the portfolio sweep at its defaults, seven pages each answered after 1 s",
        "3 s: the first page, then the other six three at a time, each asked for once",
    );
}

#[tokio::test]
async fn re_linking_never_creates_a_company() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let expired = codat.add_connection(company, gbol(), ConnectionStatus::Deauthorized);
    let client = codat.client().unwrap();
    let connections = client.connections();
    connections.reauthorization(company, expired).await.unwrap();
    connections.needing_reauthorization(company).await.unwrap();
    let swept: Vec<_> = client.sweep([company]).collect().await;
    assert!(swept[0].result.is_ok());
    let portfolio: Vec<_> = client.sweep_portfolio().try_collect().await.unwrap();
    assert_eq!(portfolio[0].needing_reauthorization.len(), 1);
    // The portfolio sweep names the company; the per-company sweep cannot.
    assert_eq!(portfolio[0].company_name.as_deref(), Some("Mock company 1"));
    assert_eq!(swept[0].result.as_ref().unwrap().company_name, None);
    let posts = codat
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!((codat.companies_created(), posts), (0, 0));
    support::record(
        AREA,
        "re-authorization, needing_reauthorization, the sweep and the portfolio sweep of a Deauthorized connection",
        "each hands out the connection's link URL; the mock counts no company created and no POST",
    );
}
