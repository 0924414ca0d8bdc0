//! JSON pointers (RFC 6901): how every report names a place in a document.

/// Escapes one reference token: `~` becomes `~0` and `/` becomes `~1`.
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Undoes [`escape`].
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// `base` extended by one (unescaped) reference token.
pub fn push(base: &str, token: &str) -> String {
    format!("{base}/{}", escape(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slashes_and_tildes_are_escaped_and_restored() {
        let token = "/api/v1/users/{custom_user_id}/~sessions";
        assert_eq!(
            escape(token),
            "~1api~1v1~1users~1{custom_user_id}~1~0sessions"
        );
        assert_eq!(unescape(&escape(token)), token);
        assert_eq!(push("/paths", "/a/b"), "/paths/~1a~1b");
    }
}
