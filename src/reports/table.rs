//! `-o table`: what a person at a terminal reads.
//!
//! Compact by default: the phase line once, then one line per finding that needs
//! attention (status, rule, object, location, message), fitted to the terminal width:
//! status and rule are never cut or broken (people copy rule names into `--rule` and
//! `explain`); object and location are cut at the start, the message at the end, each
//! with `…`. When that would leave the message fewer than 40 columns (an 80-column
//! terminal), the message goes on a second line of its own, indented under the rule.
//! `verbose` lists every finding (passes and skips too) as a block with its evidence and
//! remediation, word-wrapped at spaces only.

use owo_colors::OwoColorize;

use super::text::{fit_left, fit_right, pad, width, wrap_hanging};
use super::Report;
use crate::findings::{Finding, Status};

/// How to lay the table out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Layout {
    /// ANSI colours on the status.
    pub color: bool,
    /// Columns available; None: no limit (no terminal, no `COLUMNS`).
    pub width: Option<usize>,
    /// Every finding with evidence and remediation, not only those needing attention.
    pub verbose: bool,
}

fn label(f: &Finding) -> String {
    match f.severity {
        Some(sev) if f.status == Status::Fail => format!("fail ({sev})"),
        _ => f.status.to_string(),
    }
}

/// The padded status label, coloured when asked (padding is computed before the colour
/// codes so columns stay aligned).
fn status_cell(f: &Finding, w: usize, color: bool) -> String {
    let text = pad(&label(f), w);
    if !color {
        return text;
    }
    match f.status {
        Status::Pass => text.green().to_string(),
        Status::Fail | Status::Blocker => text.red().to_string(),
        Status::Action => text.yellow().to_string(),
        Status::Unknown => text.magenta().to_string(),
        Status::Skip | Status::Suppressed => text.bright_black().to_string(),
    }
}

fn rule_cell(f: &Finding) -> String {
    format!("{} {}", f.rule.id(), f.rule.name())
}

fn object_cell(f: &Finding) -> String {
    f.object.as_ref().map(|o| o.to_string()).unwrap_or_default()
}

/// The object in `w` columns: in full when it fits, else `Kind/name`, else the name
/// (scope, namespace and kind are in `-v`), cut at the start when even that is too long.
fn object_short(f: &Finding, w: usize) -> String {
    let Some(o) = &f.object else {
        return String::new();
    };
    [o.to_string(), format!("{}/{}", o.kind(), o.name)]
        .into_iter()
        .find(|s| width(s) <= w)
        .unwrap_or_else(|| fit_left(&o.name, w))
}

fn location_cell(f: &Finding) -> String {
    f.location
        .as_ref()
        .map(|l| l.to_string())
        .unwrap_or_default()
}

/// The location in `w` columns: in full when it fits, else the file name and line
/// without the directories, cut at the start when even that is too long.
fn location_short(f: &Finding, w: usize) -> String {
    let full = location_cell(f);
    if width(&full) <= w {
        return full;
    }
    let short = full.rsplit('/').next().unwrap_or(&full).to_string();
    fit_left(&short, w)
}

fn needs_attention(f: &Finding) -> bool {
    !matches!(f.status, Status::Pass | Status::Skip | Status::Suppressed)
}

pub fn render(report: &Report, layout: Layout) -> String {
    let w = layout.width;
    let mut out = String::new();
    let title = format!(
        "karmada-preflight {} — phase {} ({})",
        report.tool.version, report.phase, report.phase_reason
    );
    push_wrapped(&mut out, &title, w, "");
    out.push('\n');
    let shown: Vec<&Finding> = Status::ALL
        .iter()
        .flat_map(|s| report.findings.iter().filter(move |f| f.status == *s))
        .filter(|f| layout.verbose || needs_attention(f))
        .collect();
    if shown.is_empty() {
        out.push_str("Nothing needs attention.\n");
    } else if layout.verbose {
        verbose(&mut out, &shown, layout);
    } else {
        compact(&mut out, &shown, layout);
    }
    let counts: Vec<String> = report
        .summary
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    out.push('\n');
    push_wrapped(&mut out, &format!("Summary: {}", counts.join(", ")), w, "");
    if !layout.verbose {
        push_wrapped(
            &mut out,
            "-v lists passes and skips with evidence and remediation; `explain RULE` says why \
             a rule matters; --fix-dir DIR writes the fixes and PLAN.md.",
            w,
            "",
        );
    }
    out
}

