//! A configured provider made ready to call: its endpoint URL and the authentication and
//! version headers every request to it carries, built once per process.

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use super::{anthropic, openai};
use crate::config::{Provider, ProviderKind};

/// A provider ready to call.
pub(super) struct Endpoint {
    /// The provider's settings: kind, key, timeout, attempts and prices.
    pub provider: Provider,
    /// `{base_url}/chat/completions` or `{base_url}/messages`.
    pub url: String,
    /// Authentication and version headers, or why the key cannot be sent.
    pub headers: Result<HeaderMap, String>,
}

impl Endpoint {
    pub(super) fn new(provider: &Provider) -> Self {
        let base = provider.base_url.trim_end_matches('/');
        let path = match provider.kind {
            ProviderKind::OpenAi => openai::PATH,
            ProviderKind::Anthropic => anthropic::PATH,
        };
        Self {
            url: format!("{base}/{path}"),
            headers: auth_headers(provider),
            provider: provider.clone(),
        }
    }
}

/// The headers every request to `provider` carries; the key is marked sensitive so no `Debug`
/// of a request or header map shows it.
fn auth_headers(provider: &Provider) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let bad_key = || {
        format!(
            "the API key of provider {} (from {}) is not a valid HTTP header value",
            provider.name,
            provider.api_key_env.as_deref().unwrap_or("config")
        )
    };
    let key = provider.api_key.as_ref().map(|k| k.expose());
    match provider.kind {
        ProviderKind::OpenAi => {
            if let Some(key) = key {
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| bad_key())?;
                value.set_sensitive(true);
                headers.insert(reqwest::header::AUTHORIZATION, value);
            }
        }
        ProviderKind::Anthropic => {
            if let Some(key) = key {
                let mut value = HeaderValue::from_str(key).map_err(|_| bad_key())?;
                value.set_sensitive(true);
                headers.insert("x-api-key", value);
            }
            headers.insert(
                "anthropic-version",
                HeaderValue::from_static(anthropic::VERSION),
            );
        }
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn provider(kind: ProviderKind, base_url: &str, key: Option<&str>) -> Provider {
        Provider {
            name: "p".into(),
            kind,
            base_url: base_url.into(),
            api_key: key.map(Secret::new),
            api_key_env: Some("P_KEY".into()),
            timeout: Duration::from_secs(1),
            max_tokens: 10,
            attempts: 1,
            models: BTreeMap::new(),
        }
    }

    #[test]
    fn endpoint_urls_ignore_trailing_slashes() {
        let e = Endpoint::new(&provider(ProviderKind::OpenAi, "http://h/v1//", None));
        assert_eq!(e.url, "http://h/v1/chat/completions");
        let e = Endpoint::new(&provider(ProviderKind::Anthropic, "http://h/v1", None));
        assert_eq!(e.url, "http://h/v1/messages");
    }

    #[test]
    fn headers_per_kind() {
        let h = auth_headers(&provider(ProviderKind::OpenAi, "x", Some("k1"))).unwrap();
        assert_eq!(h["authorization"], "Bearer k1");
        assert!(h["authorization"].is_sensitive());
        let h = auth_headers(&provider(ProviderKind::Anthropic, "x", Some("k2"))).unwrap();
        assert_eq!(h["x-api-key"], "k2");
        assert_eq!(h["anthropic-version"], "2023-06-01");
        assert!(!h.contains_key("authorization"));
        let h = auth_headers(&provider(ProviderKind::Anthropic, "x", None)).unwrap();
        assert!(!h.contains_key("x-api-key"));
    }

    #[test]
    fn a_key_that_cannot_be_a_header_is_reported_without_the_key() {
        let err = auth_headers(&provider(ProviderKind::OpenAi, "x", Some("bad\nkey"))).unwrap_err();
        assert!(err.contains("P_KEY"), "{err}");
        assert!(!err.contains("bad"), "{err}");
    }
}
