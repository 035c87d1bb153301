//! The 1:1 lesson side of the engine: reads, and how a lesson command's state is loaded and
//! decided. (The typed lesson commands come from the command table: `typed_commands!` in
//! `command.rs`.)

use super::*;

/// The 1:1 lesson side of the engine.
impl<R: Repository> Engine<R> {
    /// The person's calendar (an empty one if nothing was stored for them yet), whoever asks.
    pub(crate) fn load_calendar(&self, owner: UserId) -> Result<Arc<Calendar>, BookingError> {
        Ok(self.repository.load_calendar(owner)?.unwrap_or_else(|| Arc::new(Calendar::new(owner))))
    }

    /// The lesson with this id, whoever asks.
    pub(crate) fn load_lesson(&self, id: BookingId) -> Result<Arc<Lesson>, BookingError> {
        self.repository.load_lesson(id)?.ok_or(BookingError::BookingNotFound { id })
    }

    /// The slot with this id.
    pub fn slot(&self, id: SlotId) -> Result<AvailabilitySlot, BookingError> {
        let teacher = self.repository.locate_slot(id)?.ok_or(BookingError::SlotNotFound { id })?;
        self.load_calendar(teacher)?.slot(id).cloned().ok_or(BookingError::SlotNotFound { id })
    }

    /// The occurrences of a teacher's slots that can be booked now, in the query's window; see
    /// [`lesson::bookable_occurrences`] for what is left out.
    pub fn list_occurrences(&self, query: &OccurrenceQuery) -> Result<Vec<BookableOccurrence>, BookingError> {
        let calendar = self.load_calendar(query.teacher_id)?;
        // The student's calendar, for their per-course limit (only when some rule sets one).
        let limited = calendar.rules.max_upcoming_lessons_per_student.is_some()
            || calendar.course_rules.iter().any(|c| c.rules.max_upcoming_lessons_per_student.is_some())
            || calendar.slots.iter().any(|s| s.rules.max_upcoming_lessons_per_student.is_some());
        let student = match query.student_id {
            Some(student_id) if limited && student_id != query.teacher_id => Some(self.load_calendar(student_id)?),
            _ => None,
        };
        let mut enrolled: HashMap<crate::CourseId, bool> = HashMap::new();
        let now = self.clock.now();
        lesson::bookable_occurrences(&calendar, student.as_deref(), query, now, &mut |course_id| match query.student_id
        {
            None => Ok(true),
            Some(student_id) => match enrolled.get(&course_id) {
                Some(known) => Ok(*known),
                None => {
                    let is = self.repository.is_enrolled(student_id, course_id)?;
                    enrolled.insert(course_id, is);
                    Ok(is)
                }
            },
        })
    }

    pub(super) fn teacher_of_slot(&self, slot_id: SlotId) -> Result<Arc<Calendar>, BookingError> {
        let teacher = self.repository.locate_slot(slot_id)?.ok_or(BookingError::SlotNotFound { id: slot_id })?;
        self.load_calendar(teacher)
    }

    /// The host's word on `course_id` for this student and teacher.
    pub(super) fn course_access(
        &self,
        course_id: Option<crate::CourseId>,
        student_id: UserId,
        teacher_id: UserId,
    ) -> Result<CourseAccess, BookingError> {
        let enrolled = self.enrolled(course_id, student_id)?;
        match course_id {
            None => Ok(CourseAccess { enrolled, ..CourseAccess::default() }),
            Some(course_id) => {
                Ok(CourseAccess { enrolled, approval: self.repository.approval_settings(course_id, teacher_id)? })
            }
        }
    }

    /// The host's word on whether the student is enrolled in `course_id` (`true` without a
    /// course): what 1:1 bookings ([`course_access`](Self::course_access)) and seats ask.
    pub(super) fn enrolled(
        &self,
        course_id: Option<crate::CourseId>,
        student_id: UserId,
    ) -> Result<bool, BookingError> {
        match course_id {
            None => Ok(true),
            Some(course_id) => Ok(self.repository.is_enrolled(student_id, course_id)?),
        }
    }

