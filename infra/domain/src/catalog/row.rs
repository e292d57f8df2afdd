//! Row labels: `A`..`Z`, then `AA`, `AB`, ... like spreadsheet columns (bijective base 26).

/// The highest row index a label of at most three letters can name (`ZZZ`).
pub const MAX_ROWS: u32 = 26 + 26 * 26 + 26 * 26 * 26;

/// The label of the 1-based row `index` (`1` -> `A`, `27` -> `AA`).
///
/// # Panics
/// Never for `index >= 1`; `0` has no label and gives an empty string.
pub fn label(mut index: u32) -> String {
    let mut letters = Vec::with_capacity(3);
    while index > 0 {
        index -= 1;
        letters.push(b'A' + (index % 26) as u8);
        index /= 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// The 1-based index of a row label, case-insensitive; `None` if it is not one to three
/// letters.
pub fn parse_label(label: &str) -> Option<u32> {
    if label.is_empty() || label.len() > 3 {
        return None;
    }
    label.bytes().try_fold(0u32, |acc, b| {
        b.is_ascii_alphabetic()
            .then(|| acc * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_spreadsheet_order() {
        for (index, text) in [
            (1, "A"),
            (26, "Z"),
            (27, "AA"),
            (52, "AZ"),
            (53, "BA"),
            (702, "ZZ"),
            (703, "AAA"),
        ] {
            assert_eq!(label(index), text);
            assert_eq!(parse_label(text), Some(index));
        }
        assert_eq!(label(MAX_ROWS), "ZZZ");
    }

    #[test]
    fn every_label_round_trips() {
        for index in 1..=MAX_ROWS {
            assert_eq!(parse_label(&label(index)), Some(index));
        }
    }

    #[test]
    fn lower_case_is_accepted_and_junk_is_not() {
        assert_eq!(parse_label("b"), Some(2));
        for bad in ["", "A1", "1", "AAAA", "Ä", " A"] {
            assert_eq!(parse_label(bad), None, "{bad:?}");
        }
    }
}
