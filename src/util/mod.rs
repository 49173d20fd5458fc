//! Small helpers at the bottom layer, shared by modules that must not depend on each other
//! (DESIGN §5: the layers only point down): how times and X.509 names are written for people.
//! (Serial numbers: [`crate::objects::serial_hex`].)

mod name;

pub use name::{cert_subject, name_to_string};

use std::borrow::Borrow;
use time::OffsetDateTime;

/// Vietnam's offset from UTC: +07:00, all year (no daylight saving). Reports, PDF stamps and
/// /M show local times in it.
pub const VIETNAM: time::UtcOffset = time::macros::offset!(+7);

/// A time in RFC 3339 form (`2026-11-30T06:30:27+07:00`), in the offset it carries: the form of
/// the JSON report and of the CA's records.
pub fn rfc3339(t: impl Borrow<OffsetDateTime>) -> String {
    let t = *t.borrow();
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_keeps_the_offset() {
        let t = time::macros::datetime!(2026-11-30 06:30:27 +07:00);
        assert_eq!(rfc3339(t), "2026-11-30T06:30:27+07:00");
        assert_eq!(rfc3339(t.to_offset(time::UtcOffset::UTC)), "2026-11-29T23:30:27Z");
        assert_eq!(rfc3339(t.to_offset(VIETNAM)), rfc3339(&t));
    }
}
