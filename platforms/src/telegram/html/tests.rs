//! Exact renderings of [`super::render_html`] for the Markdown AI replies use, and for the
//! near-misses that must stay literal.

use super::check::{is_subsequence, visible};
use super::render_html;

/// Asserts each `(markdown, html)` pair, and that the oracle accepts the HTML.
fn assert_renders(cases: &[(&str, &str)]) {
    for (markdown, want) in cases {
        let got = render_html(markdown);
        assert_eq!(got, *want, "rendering {markdown:?}");
        let shown = visible(&got).unwrap();
        assert!(
            is_subsequence(&shown, markdown),
            "{markdown:?} -> {shown:?}"
        );
    }
}

#[test]
fn plain_text_is_escaped() {
    assert_renders(&[
        ("", ""),
        ("hello", "hello"),
        ("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d"),
        ("<b>not a tag</b>", "&lt;b&gt;not a tag&lt;/b&gt;"),
        ("say \"hi\"", "say &quot;hi&quot;"),
        (
            "line one\nline two\n\n\nnext",
            "line one\nline two\n\n\nnext",
        ),
        ("émoji 😀 and 漢字", "émoji 😀 and 漢字"),
    ]);
}

#[test]
fn emphasis() {
    assert_renders(&[
        ("**bold**", "<b>bold</b>"),
        ("__bold__", "<b>bold</b>"),
        ("*it*", "<i>it</i>"),
        ("_it_", "<i>it</i>"),
        ("~~gone~~", "<s>gone</s>"),
        ("***both***", "<i><b>both</b></i>"),
        ("**bold *and it* too**", "<b>bold <i>and it</i> too</b>"),
        ("*it **and bold***", "<i>it <b>and bold</b></i>"),
        ("a **b** c *d* e", "a <b>b</b> c <i>d</i> e"),
        ("**multi\nline**", "<b>multi\nline</b>"),
        ("**a **b** c**", "<b>a b c</b>"),
        ("x*y*z", "x<i>y</i>z"),
    ]);
}

