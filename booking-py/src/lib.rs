//! Placeholder, filled by the binding issue.
