//! Text as people type it: the same text whatever width or case it was typed in.

/// The same text whatever width it was typed in (NFKC: full-width digits and
/// letters become ASCII).
pub(crate) fn nfkc(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfkc().collect()
}

/// The same text whatever width or case it was typed in.
pub(crate) fn normalise(text: &str) -> String {
    nfkc(text).to_lowercase()
}
