//! Compressed answers, as a server that compresses sends them: gzip when
//! the request's `Accept-Encoding` allows it and the answer has a body, so
//! that a client's inflating is what every test of the mock goes through. A
//! control turns it off ([`MockCodat::set_compression`](crate::mock::MockCodat::set_compression)).

use std::io::Write;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use flate2::Compression;
use flate2::write::GzEncoder;

/// Whether `request` (its headers) accepts gzip: `gzip` or `*` listed in
/// its `Accept-Encoding`, without `q=0`.
pub(in crate::mock) fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|parameter| {
                parameter
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// `response` gzipped (at gzip's default level), unless it has no body or
/// already has a `Content-Encoding`.
pub(in crate::mock) async fn gzip(response: Response) -> Response {
    if response.headers().contains_key(header::CONTENT_ENCODING) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // The mock's own answers are whole in memory; this only collects them.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if bytes.is_empty() {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::default());
    // Cannot fail: the encoder writes into a Vec, whose writes never fail.
    let compressed = encoder
        .write_all(&bytes)
        .and_then(|()| encoder.finish())
        .expect("writing to memory does not fail");
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    Response::from_parts(parts, Body::from(compressed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn gzip_is_accepted_when_listed_or_any_and_not_refused() {
        assert!(accepts_gzip(&asking("gzip, deflate")));
        assert!(accepts_gzip(&asking("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&asking("*")));
        assert!(!accepts_gzip(&asking("gzip;q=0")));
        assert!(!accepts_gzip(&asking("identity")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
