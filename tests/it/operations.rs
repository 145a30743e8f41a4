//! Every Connections operation against a local Codat stand-in: the exact
//! request that crosses the wire, and what each answer becomes. Methods,
//! paths and documented statuses are read from openapi/connections.json
//! (`support::operations`); each concern is one table run by one driver, so
//! a new case is a new row.

use crate::support;

use std::time::Duration;

use codat_connections::{
    BODY_SNIPPET_LIMIT, Client, Connection, ConnectionStatus, Error, Reauthorization, RetryPolicy,
    Url,
};
use futures::StreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use support::operations::Operation::{self, *};
use support::operations::{
    Call, ListSettings, assert_is_codat_example, assert_is_documented, assert_query,
    assert_standard_headers, header_of, only_request, serve,
};
use support::*;

/// Makes `call` against a stand-in answering its operation with `answer`:
/// the result, and the one request sent, checked to be the documented one.
async fn exchange(
    call: &Call,
    answer: ResponseTemplate,
) -> (Result<Vec<Connection>, Error>, Request) {
    let operation = call.operation();
    let server = serve(operation, answer).await;
    let result = call.run(&client(&server.uri())).await;
    let request = only_request(&server).await;
    assert_is_documented(&request, operation);
    (result, request)
}

fn ok_json(body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn status_of(err: &Error) -> Option<u16> {
    err.status().map(|status| status.as_u16())
}

// ---------------------------------------------------------------- requests

/// Makes `call`, answered with Codat's example connection with `status`,
/// and checks what crossed the wire: the documented method and path, the
/// standard headers, `query` (decoded, in the order the generated client
/// writes it) and the JSON `body` (`None`: no body, no Content-Type).
async fn assert_sends(
    call: Call,
    query: &[(&str, &str)],
    body: Option<&str>,
    status: ConnectionStatus,
) {
    let context = format!("{call:?}");
    let operation = call.operation();
    let (result, request) = exchange(&call, operation.success(status.as_str())).await;
    let connections = result.unwrap_or_else(|e| panic!("{context}: {e:?}"));
    // One connection, alone or on a page; none where no body is documented.
    assert_eq!(
        connections.len(),
        usize::from(operation.answers_json()),
        "{context}"
    );
    for connection in &connections {
        assert_is_codat_example(connection, &status);
    }
    assert_query(&request, query);
    // A `&&` in a value is percent-encoded, or it would split the query.
    let raw_query = request.url.query().unwrap_or_default();
    assert!(!raw_query.contains("&&"), "{context}: {raw_query}");
    assert_standard_headers(&request);
    let content_type = header_of(&request, "content-type");
    assert_eq!(content_type, body.map(|_| "application/json"), "{context}");
    let json = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).expect("a JSON body");
    let sent = (!request.body.is_empty()).then(|| json(&request.body));
    assert_eq!(sent, body.map(|body| json(body.as_bytes())), "{context}");
}

#[tokio::test]
async fn list_sends_exactly_the_settings_given() {
    use ConnectionStatus::Linked;
    let everything: ListSettings = |l| {
        l.page(2)
            .page_size(50)
            .query("sourceType=Banking")
            .order_by("-created")
    };
    let sent_for_everything = &[
        ("orderBy", "-created"),
        ("page", "2"),
        ("pageSize", "50"),
        ("query", "sourceType=Banking"),
    ];
    let rows: [(ListSettings, &[(&str, &str)]); 5] = [
        // No query string when nothing is set.
        (|l| l, &[]),
        (everything, sent_for_everything),
        (|l| l.page_size(5000), &[("pageSize", "5000")]),
        (|l| l.status(Linked), &[("query", "status=Linked")]),
        // A status filter joins a user's query with `&&`.
        (
            |l| l.query("sourceType=Banking").status(Linked),
            &[("query", "sourceType=Banking&&status=Linked")],
        ),
    ];
    for (settings, query) in rows {
        assert_sends(Call::List(settings), query, None, Linked).await;
    }
}

