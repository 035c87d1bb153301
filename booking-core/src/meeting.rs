//! Meeting links: validated, normalized absolute http(s) URLs. The engine never invents them.

use crate::BookingError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest meeting link accepted, in bytes.
pub const MAX_MEETING_LINK_LEN: usize = 2048;

/// An absolute `http` or `https` URL with a host, such as a video-call room.
///
/// # What is stored: the normalized URL
///
/// A link is checked, then kept **normalized**: as the [`url`] crate (the WHATWG URL standard)
/// serializes it, which is what a browser would open. The scheme and host are lower-cased, an
/// empty path becomes `/`, default ports are dropped, internationalized host names become
/// their ASCII (`xn--`) form, and characters a URL cannot hold (spaces, quotes, non-ASCII in
/// the path or query) are percent-encoded. [`as_str`](Self::as_str), the events, the exports
/// and every store hold that form, never the text as typed.
///
/// A link with any control character (U+0000 to U+001F, DEL, U+0080 to U+009F), tab and line
/// breaks included, anywhere in it, is refused: the URL standard would silently drop tabs and
/// line breaks, and a line break that reached a calendar file could add properties to it.
///
/// ```
/// use booking_core::MeetingLink;
/// let link = MeetingLink::parse("https://meet.example.com/abc-defg").unwrap();
/// assert_eq!(link.as_str(), "https://meet.example.com/abc-defg");
/// // Stored normalized.
/// let link = MeetingLink::parse("HTTPS://Meet.Example.COM:443?room=Salle A").unwrap();
/// assert_eq!(link.as_str(), "https://meet.example.com/?room=Salle%20A");
/// assert_eq!(MeetingLink::parse("ftp://example.com").unwrap_err().code().as_str(), "invalid_meeting_link");
/// assert!(MeetingLink::parse("javascript:alert(1)").is_err());
/// // Control characters are refused, not dropped.
/// assert!(MeetingLink::parse("https://meet.example.com/x\nATTACH:https://evil.example/a").is_err());
/// assert!(MeetingLink::parse("https://meet.example.com/x\ty").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct MeetingLink(String);

impl MeetingLink {
    /// Validates `link` and normalizes it (see the [type docs](Self)): at most
    /// [`MAX_MEETING_LINK_LEN`] bytes as given and once normalized, no surrounding whitespace,
    /// no control character, scheme `http` or `https`, and a host.
    ///
    /// # Errors
    ///
    /// [`BookingError::InvalidMeetingLink`] saying which of these fails.
    pub fn parse(link: &str) -> Result<Self, BookingError> {
        Self::checked(link, true)
    }

    /// The checks of [`parse`](Self::parse). `strict: false` is for links read back from a
    /// store, which were accepted by an earlier version: control characters and surrounding
    /// whitespace are left to the URL parser (which drops tabs, line breaks and surrounding
    /// spaces, and percent-encodes other control characters), and the normalized form may be
    /// longer than the limit, so such a link still loads, normalized.
    fn checked(link: &str, strict: bool) -> Result<Self, BookingError> {
        let refuse = |reason: &str| BookingError::InvalidMeetingLink {
            link: link.chars().take(200).collect(),
            reason: reason.to_owned(),
        };
        if link.len() > MAX_MEETING_LINK_LEN {
            return Err(refuse("longer than 2048 bytes"));
        }
        if strict && let Some(c) = link.chars().find(|c| c.is_control()) {
            return Err(refuse(&format!("contains the control character U+{:04X}", u32::from(c))));
        }
        if strict && link.trim() != link {
            return Err(refuse("has leading or trailing whitespace"));
        }
        let url = url::Url::parse(link).map_err(|e| refuse(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse("scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(refuse("has no host"));
        }
        let normalized = String::from(url);
        if strict && normalized.len() > MAX_MEETING_LINK_LEN {
            return Err(refuse("longer than 2048 bytes once normalized"));
        }
        // The stored form must read back as itself, or a store could not check what it holds.
        if url::Url::parse(&normalized).map(String::from).as_deref() != Ok(normalized.as_str()) {
            return Err(refuse("has no stable normalized form"));
        }
        Ok(Self(normalized))
    }

    /// The link, normalized.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads a stored link: checked and normalized like [`MeetingLink::parse`], except that control
/// characters are left to the URL parser (dropped or percent-encoded) rather than refused, so
/// links stored before they were refused still load.
impl<'de> Deserialize<'de> for MeetingLink {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let link = String::deserialize(deserializer)?;
        Self::checked(&link, false).map_err(serde::de::Error::custom)
    }
}

impl TryFrom<String> for MeetingLink {
    type Error = BookingError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<MeetingLink> for String {
    fn from(link: MeetingLink) -> Self {
        link.0
    }
}

impl fmt::Display for MeetingLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_stored_normalized_and_normalizing_again_changes_nothing() {
        for (given, stored) in [
            ("https://meet.example.com", "https://meet.example.com/"),
            ("HTTP://Meet.Example.com:80/Room", "http://meet.example.com/Room"),
            ("https://meet.example.com/a b\"c<d>\\e", "https://meet.example.com/a%20b%22c%3Cd%3E/e"),
            ("https://bücher.example/会議?q=ä", "https://xn--bcher-kva.example/%E4%BC%9A%E8%AD%B0?q=%C3%A4"),
            ("https://meet.example.com/x?a=1,b=2;c", "https://meet.example.com/x?a=1,b=2;c"),
        ] {
            let link = MeetingLink::parse(given).unwrap();
            assert_eq!(link.as_str(), stored, "{given:?}");
            assert_eq!(MeetingLink::parse(link.as_str()), Ok(link.clone()));
            let json = serde_json::to_string(&link).unwrap();
            assert_eq!(serde_json::from_str::<MeetingLink>(&json).unwrap(), link);
        }
    }

    #[test]
    fn control_characters_are_refused_wherever_they_are() {
        for c in (0u32..0x20).chain([0x7f]).chain(0x80..0xa0).map(|c| char::from_u32(c).unwrap()) {
            for link in [
                format!("https://meet.example.com/x{c}y"),
                format!("https://meet{c}.example.com/"),
                format!("{c}https://a.example/"),
            ] {
                match MeetingLink::parse(&link) {
                    Err(BookingError::InvalidMeetingLink { reason, .. }) => {
                        assert_eq!(
                            reason,
                            format!("contains the control character U+{:04X}", u32::from(c)),
                            "{link:?}"
                        );
                    }
                    other => panic!("{link:?}: {other:?}"),
                }
            }
        }
        // Longer than the limit once normalized (each non-ASCII character takes six bytes).
        let long = format!("https://meet.example.com/{}", "é".repeat(1000));
        assert!(long.len() <= MAX_MEETING_LINK_LEN);
        assert!(MeetingLink::parse(&long).is_err());
    }

    #[test]
    fn links_stored_before_control_characters_were_refused_still_load() {
        let stored = "\"https://meet.example.com/x\\nATTACH:https://evil.example/a\\t\"";
        let link: MeetingLink = serde_json::from_str(stored).unwrap();
        assert_eq!(link.as_str(), "https://meet.example.com/xATTACH:https://evil.example/a");
        let stored = format!("\"https://meet.example.com/{}\"", "é".repeat(1000));
        assert!(serde_json::from_str::<MeetingLink>(&stored).unwrap().as_str().len() > MAX_MEETING_LINK_LEN);
        assert!(serde_json::from_str::<MeetingLink>("\"ftp://meet.example.com/\"").is_err());
    }
}
