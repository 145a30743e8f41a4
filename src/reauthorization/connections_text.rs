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
                let Some(close) = string_end(bytes, open + 1) else {
                    break;
                };
                i = close + 1;
                if depth == 1 && &bytes[open + 1..close] == b"status" {
                    let colon = skip_whitespace(bytes, i);
                    if bytes.get(colon) == Some(&b':') {
                        // A key: its value follows.
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

/// Where the string whose text starts at `from` ends (its closing quote).
fn string_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let found = from + memchr::memchr2(b'"', b'\\', bytes.get(from..)?)?;
        if bytes[found] == b'"' {
            return Some(found);
        }
        // An escape: the character after the backslash is not the end.
        from = found + 2;
    }
}

/// The text of the string at `at`, when there is one and it has no escape.
fn plain_string(bytes: &[u8], at: usize) -> Option<Range<usize>> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let close = string_end(bytes, at + 1)?;
    let text = at + 1..close;
    (!bytes[text.clone()].contains(&b'\\')).then_some(text)
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
    use serde::Deserialize;
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
            // Not objects.
            r#"[1, "status", null, [{"status":"Linked"}], true]"#,
            "[{\"name\":\"Ünïcödé ✓\",\n\t\"status\":\"Linked\"}\n,\r{\"status\" :\"Unlinked\"}]",
        ];
        for array in arrays {
            assert_eq!(our_reading(array), serde_reading(array), "{array}");
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
