//! What every request must pass before it is answered, and the headers every answer carries.
//!
//! A page on another site must not be able to use the server: a request whose `Host` is not an address of the
//! server (a DNS-rebinding page names its own host) is refused, and so is a request that changes anything (`POST`,
//! the only method that does) unless it comes from the server's own page (its `Origin`, and `Sec-Fetch-Site` where
//! the browser sends it) and carries JSON (which a plain HTML form on another site cannot send).

use std::io::{Cursor, Read};
use tiny_http::{Header, Method, Request, Response, StatusCode};

/// The largest request body read (a page's changes are a few kilobytes).
pub const MAX_BODY: usize = 64 * 1024;
/// The longest address answered (a link with every input changed stays well under it).
pub const MAX_URL: usize = 16 * 1024;

/// An answer.
pub type Answer = Response<Cursor<Vec<u8>>>;

/// The security policy of every page: its own script and nothing else from anywhere; styles inline (the report's
/// stylesheet); no images (the plots are inline SVG).
const POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; \
                      form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("header names and values are ASCII")
}

/// An answer with `status`, a content type and the headers every answer has.
pub fn answer(status: u16, content_type: &str, body: Vec<u8>) -> Answer {
    let mut response = Response::from_data(body)
        .with_status_code(StatusCode(status))
        .with_header(header("Content-Type", content_type))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("X-Content-Type-Options", "nosniff"))
        .with_header(header("Referrer-Policy", "no-referrer"))
        .with_header(header("X-Frame-Options", "DENY"));
    if content_type.starts_with("text/html") {
        response = response.with_header(header("Content-Security-Policy", POLICY));
    }
    response
}

/// A refusal in plain words.
pub fn refuse(status: u16, message: &str) -> Answer {
    answer(status, "text/plain; charset=utf-8", format!("{message}\n").into_bytes())
}

/// A JSON answer.
pub fn json(status: u16, value: &serde_json::Value) -> Answer {
    answer(status, "application/json", value.to_string().into_bytes())
}

/// A file to download, named `name`.
pub fn download(content_type: &str, name: &str, body: Vec<u8>) -> Answer {
    let safe: String = (name.chars())
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    answer(200, content_type, body).with_header(header(
        "Content-Disposition",
        &format!("attachment; filename=\"{safe}\""),
    ))
}

/// The value of header `name`, if the request has it.
fn header_value<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    (request.headers().iter())
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// Whether `host` (a `Host` header) names this server: an IP address or `localhost`, with the server's port. Any
/// other name is refused: it is how a DNS-rebinding page on another site would reach a server on this machine.
pub fn host_is_ours(host: &str, port: u16) -> bool {
    let Some((name, p)) = host.rsplit_once(':') else {
        return false;
    };
    if p.parse::<u16>().ok() != Some(port) {
        return false;
    }
    let name = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')).unwrap_or(name);
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok()
}

/// Checks what every request must pass: a `Host` that names this server and an address of sensible length; for a
/// `POST`, the server's own page as its origin, JSON, and a body within [`MAX_BODY`], which it returns.
pub fn admit(request: &mut Request, port: u16) -> Result<Option<Vec<u8>>, Answer> {
    let host = header_value(request, "Host").unwrap_or("").to_string();
    if !host_is_ours(&host, port) {
        return Err(refuse(
            421,
            &format!("carecast serve answers only requests to its own address (127.0.0.1:{port} or localhost:{port})"),
        ));
    }
    if request.url().len() > MAX_URL {
        return Err(refuse(414, "the address is too long"));
    }
    match request.method() {
        Method::Get | Method::Head => return Ok(None),
        Method::Post => {}
        _ => return Err(refuse(405, "only GET and POST are answered")),
    }
    let origin = header_value(request, "Origin").unwrap_or("");
    if origin != format!("http://{host}") {
        return Err(refuse(
            403,
            "a change must come from the server's own page (its Origin)",
        ));
    }
    if header_value(request, "Sec-Fetch-Site").is_some_and(|s| s != "same-origin") {
        return Err(refuse(
            403,
            "a change must come from the server's own page (Sec-Fetch-Site)",
        ));
    }
    if !header_value(request, "Content-Type").is_some_and(|t| t.starts_with("application/json")) {
        return Err(refuse(415, "a change is sent as JSON"));
    }
    if request.body_length().is_some_and(|n| n > MAX_BODY) {
        return Err(refuse(413, "the request is too large"));
    }
    let mut body = Vec::new();
    let read = request.as_reader().take(MAX_BODY as u64 + 1).read_to_end(&mut body);
    if read.is_err() {
        return Err(refuse(400, "the request's body could not be read"));
    }
    if body.len() > MAX_BODY {
        return Err(refuse(413, "the request is too large"));
    }
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::host_is_ours;

    #[test]
    fn only_addresses_and_localhost_on_our_port_are_ours() {
        assert!(host_is_ours("127.0.0.1:8150", 8150));
        assert!(host_is_ours("localhost:8150", 8150));
        assert!(host_is_ours("[::1]:8150", 8150));
        assert!(host_is_ours("192.168.1.20:8150", 8150));
        assert!(!host_is_ours("evil.example:8150", 8150));
        assert!(!host_is_ours("127.0.0.1:8151", 8150));
        assert!(!host_is_ours("127.0.0.1", 8150));
        assert!(!host_is_ours("", 8150));
        assert!(!host_is_ours("localhost.evil.example:8150", 8150));
    }
}
