//! Positions from saphyr, kept inside the text they point into.

use saphyr_parser::Span;

use crate::text::Pos;

/// saphyr's lines count from 1 and its columns from 0; ours both count from 1.
pub(super) fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line().min(u32::MAX as usize) as u32,
        column: (span.start.col() + 1).min(u32::MAX as usize) as u32,
    }
}

/// saphyr can report an error past the text: one line after the last when the text has
/// no final line break, or a column past the end of its line (seen on directives full
/// of control characters). Findings must point inside the file, so such positions are
/// moved to the end of the line (or of the last line). Lines break at `\n`, `\r\n` and
/// `\r`, as in YAML. Only problems go through here, so the extra pass is rare.
pub(super) fn clamp_to_text(src: &str, pos: Pos) -> Pos {
    let (mut line, mut len, mut target_len) = (1u32, 0u32, None);
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if c == '\n' || c == '\r' {
            if line == pos.line {
                target_len = Some(len);
            }
            line = line.saturating_add(1);
            len = 0;
        } else {
            len = len.saturating_add(1);
        }
    }
    // Not found before the last line: it is the last line, or past it (the text's end).
    let (line, len) = target_len.map_or((line, len), |l| (pos.line, l));
    Pos {
        line,
        column: pos.column.clamp(1, len.saturating_add(1)),
    }
}

/// The last position inside `src`: its last line (YAML breaks lines at `\n`, `\r\n` and
/// `\r`) and the column just after that line's last character.
pub(super) fn text_end(src: &str) -> Pos {
    let bytes = src.as_bytes();
    let mut line = 1u32;
    let mut last_break_end = 0usize;
    let mut i = 0;
    // Without `\r` every break is `\n`: counted in bulk (vectorised), as this runs once
    // per file read.
    if !bytes.contains(&b'\r') {
        let breaks = bytes.iter().filter(|&&b| b == b'\n').count();
        line = u32::try_from(breaks.saturating_add(1)).unwrap_or(u32::MAX);
        last_break_end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        i = bytes.len();
    }
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                line = line.saturating_add(1);
                i += 2;
                last_break_end = i;
                continue;
            }
            b'\n' | b'\r' => {
                line = line.saturating_add(1);
                last_break_end = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    let len = src[last_break_end..]
        .chars()
        .count()
        .min(u32::MAX as usize - 1) as u32;
    Pos {
        line,
        column: len + 1,
    }
}

/// saphyr acts as if the text ended with a line break: events at the end of a text
/// without one (the empty key of a trailing `?`, a closing mapping) sit on a line after
/// the last. Only positions of the document that ends the text can be there; move them
/// to the text's end so every recorded position points inside the file.
pub(super) fn clamp_doc_to_end(
    src: &str,
    end: &mut Option<Pos>,
    positions: &mut [Pos],
    start: &mut Pos,
) {
    // After a final line break, saphyr's "line after the last" is the text's end
    // itself: nothing can be past it, and finding the end costs a pass over the file.
    if src.ends_with(['\n', '\r']) {
        return;
    }
    let end = *end.get_or_insert_with(|| text_end(src));
    for p in std::iter::once(start).chain(positions.iter_mut()) {
        if *p > end {
            *p = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{text_end, Pos};

    #[test]
    fn the_text_end_is_after_the_last_character_whatever_breaks_lines() {
        let at = |line, column| Pos { line, column };
        assert_eq!(text_end(""), at(1, 1));
        assert_eq!(text_end("a: 1"), at(1, 5));
        assert_eq!(text_end("a: 1\n"), at(2, 1));
        assert_eq!(
            text_end("a: 1\nbé: 2"),
            at(2, 6),
            "columns count characters"
        );
        assert_eq!(text_end("a: 1\r\nb: 2"), at(2, 5));
        assert_eq!(
            text_end("a: 1\rb: 2\n"),
            at(3, 1),
            "a lone \\r breaks a line"
        );
        assert_eq!(text_end("a\r\n\nb"), at(3, 2));
    }
}
