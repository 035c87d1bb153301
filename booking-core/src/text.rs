//! Free text that people type: the one rule for control characters.
//!
//! The engine keeps a few texts as given, to show them to people: a group session's title, the
//! reason a teacher gives for declining a lesson, the note on a teacher's time off. Each is
//! checked by [`check_text`] before anything else is decided, the same way for every store and
//! every language, so a command that one store accepts no other store refuses (PostgreSQL's
//! `jsonb`, for one, cannot hold U+0000).
//!
//! | field | command | kind | other limits |
//! |---|---|---|---|
//! | `title` | create a group session | [single line](TextKind::SingleLine) | 1 to 200 characters, trimmed |
//! | `reason` | decline a lesson | [multi-line](TextKind::MultiLine) | at most 1000 characters, trimmed; empty is none |
//! | `note` | take time off | [multi-line](TextKind::MultiLine) | at most 200 characters, trimmed; empty is none |
//!
//! The rule, for all of them:
//!
//! - **No control characters** (Unicode category Cc: U+0000 to U+001F, DEL U+007F, and the C1
//!   controls U+0080 to U+009F), tab included: such a text is refused with
//!   [`BookingError::InvalidInput`] naming the field and the first offending character, and
//!   nothing changes. The whole value as sent is checked, before trimming.
//! - **Line breaks** only in multi-line fields: line feed (U+000A), carriage return followed by
//!   line feed, or a carriage return alone. They are stored as line feeds: `"a\r\nb"` and
//!   `"a\rb"` are kept as `"a\nb"`, so what is stored never holds a carriage return. A single-line
//!   field refuses every line break.
//! - Everything else is kept as typed, any script and any emoji included (characters such as
//!   U+2028 LINE SEPARATOR are not control characters and are kept).
//!
//! Limits in characters count the text as stored (after the line breaks are normalized and the
//! text is trimmed).
//!
//! Other strings of a command have rules of their own: time-zone names must be IANA names
//! ([`crate::time::parse_time_zone`]), meeting links absolute http(s) URLs without control
//! characters ([`crate::MeetingLink`]), request keys 1 to 255 bytes without control characters
//! ([`crate::RequestKey`]).
//!
//! ```
//! use booking_core::text::{check_text, TextKind};
//!
//! assert_eq!(check_text("reason", "Sorry,\r\nI am ill", TextKind::MultiLine).unwrap(), "Sorry,\nI am ill");
//! assert_eq!(check_text("title", "Algebra 老师 😀", TextKind::SingleLine).unwrap(), "Algebra 老师 😀");
//! let refused = check_text("title", "Algebra\nII", TextKind::SingleLine).unwrap_err();
//! assert_eq!(refused.code().as_str(), "invalid_input");
//! assert_eq!(refused.to_string(), "invalid title: must be a single line without control characters (U+000A at character 8)");
//! assert!(check_text("note", "off\u{0}", TextKind::MultiLine).is_err());
//! ```

use crate::BookingError;
use std::borrow::Cow;

/// Whether a field may hold line breaks; see the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextKind {
    /// One line (a title): no control character at all.
    SingleLine,
    /// Several lines (a reason, a note): line breaks, stored as line feeds, and no other
    /// control character.
    MultiLine,
}

/// Checks the free text `value` of the field `field` against the [rule](self) and returns it
/// as it is to be stored (line breaks as line feeds in a multi-line field; otherwise `value`
/// unchanged). Trimming and length limits are the caller's.
///
/// # Errors
///
/// [`BookingError::InvalidInput`] naming `field`, for a control character (or, in a single-line
/// field, a line break), with its code point and its position (counted in characters from 1).
///
/// ```
/// use booking_core::text::{check_text, TextKind};
/// let err = check_text("note", "half\u{7f}day", TextKind::MultiLine).unwrap_err();
/// assert_eq!(err.to_string(), "invalid note: must not contain control characters (U+007F at character 5)");
/// ```
pub fn check_text<'a>(field: &str, value: &'a str, kind: TextKind) -> Result<Cow<'a, str>, BookingError> {
    let line_break = |c: char| kind == TextKind::MultiLine && matches!(c, '\n' | '\r');
    if let Some((at, c)) = value.chars().enumerate().find(|&(_, c)| c.is_control() && !line_break(c)) {
        let what = match kind {
            TextKind::SingleLine => "must be a single line without control characters",
            TextKind::MultiLine => "must not contain control characters",
        };
        return Err(BookingError::invalid(field, format!("{what} (U+{:04X} at character {})", u32::from(c), at + 1)));
    }
    if value.contains('\r') {
        Ok(Cow::Owned(value.replace("\r\n", "\n").replace('\r', "\n")))
    } else {
        Ok(Cow::Borrowed(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(field: &str, value: &str, kind: TextKind) -> String {
        match check_text(field, value, kind) {
            Err(BookingError::InvalidInput { field: f, reason }) => {
                assert_eq!(f, field);
                reason
            }
            other => panic!("{value:?} as {kind:?}: expected invalid_input, got {other:?}"),
        }
    }

    #[test]
    fn every_control_character_is_refused_but_line_breaks_in_multi_line_fields() {
        let controls = (0u32..0x20).chain([0x7f]).chain(0x80..0xa0).map(|c| char::from_u32(c).unwrap());
        for c in controls {
            for value in [format!("{c}"), format!("a{c}"), format!("{c}b"), format!("a {c} b")] {
                refused("title", &value, TextKind::SingleLine);
                if c == '\n' || c == '\r' {
                    assert!(!check_text("note", &value, TextKind::MultiLine).unwrap().contains('\r'));
                } else {
                    refused("note", &value, TextKind::MultiLine);
                }
            }
        }
        assert_eq!(
            refused("reason", "ok\u{0}", TextKind::MultiLine),
            "must not contain control characters (U+0000 at character 3)"
        );
        assert_eq!(
            refused("title", "é\u{85}", TextKind::SingleLine),
            "must be a single line without control characters (U+0085 at character 2)"
        );
    }

    #[test]
    fn line_breaks_are_stored_as_line_feeds() {
        for (sent, stored) in
            [("a\r\nb", "a\nb"), ("a\rb", "a\nb"), ("a\nb", "a\nb"), ("a\r\r\nb\n\rc", "a\n\nb\n\nc"), ("\r\n", "\n")]
        {
            assert_eq!(check_text("reason", sent, TextKind::MultiLine).unwrap(), stored, "{sent:?}");
        }
        assert!(matches!(check_text("reason", "a\nb", TextKind::MultiLine), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn other_text_is_kept_as_typed() {
        for value in
            ["", " ", "Algebra, part 1; \\review", "END:VEVENT", "老师 😀 é", "a\u{2028}b", "\u{200b}\u{202e}x"]
        {
            for kind in [TextKind::SingleLine, TextKind::MultiLine] {
                assert_eq!(check_text("title", value, kind).unwrap(), value);
            }
        }
    }
}
