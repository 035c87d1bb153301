//! Names made at compile time: a `CamelCase` variant's `snake_case` name, as serde's
//! `rename_all = "snake_case"` spells it (the command and event tables name their variants so).

/// The length of `CamelCase` in snake case (`camel_case`): one byte more per inner capital.
pub(crate) const fn snake_case_len(camel: &str) -> usize {
    let bytes = camel.as_bytes();
    let (mut i, mut len) = (0, 0);
    while i < bytes.len() {
        if i > 0 && bytes[i].is_ascii_uppercase() {
            len += 1;
        }
        len += 1;
        i += 1;
    }
    len
}

/// `CamelCase` (ASCII) in snake case, at compile time (see [`snake_name!`]).
pub(crate) const fn snake_case<const N: usize>(camel: &str) -> [u8; N] {
    let bytes = camel.as_bytes();
    let mut out = [0u8; N];
    let (mut i, mut j) = (0, 0);
    while i < bytes.len() {
        if bytes[i].is_ascii_uppercase() {
            if i > 0 {
                out[j] = b'_';
                j += 1;
            }
            out[j] = bytes[i].to_ascii_lowercase();
        } else {
            out[j] = bytes[i];
        }
        j += 1;
        i += 1;
    }
    out
}

/// The `snake_case` name of a `CamelCase` identifier, as a `&'static str` made at compile time.
macro_rules! snake_name {
    ($camel:ident) => {{
        const NAME: &str = stringify!($camel);
        const BYTES: [u8; $crate::names::snake_case_len(NAME)] = $crate::names::snake_case(NAME);
        match ::std::str::from_utf8(&BYTES) {
            Ok(name) => name,
            Err(_) => panic!("a snake_case name of ASCII is UTF-8"),
        }
    }};
}
pub(crate) use snake_name;

#[cfg(test)]
mod tests {
    #[test]
    fn snake_names_are_serdes() {
        assert_eq!(snake_name!(SessionCreated), "session_created");
        assert_eq!(snake_name!(X), "x");
        assert_eq!(snake_name!(LessonAttendanceMarked), "lesson_attendance_marked");
    }
}
