//! Names compared as the systems behind them compare them: an account name or a CRM field
//! must not slip past a rule by letter case, width, stray spaces or an invisible character.
//! What still differs after folding (a look-alike letter) is another name, and another name
//! is unknown: held, never allowed.

use unicode_normalization::UnicodeNormalization;

use crate::detect::normalize::is_invisible;

/// A name folded for comparison: compatibility forms (full-width letters, ligatures),
/// invisible characters dropped, surrounding space trimmed, lower case.
#[must_use]
pub fn fold(name: &str) -> String {
    name.nfkc()
        .filter(|c| !is_invisible(*c))
        .collect::<String>()
        .trim()
        .to_lowercase()
}

/// A CRM field name as CRMs match it: folded and without separators, so `CloseDate`,
/// `close_date`, `Close Date` and `close-date` are one field.
#[must_use]
pub fn crm_field(name: &str) -> String {
    fold(name)
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '_' | '-' | '.')))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_width_space_and_invisible_characters_fold_away() {
        for n in [
            "Dev.Patel",
            "DEV.PATEL",
            " dev.patel ",
            "dev\u{200B}.patel",
            "ｄｅｖ.patel",
        ] {
            assert_eq!(fold(n), "dev.patel", "{n:?}");
        }
        // A look-alike letter is another name.
        assert_ne!(fold("dev.pate\u{04CF}"), "dev.patel");
        assert_ne!(fold("dev.pateI"), "dev.patel");
    }

    #[test]
    fn crm_fields_match_without_case_or_separators() {
        for n in [
            "close_date",
            "CloseDate",
            "Close Date",
            "close-date",
            "CLOSE\u{200D}DATE",
        ] {
            assert_eq!(crm_field(n), "closedate", "{n:?}");
        }
        assert_ne!(crm_field("\u{0405}tage"), crm_field("stage"));
    }
}
