//! Reading the forms of a `DateTime` Codat documents, strictly.

use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone};

use super::DateTime;

// A hand-written parser rather than chrono's `%Y-%m-%d` patterns, because
// those accept signed or variable-width fields that Codat never sends; being
// strict here keeps "what parses" equal to "what Codat documents".
pub(super) fn parse(b: &[u8]) -> Result<DateTime, &'static str> {
    if b.is_empty() {
        return Err("empty string");
    }
    let (date, rest) = b.split_at_checked(10).ok_or("too short")?;
    let date = parse_date(date)?;
    let Some((&sep, rest)) = rest.split_first() else {
        return Ok(DateTime::Date(date));
    };
    if !matches!(sep, b'T' | b't') {
        return Err("expected `T` between date and time");
    }
    let (hms, mut rest) = rest.split_at_checked(8).ok_or("time is too short")?;
    let [h0, h1, b':', m0, m1, b':', s0, s1] = *hms else {
        return Err("time must be `hh:mm:ss`");
    };
    let hour = two_digits(h0, h1).ok_or("hour is not a number")?;
    let minute = two_digits(m0, m1).ok_or("minute is not a number")?;
    let second = two_digits(s0, s1).ok_or("second is not a number")?;

    let mut nanos = 0;
    if let Some((b'.', tail)) = rest.split_first() {
        let len = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        // Codat sends at most 7 digits, but `Display` writes 9 when the value
        // needs more than 6, so 9 must parse for values to round-trip.
        if !(1..=9).contains(&len) {
            return Err("fractional seconds must have 1 to 9 digits");
        }
        let (digits, after) = tail.split_at(len);
        // Right-pad to nine digits: `.5` is 500_000_000 ns.
        nanos = (0..9).fold(0u32, |acc, i| {
            acc * 10 + digits.get(i).map_or(0, |&d| u32::from(d - b'0'))
        });
        rest = after;
    }

    // Leap seconds (`:60`) are rejected: Codat's platform cannot represent
    // them, and accepting them would add a second, rarely-tested code path.
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
        .filter(|_| second < 60)
        .ok_or("time out of range")?;
    let naive = date.and_time(time);

    match *rest {
        [] => Ok(DateTime::Local(naive)),
        [b'Z' | b'z'] => Ok(DateTime::Utc(naive.and_utc())),
        [sign @ (b'+' | b'-'), h0, h1, b':', m0, m1] => {
            let oh = two_digits(h0, h1).ok_or("offset hour is not a number")?;
            let om = two_digits(m0, m1).ok_or("offset minute is not a number")?;
            if oh > 23 || om > 59 {
                return Err("offset out of range");
            }
            let secs = i32::try_from(oh * 3600 + om * 60).map_err(|_| "offset out of range")?;
            let offset = if sign == b'+' {
                FixedOffset::east_opt(secs)
            } else {
                FixedOffset::west_opt(secs)
            }
            .ok_or("offset out of range")?;
            offset
                .from_local_datetime(&naive)
                .single()
                .map(DateTime::Offset)
                .ok_or("date and offset out of range")
        }
        _ => Err("unexpected text after the time"),
    }
}

fn parse_date(b: &[u8]) -> Result<NaiveDate, &'static str> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else {
        return Err("date must be `YYYY-MM-DD`");
    };
    let year = two_digits(y0, y1)
        .zip(two_digits(y2, y3))
        .map(|(hi, lo)| hi * 100 + lo)
        .ok_or("year is not a number")?;
    let month = two_digits(m0, m1).ok_or("month is not a number")?;
    let day = two_digits(d0, d1).ok_or("day is not a number")?;
    // A four-digit year always fits in i32.
    let year = i32::try_from(year).map_err(|_| "year out of range")?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or("date out of range")
}

fn two_digits(a: u8, b: u8) -> Option<u32> {
    if a.is_ascii_digit() && b.is_ascii_digit() {
        Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
    } else {
        None
    }
}
