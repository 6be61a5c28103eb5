//! Text from servers and files (403 messages, `gitVersion`, object names, images, paths)
//! reaches terminals, markdown and reports. One function makes such text safe to show:
//! control characters (escape sequences that clear the screen, set a window title, or a
//! carriage return or line break that forges an "all checks passed" line) and
//! bidirectional overrides become visible escapes, and a message is cut at a length a
//! person can read. Called once, where a report is assembled and where stderr lines
//! carry server text.

use std::borrow::Cow;

/// Longest text kept, in characters; the rest is summarised by its length.
pub const MAX_TEXT_CHARS: usize = 2000;

fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character (line breaks included) and bidi override written
/// as `\u{..}`, cut to [`MAX_TEXT_CHARS`] characters.
pub fn safe_text(s: &str) -> Cow<'_, str> {
    let long = s.len() > MAX_TEXT_CHARS && s.chars().count() > MAX_TEXT_CHARS;
    if !long && !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(MAX_TEXT_CHARS * 2));
    for (shown, c) in s.chars().enumerate() {
        if shown == MAX_TEXT_CHARS {
            let rest = s.chars().count() - MAX_TEXT_CHARS;
            out.push_str(&format!("... ({rest} more characters)"));
            break;
        }
        if unsafe_char(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether [`safe_text`] would leave `s` as it is; asks without building a copy.
pub fn is_safe(s: &str) -> bool {
    matches!(safe_text(s), Cow::Borrowed(_))
}

/// [`safe_text`] in place.
pub fn make_safe(s: &mut String) {
    if let Cow::Owned(o) = safe_text(s) {
        *s = o;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible_and_long_text_is_cut() {
        assert_eq!(safe_text("plain: ok"), "plain: ok");
        assert!(is_safe("plain: ok") && !is_safe("a\rb") && !is_safe(&"x".repeat(3000)));
        assert_eq!(
            safe_text("x\u{1b}[2J\u{1b}]0;title\u{7}\r\nPASS"),
            "x\\u{1b}[2J\\u{1b}]0;title\\u{7}\\u{d}\\u{a}PASS"
        );
        assert_eq!(safe_text("a\u{202e}b"), "a\\u{202e}b");
        let text = "é".repeat(100_000);
        let long = safe_text(&text);
        assert!(
            long.ends_with("... (98000 more characters)"),
            "{}",
            &long[long.len() - 40..]
        );
        assert!(long.chars().count() < MAX_TEXT_CHARS + 40);
    }
}
