//! Meeting links: validated absolute http(s) URLs. The engine never invents them.

use crate::BookingError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest meeting link accepted, in bytes.
pub const MAX_MEETING_LINK_LEN: usize = 2048;

/// An absolute `http` or `https` URL with a host, such as a video-call room.
///
/// ```
/// use booking_core::MeetingLink;
/// let link = MeetingLink::parse("https://meet.example.com/abc-defg").unwrap();
/// assert_eq!(link.as_str(), "https://meet.example.com/abc-defg");
/// assert_eq!(MeetingLink::parse("ftp://example.com").unwrap_err().code().as_str(), "invalid_meeting_link");
/// assert!(MeetingLink::parse("javascript:alert(1)").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MeetingLink(String);

impl MeetingLink {
    /// Validates `link`: at most [`MAX_MEETING_LINK_LEN`] bytes, no surrounding whitespace,
    /// scheme `http` or `https`, and a host.
    pub fn parse(link: &str) -> Result<Self, BookingError> {
        let refuse = |reason: &str| BookingError::InvalidMeetingLink {
            link: link.chars().take(200).collect(),
            reason: reason.to_owned(),
        };
        if link.len() > MAX_MEETING_LINK_LEN {
            return Err(refuse("longer than 2048 bytes"));
        }
        if link.trim() != link {
            return Err(refuse("has leading or trailing whitespace"));
        }
        let url = url::Url::parse(link).map_err(|e| refuse(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse("scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(refuse("has no host"));
        }
        Ok(Self(link.to_owned()))
    }

    /// The link as given.
    pub fn as_str(&self) -> &str {
        &self.0
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
