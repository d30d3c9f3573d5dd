//! Message templates: literal `__VAR__` substitution, never a template engine over stored text
//! (Fides' CVE-2024-45053 compiled admin-edited templates with Jinja). A template is plain text;
//! rendering gives the text part as written and an HTML part in which the template's text and
//! every value are HTML-escaped exactly once, line breaks become `<br>` and paragraphs, and links
//! become anchors.
//!
//! ```
//! use messaging::template::{Var, render};
//!
//! let email = render(
//!     "Your request was denied",
//!     "Reason: __DENIAL_REASON__\nDetails: __DOWNLOAD_LINK__",
//!     &[("DENIAL_REASON", Var::Text("Tom & Jerry")), ("DOWNLOAD_LINK", Var::Link("https://x.test/?a=1&b=2"))],
//! );
//! assert_eq!(email.text, "Reason: Tom & Jerry\nDetails: https://x.test/?a=1&b=2");
//! assert!(email.html.contains("Reason: Tom &amp; Jerry<br>"));
//! assert!(email.html.contains(r#"<a href="https://x.test/?a=1&amp;b=2">https://x.test/?a=1&amp;b=2</a>"#));
//! ```

/// A value put in for a placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var<'a> {
    /// Text, shown as it is.
    Text(&'a str),
    /// A URL: an anchor in the HTML part.
    Link(&'a str),
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line (one line: line breaks in values become spaces).
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (a whole document).
    pub html: String,
}

/// One piece of a template: its own text, or a placeholder's value.
enum Piece<'t, 'v> {
    Literal(&'t str),
    Value(Var<'v>),
}

/// Splits `template` at the placeholders `vars` name, in one left-to-right pass: a value is never
/// scanned for placeholders again, and an unknown `__NAME__` stays as written.
fn pieces<'t, 'v>(template: &'t str, vars: &[(&str, Var<'v>)]) -> Vec<Piece<'t, 'v>> {
    let mut out = Vec::new();
    let mut literal_start = 0;
    let mut at = 0;
    while let Some(found) = template[at..].find("__") {
        let open = at + found;
        let rest = &template[open + 2..];
        let matched = vars
            .iter()
            .find(|(name, _)| !name.is_empty() && rest.starts_with(name) && rest[name.len()..].starts_with("__"));
        match matched {
            Some((name, value)) => {
                if literal_start < open {
                    out.push(Piece::Literal(&template[literal_start..open]));
                }
                out.push(Piece::Value(*value));
                at = open + 2 + name.len() + 2;
                literal_start = at;
            }
            None => at = open + 1,
        }
    }
    if literal_start < template.len() {
        out.push(Piece::Literal(&template[literal_start..]));
    }
    out
}

/// Escapes `text` for HTML text and attribute values (the five characters Python's
/// `html.escape` replaces, with the same entities).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Escaped text with its line breaks kept: a blank line ends a paragraph, a single one is `<br>`.
fn push_html_text(out: &mut String, text: &str) {
    let normalised = text.replace("\r\n", "\n");
    for (i, paragraph) in normalised.split("\n\n").enumerate() {
        if i > 0 {
            out.push_str("</p>\n<p>");
        }
        for (j, line) in paragraph.split('\n').enumerate() {
            if j > 0 {
                out.push_str("<br>\n");
            }
            out.push_str(&escape_html(line));
        }
    }
}

/// Renders `subject` and `body` with `vars` (names without the underscores, e.g. `"CODE"`).
pub fn render(subject: &str, body: &str, vars: &[(&str, Var<'_>)]) -> Rendered {
    let subject_line: String = pieces(subject, vars)
        .iter()
        .map(|piece| match piece {
            Piece::Literal(text) => *text,
            Piece::Value(Var::Text(value) | Var::Link(value)) => value,
        })
        .collect::<String>()
        .split(['\r', '\n'])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let body_pieces = pieces(body, vars);
    let mut text = String::with_capacity(body.len());
    let mut html = String::with_capacity(body.len() * 2 + 256);
    html.push_str("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    html.push_str(&escape_html(&subject_line));
    html.push_str("</title></head>\n<body>\n<p>");
    for piece in &body_pieces {
        match piece {
            Piece::Literal(literal) => {
                text.push_str(literal);
                push_html_text(&mut html, literal);
            }
            Piece::Value(Var::Text(value)) => {
                text.push_str(value);
                push_html_text(&mut html, value);
            }
            Piece::Value(Var::Link(url)) => {
                text.push_str(url);
                let escaped = escape_html(url);
                html.push_str(&format!("<a href=\"{escaped}\">{escaped}</a>"));
            }
        }
    }
    html.push_str("</p>\n</body></html>\n");
    Rendered { subject: subject_line, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_pythons_html_escape() {
        // Known answers from CPython: html.escape("<script>alert('x') & \"y\"</script>").
        assert_eq!(
            escape_html("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#x27;x&#x27;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(escape_html("caf\u{e9} \u{1f600}"), "caf\u{e9} \u{1f600}");
    }

    #[test]
    fn a_value_is_escaped_once_and_never_substituted_again() {
        let rendered = render(
            "Denied",
            "Reason: __DENIAL_REASON__ (code __CODE__)",
            &[("DENIAL_REASON", Var::Text("a & b __CODE__ <i>")), ("CODE", Var::Text("123456"))],
        );
        assert_eq!(rendered.text, "Reason: a & b __CODE__ <i> (code 123456)");
        assert!(rendered.html.contains("Reason: a &amp; b __CODE__ &lt;i&gt; (code 123456)"), "{}", rendered.html);
        assert!(!rendered.html.contains("&amp;amp;"));
    }

    #[test]
    fn template_text_is_escaped_too_and_jinja_stays_inert() {
        let rendered = render("{{ 7*7 }}", "<b>{{ config }}</b> {% for x in y %}", &[]);
        assert_eq!(rendered.subject, "{{ 7*7 }}");
        assert_eq!(rendered.text, "<b>{{ config }}</b> {% for x in y %}");
        assert!(rendered.html.contains("&lt;b&gt;{{ config }}&lt;/b&gt; {% for x in y %}"));
    }

    #[test]
    fn unknown_and_broken_placeholders_stay_as_written() {
        let rendered = render("s", "__NOPE__ __CODE _CODE__ ____CODE__", &[("CODE", Var::Text("1"))]);
        assert_eq!(rendered.text, "__NOPE__ __CODE _CODE__ __1");
    }

    #[test]
    fn line_breaks_become_paragraphs_and_the_subject_stays_one_line() {
        let rendered = render("Hi __NAME__", "one\ntwo\n\nthree", &[("NAME", Var::Text("a\r\nb"))]);
        assert_eq!(rendered.subject, "Hi a b");
        assert!(rendered.html.contains("<p>one<br>\ntwo</p>\n<p>three</p>"), "{}", rendered.html);
        assert!(rendered.html.contains("<title>Hi a b</title>"));
    }

    #[test]
    fn links_become_anchors_with_escaped_urls() {
        let rendered =
            render("s", "Get it: __DOWNLOAD_LINK__", &[("DOWNLOAD_LINK", Var::Link("https://h/p?t=\"x\"&u=1"))]);
        assert_eq!(rendered.text, "Get it: https://h/p?t=\"x\"&u=1");
        assert!(
            rendered
                .html
                .contains("<a href=\"https://h/p?t=&quot;x&quot;&amp;u=1\">https://h/p?t=&quot;x&quot;&amp;u=1</a>")
        );
    }
}
