//! A company's connections as JSON text, gone through once without being
//! decoded: each connection's text and, read straight off its bytes, its
//! `status`.
//!
//! The portfolio sweep reads the status of every connection and decodes
//! only those that need the customer. Reading each status off the text, in
//! the same walk that checks the page as JSON ([`Scan`]), takes a fraction
//! of what serde takes for the two (a `Vec<&RawValue>`, then a struct of
//! one field for each connection, its parser going token by token through
//! every field it skips), and a page of 5,000 companies holds 10,000
//! connections.
//!
//! Whenever the reading is not sure of a status (not a plain string, with
//! an escape in it, missing, there twice, or beside a key spelt with an
//! escape) it says so, and the caller asks serde: every answer is the one
//! serde would give.

use std::ops::Range;

use super::json_text::Scan;

/// How a connection's status reads off its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StatusText<'a> {
    /// The value of its one top-level `status` key: a string without
    /// escapes.
    Plain(&'a str),
    /// Anything else: serde has to read it.
    Unsure,
}

/// A connection's text, and how its status reads off it.
pub(super) type ConnectionText<'a> = (&'a str, StatusText<'a>);

/// Goes past the JSON array at `scan`'s cursor, checked as JSON as it goes
/// (see [`Scan`]), its elements `depth` containers deep (the array is one
/// of them): each element's text and status is added to `found`. `None`
/// when the text is not a JSON array (or nests deeper than the walk goes).
pub(super) fn connections<'a>(
    scan: &mut Scan<'a>,
    depth: usize,
    found: &mut Vec<ConnectionText<'a>>,
) -> Option<()> {
    let mut more = scan.open(b'[')?;
    while more {
        scan.peek()?;
        let start = scan.at();
        let status = status(scan, depth)?;
        let text = scan.slice(start..scan.at())?;
        let status = match status.and_then(|range| scan.slice(range)) {
            Some(plain) => StatusText::Plain(plain),
            None => StatusText::Unsure,
        };
        found.push((text, status));
        more = scan.more(b']')?;
    }
    Some(())
}

/// Goes past the element at `scan`'s cursor, `depth` containers deep:
/// where its one top-level `status` string is, when it has a plain one
/// (`Some(None)` when it has not; `None` when it is not JSON).
fn status(scan: &mut Scan<'_>, depth: usize) -> Option<Option<Range<usize>>> {
    if scan.peek()? != b'{' {
        scan.value(depth)?;
        return Some(None);
    }
    if depth >= super::json_text::DEPTH {
        return None;
    }
    let (mut status, mut unsure) = (None, false);
    let mut more = scan.open(b'{')?;
    while more {
        let key = scan.key()?;
        let is_status = !key.escaped && scan.slice(key.inner) == Some("status");
        if is_status && status.is_none() && scan.peek()? == b'"' {
            let value = scan.string()?;
            unsure |= value.escaped;
            status = Some(value.inner);
        } else {
            // A second status, one not a string, or a key spelt with an
            // escape (which may be `status` too).
            unsure |= is_status || key.escaped;
            scan.value(depth + 1)?;
        }
        more = scan.more(b'}')?;
    }
    Some(status.filter(|_| !unsure))
}

#[cfg(test)]
mod tests {
    use super::super::test_json::element;
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde_json::Value;
    use serde_json::value::RawValue;

    /// The status serde reads in a connection's text, if it reads.
    fn serde_status(text: &str) -> Option<String> {
        #[derive(Deserialize)]
        struct Status {
            status: String,
        }
        serde_json::from_str::<Status>(text).ok().map(|s| s.status)
    }

    /// What serde reads: each element's text and its status, if it reads.
    fn serde_reading(array: &str) -> Vec<(String, Option<String>)> {
        let elements: Vec<&RawValue> = serde_json::from_str(array).unwrap();
        elements
            .iter()
            .map(|raw| (raw.get().to_owned(), serde_status(raw.get())))
            .collect()
    }

