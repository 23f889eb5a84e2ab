//! Lines of `git ls-tree -r` as git prints them (`<mode> <type> <id>` TAB path), and the path
//! each names. With `core.quotePath=true` (what pipegen asks for) a path holding a byte outside
//! printable ASCII, a `"` or a `\` is C-quoted (`"a\tb"`, `"\303\251"`), so every line is ASCII.

/// The path a listing line names, as bytes: after the TAB, unquoted.
pub fn path_of(line: &str) -> Vec<u8> {
    let path = line.split_once('\t').map_or(line, |(_, path)| path);
    match path.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
        Some(quoted) => unquote(quoted),
        None => path.as_bytes().to_vec(),
    }
}

/// Git's C quoting undone: `\a \b \t \n \v \f \r \" \\` and three octal digits per byte.
fn unquote(quoted: &str) -> Vec<u8> {
    let bytes = quoted.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' || i + 1 == bytes.len() {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let escaped = bytes[i + 1];
        let octal = bytes.get(i + 1..i + 4).filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        if let Some(digits) = octal {
            out.push(digits.iter().fold(0u8, |n, d| n.wrapping_mul(8).wrapping_add(d - b'0')));
            i += 4;
            continue;
        }
        out.push(match escaped {
            b'a' => 7,
            b'b' => 8,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 11,
            b'f' => 12,
            b'r' => b'\r',
            other => other,
        });
        i += 2;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_paths_as_git_quotes_them() {
        assert_eq!(path_of("100644 blob abc\tplain name.txt"), b"plain name.txt");
        assert_eq!(path_of("100644 blob abc\t\"q\\\"t\\\\b\\tc\\nd\""), b"q\"t\\b\tc\nd");
        assert_eq!(path_of("100644 blob abc\t\"\\303\\251t\\303\\251\""), "été".as_bytes());
        assert_eq!(path_of("dir/file"), b"dir/file");
    }
}