#[test]
fn unbalanced_or_misplaced_markers_stay_literal() {
    assert_renders(&[
        ("**bold", "**bold"),
        ("bold**", "bold**"),
        ("*a", "*a"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        ("* list item\n* another", "* list item\n* another"),
        ("snake_case_name", "snake_case_name"),
        ("a_b c_d", "a_b c_d"),
        ("~single~", "~single~"),
        ("~~~three~~~", "~~~three~~~"),
        ("****four****", "****four****"),
        ("** not bold **", "** not bold **"),
        ("**a\n\nb**", "**a\n\nb**"),
        // Ambiguous: each closer takes the nearest `*`; the nested italics show once.
        ("*a **b* c**", "<i>a b c</i>"),
        ("_a *b_ c*", "<i>a *b</i> c*"),
    ]);
}

#[test]
fn backslash_escapes() {
    assert_renders(&[
        (r"\*not it\*", "*not it*"),
        (r"a \_b\_ c", "a _b_ c"),
        (r"C:\Users\me", r"C:\Users\me"),
        (r"\<", "&lt;"),
        ("end\\", "end\\"),
    ]);
}

#[test]
fn inline_code() {
    assert_renders(&[
        ("use `x < y`", "use <code>x &lt; y</code>"),
        ("`**not bold**`", "<code>**not bold**</code>"),
        ("``a ` b``", "<code>a ` b</code>"),
        ("`` `tick` ``", "<code>`tick`</code>"),
        ("` `", "<code> </code>"),
        ("`open", "`open"),
        ("``a`", "``a`"),
        ("**bold `code`**", "<b>bold <code>code</code></b>"),
        ("*a `*` b*", "<i>a <code>*</code> b</i>"),
    ]);
}

#[test]
fn links() {
    assert_renders(&[
        (
            "[docs](https://example.com/a?b=1&c=2)",
            "<a href=\"https://example.com/a?b=1&amp;c=2\">docs</a>",
        ),
        (
            "see [**the** page](http://x.org/p_(q)) now",
            "see <a href=\"http://x.org/p_(q)\"><b>the</b> page</a> now",
        ),
        (
            "[a \"q\"](https://x.io/\"y)",
            "<a href=\"https://x.io/&quot;y\">a &quot;q&quot;</a>",
        ),
        (
            "[`code` text](https://x.io)",
            "<a href=\"https://x.io\">code text</a>",
        ),
        (
            "[[nested]](https://x.io)",
            "<a href=\"https://x.io\">[nested]</a>",
        ),
        ("[x](HTTPS://X.IO)", "<a href=\"HTTPS://X.IO\">x</a>"),
        ("[js](javascript:alert(1))", "[js](javascript:alert(1))"),
        ("[mail](mailto:a@b.c)", "[mail](mailto:a@b.c)"),
        ("[rel](/path)", "[rel](/path)"),
        (
            "[t](https://x.io \"title\")",
            "[t](https://x.io &quot;title&quot;)",
        ),
        ("[](https://x.io)", "[](https://x.io)"),
        ("[x](https://)", "[x](https://)"),
        ("[x](https://a b)", "[x](https://a b)"),
        ("[x](https://a\"b)", "[x](https://a&quot;b)"),
        ("[unclosed](https://x.io", "[unclosed](https://x.io"),
        ("[a] (https://x.io)", "[a] (https://x.io)"),
        (
            "[a](https://x.io/[1]) [b](https://y.io)",
            "<a href=\"https://x.io/[1]\">a</a> <a href=\"https://y.io\">b</a>",
        ),
        (
            "**[bold link](https://x.io)**",
            "<b><a href=\"https://x.io\">bold link</a></b>",
        ),
    ]);
}

#[test]
fn bare_urls_are_never_emphasis() {
    assert_renders(&[
        (
            "see https://x.io/__init__ and http://y.io/a*b*c",
            "see https://x.io/__init__ and http://y.io/a*b*c",
        ),
        ("**https://x.io/a_b**", "<b>https://x.io/a_b</b>"),
        ("(_https://x.io/a_b_)", "(<i>https://x.io/a_b</i>)"),
        ("(https://x.io/p_(q)_r)", "(https://x.io/p_(q)_r)"),
        ("https://", "https://"),
        ("xhttps://a_b_", "xhttps://a_b_"),
    ]);
}

#[test]
fn headings() {
    assert_renders(&[
        ("# Title", "<b>Title</b>"),
        ("### Sub *part* ###", "<b>Sub <i>part</i></b>"),
        ("intro\n## Next\nbody", "intro\n<b>Next</b>\nbody"),
        ("#hashtag", "#hashtag"),
        ("####### seven", "####### seven"),
        ("#", ""),
        ("# C#", "<b>C#</b>"),
        ("  # indented", "<b>indented</b>"),
        ("# **a\nb**", "<b>**a</b>\nb**"),
    ]);
}

#[test]
fn fenced_code_blocks() {
    assert_renders(&[
        (
            "```rust\nfn main() { a < b && c }\n```",
            "<pre><code class=\"language-rust\">fn main() { a &lt; b &amp;&amp; c }</code></pre>",
        ),
        (
            "```\nplain\n  indented\n```",
            "<pre>plain\n  indented</pre>",
        ),
        (
            "before\n\n```py\nprint('**x**')\n```\nafter",
            "before\n\n<pre><code class=\"language-py\">print('**x**')</code></pre>\nafter",
        ),
        (
            "```sh\necho unclosed\nstill code",
            "<pre><code class=\"language-sh\">echo unclosed\nstill code</code></pre>",
        ),
        (
            "  ```  c++ extra words\nx\n  ```",
            "<pre><code class=\"language-c++\">x</code></pre>",
        ),
        ("```we\"ird\nx\n```", "<pre>x</pre>"),
        ("```\n```", ""),
        ("a\n```\n```\nb", "a\n\nb"),
        (
            "**open\n```\ncode\n```\nclose**",
            "**open\n<pre>code</pre>\nclose**",
        ),
        (
            "inline ```x``` is not a fence",
            "inline <code>x</code> is not a fence",
        ),
    ]);
}

#[test]
fn a_whole_reply() {
    let reply = "# Plan\n\nHere is **the** fix for `main.rs`:\n\n```rust\nlet v = vec![1];\n```\n\n\
                 See [the docs](https://doc.rust-lang.org/std/vec/) & _enjoy_.";
    let want = "<b>Plan</b>\n\nHere is <b>the</b> fix for <code>main.rs</code>:\n\n\
                <pre><code class=\"language-rust\">let v = vec![1];</code></pre>\n\n\
                See <a href=\"https://doc.rust-lang.org/std/vec/\">the docs</a> &amp; <i>enjoy</i>.";
    assert_renders(&[(reply, want)]);
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = "*a _b ".repeat(200) + &"c_ d* ".repeat(200);
    let html = render_html(&deep);
    visible(&html).unwrap();
    let many = "**".repeat(5000);
    assert_eq!(render_html(&many), many);
    let openers = "*a ".repeat(10_000);
    assert_eq!(render_html(&openers), openers);
}
