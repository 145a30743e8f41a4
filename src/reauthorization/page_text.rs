//! A page of companies read for the portfolio sweep in one walk over its
//! text ([`Scan`]), which checks it as JSON and keeps where each company's
//! ID, name and connections are: serde reads only those, and each
//! connection's status is read off its text ([`connections`]).
//!
//! The walk is sure of a page only in the shape Codat sends: an object
//! whose `results` are objects, each with one string `id` and `name`, its
//! `dataConnections` a list or `null`, and no key spelt with an escape.
//! Any other page, and any text serde would not take, is left to serde's
//! reading of the page (`decode::page`), which gives the answer or the
//! error it always gave; a page the walk reads, serde's reading would read
//! the same.

use uuid::Uuid;

use super::connections_text::{ConnectionText, connections};
use super::json_text::{JsonString, Scan};
use crate::http::intercept::Success;
use crate::listing::ListItem;
use crate::raw::types::PagingInfo;
use crate::{CompanyId, Page};

/// The text of each of a company's connections, and how its status reads
/// off it.
pub(super) type ConnectionTexts<'a, 'b> = &'b [ConnectionText<'a>];

/// How many containers hold each value of a company's fields: the page,
/// its `results` and the company.
const FIELD: usize = 3;

/// The page in `answer`, when the walk is sure of it: each company made an
/// item by `item`, from its ID, its name and its connections.
pub(super) fn page<T: ListItem>(
    answer: &Success,
    mut item: impl FnMut(CompanyId, String, ConnectionTexts<'_, '_>) -> T,
) -> Option<Page<T>> {
    let mut scan = Scan::new(std::str::from_utf8(&answer.body).ok()?);
    let mut results = None;
    // The page's other members, as an object of their own text, for serde
    // to read as it reads them beside `results`.
    let mut paging = String::from("{");
    let mut found = Vec::new();
    let mut more = scan.open(b'{')?;
    while more {
        let key = plain_key(&mut scan)?;
        if key == "results" {
            if results.is_some() {
                return None;
            }
            let mut companies = Vec::new();
            let mut more = scan.open(b'[')?;
            while more {
                companies.push(company(&mut scan, &mut found, &mut item)?);
                more = scan.more(b']')?;
            }
            results = Some(companies);
        } else {
            scan.peek()?;
            let start = scan.at();
            scan.value(1)?;
            if paging.len() > 1 {
                paging.push(',');
            }
            // A plain key needs no escaping.
            paging.push_str(&format!("\"{key}\":"));
            paging.push_str(scan.slice(start..scan.at())?);
        }
        more = scan.more(b'}')?;
    }
    if !scan.at_end() {
        return None;
    }
    paging.push('}');
    let paging: PagingInfo = serde_json::from_str(&paging).ok()?;
    Some(Page {
        results: results.unwrap_or_default(),
        page_number: paging.page_number,
        page_size: paging.page_size,
        total_results: paging.total_results,
        links: paging.links,
        undecoded: Vec::new(),
    })
}

/// A key without escapes, and its `:`.
fn plain_key<'a>(scan: &mut Scan<'a>) -> Option<&'a str> {
    let key = scan.key()?;
    if key.escaped {
        return None;
    }
    scan.slice(key.inner)
}

/// The company at `scan`'s cursor, made an item by `item`; its
/// connections' texts are gathered in `found` (cleared first, kept
/// for the next company).
fn company<'a, T>(
    scan: &mut Scan<'a>,
    found: &mut Vec<ConnectionText<'a>>,
    item: &mut impl FnMut(CompanyId, String, ConnectionTexts<'a, '_>) -> T,
) -> Option<T> {
    found.clear();
    let (mut id, mut name, mut listed) = (None, None, false);
    let mut more = scan.open(b'{')?;
    while more {
        match plain_key(scan)? {
            "id" if id.is_none() => {
                // Text with an escape is no UUID: such an ID is left to serde.
                let text = scan.string()?;
                id = Some(scan.slice(text.inner)?.parse::<Uuid>().ok()?);
            }
            "name" if name.is_none() => name = Some(string(scan)?),
            "dataConnections" if !listed => {
                listed = true;
                if !scan.null()? {
                    connections(scan, FIELD + 1, found)?;
                }
            }
            // The same field twice: serde refuses it.
            "id" | "name" | "dataConnections" => return None,
            _ => scan.value(FIELD)?,
        }
        more = scan.more(b'}')?;
    }
    let id = CompanyId::from_uuid(id?);
    Some(item(id, name?, found))
}