fn push_wrapped(out: &mut String, text: &str, w: Option<usize>, indent: &str) {
    push_hanging(out, text, w, indent, indent)
}

fn push_hanging(out: &mut String, text: &str, w: Option<usize>, first: &str, rest: &str) {
    let lines = match w {
        Some(w) => wrap_hanging(text, w, first, rest),
        None => wrap_hanging(text, usize::MAX, first, rest),
    };
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
}

const GAP: usize = 2;

/// Fewer message columns than this beside the other columns, and the message goes on a
/// line of its own (see `compact`).
const MIN_MESSAGE: usize = 40;

/// Widths of the object and location columns and of the message, in `rest` columns
/// (None: unlimited). A column is at least as wide as its header, and 0 when no row
/// has a value for it.
fn share(rest: Option<usize>, obj_max: usize, loc_max: usize) -> (usize, usize, usize) {
    // The message keeps at least 55% of the line (and 12 columns).
    share_leaving(rest, obj_max, loc_max, |room| {
        (room * 55 / 100).max(12).min(room)
    })
}

/// [`share`], the message keeping at least `msg_min(room)` columns of the `room` left after
/// the gaps (0 when the message has a line of its own); object and location share the
/// rest in proportion to what they need.
fn share_leaving(
    rest: Option<usize>,
    obj_max: usize,
    loc_max: usize,
    msg_min: impl Fn(usize) -> usize,
) -> (usize, usize, usize) {
    let obj_full = if obj_max == 0 { 0 } else { obj_max.max(6) };
    let loc_full = if loc_max == 0 { 0 } else { loc_max.max(8) };
    let Some(rest) = rest else {
        return (obj_full, loc_full, usize::MAX);
    };
    let gaps = GAP * (usize::from(obj_full > 0) + usize::from(loc_full > 0));
    let room = rest.saturating_sub(gaps);
    let msg_min = msg_min(room);
    if obj_full + loc_full + msg_min <= room {
        return (obj_full, loc_full, room - obj_full - loc_full);
    }
    let for_both = room - msg_min;
    let need = (obj_full + loc_full).max(1);
    // Never narrower than the header ("OBJECT", "LOCATION") while the column is shown.
    let obj = (for_both * obj_full / need)
        .min(obj_full)
        .max(obj_full.min(6));
    let loc = for_both
        .saturating_sub(obj)
        .min(loc_full)
        .max(loc_full.min(8));
    (obj, loc, room.saturating_sub(obj + loc))
}