    /// The lesson, if `id` names one (a seat booking id is "not found" here).
    pub(super) fn lesson_for_command(&self, id: BookingId) -> Result<Arc<Lesson>, BookingError> {
        match self.repository.locate_booking(id)? {
            Some(BookingLocation::Lesson) => self.load_lesson(id),
            _ => Err(BookingError::BookingNotFound { id }),
        }
    }

    /// The active lessons of the lesson's series (empty for a single lesson).
    pub(super) fn series_lessons(&self, teacher: &Calendar, lesson: &Lesson) -> Result<Vec<Lesson>, BookingError> {
        let Some(series_id) = lesson.series_id else { return Ok(Vec::new()) };
        teacher.series_holds(series_id).map(|h| self.load_lesson(h.booking_id).map(|l| (*l).clone())).collect()
    }

    /// Loads what a lesson command is decided on and decides it.
    pub(super) fn decide_lesson(
        &self,
        ctx: &DecisionContext,
        of: LessonOf,
        command: LessonCommand<'_>,
        returns: Returns,
    ) -> Result<(Outcome, Vec<Write>), BookingError> {
        // Loaded per case below, and borrowed by the state.
        let (teacher, student, target, series);
        let mut courses = Vec::new();
        let state = match of {
            LessonOf::Teacher(teacher_id) => {
                teacher = self.load_calendar(teacher_id)?;
                LessonState { teacher: Some(&teacher), ..LessonState::default() }
            }
            LessonOf::SlotTeacher(slot_id) => {
                teacher = self.teacher_of_slot(slot_id)?;
                LessonState { teacher: Some(&teacher), ..LessonState::default() }
            }
            LessonOf::Booking { slot_id, student_id } => {
                teacher = self.teacher_of_slot(slot_id)?;
                let course_id = teacher.slot(slot_id).and_then(|s| s.course_id);
                courses.push((course_id, self.course_access(course_id, student_id, teacher.owner)?));
                student = self.load_calendar(student_id)?;
                LessonState { teacher: Some(&teacher), student: Some(&student), ..LessonState::default() }
            }
            LessonOf::LessonAlone(id) => {
                target = self.lesson_for_command(id)?;
                LessonState { lesson: Some(&target), ..LessonState::default() }
            }
            LessonOf::Lesson { id, series: with_series, courses: needed } => {
                target = self.lesson_for_command(id)?;
                teacher = self.load_calendar(target.teacher_id)?;
                series = if with_series { self.series_lessons(&teacher, &target)? } else { Vec::new() };
                match needed {
                    Courses::None => {}
                    // The host's word on the course of each pending lesson's slot: a reschedule
                    // may have moved a lesson of the series to a slot of another course.
                    Courses::OfPending => {
                        let pending =
                            std::iter::once(&*target).chain(&series).filter(|l| l.status == LessonStatus::Pending);
                        for lesson in pending {
                            let course = teacher.slot(lesson.slot_id).and_then(|s| s.course_id);
                            if !courses.iter().any(|(c, _)| *c == course) {
                                courses
                                    .push((course, self.course_access(course, target.student_id, target.teacher_id)?));
                            }
                        }
                    }
                    Courses::OfSlot(slot_id) => {
                        let course_id = teacher.slot(slot_id).and_then(|s| s.course_id);
                        courses.push((course_id, self.course_access(course_id, target.student_id, target.teacher_id)?));
                    }
                }
                student = self.load_calendar(target.student_id)?;
                LessonState { teacher: Some(&teacher), student: Some(&student), lesson: Some(&target), series: &series }
            }
        };
        let primary = match returns {
            Returns::NewSlot => Primary::Slot(SlotId(ctx.fresh_id)),
            Returns::Slot(id) => Primary::Slot(id),
            Returns::NewLesson => Primary::Lesson(BookingId(ctx.fresh_id)),
            Returns::Lesson(id) => Primary::Lesson(id),
            Returns::Lessons => Primary::Lessons,
            Returns::Series => Primary::Series,
            Returns::Rules(course_id) => Primary::Rules(course_id),
            Returns::NewTimeOff => Primary::AddedTimeOff(TimeOffId(ctx.fresh_id)),
            Returns::RemovedTimeOff(id) => {
                let before = state.teacher.and_then(|t| t.time_off.iter().find(|t| t.id == id)).cloned();
                Primary::RemovedTimeOff(before)
            }
        };
        let lesson_ids = || BookingId(self.ids.next_uuid());
        let context =
            LessonContext { decision: ctx, courses: &courses, links: self.links.as_deref(), lesson_ids: &lesson_ids };
        let decision = lesson::decide(&state, &context, &command)?;
        Ok(lesson_outcome(decision, primary))
    }
}