/// The string at `scan`'s cursor, its escapes read by serde.
fn string(scan: &mut Scan<'_>) -> Option<String> {
    let JsonString { inner, escaped } = scan.string()?;
    if escaped {
        let quoted = scan.slice(inner.start - 1..inner.end + 1)?;
        return serde_json::from_str(quoted).ok();
    }
    scan.slice(inner).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::super::test_json::{element, tricky_text, value};
    use super::*;
    use crate::companies::decode::read_by_serde;
    use crate::companies::test_pages::{answer, company, connection, listing};
    use crate::reauthorization::portfolio_page::PortfolioCompany;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// The walk's reading of `answer`.
    fn walked(answer: &Success) -> Option<Page<PortfolioCompany>> {
        page(answer, PortfolioCompany::read)
    }

    /// The walk's reading of `body`, and serde's (`Err` when it fails), in
    /// Debug form, which shows every field of every company.
    fn readings(body: &str) -> (Option<String>, Result<String, String>) {
        let answer = answer(body);
        let walked = walked(&answer).map(|page| format!("{page:?}"));
        let by_serde = read_by_serde::<PortfolioCompany>(&answer)
            .map(|page| format!("{page:?}"))
            .map_err(|e| e.to_string());
        (walked, by_serde)
    }

    #[test]
    fn a_page_in_codats_shape_is_walked_and_reads_as_serde_reads_it() {
        let connections = format!(
            "[{}, {}, {}, {}, {}]",
            connection(1, r#""Linked""#),
            connection(2, r#""Deauthorized""#),
            connection(3, r#""Unl\u0069nked""#),
            connection(4, "7"),
            connection(5, r#""Unlinked""#).replace("https://link-api.codat.io/x", "not a url"),
        );
        let bodies = [
            listing(&[company(1, &connections), company(2, "[]"), company(3, "null")]),
            listing(&[company(1, &connections).replace("Company 1", r#"Comp\u00e4ny \"1\""#)]),
            listing(&[
                r#"{"name": "No connections", "id": "8a210b68-6988-11ed-a1eb-0242ac120009"}"#.to_owned(),
            ]),
            listing(&[]),
            // No results at all, and members in another order.
            r#"{"_links": {"self": {"href": "/companies"}, "current": {"href": "/companies"}}, "totalResults": 0, "pageSize": 5, "pageNumber": 1, "other": [1]}"#
                .to_owned(),
            serde_json::to_string_pretty(
                &serde_json::from_str::<Value>(&listing(&[company(4, &connections)])).unwrap(),
            )
            .unwrap(),
        ];
        for body in bodies {
            let (walked, by_serde) = readings(&body);
            let walked = walked.unwrap_or_else(|| panic!("not walked: {body}"));
            assert_eq!(Ok(walked), by_serde, "{body}");
        }
        // The page holds what the sweep needs.
        let body = listing(&[company(1, &connections)]);
        let read = walked(&answer(&body)).unwrap();
        let found = &read.results[0].0;
        let handed_out: Vec<String> = found
            .needing_reauthorization
            .iter()
            .map(|n| n.connection.id.to_string())
            .collect();
        assert_eq!(
            handed_out,
            [
                "2e9d2c44-f675-40ba-8049-353bfcb5e102",
                "2e9d2c44-f675-40ba-8049-353bfcb5e103"
            ]
        );
        assert_eq!((found.connections, found.undecoded.len()), (4, 2));
        assert_eq!(
            (read.page_number, read.page_size, read.total_results),
            (3, 2, 9)
        );
    }

    #[test]
    fn a_page_in_any_other_shape_or_not_json_is_left_to_serde() {
        let plain = company(1, "[]");
        let odd = [
            // Keys spelt with an escape, or given twice.
            listing(&[plain.replace(r#""name""#, r#""n\u0061me""#)]),
            listing(&[plain.replace(
                r#""id": "#,
                r#""id": "8a210b68-6988-11ed-a1eb-0242ac120003", "id": "#,
            )]),
            listing(&[plain.replace(r#""name": "#, r#""name": "x", "name": "#)]),
            listing(&[plain.replace(
                r#""dataConnections": []"#,
                r#""dataConnections": [], "dataConnections": []"#,
            )]),
            listing(&[]).replace(r#""results""#, r#""r\u0065sults""#),
            listing(&[]).replace(r#""results": []"#, r#""results": [], "results": []"#),
            // Values not in the shape: an ID that is not a string or not
            // a UUID, an escaped ID, a name that is not a string, a list
            // that is not one, a company that is not an object.
            listing(&[plain.replace(r#""8a210b68-6988-11ed-a1eb-0242ac120001""#, "5")]),
            listing(&[plain.replace("8a210b68-6988-11ed-a1eb-0242ac120001", "not-a-uuid")]),
            listing(&[plain.replace("8a210b68", r"8a210b6\u0038")]),
            listing(&[plain.replace(r#""Company 1""#, "null")]),
            listing(&[plain.replace(r#""dataConnections": []"#, r#""dataConnections": {}"#)]),
            listing(&["7".to_owned()]),
            listing(&[]).replace(r#""results": []"#, r#""results": null"#),
            listing(&[]).replace(r#""pageNumber": 3"#, r#""pageNumber": "3""#),
            listing(&[r#"{"name": "no id"}"#.to_owned()]),
            // Not JSON, or deeper than the walk goes.
            listing(&[plain.replace("[]", "[,]")]),
            listing(std::slice::from_ref(&plain)) + "x",
            listing(&[plain.replace(r#""tags": {"a": "b"}"#, r#""tags": {"a" "b"}"#)]),
            listing(&[plain.replace(
                r#""products": []"#,
                &format!(r#""products": {}{}"#, "[".repeat(100), "]".repeat(100)),
            )]),
            "[]".to_owned(),
            String::new(),
        ];
        for body in odd {
            let (walked, _) = readings(&body);
            assert_eq!(walked, None, "{body}");
        }
    }

    /// A company as it may come: Codat's shape with tricky values, or
    /// now and then any other value or a field out of shape.
    fn any_company() -> impl Strategy<Value = Value> {
        let id = prop_oneof![
            8 => "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}".prop_map(Value::String),
            1 => value(),
        ];
        let name = prop_oneof![8 => tricky_text().prop_map(Value::String), 1 => value()];
        let connections = prop_oneof![
            8 => vec(element(), 0..4).prop_map(Value::Array),
            1 => Just(Value::Null),
            1 => value(),
        ];
        let shaped = (id, name, connections, vec((tricky_text(), value()), 0..3)).prop_map(
            |(id, name, connections, others)| {
                let mut company = serde_json::Map::new();
                for (key, value) in others {
                    company.insert(key, value);
                }
                company.insert("id".to_owned(), id);
                company.insert("name".to_owned(), name);
                company.insert("dataConnections".to_owned(), connections);
                Value::Object(company)
            },
        );
        prop_oneof![8 => shaped, 1 => value()]
    }

    proptest! {
        #![proptest_config(super::super::test_json::config(512))]

        #[test]
        fn any_page_the_walk_reads_reads_as_serde_reads_it(
            companies in vec(any_company(), 0..4),
            pretty in any::<bool>(),
            cut in proptest::option::of(any::<prop::sample::Index>()),
        ) {
            let page = json!({
                "results": companies,
                "pageNumber": 1, "pageSize": 4, "totalResults": 4,
                "_links": {"self": {"href": "/companies"}, "current": {"href": "/companies"}},
            });
            let mut body = if pretty {
                serde_json::to_string_pretty(&page).unwrap()
            } else {
                page.to_string()
            };
            if let Some(cut) = cut {
                // One character less: most such texts are not JSON.
                let at = body.char_indices().nth(cut.index(body.chars().count())).unwrap().0;
                body.remove(at);
            }
            let (walked, by_serde) = readings(&body);
            if let Some(walked) = walked {
                prop_assert_eq!(Ok(walked), by_serde, "{}", body);
            }
        }
    }
}
