//! A company's connections as JSON text, gone through once without being
//! decoded: each connection's text and, read straight off its bytes, its
//! `status`.
//!
//! The portfolio sweep reads the status of every connection and decodes
//! only those that need the customer. Splitting the `dataConnections` array
//! and reading each status in one pass over the bytes takes about half the
//! time serde takes for the two (a `Vec<&RawValue>`, then a struct of one
//! field for each connection, its parser going token by token through every
//! field it skips), and a page of 5,000 companies holds 10,000 connections.
//!
//! The text has been checked as JSON already (serde checks what it hands
//! out as a `RawValue`), so this reading only finds the structure. Whenever
//! it is not sure of a status (not a plain string, with an escape in it,
//! missing, or there twice) it says so, and the caller asks serde: every
//! answer is the one serde would give.

use std::ops::Range;

/// How a connection's status reads off its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StatusText<'a> {
    /// The value of its one top-level `status` key: a string without
    /// escapes.
    Plain(&'a str),
    /// Anything else: serde has to read it.
    Unsure,
}

/// The elements of a JSON array, each with its status as [`StatusText`].
pub(super) struct Connections<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Connections<'a> {
    /// The elements of `array`, the text of a valid JSON array (as serde's
    /// `RawValue` holds it); none when it is not an array.
    pub(super) fn of(array: &'a str) -> Self {
        let open = skip_whitespace(array.as_bytes(), 0);
        let at = match array.as_bytes().get(open) {
            Some(b'[') => open + 1,
            _ => array.len(),
        };
        Self { text: array, at }
    }
}

impl<'a> Iterator for Connections<'a> {
    type Item = (&'a str, StatusText<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.text.as_bytes();
        let start = skip_whitespace(bytes, self.at);
        if matches!(bytes.get(start), None | Some(b']')) {
            self.at = bytes.len();
            return None;
        }
        let (end, status) = element(bytes, start);
        self.at = if bytes.get(end) == Some(&b',') {
            end + 1
        } else {
            end
        };
        let text = self.text.get(start..end)?.trim_end();
        let status = match status.and_then(|range| self.text.get(range)) {
            Some(plain) => StatusText::Plain(plain),
            None => StatusText::Unsure,
        };
        Some((text, status))
    }
}

/// Goes through the element starting at `start`: where it ends (the `,` or
/// `]` after it), and where its one top-level `status` string is, when it
/// has a plain one.
fn element(bytes: &[u8], start: usize) -> (usize, Option<Range<usize>>) {
    let mut depth = 0usize;
    let mut status = None;
    let mut unsure = false;
    let mut i = start;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'"' => {
                let open = i;
                let Some((close, escaped)) = string_end(bytes, open + 1) else {
                    break;
                };
                i = close + 1;
                if depth == 1 && (escaped || bytes.get(open + 1..close) == Some(b"status")) {
                    let colon = skip_whitespace(bytes, i);
                    if bytes.get(colon) != Some(&b':') {
                        // A value, not a key.
                    } else if escaped {
                        // A key spelt with an escape may be `status` too.
                        unsure = true;
                    } else {
                        let value = skip_whitespace(bytes, colon + 1);
                        match plain_string(bytes, value) {
                            Some(range) if status.is_none() => {
                                i = range.end + 1;
                                status = Some(range);
                            }
                            _ => unsure = true,
                        }
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                i += 1;
            }
            b'}' | b']' if depth == 0 => return (i, status.filter(|_| !unsure)),
            b'}' | b']' => {
                depth -= 1;
                i += 1;
            }
            b',' if depth == 0 => return (i, status.filter(|_| !unsure)),
            _ => i += 1,
        }
    }
    (bytes.len(), None)
}

/// Where the string whose text starts at `from` ends (its closing quote),
/// and whether it holds an escape.
fn string_end(bytes: &[u8], mut from: usize) -> Option<(usize, bool)> {
    let mut escaped = false;
    loop {
        let found = from + memchr::memchr2(b'"', b'\\', bytes.get(from..)?)?;
        if bytes.get(found) == Some(&b'"') {
            return Some((found, escaped));
        }
        // An escape: the character after the backslash is not the end.
        escaped = true;
        from = found + 2;
    }
}

/// The text of the string at `at`, when there is one and it has no escape.
fn plain_string(bytes: &[u8], at: usize) -> Option<Range<usize>> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    match string_end(bytes, at + 1)? {
        (close, false) => Some(at + 1..close),
        (_, true) => None,
    }
}

/// The first index from `at` that is not JSON whitespace.
fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::option;
    use proptest::prelude::*;
    use proptest::sample::select;
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

    /// This reading, serde asked where it is unsure (as the sweep does).
    fn our_reading(array: &str) -> Vec<(String, Option<String>)> {
        Connections::of(array)
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

    /// A string that can fool a scanner: quotes, backslashes, brackets,
    /// commas, colons, the word `status`, characters beyond ASCII.
    fn tricky_text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("status".to_owned()),
            select(&["Linked", "Unlinked", "Deauthorized", "PendingAuth"][..])
                .prop_map(str::to_owned),
            "[\"\\\\{}\\[\\],: a-z]{0,8}",
            "[\"\\\\\\[{]{0,3}status[\"\\\\:\\]}]{0,3}",
            any::<String>(),
        ]
    }

    /// Any JSON value, up to three levels deep, with tricky strings and
    /// keys (`status` often).
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            tricky_text().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..4).prop_map(Value::Array),
                vec((tricky_text(), inner), 0..5)
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
            ]
        })
    }

    /// A connection as it may come: an object, with a status or not, among
    /// other fields; now and then any other value.
    fn element() -> impl Strategy<Value = Value> {
        let connection = (
            vec((tricky_text(), value()), 0..5),
            option::of(value()),
            0..6usize,
        )
            .prop_map(|(fields, status, at)| {
                let mut fields: Vec<(String, Value)> = fields;
                if let Some(status) = status {
                    let at = at.min(fields.len());
                    fields.insert(at, ("status".to_owned(), status));
                }
                let mut object = serde_json::Map::new();
                for (key, value) in fields {
                    object.insert(key, value);
                }
                Value::Object(object)
            });
        prop_oneof![4 => connection, 1 => value()]
    }

    proptest! {
        // A failure prints its smallest case; nothing is written to disk.
        #![proptest_config(ProptestConfig {
            cases: 512,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

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
        let statuses: Vec<StatusText<'_>> = Connections::of(
            r#"[{"status":"Linked"},{"status":"Li\nked"},{"status":7},{},{"status":"A","status":"A"},{"a":{"status":"X"}}]"#,
        )
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
