//! Text documents attached to Discord messages: `.txt`, `.md`, `.csv` and `.json` files up to
//! 64 KB are downloaded and read into the message (as on Telegram); anything else gets a reply
//! saying what is supported. Files are fetched only from Discord's CDN hosts (or the configured
//! `api_base`'s host, for proxies and test fakes), never from an address a message could choose.

use switchboard_platforms::{Attachment, Inbound};

use super::rest::Rest;
use crate::telegram::receive::TEXT_EXTENSIONS;

/// Largest document read.
pub const MAX_DOCUMENT_BYTES: u64 = 64 * 1024;

/// Hosts Discord serves attachments from.
const CDN_HOSTS: &[&str] = &["cdn.discordapp.com", "media.discordapp.net"];

fn supported(a: &Attachment) -> bool {
    a.name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| TEXT_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// Whether `url` is on a host attachments come from.
pub fn trusted(url: &str, api_host: Option<&str>) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    let Some(host) = u.host_str() else {
        return false;
    };
    (u.scheme() == "https" && CDN_HOSTS.contains(&host)) || api_host == Some(host)
}

/// Reads the supported documents of `m` into their attachments; returns what to tell the user
/// about files that were not read.
pub async fn read(rest: &Rest, m: &mut Inbound) -> Option<String> {
    let mut problem = None;
    for a in &mut m.attachments {
        let Some(url) = a.source.clone() else {
            continue;
        };
        if !supported(a) {
            let kinds: Vec<String> = TEXT_EXTENSIONS.iter().map(|e| format!(".{e}")).collect();
            problem = Some(format!(
                "I can only read text documents ({}), up to {} KB.",
                kinds.join(", "),
                MAX_DOCUMENT_BYTES / 1024
            ));
            continue;
        }
        if a.size > MAX_DOCUMENT_BYTES {
            problem = Some(format!(
                "{} is too large for me to read (up to {} KB).",
                a.name,
                MAX_DOCUMENT_BYTES / 1024
            ));
            continue;
        }
        if !trusted(&url, rest.api_host()) {
            problem = Some(format!("I couldn't download {}.", a.name));
            continue;
        }
        match rest.download(&url, MAX_DOCUMENT_BYTES).await {
            Some(bytes) => match String::from_utf8(bytes) {
                Ok(text) => a.text = Some(text),
                Err(_) => {
                    problem = Some(format!("{} is not UTF-8 text, so I can't read it.", a.name))
                }
            },
            None => {
                problem = Some(format!(
                    "I couldn't download {}; please send it again.",
                    a.name
                ))
            }
        }
    }
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_discords_cdn_or_the_configured_api_host_is_trusted() {
        assert!(trusted(
            "https://cdn.discordapp.com/attachments/1/2/a.txt",
            None
        ));
        assert!(trusted("https://media.discordapp.net/x.md", None));
        assert!(
            !trusted("http://cdn.discordapp.com/a.txt", None),
            "https only"
        );
        assert!(!trusted("https://evil.example/a.txt", None));
        assert!(!trusted(
            "https://cdn.discordapp.com.evil.example/a.txt",
            None
        ));
        assert!(trusted(
            "http://127.0.0.1:9000/attachments/1/a.txt",
            Some("127.0.0.1")
        ));
        assert!(!trusted("not a url", Some("127.0.0.1")));
    }
}
