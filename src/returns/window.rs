//! The merchant's time zone, return-window arithmetic, and the window stage of a decision.
//!
//! The zone data is compiled in (`chrono-tz`), so nothing here reads a file.

use super::config::WindowLength;
use super::hooks::{read_window_days, Facts, RequestView, WINDOW_DAYS};
use super::pipeline::{ItemWork, Run};
use super::types::{Order, OrderLine, ReturnRequest, ReturnWindow, WindowBasis};
use super::ReturnsEngine;
use crate::policy::session::{Answer, Change, Fallback, HookSession};
use crate::{Error, Reason};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};

/// The merchant's time zone: an IANA zone or a fixed offset from UTC.
///
/// ```
/// use backoffice::returns::MerchantZone;
/// assert!(MerchantZone::parse("Europe/Berlin").is_ok());
/// assert!(MerchantZone::parse("+01:00").is_ok());
/// assert!(MerchantZone::parse("-0530").is_ok());
/// assert_eq!(MerchantZone::parse("Mars/Olympus").unwrap_err().field(), Some("time_zone"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MerchantZone {
    /// An IANA zone such as `Europe/Berlin`.
    Iana(chrono_tz::Tz),
    /// A fixed offset such as `+01:00`.
    Fixed(FixedOffset),
}

impl MerchantZone {
    /// Parses an IANA name (`Europe/Berlin`, `UTC`) or a fixed offset (`+01:00`, `+0100`,
    /// `+01`, `-05:30`, `Z`).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let trimmed = text.trim();
        if trimmed.starts_with('+') || trimmed.starts_with('-') || trimmed == "Z" {
            return parse_offset(trimmed).map(MerchantZone::Fixed).ok_or_else(|| {
                Error::invalid(
                    "time_zone",
                    format!("`{text}` is not a UTC offset; write it as +HH:MM, e.g. +01:00 or -05:30"),
                )
            });
        }
        trimmed
            .parse::<chrono_tz::Tz>()
            .map(MerchantZone::Iana)
            .map_err(|_| {
                Error::invalid(
                    "time_zone",
                    format!("`{text}` is neither an IANA time zone name (e.g. Europe/Berlin) nor a UTC offset (e.g. +01:00)"),
                )
            })
    }

    /// The calendar date of `instant` in this zone.
    pub fn local_date(&self, instant: DateTime<Utc>) -> NaiveDate {
        match self {
            MerchantZone::Iana(tz) => instant.with_timezone(tz).date_naive(),
            MerchantZone::Fixed(offset) => instant.with_timezone(offset).date_naive(),
        }
    }

    /// The first instant of `date` in this zone (the first valid local time of that day
    /// when midnight falls in a daylight-saving gap).
    pub fn start_of_day(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        let midnight = date.and_hms_opt(0, 0, 0)?;
        // A gap is at most a few hours long; try each quarter hour until one exists.
        for quarter in 0..=(4 * 24) {
            let local = midnight.checked_add_signed(Duration::minutes(15 * quarter))?;
            if local.date() != date {
                return None;
            }
            let found = match self {
                MerchantZone::Iana(tz) => tz
                    .from_local_datetime(&local)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc)),
                MerchantZone::Fixed(offset) => offset
                    .from_local_datetime(&local)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc)),
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// The last instant of `date` in this zone (one nanosecond before the next day starts).
    pub fn end_of_day(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        let next = date.succ_opt()?;
        let start = self.start_of_day(next)?;
        start.checked_sub_signed(Duration::nanoseconds(1))
    }
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    if text == "Z" {
        return FixedOffset::east_opt(0);
    }
    let mut chars = text.chars();
    let sign = match chars.next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let rest = chars.as_str();
    // Exactly HH:MM, HHMM or HH.
    let digits: String = match (rest.len(), rest.find(':')) {
        (5, Some(2)) => rest.chars().filter(|c| *c != ':').collect(),
        (4 | 2, None) => rest.to_string(),
        _ => return None,
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let hours = digits.get(..2)?.parse::<i32>().ok()?;
    let minutes = match digits.get(2..) {
        Some("") | None => 0,
        Some(m) => m.parse::<i32>().ok()?,
    };
    if hours > 18 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// The last day of a window of `days` days counted from `basis`, moved off a weekend to
/// the following Monday when `extend` is set. Returns the day and whether it moved.
pub(crate) fn last_day(basis: NaiveDate, days: u32, extend: bool) -> Option<(NaiveDate, bool)> {
    let day = basis.checked_add_days(chrono::Days::new(u64::from(days)))?;
    if !extend {
        return Some((day, false));
    }
    let shift = match day.weekday() {
        Weekday::Sat => 2,
        Weekday::Sun => 1,
        _ => 0,
    };
    if shift == 0 {
        return Some((day, false));
    }
    Some((day.checked_add_days(chrono::Days::new(shift))?, true))
}

/// The window stage of one item: its length (configuration, then the `window_days`
/// hook, never below the statutory minimum) and the window itself.
impl ReturnsEngine {
    /// The window length of the item at `index` (the items before it are in `works`),
    /// with the `window_from_policy` reason when the `window_days` hook changed it.
    pub(crate) fn window_length(
        &self,
        run: &mut Run,
        hooks: &mut HookSession<'_>,
        facts: &Facts<'_>,
        works: &[ItemWork<'_>],
        index: usize,
    ) -> Result<(WindowLength, Option<Reason>), Error> {
        let Some(line) = facts.lines.get(index).map(|l| l.line) else {
            return Err(Error::invalid(
                format!("items[{index}].line_id"),
                "unknown line",
            ));
        };
        let configured = self
            .config
            .window
            .category_days
            .get(&line.category)
            .copied()
            .unwrap_or(self.config.window.default_days);
        let minimum = self.config.window.statutory_minimum_days;
        let at_least_minimum = |length: WindowLength| match (minimum, length) {
            (Some(minimum), WindowLength::Days(days)) if days < minimum => {
                WindowLength::Days(minimum)
            }
            _ => length,
        };
        let request = RequestView::new(facts, works, None);
        let item = request.item(index);
        let fallback = Fallback::new("the configured window applies; the request goes to review")
            .about(&line.line_id);
        let mut reason = None;
        let length = match hooks.call(
            WINDOW_DAYS,
            [item.arg(), request.arg()],
            fallback,
            read_window_days,
        )? {
            Answer::Value(days) => {
                run.step("window_days", || {
                    format!(
                        "policy sets the window of line {} to {}",
                        line.line_id,
                        length_text(days)
                    )
                });
                let (builtin, applied) = (at_least_minimum(configured), at_least_minimum(days));
                let what = format!("the return window of line {}", line.line_id);
                let (builtin_text, applied_text) = (length_text(builtin), length_text(applied));
                let note = (applied != days).then(|| {
                    format!(
                        "the policy asked for {}, below the statutory minimum",
                        length_text(days)
                    )
                });
                let mut change =
                    Change::new("window_from_policy", &what, &builtin_text, &applied_text)
                        .about(&line.line_id);
                if let Some(note) = &note {
                    change = change.note(note);
                }
                reason = hooks.changed(WINDOW_DAYS, change);
                applied
            }
            Answer::Default => at_least_minimum(configured),
            Answer::Failed(failure) => {
                run.hook_failed(failure);
                at_least_minimum(configured)
            }
        };
        Ok((length, reason))
    }

    /// The window of one item and whether the request is inside the statutory minimum.
    pub(crate) fn window(
        &self,
        request: &ReturnRequest,
        line: &OrderLine,
        length: WindowLength,
        request_date: chrono::NaiveDate,
    ) -> Result<(ReturnWindow, bool), Error> {
        let (basis, at) = basis_of(&request.order, line);
        let basis_date = self.zone.local_date(at);
        let days_elapsed = request_date.signed_duration_since(basis_date).num_days();
        let extend = self.config.window.business_day_extension;
        let overflow = || Error::overflow("return window");
        let window = match length.days() {
            None => ReturnWindow {
                basis,
                basis_date,
                days: None,
                last_day: None,
                deadline: None,
                extended: false,
                days_elapsed,
                inside: true,
            },
            Some(days) => {
                let (last, extended) = last_day(basis_date, days, extend).ok_or_else(overflow)?;
                ReturnWindow {
                    basis,
                    basis_date,
                    days: Some(days),
                    last_day: Some(last),
                    deadline: self.zone.end_of_day(last),
                    extended,
                    days_elapsed,
                    inside: request_date <= last,
                }
            }
        };
        let inside_statutory = match self.config.window.statutory_minimum_days {
            Some(minimum) => {
                let (last, _) = last_day(basis_date, minimum, extend).ok_or_else(overflow)?;
                request_date <= last
            }
            None => false,
        };
        Ok((window, inside_statutory))
    }
}

/// A window length as messages write it: `30 days` or `unlimited`.
fn length_text(length: WindowLength) -> String {
    length
        .days()
        .map_or_else(|| "unlimited".to_string(), |d| format!("{d} days"))
}

/// The date a line's window counts from: its delivery, else the order's; then shipment;
/// then placement.
pub(crate) fn basis_of(order: &Order, line: &OrderLine) -> (WindowBasis, DateTime<Utc>) {
    if let Some(at) = line.delivered_at.or(order.delivered_at) {
        (WindowBasis::Delivered, at)
    } else if let Some(at) = line.shipped_at.or(order.shipped_at) {
        (WindowBasis::Shipped, at)
    } else {
        (WindowBasis::Placed, order.placed_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_issue_example_deadline_is_end_of_sunday_and_extends_to_monday() {
        assert_eq!(
            last_day(date(2025, 2, 28), 30, false),
            Some((date(2025, 3, 30), false))
        );
        assert_eq!(
            last_day(date(2025, 2, 28), 30, true),
            Some((date(2025, 3, 31), true))
        );
        assert_eq!(
            last_day(date(2025, 3, 1), 30, true),
            Some((date(2025, 3, 31), false))
        );
    }

    #[test]
    fn offsets_parse_in_several_spellings() {
        let east = |s| FixedOffset::east_opt(s).unwrap();
        assert_eq!(
            MerchantZone::parse("+01:00").unwrap(),
            MerchantZone::Fixed(east(3600))
        );
        assert_eq!(
            MerchantZone::parse("+0100").unwrap(),
            MerchantZone::Fixed(east(3600))
        );
        assert_eq!(
            MerchantZone::parse("+01").unwrap(),
            MerchantZone::Fixed(east(3600))
        );
        assert_eq!(
            MerchantZone::parse("-05:30").unwrap(),
            MerchantZone::Fixed(east(-19800))
        );
        assert_eq!(
            MerchantZone::parse("Z").unwrap(),
            MerchantZone::Fixed(east(0))
        );
        assert!(MerchantZone::parse("+25:00").is_err());
        assert!(MerchantZone::parse("+1:0").is_err());
        assert!(MerchantZone::parse("").is_err());
    }

    #[test]
    fn end_of_day_is_in_the_merchant_zone() {
        let berlin = MerchantZone::parse("Europe/Berlin").unwrap();
        let end = berlin.end_of_day(date(2025, 3, 30)).unwrap();
        // 2025-03-30 is the spring-forward day in Berlin: the day ends at 22:00 UTC.
        assert_eq!(end.to_rfc3339(), "2025-03-30T21:59:59.999999999+00:00");
        let winter = berlin.end_of_day(date(2025, 1, 15)).unwrap();
        assert_eq!(winter.to_rfc3339(), "2025-01-15T22:59:59.999999999+00:00");
    }

    #[test]
    fn a_midnight_gap_starts_the_day_at_the_first_valid_time() {
        // America/Santiago skipped from 00:00 to 01:00 on 2024-09-08.
        let santiago = MerchantZone::parse("America/Santiago").unwrap();
        let start = santiago.start_of_day(date(2024, 9, 8)).unwrap();
        assert_eq!(start.to_rfc3339(), "2024-09-08T04:00:00+00:00");
    }
}
