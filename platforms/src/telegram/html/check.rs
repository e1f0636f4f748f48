//! Test oracle for [`super::render_html`], independent of its internals: reads the HTML as a
//! strict Telegram would and returns the text a user sees, or says what is wrong with it.

/// Tags that may hold other formatting: bold, italic, strike.
const STYLES: [&str; 3] = ["b", "i", "s"];

/// The visible text of `html`, or why Telegram would refuse it: an unknown or unbalanced tag,
/// wrong nesting (anything inside `code`, code or a link inside a link, `pre` below the top), a
/// bad attribute, a raw `<`, `>` or `&`.
pub(super) fn visible(html: &str) -> Result<String, String> {
    let mut shown = String::new();
    let mut stack: Vec<&str> = Vec::new();
    // The previous token opened a `pre` / closed the `code` inside a `pre`.
    let (mut after_pre_open, mut after_pre_code) = (false, false);
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        if after_pre_code && !rest.starts_with("</pre>") {
            return Err(format!("text after </code> inside <pre>: {html:?}"));
        }
        match c {
            '<' => {
                let end = rest
                    .find('>')
                    .ok_or_else(|| format!("unclosed tag in {html:?}"))?;
                let tag = &rest[1..end];
                if tag.contains('<') {
                    return Err(format!("'<' inside a tag: {html:?}"));
                }
                let opened_pre = after_pre_open;
                after_pre_open = false;
                after_pre_code = false;
                if let Some(name) = tag.strip_prefix('/') {
                    let open = stack.pop();
                    if open != Some(name) {
                        return Err(format!("</{name}> closes {open:?} in {html:?}"));
                    }
                    after_pre_code = name == "code" && stack.last() == Some(&"pre");
                } else {
                    let (name, attrs) = tag.split_once(' ').unwrap_or((tag, ""));
                    open_tag(name, attrs, &stack, opened_pre)
                        .map_err(|e| format!("{e} in {html:?}"))?;
                    after_pre_open = name == "pre";
                    stack.push(name);
                }
                rest = &rest[end + 1..];
                continue;
            }
            '&' => {
                let (entity, ch) = [
                    ("&amp;", '&'),
                    ("&lt;", '<'),
                    ("&gt;", '>'),
                    ("&quot;", '"'),
                ]
                .into_iter()
                .find(|(e, _)| rest.starts_with(e))
                .ok_or_else(|| format!("bare '&' in {html:?}"))?;
                shown.push(ch);
                rest = &rest[entity.len()..];
            }
            '>' => return Err(format!("bare '>' in {html:?}")),
            c => {
                shown.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        after_pre_open = false;
    }
    if after_pre_code {
        return Err(format!("<pre> left open after its code: {html:?}"));
    }
    match stack.last() {
        Some(open) => Err(format!("<{open}> never closed in {html:?}")),
        None => Ok(shown),
    }
}

/// Whether `<name attrs>` may open inside `stack`; `opened_pre` says the previous token was
/// `<pre>`.
fn open_tag(name: &str, attrs: &str, stack: &[&str], opened_pre: bool) -> Result<(), String> {
    if stack.contains(&"code") {
        return Err(format!("<{name}> inside <code>"));
    }
    let in_pre = stack.contains(&"pre");
    match name {
        _ if STYLES.contains(&name) && attrs.is_empty() && !in_pre => Ok(()),
        "pre" if attrs.is_empty() && stack.is_empty() => Ok(()),
        "code" if in_pre && !opened_pre => Err("<code> not first in <pre>".into()),
        "code" if stack.contains(&"a") => Err("<code> inside <a>".into()),
        "code" if attrs.is_empty() => Ok(()),
        "code" => {
            let lang = attrs
                .strip_prefix("class=\"language-")
                .and_then(|a| a.strip_suffix('"'))
                .ok_or_else(|| format!("bad code attributes {attrs:?}"))?;
            let plain = !lang.is_empty()
                && lang
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+#.-".contains(c));
            if plain && in_pre {
                Ok(())
            } else {
                Err(format!("bad language {lang:?}"))
            }
        }
        "a" if stack.contains(&"a") || in_pre => Err("nested <a>".into()),
        "a" => {
            let href = attrs
                .strip_prefix("href=\"")
                .and_then(|a| a.strip_suffix('"'))
                .ok_or_else(|| format!("bad link attributes {attrs:?}"))?;
            let lower = href.to_ascii_lowercase();
            let web = lower.starts_with("http://") || lower.starts_with("https://");
            let entities_ok = href.match_indices('&').all(|(i, _)| {
                ["&amp;", "&lt;", "&gt;", "&quot;"]
                    .iter()
                    .any(|e| href[i..].starts_with(e))
            });
            if !web || href.contains(['"', '>']) || !entities_ok {
                return Err(format!("bad href {href:?}"));
            }
            Ok(())
        }
        _ => Err(format!("unexpected <{name} {attrs}>")),
    }
}

/// Whether `small` is `big` with some characters left out.
pub(super) fn is_subsequence(small: &str, big: &str) -> bool {
    let mut big = big.chars();
    small.chars().all(|c| big.any(|b| b == c))
}

#[test]
fn the_oracle_refuses_bad_html() {
    for bad in [
        "<b>x",
        "<b><i>x</b></i>",
        "a < b",
        "a > b",
        "a & b",
        "<u>x</u>",
        "<code><b>x</b></code>",
        "<a href=\"https://x\"><a href=\"https://y\">z</a></a>",
        "<a href=\"https://x\"><code>z</code></a>",
        "<b><pre>x</pre></b>",
        "<pre>x<code>y</code></pre>",
        "<pre><code>y</code>x</pre>",
        "<a href=\"javascript:x\">z</a>",
        "<code class=\"language-rust\">x</code>",
        "<a href=\"https://x?a&b\">z</a>",
    ] {
        assert!(visible(bad).is_err(), "accepted {bad:?}");
    }
    assert_eq!(
        visible("<b>a &amp; <i>b</i></b><pre><code class=\"language-rs\">&lt;x&gt;</code></pre>"),
        Ok("a & b<x>".into())
    );
    assert!(is_subsequence("ace", "abcde") && !is_subsequence("aec", "abcde"));
}
