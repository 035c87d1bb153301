use super::*;
use chrono::TimeZone;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 7, h, m, 0).unwrap()
}

fn hold(n: u128, from: (u32, u32), to: (u32, u32)) -> Hold {
    Hold {
        booking_id: BookingId::from_uuid(uuid::Uuid::from_u128(n)),
        series_id: None,
        course_id: None,
        teacher_id: UserId::from_uuid(uuid::Uuid::from_u128(1)),
        starts_at: at(from.0, from.1),
        ends_at: at(to.0, to.1),
        busy_from: at(from.0, from.1),
        busy_until: at(to.0, to.1),
    }
}

fn calendar() -> Calendar {
    let mut c = Calendar::new(UserId::from_uuid(uuid::Uuid::from_u128(1)));
    c.holds = vec![hold(1, (9, 0), (10, 0)), hold(2, (10, 0), (11, 0)), hold(3, (13, 0), (14, 30))];
    c
}

fn found(c: &Calendar, from: (u32, u32), to: (u32, u32), except: Option<u128>) -> Option<u128> {
    let except = except.map(|n| BookingId::from_uuid(uuid::Uuid::from_u128(n)));
    c.overlapping(at(from.0, from.1), at(to.0, to.1), except).map(|h| h.booking_id.as_uuid().as_u128())
}

#[test]
fn overlap_search_matches_a_linear_scan() {
    let c = calendar();
    let minutes: Vec<(u32, u32)> = (8 * 60..16 * 60).step_by(15).map(|m| (m / 60, m % 60)).collect();
    for (i, &a) in minutes.iter().enumerate() {
        for &b in &minutes[i + 1..] {
            for except in [None, Some(1), Some(2), Some(3)] {
                let linear = c.holds.iter().find(|h| {
                    Some(h.booking_id.as_uuid().as_u128()) != except
                        && crate::time::intervals_overlap(h.starts_at, h.ends_at, at(a.0, a.1), at(b.0, b.1))
                });
                let linear = linear.map(|h| h.booking_id.as_uuid().as_u128());
                let fast = found(&c, a, b, except);
                assert_eq!(fast.is_some(), linear.is_some(), "{a:?}-{b:?} except {except:?}: {fast:?} vs {linear:?}");
            }
        }
    }
}

#[test]
fn touching_lessons_do_not_overlap() {
    let c = calendar();
    assert_eq!(found(&c, (11, 0), (13, 0), None), None);
    assert_eq!(found(&c, (8, 0), (9, 0), None), None);
    assert_eq!(found(&c, (10, 59), (11, 1), None), Some(2));
    assert_eq!(found(&c, (9, 30), (10, 30), Some(2)), Some(1));
    assert_eq!(found(&c, (10, 30), (10, 45), Some(2)), None);
}

#[test]
fn holds_expire_when_an_event_is_applied_long_after_their_end() {
    let mut c = calendar();
    let event = Event {
        occurred_at: at(10, 30) + chrono::TimeDelta::days(HOLD_RETENTION_DAYS),
        actor: Actor::System,
        kind: EventKind::SessionClosed { session_id: crate::SessionId::from_uuid(uuid::Uuid::nil()) },
    };
    c.apply(&event);
    assert_eq!(c.holds.iter().map(|h| h.booking_id.as_uuid().as_u128()).collect::<Vec<_>>(), [2, 3]);
}
