//! The admin token check every route but the health checks goes through. The token comes as
//! `Authorization: Bearer <token>` (scripts, Prometheus) or as the password of HTTP Basic (a
//! browser asks for it once, for the dashboard). Both sides are hashed before the comparison, so
//! it takes the same time whatever the token given, its length included. A refusal is 401 with a
//! `WWW-Authenticate` challenge and says nothing about what was wrong.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Shortest token accepted: a guessable one would open the whole API.
pub const MIN_TOKEN_CHARS: usize = 16;

/// The expected token, kept as its digest.
pub struct Token {
    digest: [u8; 32],
}

impl Token {
    pub fn new(token: &str) -> Self {
        Self {
            digest: Sha256::digest(token.as_bytes()).into(),
        }
    }

    /// True when `given` is the token (constant time).
    pub fn matches(&self, given: &[u8]) -> bool {
        let d: [u8; 32] = Sha256::digest(given).into();
        d.iter()
            .zip(&self.digest)
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }

    /// True when the request's `Authorization` carries the token.
    pub fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            self.matches(rest.as_bytes())
        } else if scheme.eq_ignore_ascii_case("basic") {
            let Ok(pair) = base64::engine::general_purpose::STANDARD.decode(rest) else {
                return false;
            };
            // Any user name; the token is the password.
            match pair.iter().position(|&b| b == b':') {
                Some(colon) => self.matches(&pair[colon + 1..]),
                None => false,
            }
        } else {
            false
        }
    }
}

/// Middleware: lets the request through only with the token.
pub async fn require(State(token): State<Arc<Token>>, req: Request, next: Next) -> Response {
    if token.allows(req.headers()) {
        return next.run(req).await;
    }
    let mut resp = (
        StatusCode::UNAUTHORIZED,
        "the admin token is missing or wrong\n",
    )
        .into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"switchboard admin\", charset=\"UTF-8\""),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    #[test]
    fn bearer_and_basic_carry_the_token_and_nothing_else_does() {
        let t = Token::new("0123456789abcdef");
        let basic = |pair: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        };
        assert!(t.allows(&headers("Bearer 0123456789abcdef")));
        assert!(t.allows(&headers("bearer   0123456789abcdef ")));
        assert!(t.allows(&headers(&basic("admin:0123456789abcdef"))));
        assert!(t.allows(&headers(&basic(":0123456789abcdef"))));
        assert!(!t.allows(&HeaderMap::new()));
        assert!(!t.allows(&headers("Bearer 0123456789abcdeF")));
        assert!(!t.allows(&headers("Bearer 0123456789abcde")));
        assert!(!t.allows(&headers("Bearer")));
        assert!(!t.allows(&headers("0123456789abcdef")));
        assert!(!t.allows(&headers("Token 0123456789abcdef")));
        assert!(!t.allows(&headers(&basic("0123456789abcdef"))));
        assert!(!t.allows(&headers(&basic("admin:wrong"))));
        assert!(!t.allows(&headers("Basic !!!")));
    }
}
