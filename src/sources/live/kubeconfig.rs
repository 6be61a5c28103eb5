//! Loading kubeconfig files as kubectl does (`--kubeconfig`, else every file in
//! `KUBECONFIG` merged, first to set a value wins, else `~/.kube/config`), with errors of
//! our own.
//!
//! kube's parse error prints the source lines around the problem, so a malformed file
//! put part of `client-key-data`, a bearer token or a password on the terminal (and into
//! CI logs). Its message is never passed on: ours names the file, the line and column
//! and the key path (`users[0].user.token`), never a value.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use kube::config::{Kubeconfig, KubeconfigError};
use saphyr_parser::{Event, Parser};

use crate::sources::files::io_reason;

/// A kubeconfig is a few KiB; a bigger cap only guards the diagnosis re-read below.
const MAX_KUBECONFIG_BYTES: u64 = 64 << 20;

pub fn load_kubeconfig(path: Option<&PathBuf>) -> anyhow::Result<Kubeconfig> {
    if let Some(p) = path {
        // Checked first so a missing file is one plain error naming the flag and path.
        if let Err(e) = std::fs::metadata(p) {
            anyhow::bail!("--kubeconfig {}: {}", p.display(), io_reason(&e));
        }
        return read_one(p);
    }
    if let Some(value) = std::env::var_os("KUBECONFIG") {
        let files: Vec<PathBuf> = std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !files.is_empty() {
            let mut merged = Kubeconfig::default();
            for f in &files {
                merged = merged.merge(read_one(f)?).map_err(|e| {
                    anyhow!("merging the files in KUBECONFIG ({}): {e}", f.display())
                })?;
            }
            return Ok(merged);
        }
    }
    let Some(home) = std::env::home_dir() else {
        anyhow::bail!("no kubeconfig: set --kubeconfig or KUBECONFIG (no home directory)");
    };
    let default = home.join(".kube").join("config");
    read_one(&default).map_err(|e| e.context("set --kubeconfig or KUBECONFIG"))
}

fn read_one(path: &Path) -> anyhow::Result<Kubeconfig> {
    Kubeconfig::read_from(path).map_err(|e| explain(path, e))
}

/// Our message for kube's error: its `Display` is used only for variants that carry no
/// text of the file.
fn explain(path: &Path, e: KubeconfigError) -> anyhow::Error {
    match e {
        KubeconfigError::ReadConfig(io, _) => {
            anyhow!("kubeconfig {}: {}", path.display(), io_reason(&io))
        }
        KubeconfigError::Parse(parse) => {
            let at = parse
                .location()
                .map(|l| (l.line() as usize, l.column() as usize));
            let text = read_bounded(path);
            let found = text.as_deref().map(|t| locate(t, at));
            let (line, column) = found
                .as_ref()
                .and_then(|f| f.syntax.as_ref().map(|s| s.0))
                .or(at)
                .unwrap_or((0, 0));
            let place = if line > 0 {
                format!("{}:{line}:{column}", path.display())
            } else {
                path.display().to_string()
            };
            let key = found
                .as_ref()
                .and_then(|f| f.key_path.clone())
                .map(|k| format!(" at {k}"))
                .unwrap_or_default();
            let what = match found.as_ref().and_then(|f| f.syntax.as_ref()) {
                Some((_, info)) => format!("YAML syntax error{key}: {info}"),
                None => format!("a value{key} is not of the type a kubeconfig has there"),
            };
            anyhow!("kubeconfig {place}: {what} (the value is not shown: it may be a credential)")
        }
        // Kind or apiVersion differ between documents of the file: no text of it.
        other => anyhow!("kubeconfig {}: {other}", path.display()),
    }
}

fn read_bounded(path: &Path) -> Option<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_KUBECONFIG_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// What the event stream says about a position: the key path of the last node that
/// starts at or before it, and the first syntax error, if any.
#[derive(Debug, Default, PartialEq)]
struct Located {
    key_path: Option<String>,
    /// ((line, column), saphyr's description: a fixed text, at most one character of
    /// the input).
    syntax: Option<((usize, usize), String)>,
}

enum Frame {
    Map {
        /// The last key read (already rendered as a path segment).
        key: Option<String>,
        want_key: bool,
    },
    Seq {
        next: usize,
    },
}