fn compact(out: &mut String, shown: &[&Finding], layout: Layout) {
    let status_w = shown
        .iter()
        .map(|f| width(&label(f)))
        .max()
        .unwrap_or(0)
        .max(6);
    let rule_w = shown
        .iter()
        .map(|f| width(&rule_cell(f)))
        .max()
        .unwrap_or(0);
    let obj_max = shown
        .iter()
        .map(|f| width(&object_cell(f)))
        .max()
        .unwrap_or(0);
    let loc_max = shown
        .iter()
        .map(|f| width(&location_cell(f)))
        .max()
        .unwrap_or(0);
    let rest = layout
        .width
        .map(|w| w.saturating_sub(status_w + GAP + rule_w + GAP));
    let (mut obj_w, mut loc_w, msg_w) = share(rest, obj_max, loc_max);
    // Too narrow for the message beside the rest (an 80-column terminal left it eight
    // characters: "The Repl…"): each finding takes two lines, the message on the second,
    // indented under the rule, with the whole width after the indent.
    let indent = status_w + GAP;
    let stacked = match layout.width {
        Some(w) if msg_w < MIN_MESSAGE => Some(w.saturating_sub(indent).max(12)),
        _ => None,
    };
    if stacked.is_some() {
        (obj_w, loc_w, _) = share_leaving(rest, obj_max, loc_max, |_| 0);
    }
    let line = |status: String, rule: &str, obj: &str, loc: &str, msg: &str| -> String {
        let mut l = format!("{status}{}{}", " ".repeat(GAP), pad(rule, rule_w));
        for (text, w) in [(obj, obj_w), (loc, loc_w)] {
            if w > 0 {
                l.push_str(&" ".repeat(GAP));
                l.push_str(&pad(text, w));
            }
        }
        let (sep, msg_w) = match stacked {
            Some(w) => (format!("\n{}", " ".repeat(indent)), w),
            None => (" ".repeat(GAP), msg_w),
        };
        if stacked.is_some() {
            l = l.trim_end().to_string();
        }
        if !msg.is_empty() {
            l.push_str(&sep);
            l.push_str(&fit_right(msg, msg_w));
        }
        l.trim_end().to_string() + "\n"
    };
    out.push_str(&line(
        pad("STATUS", status_w),
        "RULE",
        "OBJECT",
        "LOCATION",
        "MESSAGE",
    ));
    for f in shown {
        // One line per finding (two when stacked): a message with line breaks is joined.
        let msg = f.message.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push_str(&line(
            status_cell(f, status_w, layout.color),
            &rule_cell(f),
            &object_short(f, obj_w),
            &location_short(f, loc_w),
            &msg,
        ));
    }
}

fn verbose(out: &mut String, shown: &[&Finding], layout: Layout) {
    let w = layout.width;
    let status_w = shown.iter().map(|f| width(&label(f))).max().unwrap_or(0);
    let ind = " ".repeat(status_w + GAP);
    for f in shown {
        out.push_str(&format!(
            "{}{}{}\n",
            status_cell(f, status_w, layout.color),
            " ".repeat(GAP),
            rule_cell(f)
        ));
        let obj = object_cell(f);
        if !obj.is_empty() {
            out.push_str(&format!("{ind}object    {obj}\n"));
        }
        let loc = location_cell(f);
        if !loc.is_empty() {
            out.push_str(&format!("{ind}location  {loc}\n"));
        }
        push_wrapped(out, &f.message, w, &ind);
        for e in &f.evidence {
            let mark = match e.status {
                Some(s) => format!("{s}: "),
                None => String::new(),
            };
            let text = match &e.location {
                Some(l) => format!("{mark}{} ({l})", e.message),
                None => format!("{mark}{}", e.message),
            };
            push_hanging(out, &text, w, &format!("{ind}- "), &format!("{ind}  "));
        }
        if let Some(r) = &f.remediation {
            push_hanging(
                out,
                &format!("fix: {}", r.summary),
                w,
                &ind,
                &format!("{ind}     "),
            );
            // Commands and diffs are not wrapped: they must stay copyable.
            if let Some(d) = &r.diff {
                for line in d.lines() {
                    out.push_str(&format!("{ind}    {line}\n"));
                }
            }
            for c in &r.commands {
                out.push_str(&format!("{ind}    {c}\n"));
            }
            for m in &r.manifests {
                out.push_str(&format!(
                    "{ind}    (with --fix-dir: {} → {})\n",
                    m.file_name, m.apply_to
                ));
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn columns_share_the_width_and_the_message_keeps_its_part() {
        // Everything fits: full columns, the message takes what is left.
        assert_eq!(share(Some(100), 20, 10), (20, 10, 66));
        // Too narrow: object and location shrink in proportion, the message keeps half.
        let (o, l, m) = share(Some(40), 50, 50);
        assert_eq!(o + l + m + 4, 40);
        assert_eq!(m, 19, "55% of the 36 columns left after the gaps");
        assert_eq!(share(None, 5, 0), (6, 0, usize::MAX));
    }
}
