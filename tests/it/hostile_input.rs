//! Hostile and odd input: each value either crosses the wire exactly as
//! given (asserted on the request the mock received) or is refused before
//! anything is sent, with a typed error naming the field. Each case becomes
//! a line of RELIABILITY.md.
#![cfg(feature = "mock")]

use crate::support;

use codat_connections::mock::MockCodat;
use codat_connections::{Error, MAX_QUERY_LENGTH, RetryPolicy};
use support::mock_setup::mock_company;
use support::{COMPANY, CONNECTION};

fn refused(err: &Error, field: &str) -> bool {
    matches!(err, Error::InvalidInput { field: f, .. } if *f == field)
}

#[tokio::test]
async fn hostile_identifiers_are_refused_before_sending() {
    let codat = MockCodat::start().await.unwrap();
    let client = codat.client().unwrap();
    let connections = client.connections();
    let cases = [
        ("../", "path traversal `../`"),
        ("..%2F..%2Fadmin", "percent-encoded slash `%2F`"),
        (
            "8a210b68-6988-11ed-a1eb-0242ac12000%2F",
            "UUID-length with `%2F`",
        ),
        ("8a210b68 6988 11ed a1eb 0242ac120002", "spaces"),
        ("8a210b68-6988-11ed-a1eb-0242ac12000é", "unicode"),
        ("", "empty"),
        (
            "8A210B68-6988-11ED-A1EB-0242AC120002/../x",
            "UUID followed by a path",
        ),
    ];
    for (id, what) in cases {
        let err = connections.get(id, CONNECTION).await.unwrap_err();
        assert!(refused(&err, "companyId"), "{what}: {err:?}");
        let err = connections.get(COMPANY, id).await.unwrap_err();
        assert!(refused(&err, "connectionId"), "{what}: {err:?}");
        let err = connections.list(id).await.unwrap_err();
        assert!(refused(&err, "companyId"), "{what}: {err:?}");
        assert_eq!(codat.request_count(), 0, "{what}: a request was sent");
        support::record(
            "Hostile input",
            &format!("company or connection ID: {what}"),
            "refused before sending: Error::InvalidInput naming companyId / connectionId",
        );
    }
}

#[tokio::test]
async fn bad_platform_keys_and_page_sizes_are_refused_before_sending() {
    let codat = MockCodat::start().await.unwrap();
    let client = codat.client().unwrap();
    let connections = client.connections();
    for (key, what) in [
        ("gbo", "3 letters"),
        ("gbolx", "5 letters"),
        ("GBOL", "upper case"),
        ("gb0l", "a digit"),
        ("gbó", "unicode"),
        ("", "empty"),
    ] {
        let err = connections.create(COMPANY, key).await.unwrap_err();
        assert!(refused(&err, "platformKey"), "{what}: {err:?}");
        support::record(
            "Hostile input",
            &format!("platform key: {what}"),
            "refused before sending: Error::InvalidInput (platformKey)",
        );
    }
    for (size, what) in [(0, "0"), (5001, "5001"), (u32::MAX, "4294967295")] {
        let err = connections.list(COMPANY).page_size(size).await.unwrap_err();
        assert!(refused(&err, "pageSize"), "{what}: {err:?}");
        support::record(
            "Hostile input",
            &format!("page size {what}"),
            "refused before sending: Error::InvalidInput (pageSize)",
        );
    }
    let err = connections.list(COMPANY).page(0).await.unwrap_err();
    assert!(refused(&err, "page"));
    support::record(
        "Hostile input",
        "page 0",
        "refused before sending: Error::InvalidInput (page)",
    );
    assert_eq!(codat.request_count(), 0);
}

/// The query parameter the mock received, decoded.
fn received_query(codat: &MockCodat, name: &str) -> Option<String> {
    let request = codat.requests().pop()?;
    url::form_urlencoded::parse(request.query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[tokio::test]
async fn odd_queries_cross_the_wire_exactly() {
    let mock = mock_company(&[]).await;
    let (codat, company) = (&mock.codat, mock.company);
    let connections = mock.client.connections().retry(RetryPolicy::none());
    let longest = "a".repeat(MAX_QUERY_LENGTH);
    let cases: [(&str, &str); 11] = [
        ("status=Linked&&sourceType=Banking", "`&&`"),
        ("status=Linked||status=Unlinked", "`||`"),
        (
            "{status=Linked||status=Unlinked}&&sourceType=Banking",
            "`{}` grouping",
        ),
        ("platformName=a=b", "`=` inside a value"),
        ("platformName=#1", "`#`"),
        ("platformName=100%", "`%`"),
        ("platformName=Zürich Ltd", "unicode and a space"),
        ("platformName=a+b", "`+`"),
        ("platformName=a;b/c?d", "`;`, `/` and `?`"),
        ("platformName=\"quoted\"", "double quotes"),
        (&longest, "exactly 2,048 characters"),
    ];
    for (query, what) in cases {
        // The mock only evaluates `status=X`; whatever it answers, the
        // request it received is what is checked.
        let _ = connections.list(company).query(query).await;
        assert_eq!(
            received_query(codat, "query").as_deref(),
            Some(query),
            "{what}"
        );
        support::record(
            "Hostile input",
            &format!("query with {what}"),
            "sent exactly as given (percent-encoded on the wire)",
        );
    }
    let before = codat.request_count();
    for letter in ["a", "é"] {
        let over = letter.repeat(MAX_QUERY_LENGTH + 1);
        let err = connections.list(company).query(over).await.unwrap_err();
        assert!(refused(&err, "query"), "{letter}: {err:?}");
    }
    assert_eq!(codat.request_count(), before);
    support::record(
        "Hostile input",
        "query of 2,049 characters (Codat's limit is 2,048)",
        "refused before sending: Error::InvalidInput (query)",
    );

    let _ = connections
        .list(company)
        .order_by("-created,platformName&x=1")
        .await;
    assert_eq!(
        received_query(codat, "orderBy").as_deref(),
        Some("-created,platformName&x=1")
    );
    assert_eq!(
        received_query(codat, "x"),
        None,
        "an `&` in orderBy must not add a parameter"
    );
    support::record(
        "Hostile input",
        "orderBy with `,` and `&x=1`",
        "sent exactly as given; no parameter injected",
    );
}
