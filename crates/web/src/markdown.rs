//! Article bodies: Markdown (or imported HTML) to sanitized HTML for pages,
//! and to plain text for the search index. Sanitizing is ammonia's
//! allow-list: no script, no event handler, no `javascript:` link survives.

use guichet_domain::article::BodyFormat;
use pulldown_cmark::{Event, Options, Parser, TagEnd};

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// The body as HTML that is safe to put in a page.
pub fn to_safe_html(body: &str, format: BodyFormat) -> String {
    let html = match format {
        BodyFormat::Markdown => {
            let mut html = String::with_capacity(body.len() * 3 / 2);
            pulldown_cmark::html::push_html(&mut html, Parser::new_ext(body, options()));
            html
        }
        BodyFormat::Html => body.to_owned(),
    };
    ammonia::clean(&html)
}

/// The words of the body, without markup (what the index reads).
pub fn to_plain_text(body: &str, format: BodyFormat) -> String {
    match format {
        BodyFormat::Markdown => {
            let mut text = String::with_capacity(body.len());
            for event in Parser::new_ext(body, options()) {
                match event {
                    Event::Text(t) | Event::Code(t) => text.push_str(&t),
                    Event::SoftBreak | Event::HardBreak => text.push(' '),
                    Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock) => {
                        text.push('\n')
                    }
                    Event::End(TagEnd::TableCell) => text.push(' '),
                    _ => {}
                }
            }
            text.trim().to_owned()
        }
        BodyFormat::Html => html_text(body),
    }
}

/// The text of an HTML fragment: tags dropped (with the contents of
/// `script` and `style`), block ends as line breaks, entities decoded.
fn html_text(html: &str) -> String {
    let cleaned = ammonia::Builder::default()
        .tags(std::collections::HashSet::from([
            "p", "br", "li", "h1", "h2", "h3", "h4", "td",
        ]))
        .clean(html)
        .to_string();
    let mut text = String::with_capacity(cleaned.len());
    let mut rest = cleaned.as_str();
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let end = rest[start..].find('>').map_or(rest.len(), |e| start + e + 1);
        let tag = &rest[start..end];
        if tag.starts_with("</") || tag.starts_with("<br") {
            text.push('\n');
        }
        rest = &rest[end..];
    }
    text.push_str(rest);
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r8_no_script_survives() {
        let body =
            "# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n**bold**";
        let html = to_safe_html(body, BodyFormat::Markdown);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        let html = to_safe_html("<p onclick=\"x()\">Hi</p><script>x()</script>", BodyFormat::Html);
        assert_eq!(html, "<p>Hi</p>");
    }

    #[test]
    fn plain_text_keeps_words_only() {
        assert_eq!(
            to_plain_text(
                "## Fix\n\nRun `reconcile` **now**.\n\n- one\n- two",
                BodyFormat::Markdown
            ),
            "Fix\nRun reconcile now.\none\ntwo"
        );
        assert_eq!(
            to_plain_text(
                "<h1>Cells</h1><p>A &amp; B</p><script>evil()</script>",
                BodyFormat::Html
            ),
            "Cells\nA & B"
        );
    }
}
