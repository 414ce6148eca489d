//! What a rejected setting reports, and how much of a bad value a message may quote.

use std::borrow::Cow;
use std::error::Error;
use std::fmt;

/// A setting that could not be used, with where it came from and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, or `environment` for variables.
    pub origin: String,
    /// The key, as `section.name.key` (or the variable's name).
    pub key: String,
    /// What is wrong, and what to write instead.
    pub reason: String,
}

impl ConfigError {
    pub(super) fn new(origin: &str, key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError {
            origin: origin.to_owned(),
            key: key.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: `{}`: {}", self.origin, self.key, self.reason)
    }
}

impl Error for ConfigError {}

/// The most characters of a value, key or name that a message quotes; a longer one is cut
/// there and ends with `…`, so a megabyte of bad input makes a message of a few hundred bytes.
pub(super) const QUOTE_LIMIT: usize = 64;

/// The most characters kept of a message that a parser wrote (which may quote the input).
const PARSER_MESSAGE_LIMIT: usize = 4 * QUOTE_LIMIT;

/// `text`, cut after [`QUOTE_LIMIT`] characters.
pub(super) fn clip(text: &str) -> Cow<'_, str> {
    clip_to(text, QUOTE_LIMIT)
}

/// A parser's message, cut after [`PARSER_MESSAGE_LIMIT`] characters.
pub(super) fn clip_message(text: &str) -> Cow<'_, str> {
    clip_to(text, PARSER_MESSAGE_LIMIT)
}

fn clip_to(text: &str, limit: usize) -> Cow<'_, str> {
    match text.char_indices().nth(limit) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
    }
}

/// `text` in double quotes, cut as [`clip`] does.
pub(super) fn quote(text: &str) -> String {
    format!("\"{}\"", clip(text))
}

/// A number as a message shows it: as written when that is short, in exponent form when its
/// decimal expansion is long (`1e300`, not 301 digits).
pub(super) fn show_number(value: f64) -> String {
    let plain = value.to_string();
    if plain.len() <= 24 {
        plain
    } else {
        format!("{value:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_on_a_character_boundary() {
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(100);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), QUOTE_LIMIT + 1);
        assert!(clipped.ends_with("é…"));
        assert_eq!(clip(&"x".repeat(QUOTE_LIMIT)), "x".repeat(QUOTE_LIMIT));
    }

    #[test]
    fn numbers_stay_short() {
        assert_eq!(show_number(0.5), "0.5");
        assert_eq!(show_number(1e300), "1e300");
        assert_eq!(show_number(1e-300), "1e-300");
        assert_eq!(show_number(f64::NAN), "NaN");
        assert_eq!(show_number(f64::NEG_INFINITY), "-inf");
        assert_eq!(show_number(0.0004), "0.0004");
    }
}