/// Which object a lesson command returns.
pub(super) enum Primary {
    Slot(SlotId),
    Lesson(BookingId),
    Lessons,
    Series,
    /// The rules of the teacher's calendar at this level (a course, or the default).
    Rules(Option<CourseId>),
    /// The time off the decision added, by id (found in the teacher's calendar).
    AddedTimeOff(TimeOffId),
    /// The time off a removal names, as it was before (the decision refuses an unknown one).
    RemovedTimeOff(Option<TimeOff>),
}

/// Bumps the versions of what a lesson decision changed and turns it into writes and an outcome.
pub(super) fn lesson_outcome(decision: LessonDecision, primary: Primary) -> (Outcome, Vec<Write>) {
    let LessonDecision { calendars, lessons, events, skipped } = decision;
    let changed = !events.is_empty();
    let created: Vec<BookingId> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::LessonRequested { lesson } | EventKind::LessonBooked { lesson } => Some(lesson.id),
            _ => None,
        })
        .collect();
    let mut writes = Vec::new();
    let calendars: Vec<Arc<Calendar>> = calendars
        .into_iter()
        .map(|mut c| {
            let expected_version = c.version;
            if changed {
                c.version += 1;
            }
            let c = Arc::new(c);
            writes.push(Write::Calendar { expected_version, calendar: Arc::clone(&c) });
            c
        })
        .collect();
    let lessons: Vec<Arc<Lesson>> = lessons
        .into_iter()
        .map(|mut l| {
            let expected_version = if created.contains(&l.id) { 0 } else { l.version };
            if expected_version != 0 && changed {
                l.version += 1;
            }
            let l = Arc::new(l);
            writes.push(Write::Lesson { expected_version, lesson: Arc::clone(&l) });
            l
        })
        .collect();
    if !changed {
        writes.clear();
    }
    let teacher_version = calendars.first().map_or(0, |c| c.version);
    let (value, version) = match primary {
        Primary::Slot(id) => {
            let slot =
                calendars.first().and_then(|c| c.slot(id)).cloned().expect("the decision holds the slot's calendar");
            (OutcomeValue::Slot { slot: Box::new(slot) }, teacher_version)
        }
        Primary::Lesson(id) => {
            let lesson = lessons.iter().find(|l| l.id == id).cloned().expect("the decision holds its lesson");
            let version = lesson.version;
            (OutcomeValue::Lesson { lesson }, version)
        }
        Primary::Lessons => (OutcomeValue::Lessons { lessons }, teacher_version),
        Primary::Rules(course_id) => {
            let calendar = calendars.first().expect("the decision holds the teacher's calendar");
            (OutcomeValue::Rules { rules: calendar.rules_set_at(course_id) }, teacher_version)
        }
        Primary::AddedTimeOff(id) => {
            let calendar = calendars.first().expect("the decision holds the teacher's calendar");
            let added = calendar.time_off.iter().find(|t| t.id == id).cloned();
            (OutcomeValue::TimeOff { time_off: added.expect("the decision added the time off") }, teacher_version)
        }
        Primary::RemovedTimeOff(removed) => {
            let time_off = removed.expect("remove_time_off refuses unknown ids");
            (OutcomeValue::TimeOff { time_off }, teacher_version)
        }
        Primary::Series => {
            let series_id = events
                .iter()
                .find_map(|e| match e.kind {
                    EventKind::SeriesBooked { series_id, .. } => Some(series_id),
                    _ => None,
                })
                .expect("a booked series has its event");
            let lessons = lessons.iter().map(|l| (**l).clone()).collect();
            (OutcomeValue::Series { series: SeriesBooking { series_id, lessons, skipped } }, teacher_version)
        }
    };
    (Outcome { value, events, version }, writes)
}
