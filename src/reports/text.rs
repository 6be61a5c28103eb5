//! Laying out text for a terminal of a given width: word wrap that only breaks at spaces
//! (so a rule name such as `scheduler-failover-flag-removed`, an id, a path or a flag is
//! never split: people copy them into `--rule`, `explain` and their shell), and fitting a
//! field into a column with an ellipsis.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width (columns) of `s`.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` in at most `w` columns, cut at the end with `…` when longer.
pub fn fit_right(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw > w - 1 {
            break;
        }
        used += cw;
        out.push(c);
    }
    out.push('…');
    out
}

/// `s` in at most `w` columns, cut at the start with `…` when longer: the end of a path
/// or object name (file and line, object name) is the part that tells them apart.
pub fn fit_left(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let cw = c.width().unwrap_or(0);
        if used + cw > w - 1 {
            break;
        }
        used += cw;
        tail.push(c);
    }
    let mut out = String::from("…");
    out.extend(tail.into_iter().rev());
    out
}

/// `s` padded with spaces to `w` columns.
pub fn pad(s: &str, w: usize) -> String {
    let n = w.saturating_sub(width(s));
    format!("{s}{}", " ".repeat(n))
}

/// Word-wrap `text` to `w` columns, each line starting with `indent` (counted in the
/// width). Breaks only at spaces; a word longer than a line stays whole on its own line.
/// Existing line breaks are kept.
pub fn wrap(text: &str, w: usize, indent: &str) -> Vec<String> {
    wrap_hanging(text, w, indent, indent)
}

/// [`wrap`] with a different indent for the first line (`- ` of a list item) and the
/// lines after it.
pub fn wrap_hanging(text: &str, w: usize, first: &str, rest: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for para in text.split('\n') {
        let mut indent = if lines.is_empty() { first } else { rest };
        let mut line = String::new();
        for word in para.split(' ').filter(|s| !s.is_empty()) {
            let avail = w.saturating_sub(width(indent)).max(1);
            if !line.is_empty() && width(&line) + 1 + width(word) > avail {
                lines.push(format!("{indent}{line}"));
                line.clear();
                indent = rest;
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(format!("{indent}{line}"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_never_splits_a_word() {
        let lines = wrap(
            "rule scheduler-failover-flag-removed KP1707 fails",
            16,
            "  ",
        );
        assert_eq!(
            lines,
            [
                "  rule",
                "  scheduler-failover-flag-removed",
                "  KP1707 fails"
            ]
        );
        assert_eq!(wrap("a b\nc", 80, ""), ["a b", "c"]);
        assert_eq!(
            wrap_hanging("- aa bb cc", 6, "", "  "),
            ["- aa", "  bb", "  cc"]
        );
    }

    #[test]
    fn fitting_cuts_with_an_ellipsis_inside_the_width() {
        assert_eq!(fit_right("abcdef", 4), "abc…");
        assert_eq!(fit_left("dir/file.yaml:12", 10), "…e.yaml:12");
        assert_eq!(width(&fit_left("dir/file.yaml:12", 10)), 10);
        assert_eq!(fit_right("abc", 4), "abc");
        assert_eq!(pad("ab", 4), "ab  ");
    }
}
