//! JSON references (`$ref`) as OpenAPI writes them: a fragment holding a
//! percent-encoded JSON pointer. The one reader of the documents'
//! references: the rules here, `codat-connections`' mock, its tests and its
//! `xtask` all use it.

use serde_json::Value;

/// Splits `#/a/b~1c/%7Bd%7D` into `["a", "b/c", "{d}"]`.
pub fn ref_segments(reference: &str) -> Result<Vec<String>, String> {
    let pointer = reference
        .strip_prefix("#/")
        .ok_or_else(|| format!("only local references are supported, found `{reference}`"))?;
    pointer
        .split('/')
        .map(|raw| percent_decode(raw).map(|s| s.replace("~1", "/").replace("~0", "~")))
        .collect()
}

/// Builds the `$ref` string for the given segments (the inverse of [`ref_segments`]).
pub fn ref_string(segments: &[&str]) -> String {
    let mut out = String::from("#");
    for segment in segments {
        out.push('/');
        out.push_str(&escape(segment));
    }
    out
}

/// One JSON pointer token: `~` as `~0`, `/` as `~1`.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The section and name of a reference to a component entry
/// (`#/components/schemas/Connection` is `("schemas", "Connection")`);
/// `None` for a pointer anywhere else, or deeper into an entry.
pub fn component(reference: &str) -> Option<(String, String)> {
    match ref_segments(reference).ok()?.as_slice() {
        [c, section, name] if c == "components" => Some((section.clone(), name.clone())),
        _ => None,
    }
}

/// Follows `reference` inside `doc`.
pub fn resolve<'a>(doc: &'a Value, reference: &str) -> Result<&'a Value, String> {
    let mut node = doc;
    for segment in ref_segments(reference)? {
        node = match node {
            Value::Object(map) => map.get(&segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
        .ok_or_else(|| format!("`{reference}` does not resolve (no `{segment}`)"))?;
    }
    Ok(node)
}

/// `node` itself, or what it references when it is a `$ref` object (an
/// OpenAPI parameter, response or schema written by reference). A reference
/// that does not resolve leaves `node` as it is.
pub fn follow<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => resolve(doc, reference).unwrap_or(node),
        None => node,
    }
}

/// How many `$ref`s in a row are followed before a chain counts as a cycle.
const MAX_HOPS: usize = 64;

/// Follows `reference`, and every `$ref` it lands on, to a value that is not
/// a reference: that value and its own reference (written as [`ref_string`]
/// writes it).
pub fn locate<'a>(doc: &'a Value, reference: &str) -> Result<(String, &'a Value), String> {
    let mut reference = reference.to_owned();
    for _ in 0..MAX_HOPS {
        let segments = ref_segments(&reference)?;
        let node = resolve(doc, &reference)?;
        match node.get("$ref").and_then(Value::as_str) {
            Some(next) => reference = next.to_owned(),
            None => {
                let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
                return Ok((ref_string(&segments), node));
            }
        }
    }
    Err(format!("`{reference}` is part of a cycle of references"))
}

/// `node`, or what its chain of `$ref`s finally reaches (for responses and
/// examples, where keywords beside a `$ref` carry no meaning). A reference
/// that does not resolve, or a cycle, leaves the last value reached.
pub fn follow_all<'a>(doc: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..MAX_HOPS {
        let next = follow(doc, node);
        if std::ptr::eq(next, node) {
            break;
        }
        node = next;
    }
    node
}

/// Every `$ref` under `node`, outside example data (`example`, `examples`,
/// whose contents are payloads, not references).
pub fn refs_under(node: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                for (key, child) in map {
                    match key.as_str() {
                        "$ref" => out.extend(child.as_str()),
                        "example" | "examples" => {}
                        _ => stack.push(child),
                    }
                }
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// `raw` with its `%XX` escapes decoded, for a path segment as a client
/// sent it: an escape that is not two hex digits stays as written, and bytes
/// that are not UTF-8 once decoded become U+FFFD, as URL parsers read them.
pub fn percent_decode_lossy(raw: &str) -> String {
    String::from_utf8_lossy(&unescape(raw).0).into_owned()
}

/// `reference` with every byte a URI fragment cannot hold written `%XX`
/// (`{companyId}` is `%7BcompanyId%7D`): the form a registry of schemas
/// keyed by URI resolves. [`ref_segments`] reads it back.
pub fn uri_reference(reference: &str) -> String {
    let mut out = String::with_capacity(reference.len());
    for (i, b) in reference.bytes().enumerate() {
        match b {
            b'#' if i == 0 => out.push('#'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A reference's own escapes must be well formed: it is the document's
/// text, not a client's, and a bad one is a mistake to report.
fn percent_decode(raw: &str) -> Result<String, String> {
    let (bytes, well_formed) = unescape(raw);
    if !well_formed {
        return Err(format!("bad percent-escape in `{raw}`"));
    }
    String::from_utf8(bytes).map_err(|_| format!("`{raw}` is not UTF-8 once decoded"))
}

/// The bytes `raw` stands for, and whether every `%` in it began an escape
/// of two hex digits (one that does not is kept as it is).
fn unescape(raw: &str) -> (Vec<u8>, bool) {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut well_formed = true;
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            // Digits checked first: `from_str_radix` would take `+1` too.
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                well_formed &= bytes[i] != b'%';
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    (out, well_formed)
}