    /// Each element of `array` and its status, the walk having gone
    /// through the whole text.
    fn walk(array: &str) -> Vec<ConnectionText<'_>> {
        let (mut scan, mut found) = (Scan::new(array), Vec::new());
        let walked = connections(&mut scan, 1, &mut found);
        assert!(
            walked.is_some() && scan.at_end(),
            "not walked through: {array}"
        );
        found
    }

    /// This reading, serde asked where it is unsure (as the sweep does).
    fn our_reading(array: &str) -> Vec<(String, Option<String>)> {
        walk(array)
            .into_iter()
            .map(|(text, status)| {
                let status = match status {
                    StatusText::Plain(plain) => Some(plain.to_owned()),
                    StatusText::Unsure => serde_status(text),
                };
                (text.to_owned(), status)
            })
            .collect()
    }

    #[test]
    fn each_element_and_its_status_read_as_serde_reads_them() {
        let arrays = [
            "[]",
            " [ ] ",
            r#"[{"status":"Linked"}]"#,
            r#"[ { "id" : "a" , "status" : "Deauthorized" } , {"status":"Unlinked"} ]"#,
            // Nested `status` keys are not the connection's.
            r#"[{"connectionInfo":{"status":"Linked"},"status":"Unlinked"}]"#,
            r#"[{"dataConnectionErrors":[{"status":"Active"}],"status":"PendingAuth"}]"#,
            r#"[{"connectionInfo":{"status":"Linked"}}]"#,
            // `status` as a value, not a key; brackets and quotes in strings.
            r#"[{"name":"status","status":"Linked"}]"#,
            r#"[{"xstatus":"Linked","statu":"Linked","status":"Unlinked"}]"#,
            r#"[{"name":"a \"status\": [{,","status":"Linked"},{"x":"\\","status":"Unlinked"}]"#,
            r#"[{"name":"]}\\\"","status":"Linked"}]"#,
            // Not plain: escaped, not a string, missing, twice.
            r#"[{"status":"Unlink\u0065d"}]"#,
            r#"[{"status":5},{"status":null},{"id":"x"}]"#,
            r#"[{"status":"Linked","status":"Unlinked"}]"#,
            r#"[{"status":"Linked","st\u0061tus":"Unlinked"},{"st\u0061tus":"Linked"}]"#,
            r#"[{"name":"\"","status":"Linked"},{"\\":"\\","status":"Unlinked"}]"#,
            // Not objects.
            r#"[1, "status", null, [{"status":"Linked"}], true]"#,
            "[{\"name\":\"Ünïcödé ✓\",\n\t\"status\":\"Linked\"}\n,\r{\"status\" :\"Unlinked\"}]",
        ];
        for array in arrays {
            assert_eq!(our_reading(array), serde_reading(array), "{array}");
        }
    }

    proptest! {
        #![proptest_config(super::super::test_json::config(512))]

        #[test]
        fn any_array_reads_as_serde_reads_it(
            elements in vec(element(), 0..6),
            pretty in any::<bool>(),
        ) {
            let array = Value::Array(elements);
            let text = if pretty {
                serde_json::to_string_pretty(&array).unwrap()
            } else {
                array.to_string()
            };
            prop_assert_eq!(our_reading(&text), serde_reading(&text), "{}", text);
        }
    }

    #[test]
    fn it_is_unsure_only_where_a_status_is_not_one_plain_string() {
        let statuses: Vec<StatusText<'_>> = walk(
            r#"[{"status":"Linked"},{"status":"Li\nked"},{"status":7},{},{"status":"A","status":"A"},{"a":{"status":"X"}}]"#,
        )
        .into_iter()
        .map(|(_, status)| status)
        .collect();
        assert_eq!(
            statuses,
            [
                StatusText::Plain("Linked"),
                StatusText::Unsure,
                StatusText::Unsure,
                StatusText::Unsure,
                StatusText::Unsure,
                StatusText::Unsure,
            ]
        );
    }
}
