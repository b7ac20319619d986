//! Making untrusted text safe to put in a message: bounded in length and free of control characters.

/// How much of a caller's own input an error message repeats.
pub const ECHO_LIMIT: usize = 64;

/// Whether `c` reorders the text around it when shown (the bidirectional embeddings, overrides, isolates
/// and marks): a name with one can display as another.
fn reorders(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// At most `max` characters of `input`, control and text-reordering characters escaped, with `…` when
/// cut.
pub fn bounded(input: &str, max: usize) -> String {
    let mut out: String = input
        .chars()
        .take(max)
        .flat_map(|c| {
            if c.is_control() || reorders(c) {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if input.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::bounded;

    #[test]
    fn bounds_and_escapes() {
        let cases = [
            ("all-ok", 10, "all-ok"),
            ("abcdef", 3, "abc…"),
            ("a\nb", 10, "a\\nb"),
            ("\u{fffd}x", 10, "\u{fffd}x"),
            ("evil\u{202E}gpj.exe", 20, "evil\\u{202e}gpj.exe"),
        ];
        for (input, max, expected) in cases {
            assert_eq!(bounded(input, max), expected, "{input:?}");
        }
        assert_eq!(bounded(&"x".repeat(10_000), 64).chars().count(), 65);
    }
}