#[tokio::test]
async fn each_operation_sends_its_arguments_as_a_json_body_or_none() {
    use ConnectionStatus::{Linked, PendingAuth, Unlinked};
    let tenant = Call::UpdateAuthorization(&[("tenantId", "abc-123"), ("region", "eu")]);
    for (call, body, status) in [
        (
            Call::Create("gbol"),
            Some(r#"{"platformKey":"gbol"}"#),
            PendingAuth,
        ),
        (
            Call::Create("qhyg"),
            Some(r#"{"platformKey":"qhyg"}"#),
            PendingAuth,
        ),
        (Call::Get, None, Linked),
        // An empty 200 is success for a deletion.
        (Call::Delete, None, Linked),
        (Call::Unlink, Some(r#"{"status":"Unlinked"}"#), Unlinked),
        (
            tenant,
            Some(r#"{"tenantId":"abc-123","region":"eu"}"#),
            Linked,
        ),
        (Call::UpdateAuthorization(&[]), Some("{}"), Linked),
    ] {
        assert_sends(call, &[], body, status).await;
    }
}

#[tokio::test]
async fn no_operation_sends_the_undocumented_api_version_header() {
    for operation in Operation::ALL {
        let (_, request) = exchange(&Call::of(operation), operation.success("Linked")).await;
        assert_standard_headers(&request);
    }
}

// ---------------------------------------------------------------- error answers

/// An error answer to `operation`.
#[derive(Debug)]
struct Failure {
    operation: Operation,
    status: u16,
    body: Body,
    retry_after: Option<&'static str>,
}

#[derive(Debug)]
enum Body {
    /// Codat's `ErrorMessage`: its own `statusCode`, `error` and `correlationId`.
    Codat(u16, String, String),
    /// Anything else (a proxy's page, nothing), with its Content-Type.
    Foreign(Option<&'static str>, String),
}

impl Failure {
    fn new(operation: Operation, status: u16, body: Body) -> Failure {
        let retry_after = None;
        Failure {
            operation,
            status,
            body,
            retry_after,
        }
    }

    fn codat(op: Operation, status: u16, in_body: u16, text: &str, id: &str) -> Failure {
        Failure::new(op, status, Body::Codat(in_body, text.into(), id.into()))
    }

    fn foreign(op: Operation, status: u16, kind: Option<&'static str>, text: &str) -> Failure {
        Failure::new(op, status, Body::Foreign(kind, text.into()))
    }

    fn retry_after(mut self, seconds: &'static str) -> Failure {
        self.retry_after = Some(seconds);
        self
    }

    fn text(&self) -> String {
        match &self.body {
            Body::Codat(status, text, id) => codat_error(*status, text, id).to_string(),
            Body::Foreign(_, text) => text.clone(),
        }
    }

    fn answer(&self) -> ResponseTemplate {
        let answer = ResponseTemplate::new(self.status);
        let answer = match &self.body {
            Body::Codat(..) => answer.set_body_raw(self.text(), "application/json"),
            Body::Foreign(Some(kind), text) => answer.set_body_raw(text.clone(), kind),
            Body::Foreign(None, text) => answer.set_body_bytes(text.as_bytes()),
        };
        match self.retry_after {
            Some(seconds) => answer.insert_header("retry-after", seconds),
            None => answer,
        }
    }

    /// Sends the operation, answers it with this failure, and checks the
    /// error: the status is HTTP's (whatever the body says), 429 and 5xx are
    /// retryable, and the error keeps the body's start, Retry-After, and
    /// Codat's message and correlation ID when the body is Codat's.
    async fn check(&self) {
        let context = format!("{self:?}");
        let (result, _) = exchange(&Call::of(self.operation), self.answer()).await;
        let err = result.expect_err(&context);
        let retryable = self.status == 429 || self.status >= 500;
        let seen = (status_of(&err), err.is_retryable(), err.invalid_field());
        assert_eq!(seen, (Some(self.status), retryable, None), "{context}");
        let Error::Api(api) = &err else {
            panic!("expected Error::Api: {context}: {err:?}");
        };
        let text = self.text();
        let start = &text[..text.len().min(BODY_SNIPPET_LIMIT)];
        let seen = (
            api.status.as_u16(),
            api.retry_after.as_deref(),
            api.attempts,
            &*api.body,
        );
        assert_eq!(seen, (self.status, self.retry_after, 1, start), "{context}");
        let Body::Codat(in_body, text, correlation_id) = &self.body else {
            assert_eq!(
                (&api.message, err.correlation_id()),
                (&None, None),
                "{context}"
            );
            return;
        };
        let message = api
            .message
            .as_ref()
            .expect("Codat's ErrorMessage is decoded");
        let seen = (
            message.error.as_deref(),
            message.status_code,
            err.correlation_id(),
        );
        let expected = (
            Some(text.as_str()),
            Some(i64::from(*in_body)),
            Some(&**correlation_id),
        );
        assert_eq!(seen, expected, "{context}");
        let seen = (
            message.service.as_deref(),
            message.can_be_retried.as_deref(),
        );
        assert_eq!(seen, (Some("PublicApi"), Some("Unknown")), "{context}");
        let shown = err.to_string();
        assert!(
            shown.contains(text) && shown.contains(correlation_id),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn every_documented_error_status_of_every_operation_is_an_api_error() {
    for operation in Operation::ALL {
        let statuses = operation.error_statuses();
        assert!(statuses.contains(&404), "{operation:?}: {statuses:?}");
        for status in statuses {
            let text = format!("{operation:?} failed with {status}");
            let id = format!("corr-{status}-{operation:?}");
            Failure::codat(operation, status, status, &text, &id)
                .check()
                .await;
        }
    }
}

#[tokio::test]
async fn error_answers_keep_status_retry_after_body_and_message() {
    let proxy = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>";
    let nginx = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let long = format!("<html>{}</html>", "x".repeat(10_000));
    let free_plan = "You have exceeded the 50-company limit that applies to a Free plan.";
    let html = Some("text/html");
    // 503 is documented for every operation; a proxy's page is not Codat's body.
    let mut failures: Vec<Failure> = Operation::ALL
        .map(|op| Failure::foreign(op, 503, html, proxy).retry_after("7"))
        .into();
    failures.extend([
        // Codat's own 402 example says 429 in its body: HTTP's status counts.
        Failure::codat(
            Create,
            402,
            429,
            free_plan,
            "bc997528a9d7abb9161ef45f05d38599",
        ),
        Failure::foreign(Get, 502, html, nginx),
        Failure::codat(Get, 404, 404, "Data connection not found", "8fa2b5f4"),
        Failure::foreign(Get, 502, None, &long),
        Failure::codat(List, 429, 429, "Too many requests", "c0ffee").retry_after("30"),
        Failure::codat(List, 429, 429, "Too many", "c0ffee"),
        Failure::codat(Get, 503, 503, "Service unavailable", "5e7f").retry_after("7"),
        Failure::foreign(Delete, 404, None, ""),
    ]);
    for failure in failures {
        failure.check().await;
    }
}

// ---------------------------------------------------------------- successes that do not decode

/// What a decode error keeps of a success it cannot read.
#[derive(Debug)]
enum Kept {
    /// The JSON object, whole, as a connection that did not decode.
    Item,
    /// The start of the body.
    Body,
}

#[tokio::test]
async fn a_success_that_does_not_decode_is_an_error_that_keeps_the_body() {
    let mut cases = vec![
        (Get, json!({"hello": "world"}).to_string(), Kept::Item),
        (Get, r#"["hello","world"]"#.to_owned(), Kept::Body),
        (List, connection_json("Linked").to_string(), Kept::Body),
    ];
    // An empty body, wherever the document promises JSON.
    let expecting_json = Operation::ALL.into_iter().filter(|op| op.answers_json());
    cases.extend(expecting_json.map(|op| (op, String::new(), Kept::Body)));
    assert_eq!(cases.len(), 8, "every operation but delete answers JSON");
    for (operation, body, kept) in cases {
        let context = format!("{operation:?} {body}");
        let answer = match body.as_str() {
            "" => ResponseTemplate::new(200),
            _ => ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
        };
        let (result, _) = exchange(&Call::of(operation), answer).await;
        let err = result.expect_err(&context);
        assert_eq!(
            (status_of(&err), err.is_retryable()),
            (Some(200), false),
            "{context}"
        );
        let start = &body[..body.len().min(BODY_SNIPPET_LIMIT)];
        match (&err, kept) {
            (Error::ConnectionDecode(undecoded), Kept::Item) => {
                let raw: Value = serde_json::from_str(&body).expect("JSON");
                let seen = (
                    &undecoded.raw,
                    undecoded.id.as_deref(),
                    undecoded.status.as_deref(),
                );
                assert_eq!(seen, (&raw, None, None), "{context}");
                assert!(!undecoded.message.is_empty(), "{context}");
            }
            (Error::Decode { snippet, .. }, Kept::Body) => assert_eq!(snippet, start, "{context}"),
            (_, kept) => panic!("{context}: expected {kept:?}, got {err:?}"),
        }
    }
}

// ---------------------------------------------------------------- pages

#[tokio::test]
async fn list_decodes_codat_pages() {
    let mut last = page_json();
    let links = last["_links"].as_object_mut().expect("_links");
    links.remove("next");
    let mut without_results = page_json();
    let fields = without_results.as_object_mut().expect("a page");
    fields.remove("results");
    without_results["totalResults"] = json!(0);
    let example = List.example().expect("the document has a list example");
    let next = format!("{}?page=3&pageSize=1", connections_path());
    let next = Some(next.as_str());
    // (page, its number, size and total, how many results, its next href)
    for (body, numbers, results, next) in [
        (page_json(), (2, 1, 3), 1, next),
        (last, (2, 1, 3), 1, None),
        (without_results, (2, 1, 0), 0, next),
        // The contract's own example, verbatim.
        (example, (0, 0, 0), 1, Some("string")),
    ] {
        let server = serve(List, ok_json(&body)).await;
        let page = client(&server.uri()).connections().list(COMPANY).await;
        let page = page.unwrap_or_else(|e| panic!("{body}: {e:?}"));
        assert_is_documented(&only_request(&server).await, List);
        let seen = (page.page_number, page.page_size, page.total_results);
        assert_eq!((seen, page.results.len()), (numbers, results), "{body}");
        for connection in &page.results {
            assert_is_codat_example(connection, &ConnectionStatus::Linked);
        }
        let seen = (page.has_next_page(), page.next_href());
        assert_eq!(seen, (next.is_some(), next), "{body}");
        let self_href = body["_links"]["self"]["href"].as_str();
        assert_eq!(page.links.self_.href.as_deref(), self_href, "{body}");
    }
}

// ---------------------------------------------------------------- reauthorization

/// What `reauthorization` advises.
#[derive(Debug, PartialEq)]
enum Advice {
    Required,
    AlreadyLinked,
    PendingAuth,
    UnknownStatus,
}

/// The advice `answer` gives, and the link it carries.
fn advice(answer: &Reauthorization) -> (Advice, Option<&Url>) {
    match answer {
        Reauthorization::Required { link_url, .. } => (Advice::Required, Some(link_url)),
        Reauthorization::AlreadyLinked { .. } => (Advice::AlreadyLinked, None),
        Reauthorization::PendingAuth { link_url, .. } => (Advice::PendingAuth, Some(link_url)),
        Reauthorization::UnknownStatus { .. } => (Advice::UnknownStatus, None),
        other => panic!("a new kind of advice: {other:?}"),
    }
}

/// Asks for the reauthorization of `CONNECTION`, answered with `answer`:
/// exactly one request is sent, a get-connection (nothing is created).
async fn reauthorization(answer: ResponseTemplate) -> Result<Reauthorization, Error> {
    let server = serve(Get, answer).await;
    let client = client(&server.uri());
    let connections = client.connections();
    let result = connections.reauthorization(COMPANY, CONNECTION).await;
    assert_is_documented(&only_request(&server).await, Get);
    result
}

#[tokio::test]
async fn reauthorization_advises_by_status_and_gives_the_link_url() {
    use ConnectionStatus::{Deauthorized, Linked, PendingAuth, Unknown, Unlinked};
    let suspended = Unknown("Suspended".to_owned());
    for (status, expected) in [
        (Deauthorized, Advice::Required),
        (Unlinked, Advice::Required),
        (Linked, Advice::AlreadyLinked),
        (PendingAuth, Advice::PendingAuth),
        // A status this SDK does not know is not taken to need the customer.
        (suspended, Advice::UnknownStatus),
    ] {
        let answer = reauthorization(Get.success(status.as_str())).await;
        let answer = answer.unwrap_or_else(|e| panic!("{status}: {e:?}"));
        assert_is_codat_example(answer.connection(), &status);
        let (advice, link_url) = advice(&answer);
        let required = advice == Advice::Required;
        let has_link = required || advice == Advice::PendingAuth;
        assert_eq!(advice, expected, "{status}");
        let links = (
            link_url.map(Url::as_str),
            answer.required_link_url().map(Url::as_str),
        );
        let expected_links = (has_link.then_some(LINK_URL), required.then_some(LINK_URL));
        assert_eq!(links, expected_links, "{status}");
    }
    let missing = codat_error(404, "Data connection not found", "8fa2b5f4");
    let err = reauthorization(ResponseTemplate::new(404).set_body_json(missing)).await;
    assert_eq!(err.map_err(|e| status_of(&e)).err(), Some(Some(404)));
}

#[test]
fn a_link_url_that_is_not_a_url_is_a_decode_error_with_no_status() {
    let connection = |link_url: &str| -> Connection {
        let mut value = connection_json("Deauthorized");
        value["linkUrl"] = json!(link_url);
        serde_json::from_value(value).expect("a connection")
    };
    let err = Reauthorization::of(connection("not a url")).expect_err("the link is not a URL");
    assert!(
        matches!(&err, Error::Decode { status: None, attempts: 0, snippet, .. } if snippet == "not a url"),
        "{err:?}"
    );
    assert_eq!(err.status(), None, "no HTTP answer is involved");
    assert!(Reauthorization::of(connection(LINK_URL)).is_ok());
}

// ---------------------------------------------------------------- the client's settings

/// Gets `CONNECTION` through the generated client `Client::raw` hands out.
async fn raw_get(client: &Client) -> Result<Connection, String> {
    let company: codat_connections::CompanyId = COMPANY.parse().expect("a company ID");
    let connection: codat_connections::ConnectionId = CONNECTION.parse().expect("an ID");
    let call = client.raw().get_connection().company_id(company);
    let answer = call.connection_id(connection).send().await;
    answer.map(|a| a.into_inner()).map_err(|e| e.to_string())
}

#[tokio::test]
async fn the_key_and_user_agent_are_sent_by_the_typed_and_the_raw_client() {
    let ours = "codat-connections-rust/";
    let other = "Basic b3RoZXIta2V5"; // base64("other-key")
    let theirs = "my-app/2 codat-connections-rust/";
    // (API key, User-Agent, through `raw`, Authorization sent, User-Agent's start)
    for (key, user_agent, raw, authorization, agent) in [
        (API_KEY, None, false, AUTHORIZATION, ours),
        // The value the portal shows is sent as given.
        (AUTHORIZATION, None, false, AUTHORIZATION, ours),
        ("other-key", None, false, other, ours),
        (API_KEY, None, true, AUTHORIZATION, ours),
        ("other-key", Some("my-app/2"), true, other, theirs),
    ] {
        let context = format!("{key} {user_agent:?} raw: {raw}");
        let server = serve(Get, Get.success("Linked")).await;
        let builder = Client::builder(key).base_url(server.uri());
        let builder = match user_agent {
            Some(user_agent) => builder.user_agent(user_agent),
            None => builder,
        };
        let client = builder.build().expect("valid settings");
        let connection = match raw {
            true => raw_get(&client).await,
            false => Get
                .run(&client)
                .await
                .map(|mut c| c.remove(0))
                .map_err(|e| e.to_string()),
        };
        assert_is_codat_example(&connection.expect(&context), &ConnectionStatus::Linked);
        let request = only_request(&server).await;
        let sent = |name| header_of(&request, name);
        let seen = (sent("authorization"), sent("accept"), sent("api-version"));
        assert_eq!(
            seen,
            (Some(authorization), Some("application/json"), None),
            "{context}"
        );
        let sent_agent = sent("user-agent").expect("a User-Agent");
        assert!(sent_agent.starts_with(agent), "{context}: {sent_agent}");
    }
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_a_timeout_error() {
    for (delay, times_out) in [(Duration::from_secs(5), true), (Duration::ZERO, false)] {
        let server = serve(Get, Get.success("Linked").set_delay(delay)).await;
        let client = Client::builder(API_KEY)
            .base_url(server.uri())
            .retry(RetryPolicy::none())
            .timeout(Duration::from_millis(200))
            .build()
            .expect("valid settings");
        let result = Get.run(&client).await;
        let timed_out = matches!(result, Err(Error::Timeout { .. }));
        assert_eq!(timed_out, times_out, "{result:?}");
        let retryable = result.map_err(|e| e.is_retryable()).err();
        assert_eq!(retryable, times_out.then_some(true));
    }
}

#[tokio::test]
async fn an_answer_over_the_body_limit_is_refused_by_the_raw_client_too() {
    let server = serve(Get, Get.success("Linked")).await;
    let small = Client::builder(API_KEY)
        .base_url(server.uri())
        .max_response_bytes(64)
        .build()
        .expect("valid settings");
    let raw = raw_get(&small)
        .await
        .expect_err("the answer is over 64 bytes");
    assert!(raw.contains("64-byte limit"), "{raw}");
    // The crate's own call says the same, typed.
    let typed = Get.run(&small).await.expect_err("over 64 bytes");
    let refused = matches!(
        typed,
        Error::ResponseTooLarge {
            limit: 64,
            attempts: 1,
            ..
        }
    );
    assert!(refused, "{typed:?}");
    // With room to spare, the same answer is read.
    assert!(raw_get(&client(&server.uri())).await.is_ok());
}

// ---------------------------------------------------------------- following _links.next

const OTHER: [&str; 3] = [
    "2e9d2c44-f675-40ba-8049-353bfcb5e171",
    "51baa045-4836-4317-a42e-3542e991e581",
    "6b0e1b7d-3d95-4c6a-9f7d-2d7a3c0c9a11",
];

/// Page `page` of two connections a page, holding `ids`, linking to `next`.
fn page_linking(page: u64, ids: &[&str], total: u64, next: Option<&str>) -> Value {
    let with_id = |id: &&str| {
        let mut connection = connection_json("Linked");
        connection["id"] = json!(id);
        connection
    };
    let mut body = page_of(page, 2, total, ids.iter().map(with_id).collect(), false);
    if let Some(next) = next {
        body["_links"]["next"] = json!({ "href": next });
    }
    body
}

/// A stand-in serving each page at list-connections' documented path, by
/// its `page` value.
async fn serve_pages(pages: [(u64, Value); 2]) -> MockServer {
    let server = MockServer::start().await;
    for (page, body) in pages {
        Mock::given(method(List.method().as_str()))
            .and(path(List.path()))
            .and(query_param("page", page.to_string()))
            .respond_with(ok_json(&body))
            .mount(&server)
            .await;
    }
    server
}

/// The requests `server` received, each the documented list-connections.
async fn list_requests(server: &MockServer) -> Vec<Request> {
    let requests = server.received_requests().await.expect("recording is on");
    for request in &requests {
        assert_is_documented(request, List);
        assert_standard_headers(request);
    }
    requests
}

#[tokio::test]
async fn paging_follows_a_relative_next_href() {
    // Codat's link names the page and may carry other values than asked.
    let next = "?page=3&pageSize=2&query=sourceType%3DBanking&orderBy=-created";
    let next = format!("{}{next}", connections_path());
    let server = serve_pages([
        (1, page_linking(1, &OTHER[..2], 5, Some(&next))),
        (3, page_linking(3, &OTHER[2..], 5, None)),
    ])
    .await;
    let client = client(&server.uri());
    let list = client.connections().list(COMPANY).page_size(2);
    let pages: Vec<_> = list.pages().collect().await;
    let counts: Result<Vec<usize>, _> = pages
        .into_iter()
        .map(|p| p.map(|p| p.results.len()))
        .collect();
    assert_eq!(counts.expect("every page is served"), [2, 1]);
    let requests = list_requests(&server).await;
    assert_eq!(requests.len(), 2);
    let sent = [
        ("orderBy", "-created"),
        ("page", "3"),
        ("pageSize", "2"),
        ("query", "sourceType=Banking"),
    ];
    assert_query(&requests[1], &sent);
}

#[tokio::test]
async fn paging_takes_only_the_values_of_a_next_href_not_its_host_or_path() {
    let elsewhere = "https://elsewhere.example/steal?page=2";
    let server = serve_pages([
        (1, page_linking(1, &OTHER[..2], 3, Some(elsewhere))),
        (2, page_linking(2, &OTHER[2..], 3, None)),
    ])
    .await;
    let client = client(&server.uri());
    let all = client.connections().list(COMPANY).collect_all().await;
    assert_eq!(all.expect("both pages are served here").len(), 3);
    assert_eq!(list_requests(&server).await.len(), 2);
}

#[tokio::test]
async fn paging_stops_at_a_next_href_with_an_unusable_page() {
    let first = page_linking(1, &OTHER[..2], 5, Some("/x?page=0"));
    let server = serve(List, ok_json(&first)).await;
    let client = client(&server.uri());
    let pages: Vec<_> = client.connections().list(COMPANY).pages().collect().await;
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert_eq!(pages[0].as_ref().map(|p| p.results.len()).ok(), Some(2));
    let inconsistent = matches!(pages[1], Err(Error::InconsistentPaging { page: 1, .. }));
    assert!(inconsistent, "{pages:?}");
    assert_eq!(list_requests(&server).await.len(), 1);
}
