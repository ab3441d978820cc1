//! [`iso8601_utc`]: the `timestamp` of `media_presence`, without a date-time crate.

/// Milliseconds in a day; UTC as used here has no leap seconds (like unix time).
const MS_PER_DAY: i64 = 86_400_000;

/// Formats unix time in milliseconds as ISO-8601 UTC with milliseconds, the way JavaScript's
/// `Date.prototype.toISOString` does: `2025-08-12T12:34:56.789Z`.
///
/// Works for every `i64` (proleptic Gregorian calendar). Years outside 0..=9999 are written as
/// `toISOString` writes them, signed with at least six digits (`+010000-01-01T00:00:00.000Z`).
pub fn iso8601_utc(unix_ms: i64) -> String {
    let days = unix_ms.div_euclid(MS_PER_DAY);
    let ms_of_day = unix_ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60);
    let (second, milli) = (ms_of_day / 1000 % 60, ms_of_day % 1000);
    let time = format!("{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z");
    if (0..=9999).contains(&year) {
        format!("{year:04}-{time}")
    } else {
        format!("{year:+07}-{time}")
    }
}

/// The (year, month 1-12, day 1-31) of a day counted from 1970-01-01, in the proleptic
/// Gregorian calendar: Howard Hinnant's `civil_from_days`
/// (<https://howardhinnant.github.io/date_algorithms.html#civil_from_days>). Days are shifted so
/// years start on March 1 (the leap day is then the last day of the year) and split into
/// 400-year eras of 146 097 days.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // 719 468 days from 0000-03-01 to 1970-01-01. No overflow: |days| <= i64::MAX / MS_PER_DAY.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // [0, 399]
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // [0, 365]
    let month_from_march = (5 * day_of_year + 2) / 153; // [0, 11], 0 = March
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1; // [1, 31]
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        // Expected values from Python's `datetime` (and `Date.toISOString` for the sign rules).
        let cases: [(i64, &str); 16] = [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_755_002_096_789, "2025-08-12T12:34:56.789Z"), // seed 000's example
            (-1, "1969-12-31T23:59:59.999Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"), // 2000: divisible by 400, leap
            (1_709_251_199_999, "2024-02-29T23:59:59.999Z"), // 2024: leap
            (1_709_251_200_000, "2024-03-01T00:00:00.000Z"),
            (-2_203_934_400_000, "1900-02-28T12:00:00.000Z"), // 1900: divisible by 100, not leap
            (-2_203_891_200_000, "1900-03-01T00:00:00.000Z"),
            (4_107_456_000_000, "2100-02-28T00:00:00.000Z"), // 2100: not leap
            (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),
            (-11_670_998_400_000, "1600-02-29T00:00:00.000Z"), // 1600: leap
            (-62_135_596_800_000, "0001-01-01T00:00:00.000Z"),
            (253_402_300_799_999, "9999-12-31T23:59:59.999Z"),
            (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
            (-62_167_219_200_000, "0000-01-01T00:00:00.000Z"),
            (-62_167_219_200_001, "-000001-12-31T23:59:59.999Z"),
        ];
        for (unix_ms, want) in cases {
            assert_eq!(iso8601_utc(unix_ms), want, "iso8601_utc({unix_ms})");
        }
    }

    #[test]
    fn every_day_of_four_centuries_follows_the_previous() {
        // Walks 1600-03-01 .. 2400-03-01 a day at a time: each date is the day after the last,
        // months have their lengths and February has 29 days exactly in leap years.
        let is_leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let month_len = |y: i64, m: i64| match m {
            2 if is_leap(y) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let first = (-11_670_998_400_000 / MS_PER_DAY) + 1; // 1600-03-01
        let mut prev = civil_from_days(first - 1);
        assert_eq!(prev, (1600, 2, 29));
        for days in first..first + 2 * 146_097 {
            let (y, m, d) = civil_from_days(days);
            let (py, pm, pd) = prev;
            let want = if pd < month_len(py, pm) {
                (py, pm, pd + 1)
            } else if pm < 12 {
                (py, pm + 1, 1)
            } else {
                (py + 1, 1, 1)
            };
            assert_eq!((y, m, d), want, "day {days} does not follow {prev:?}");
            prev = (y, m, d);
        }
    }

    #[test]
    fn extremes_do_not_panic() {
        for unix_ms in [i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1] {
            let text = iso8601_utc(unix_ms);
            assert!(text.ends_with('Z'), "{unix_ms} -> {text}");
            assert!(text.starts_with(['+', '-']), "{unix_ms} -> {text}");
        }
    }
}
