//! The one way a file the run was given is read: manifests, a bundle's `collected.yaml`
//! and `etcd-keys.json`, the waiver file, `--baseline`, and reports given to `compare`.
//!
//! Only regular files (and pipes the shell already opened, `<(helm template ...)`), at
//! most `--max-file-bytes`, cut off while reading (a file can grow after its size was
//! looked at, and a pipe has no size), and the encoding named when it is not UTF-8.
//! A FIFO nobody writes to would block the run forever, and `/dev/zero` would never end.

use std::fs::{FileType, Metadata};
use std::io::Read;
use std::path::Path;

/// What a path is when it is not a file or a directory, for messages.
pub fn special_kind(ft: &FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt as _;
    if ft.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if ft.is_socket() {
        Some("a socket")
    } else if ft.is_char_device() {
        Some("a character device")
    } else if ft.is_block_device() {
        Some("a block device")
    } else {
        None
    }
}

/// A pipe or terminal the shell opened for us: process substitution (`<(cmd)` is
/// `/dev/fd/63`) and `/dev/stdin`. Someone is at its other end, so reading it ends.
pub fn is_open_descriptor(path: &Path) -> bool {
    let s = path.to_string_lossy();
    s == "/dev/stdin" || s.starts_with("/dev/fd/") || s.starts_with("/proc/self/fd/")
}

/// Refuse what reading could block on or never finish: FIFOs, sockets and devices,
/// unless the shell opened them (`<(...)`).
pub fn check_readable_kind(path: &Path, meta: &Metadata) -> Result<(), String> {
    match special_kind(&meta.file_type()) {
        Some(kind) if !is_open_descriptor(path) => Err(format!(
            "is {kind}, not a regular file; not read (it could block or never end: \
             pipe into `-` or use `<(...)` instead)"
        )),
        _ => Ok(()),
    }
}

/// Read at most `limit` bytes; going over is an error rather than silent truncation.
/// `size_hint` only sizes the buffer.
pub fn read_capped(r: impl Read, size_hint: u64, limit: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(size_hint.min(limit) as usize);
    r.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {}", super::files::io_reason(&e)))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "input is over the {limit} byte limit (--max-file-bytes); not read"
        ));
    }
    Ok(bytes)
}

/// A file's bytes, at most `limit` of them. Errors say what is wrong, not which file:
/// callers name it (a finding's location, or `--baseline PATH:` in front).
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("cannot read: {}", super::files::io_reason(&e)))?;
    if meta.is_dir() {
        return Err("is a directory, not a file".into());
    }
    check_readable_kind(path, &meta)?;
    if meta.len() > limit {
        return Err(format!(
            "file is {} bytes, over the {limit} byte limit (--max-file-bytes); not read",
            meta.len()
        ));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| format!("cannot read: {}", super::files::io_reason(&e)))?;
    read_capped(file, meta.len(), limit)
}

/// A file as text (UTF-8, or UTF-16 decoded), at most `limit` bytes of it.
pub fn read_text(path: &Path, limit: u64) -> Result<String, String> {
    let bytes = read_file(path, limit)?;
    if let Some((encoding, decoded)) = utf16(&bytes) {
        return decoded.map_err(|e| format!("{encoding}: {e}"));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "invalid UTF-8 at byte {} (not a text file?)",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Text saved as UTF-16 (Windows editors and PowerShell's `>` do this), with or without
/// a byte order mark: its name and the decoded text, or why it cannot be decoded. None
/// for anything else. Without a mark, UTF-16 is recognised by the zero high bytes of
/// ASCII text: every other byte is NUL and the others are not.
pub fn utf16(bytes: &[u8]) -> Option<(&'static str, Result<String, String>)> {
    let (encoding, little, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => ("UTF-16LE", true, rest),
        [0xFE, 0xFF, rest @ ..] => ("UTF-16BE", false, rest),
        _ => {
            let head = &bytes[..bytes.len().min(512) & !1];
            if head.len() < 4 {
                return None;
            }
            let zeros = |parity: usize| {
                head.iter()
                    .skip(parity)
                    .step_by(2)
                    .filter(|&&b| b == 0)
                    .count()
            };
            let pairs = head.len() / 2;
            let (even, odd) = (zeros(0), zeros(1));
            if odd * 10 >= pairs * 9 && even == 0 {
                ("UTF-16LE", true, bytes)
            } else if even * 10 >= pairs * 9 && odd == 0 {
                ("UTF-16BE", false, bytes)
            } else {
                return None;
            }
        }
    };
    if body.len() % 2 != 0 {
        return Some((
            encoding,
            Err(format!(
                "odd length ({} bytes), not {encoding} text",
                body.len()
            )),
        ));
    }
    let units = body.chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let mut text = String::with_capacity(body.len() / 2);
    for (i, c) in char::decode_utf16(units).enumerate() {
        match c {
            // A NUL is as much a sign of a binary file here as in UTF-8.
            Ok('\0') => return Some((encoding, Err(format!("NUL character at byte {}", i * 2)))),
            Ok(c) => text.push(c),
            Err(_) => {
                return Some((
                    encoding,
                    Err(format!("unpaired surrogate at byte {}", i * 2)),
                ))
            }
        }
    }
    Some((encoding, Ok(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn be(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    #[test]
    fn utf16_is_recognised_with_and_without_a_byte_order_mark() {
        let text = "apiVersion: v1\nkind: ConfigMap\n";
        let with_bom = [vec![0xFF, 0xFE], le(text)].concat();
        assert_eq!(utf16(&with_bom), Some(("UTF-16LE", Ok(text.to_string()))));
        assert_eq!(utf16(&le(text)), Some(("UTF-16LE", Ok(text.to_string()))));
        let big_endian = [vec![0xFE, 0xFF], be(text)].concat();
        assert_eq!(utf16(&big_endian), Some(("UTF-16BE", Ok(text.to_string()))));
        assert_eq!(utf16(&be(text)), Some(("UTF-16BE", Ok(text.to_string()))));
    }

    #[test]
    fn utf8_and_binary_are_not_utf16() {
        assert_eq!(utf16(b"apiVersion: v1\nkind: ConfigMap\n"), None);
        assert_eq!(utf16(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"), None);
        // A broken surrogate in marked UTF-16 is named, not decoded.
        let broken = [vec![0xFF, 0xFE], le("a: b"), vec![0x00, 0xD8, 0x41, 0x00]].concat();
        let (enc, r) = utf16(&broken).unwrap();
        assert_eq!(enc, "UTF-16LE");
        assert!(r.unwrap_err().contains("unpaired surrogate"));
    }

    #[test]
    fn a_file_over_the_limit_is_refused_and_a_fifo_is_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big.yaml");
        std::fs::write(&f, "x".repeat(100)).unwrap();
        assert_eq!(read_text(&f, 100).unwrap().len(), 100);
        let e = read_text(&f, 99).unwrap_err();
        assert!(
            e.contains("100 bytes, over the 99 byte limit (--max-file-bytes)"),
            "{e}"
        );
        let fifo = dir.path().join("fifo.yaml");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        // Opening it would block until a writer appears: refused before opening.
        let e = read_text(&fifo, 100).unwrap_err();
        assert!(e.contains("FIFO"), "{e}");
        let e = read_text(Path::new("/dev/zero"), 100).unwrap_err();
        assert!(e.contains("character device"), "{e}");
    }
}
