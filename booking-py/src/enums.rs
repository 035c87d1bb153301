//! The Python enums of `booking._enums`, and the core enums they mirror.
//!
//! A core enum without data ([`SeatStatus`], [`LessonStatus`], [`BookingAvailability`],
//! [`SeriesMode`], [`AgendaStatus`], [`AgendaKind`]) is listed once, in [`core_enums!`], with its variants: the list is checked
//! complete by an exhaustive `match` (a variant added to the core fails to compile here), and a
//! variant's Python member is the one whose value is the variant's serde name, so the binding
//! holds no copy of the names. Event kinds (`EventKind::name`) and weekdays are looked up by
//! value in their classes directly.

use crate::objects::ToPy;
use booking_core::{
    BookingAvailability, SeatStatus,
    lesson::{LessonStatus, SeriesMode},
    read::{AgendaKind, AgendaStatus},
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyString, PyType};

/// Where the binding's Python enums live, cached per class with their members.
pub(crate) struct EnumClass {
    name: &'static str,
    cell: PyOnceLock<Py<PyType>>,
    /// Every member with its value as a string (`str(value)` for the `IntEnum`), in
    /// definition order: a lookup compares Rust strings, with no Python call.
    members: PyOnceLock<Vec<(String, Py<PyAny>)>>,
}

impl EnumClass {
    pub(crate) const fn new(name: &'static str) -> Self {
        Self { name, cell: PyOnceLock::new(), members: PyOnceLock::new() }
    }

    fn class<'py>(&self, py: Python<'py>) -> PyResult<&Bound<'py, PyType>> {
        self.cell.import(py, "booking_engine._enums", self.name)
    }

    /// The member whose value is `value` (`SeatStatus("confirmed")`; `"3"` for
    /// `Weekday.THURSDAY`).
    pub(crate) fn member<'py>(&self, py: Python<'py>, value: &str) -> PyResult<Bound<'py, PyAny>> {
        let members = self.members.get_or_try_init(py, || -> PyResult<_> {
            let mut members = Vec::new();
            for member in self.class(py)?.try_iter()? {
                let member = member?;
                let v = member.getattr(pyo3::intern!(py, "value"))?;
                let key = match v.cast::<PyString>() {
                    Ok(s) => s.to_cow()?.into_owned(),
                    Err(_) => v.str()?.to_cow()?.into_owned(),
                };
                members.push((key, member.unbind()));
            }
            Ok(members)
        })?;
        match members.iter().find(|(key, _)| key == value) {
            Some((_, member)) => Ok(member.bind(py).clone()),
            // Not a member: let the class raise its own error.
            None => self.class(py)?.call1((value,)),
        }
    }
}

pub(crate) static SEAT_STATUS: EnumClass = EnumClass::new("SeatStatus");
pub(crate) static LESSON_STATUS: EnumClass = EnumClass::new("LessonStatus");
pub(crate) static BOOKING_AVAILABILITY: EnumClass = EnumClass::new("BookingAvailability");
pub(crate) static SERIES_MODE: EnumClass = EnumClass::new("SeriesMode");
pub(crate) static EVENT_KIND: EnumClass = EnumClass::new("EventKind");
pub(crate) static WEEKDAY: EnumClass = EnumClass::new("Weekday");
pub(crate) static ROLE: EnumClass = EnumClass::new("Role");
pub(crate) static AGENDA_STATUS: EnumClass = EnumClass::new("AgendaStatus");
pub(crate) static AGENDA_KIND: EnumClass = EnumClass::new("AgendaKind");

/// A core enum without data, mirrored by a Python enum (see the module docs).
pub(crate) trait CoreEnum: Sized + PartialEq + serde::Serialize + serde::de::DeserializeOwned + 'static {
    /// The Python enum.
    const CLASS: &'static EnumClass;
    /// Every variant, in declaration order.
    const ALL: &'static [Self];
    /// The Python members of [`ALL`](Self::ALL), made once.
    fn members() -> &'static PyOnceLock<Vec<Py<PyAny>>>;
}

/// The core's stable name of a variant: its serde name (`"waitlist_only"`).
pub(crate) fn name_of<T: serde::Serialize>(value: &T) -> PyResult<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => Ok(name),
        other => Err(pyo3::exceptions::PyValueError::new_err(format!("not a unit variant: {other:?}"))),
    }
}

/// The variant whose name is `name`, if any.
pub(crate) fn from_name<T: CoreEnum>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

macro_rules! core_enums {
    ($($core:ident => $class:ident { $($variant:ident),* $(,)? })*) => {$(
        impl CoreEnum for $core {
            const CLASS: &'static EnumClass = &$class;
            const ALL: &'static [Self] = &[$($core::$variant),*];
            fn members() -> &'static PyOnceLock<Vec<Py<PyAny>>> {
                static MEMBERS: PyOnceLock<Vec<Py<PyAny>>> = PyOnceLock::new();
                &MEMBERS
            }
        }
        // The list above is every variant: a variant added to the core fails to compile here.
        const _: fn($core) = |v| match v { $($core::$variant)|* => () };
        impl ToPy for $core {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                member(py, self)
            }
        }
    )*};
}

core_enums! {
    SeatStatus => SEAT_STATUS { Confirmed, Waitlisted, Offered, Expired, Cancelled, Attended, NoShow }
    LessonStatus => LESSON_STATUS { Pending, Confirmed, Declined, Cancelled, Attended, NoShow }
    BookingAvailability => BOOKING_AVAILABILITY { Open, WaitlistOnly, Closed, Started, Cancelled }
    SeriesMode => SERIES_MODE { AllOrNothing, BookAvailable }
    AgendaStatus => AGENDA_STATUS { Confirmed, Waitlisted, Offered, PendingApproval, Attended, NoShow, Declined, Cancelled }
    AgendaKind => AGENDA_KIND { Session, Lesson }
}

/// The Python member of a core variant: the member of [`CoreEnum::CLASS`] whose value is the
/// variant's serde name (a Python enum missing it raises its `ValueError` on first use).
fn member<'py, T: CoreEnum>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let members = T::members().get_or_try_init(py, || {
        T::ALL.iter().map(|v| Ok(T::CLASS.member(py, &name_of(v)?)?.unbind())).collect::<PyResult<Vec<_>>>()
    })?;
    match T::ALL.iter().position(|v| v == value) {
        Some(i) => Ok(members[i].bind(py).clone()),
        None => Err(crate::errors::internal_error(py, "a variant missing from CoreEnum::ALL")),
    }
}

impl ToPy for booking_core::EventKind {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        EVENT_KIND.member(py, self.name())
    }
}

impl ToPy for chrono::Weekday {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        const DAYS: [&str; 7] = ["0", "1", "2", "3", "4", "5", "6"];
        WEEKDAY.member(py, DAYS[self.num_days_from_monday() as usize])
    }
}
