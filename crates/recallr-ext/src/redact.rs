//! Scrubbing the API key out of text the server sends back.
//!
//! A server or proxy may echo request headers in a body, a header or a
//! JSON string. Every piece of server-sent text is passed through
//! [`Redactor::clean`] when it is decoded, before it is cut to length, so
//! that no part of the key survives in an error, its `Debug` or a log.

/// What a URL component percent-encodes: all but RFC 3986's unreserved.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// What replaces the key.
const MASK: &str = "<redacted>";

/// The key in every form it can take in server-sent text.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    /// Longest first, so that a longer form is replaced before a shorter
    /// one that it contains.
    forms: Vec<String>,
}

impl Redactor {
    pub(crate) fn new(secret: &str) -> Self {
        if secret.is_empty() {
            return Self::default();
        }
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json
            .strip_prefix('"')
            .and_then(|text| text.strip_suffix('"'))
            .unwrap_or(secret)
            .to_string();
        let mut forms = vec![
            secret.to_string(),
            // Some encoders also escape `/` in JSON strings.
            json.replace('/', "\\/"),
            json,
            percent_encoding::utf8_percent_encode(secret, COMPONENT).to_string(),
        ];
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
        forms.dedup();
        Self { forms }
    }

    /// The longest form of the key, in bytes (0 without a key).
    pub(crate) fn longest(&self) -> usize {
        self.forms.first().map_or(0, String::len)
    }

    /// `text` with every form of the key replaced.
    pub(crate) fn clean(&self, text: &str) -> String {
        let mut text = text.to_string();
        for form in &self.forms {
            if text.contains(form.as_str()) {
                text = text.replace(form.as_str(), MASK);
            }
        }
        text
    }

    /// The first `max_chars` characters of `body`, lossily decoded and
    /// cleaned before the cut, so that a key at the edge is not half shown.
    pub(crate) fn snippet(&self, body: &[u8], max_chars: usize) -> String {
        // Enough bytes for `max_chars` characters plus a key that starts
        // inside them.
        let window = max_chars
            .saturating_mul(4)
            .saturating_add(self.longest().saturating_mul(2));
        let head = &body[..body.len().min(window)];
        clip(&self.clean(&String::from_utf8_lossy(head)), max_chars)
    }
}

/// At most `max_chars` characters of `text`, ending in `…` when cut.
pub(crate) fn clip(text: &str, max_chars: usize) -> String {
    if text.chars().nth(max_chars).is_none() {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_the_key_is_replaced() {
        let redactor = Redactor::new(r#"rai_a"b\c/d"#);
        for text in [
            r#"x rai_a"b\c/d y"#,
            r#"{"echo": "rai_a\"b\\c/d"}"#,
            r#"{"echo": "rai_a\"b\\c\/d"}"#,
            "?key=rai_a%22b%5Cc%2Fd",
        ] {
            let clean = redactor.clean(text);
            assert!(clean.contains(MASK), "{text} -> {clean}");
            assert!(!clean.contains("rai_a"), "{text} -> {clean}");
        }
    }

    #[test]
    fn a_key_at_the_snippet_edge_is_not_half_shown() {
        let key = "rai_0123456789abcdef";
        let redactor = Redactor::new(key);
        let body = format!("{}{key}", "x".repeat(190));
        let snippet = redactor.snippet(body.as_bytes(), 200);
        assert!(!snippet.contains("rai_0"), "{snippet}");
        assert_eq!(clip("ééé", 2), "é…");
        assert_eq!(clip("éé", 2), "éé");
    }
}