/// Keys a kubeconfig has. Only these are printed: any other key is shown as `<key>`,
/// since in a malformed file (`{token:s3cret}` in flow style is one key) a key can be a
/// credential.
const KNOWN_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "preferences",
    "clusters",
    "cluster",
    "users",
    "user",
    "contexts",
    "context",
    "current-context",
    "extensions",
    "extension",
    "name",
    "server",
    "tls-server-name",
    "insecure-skip-tls-verify",
    "certificate-authority",
    "certificate-authority-data",
    "proxy-url",
    "disable-compression",
    "client-certificate",
    "client-certificate-data",
    "client-key",
    "client-key-data",
    "token",
    "tokenFile",
    "as",
    "as-uid",
    "as-groups",
    "as-user-extra",
    "username",
    "password",
    "auth-provider",
    "config",
    "exec",
    "command",
    "args",
    "env",
    "value",
    "installHint",
    "provideClusterInfo",
    "interactiveMode",
    "namespace",
    "colors",
];

fn segment(key: &str) -> String {
    if KNOWN_KEYS.contains(&key) {
        format!(".{key}")
    } else {
        ".<key>".to_string()
    }
}

fn render(stack: &[Frame]) -> String {
    let mut out = String::new();
    for f in stack {
        match f {
            // The key stays set while its value (and anything inside it) is read.
            Frame::Map { key: Some(k), .. } => out.push_str(k),
            Frame::Seq { next } if *next > 0 => out.push_str(&format!("[{}]", next - 1)),
            _ => {}
        }
    }
    out
}

/// Walk `text`'s events up to `at` (1-based line and column; None: up to the first
/// syntax error).
fn locate(text: &str, at: Option<(usize, usize)>) -> Located {
    let mut out = Located::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(e) => e,
            Err(e) => {
                let m = e.marker();
                out.syntax = Some(((m.line().max(1), m.col() + 1), e.info().to_string()));
                break;
            }
        };
        let pos = (span.start.line(), span.start.col() + 1);
        if at.is_some_and(|a| pos > a) {
            break;
        }
        let starts_node = matches!(
            event,
            Event::Scalar(..)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
                | Event::Alias(_)
        );
        if starts_node {
            // Which slot of the parent this node fills.
            let mut as_key = None;
            match stack.last_mut() {
                Some(Frame::Map { key, want_key }) if *want_key => {
                    let k = match &event {
                        Event::Scalar(v, ..) => segment(v),
                        _ => ".<key>".to_string(),
                    };
                    as_key = Some(k.clone());
                    *key = Some(k);
                }
                Some(Frame::Seq { next }) => *next += 1,
                _ => {}
            }
            // A key's path is its parent's path plus the key itself.
            let path = match &as_key {
                Some(k) => {
                    let mut p = render(&stack[..stack.len() - 1]);
                    p.push_str(k);
                    p
                }
                None => render(&stack),
            };
            out.key_path = Some(match path.strip_prefix('.') {
                Some(p) => p.to_string(),
                None if path.is_empty() => "the top level".to_string(),
                None => path,
            });
            if let Some(Frame::Map { want_key, .. }) = stack.last_mut() {
                // After a key comes its value; after a value, the next key.
                *want_key = as_key.is_none();
            }
        }
        match event {
            Event::MappingStart(..) => stack.push(Frame::Map {
                key: None,
                want_key: true,
            }),
            Event::SequenceStart(..) => stack.push(Frame::Seq { next: 0 }),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            Event::DocumentEnd => stack.clear(),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KC: &str =
        "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: [s3cret]\n";

    #[test]
    fn the_key_path_of_a_value_is_named() {
        let l = locate(KC, Some((6, 12)));
        assert_eq!(l.key_path.as_deref(), Some("users[0].user.token"));
        assert_eq!(l.syntax, None);
    }

    #[test]
    fn a_syntax_error_has_its_position_and_the_last_key_before_it() {
        let text = "users:\n- name: u\n  user:\n    password: \"abc\n";
        let l = locate(text, None);
        assert_eq!(l.key_path.as_deref(), Some("users[0].user.password"));
        let (pos, info) = l.syntax.expect("syntax error");
        assert_eq!(pos.0, 4, "{info}");
    }

    #[test]
    fn an_unknown_key_is_not_printed() {
        let text = "users:\n- name: u\n  user: {tok3n-s3cret: 1}\n";
        let l = locate(text, Some((3, 20)));
        assert_eq!(l.key_path.as_deref(), Some("users[0].user.<key>"));
    }
}
