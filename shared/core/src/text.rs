//! Making untrusted text safe to put in a message: bounded in length and free of control characters.

/// At most `max` characters of `input`, control characters escaped, with `…` when cut.
pub fn bounded(input: &str, max: usize) -> String {
    let mut out: String = input
        .chars()
        .take(max)
        .flat_map(|c| {
            if c.is_control() {
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
        ];
        for (input, max, expected) in cases {
            assert_eq!(bounded(input, max), expected, "{input:?}");
        }
        assert_eq!(bounded(&"x".repeat(10_000), 64).chars().count(), 65);
    }
}
