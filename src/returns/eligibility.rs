//! The eligibility stage: per item, its window, the built-in validators and the
//! `eligibility` hook.

use super::config::{NotDeliveredAction, ValidatorAction};
use super::hooks::{read_eligibility, Facts, RequestView, ELIGIBILITY};
use super::pipeline::{ItemWork, Run};
use super::types::{Condition, ItemRefund, ItemStatus, ReturnWindow, WindowBasis};
use super::validate::{Checked, ItemLine};
use super::ReturnsEngine;
use crate::policy::session::{Answer, Change, Fallback, HookSession};
use crate::{Error, Reason};

impl ReturnsEngine {
    /// Decides every item: its window (with the `window_days` hook), the built-in
    /// validators, then the `eligibility` hook.
    pub(crate) fn eligibility<'r>(
        &self,
        run: &mut Run,
        hooks: &mut HookSession<'_>,
        facts: &Facts<'r>,
        checked: &Checked<'r>,
    ) -> Result<Vec<ItemWork<'r>>, Error> {
        let request = facts.request;
        let currency = request.order.currency;
        // Units of each line requested by the items before the current one.
        let mut cursor: Vec<u32> = vec![0; request.order.lines.len()];
        let mut works = Vec::with_capacity(request.items.len());
        for (index, item) in request.items.iter().enumerate() {
            let Some(&ItemLine {
                index: li,
                line,
                merchant_fault,
            }) = checked.lines.get(index)
            else {
                return Err(Error::invalid(
                    format!("items[{index}].line_id"),
                    "unknown line",
                ));
            };
            let earlier_quantity = checked.earlier.get(li).map_or(0, |e| e.0);
            let Some(already) = cursor.get_mut(li) else {
                return Err(Error::invalid(
                    format!("items[{index}].line_id"),
                    "unknown line",
                ));
            };
            let start_unit = earlier_quantity.saturating_add(*already).min(line.quantity);
            let end_unit = earlier_quantity
                .saturating_add(*already)
                .saturating_add(item.quantity)
                .min(line.quantity);
            *already = already.saturating_add(item.quantity);
            let requested_through = earlier_quantity.saturating_add(*already);

            let (length, window_reason) = self.window_length(run, hooks, facts, &works, index)?;
            let (window, inside_statutory) =
                self.window(request, line, length, facts.request_date)?;
            let mut work = ItemWork {
                item,
                line_index: li,
                line,
                window,
                inside_statutory,
                status: ItemStatus::Accepted,
                codes: Vec::with_capacity(2),
                start_unit,
                end_unit,
                earlier_quantity,
                merchant_fault,
                refund: ItemRefund::zero(currency),
                priced: false,
                disposition: None,
            };
            if let Some(reason) = window_reason {
                run.item_reason(&mut work, reason);
            }
            self.validators(run, &mut work, requested_through)?;
            works.push(work);
            self.eligibility_hook(run, hooks, facts, &mut works, index)?;
        }
        Ok(works)
    }

    /// The `eligibility` hook on the item at `index` (the last of `works`), after the
    /// built-in validators.
    fn eligibility_hook(
        &self,
        run: &mut Run,
        hooks: &mut HookSession<'_>,
        facts: &Facts<'_>,
        works: &mut [ItemWork<'_>],
        index: usize,
    ) -> Result<(), Error> {
        let answer = {
            let request = RequestView::new(facts, works, None);
            let item = request.item(index);
            let line_id = facts
                .lines
                .get(index)
                .map_or("", |l| l.line.line_id.as_str());
            let fallback =
                Fallback::new("the built-in validators decide; the request goes to review")
                    .about(line_id);
            hooks.call(
                ELIGIBILITY,
                [item.arg(), request.arg()],
                fallback,
                read_eligibility,
            )?
        };
        let Some(work) = works.get_mut(index) else {
            return Ok(());
        };
        let line = work.line;
        match answer {
            Answer::Value(verdict) => {
                let mut status = verdict.status;
                if let Some(source) = hooks.source(ELIGIBILITY) {
                    let policy_reason = Reason::from_policy(verdict.code, verdict.message, source);
                    run.item_reason(work, policy_reason);
                }
                if status == ItemStatus::Rejected && work.inside_statutory {
                    status = ItemStatus::Review;
                    let days = self.config.window.statutory_minimum_days.unwrap_or(0);
                    run.item_reason(
                        work,
                        Reason::builtin(
                            "statutory_window_protects",
                            "statutory_minimum",
                            format!("the policy rejected the item, but the request is inside the statutory minimum window of {days} days; a person decides"),
                        ),
                    );
                }
                run.step("eligibility", || {
                    format!("policy decides line {}: {}", line.line_id, status.as_str())
                });
                let what = format!("the status of line {}", line.line_id);
                let (from, to) = (work.status.as_str(), status.as_str());
                let change = Change::new("eligibility_from_policy", &what, from, to);
                if let Some(reason) = hooks.changed(ELIGIBILITY, change) {
                    run.item_reason(work, reason);
                }
                work.status = status;
            }
            Answer::Default => {}
            Answer::Failed(reason) => run.hook_failed(reason),
        }
        run.step("eligibility", || {
            format!("line {}: {}", line.line_id, work.status.as_str())
        });
        Ok(())
    }

    /// Runs the built-in validators on one item and sets its status.
    fn validators(
        &self,
        run: &mut Run,
        work: &mut ItemWork<'_>,
        requested_through: u32,
    ) -> Result<(), Error> {
        let v = &self.config.validators;
        let line = work.line;
        let item = work.item;
        let mut failures: Vec<(Reason, ValidatorAction)> = Vec::new();
        let w = work.window.clone();
        let zone = &self.config.time_zone;
        match (w.inside, w.last_day, w.days) {
            (true, Some(last), Some(days)) => run.item_reason(
                work,
                Reason::builtin(
                    "within_return_window",
                    "return_window",
                    window_message(&w, days, last, zone, " ends ", ""),
                ),
            ),
            (false, Some(last), Some(days)) => failures.push((
                Reason::builtin(
                    "outside_return_window",
                    "return_window",
                    window_message(
                        &w,
                        days,
                        last,
                        zone,
                        " ended ",
                        if w.extended {
                            ", already moved off a weekend"
                        } else {
                            ""
                        },
                    ),
                ),
                self.config.window.action,
            )),
            _ => {}
        }
        if w.basis != WindowBasis::Delivered {
            let action = match v.not_delivered {
                NotDeliveredAction::Reject => Some(ValidatorAction::Reject),
                NotDeliveredAction::Review => Some(ValidatorAction::Review),
                NotDeliveredAction::Allow => None,
            };
            match action {
                Some(action) => failures.push((
                    Reason::builtin(
                        "not_yet_delivered",
                        "not_delivered",
                        format!("line {} has no delivery date", line.line_id),
                    ),
                    action,
                )),
                None => run.item_reason(
                    work,
                    Reason::builtin(
                        "window_from_shipment",
                        "not_delivered",
                        format!(
                            "line {} has no delivery date; allowed by `validators.not_delivered`, its window counts from {} on {}",
                            line.line_id,
                            if w.basis == WindowBasis::Shipped {
                                "shipment"
                            } else {
                                "the order (nothing has shipped)"
                            },
                            w.basis_date
                        ),
                    ),
                ),
            }
        }
        if line.final_sale {
            failures.push((
                Reason::builtin(
                    "final_sale",
                    "final_sale",
                    format!("line {} was sold as final sale", line.line_id),
                ),
                v.final_sale,
            ));
        }
        if line.gift_card {
            failures.push((
                Reason::builtin(
                    "gift_card_not_returnable",
                    "gift_card",
                    format!("line {} is a gift card", line.line_id),
                ),
                v.gift_card,
            ));
        }
        let delivered = if w.basis == WindowBasis::Delivered {
            line.delivered_quantity.unwrap_or(line.quantity)
        } else {
            line.quantity
        };
        if requested_through > delivered {
            failures.push((
                Reason::builtin(
                    "exceeds_returnable_quantity",
                    "returnable_quantity",
                    format!(
                        "{} units requested, but only {} of line {} can still be returned ({} delivered, {} returned before)",
                        item.quantity,
                        delivered.saturating_sub(requested_through.saturating_sub(item.quantity)),
                        line.line_id,
                        delivered,
                        work.earlier_quantity
                    ),
                ),
                v.returnable_quantity,
            ));
        }
        if item.condition != Condition::New && v.hygiene_categories.contains(&line.category) {
            failures.push((
                Reason::builtin(
                    "hygiene_opened",
                    "hygiene",
                    format!(
                        "{} cannot be returned once {}",
                        line.category,
                        item.condition.as_str()
                    ),
                ),
                v.hygiene,
            ));
        }
        if !work.merchant_fault {
            if let Some(action) = v.conditions.get(&item.condition) {
                failures.push((
                    Reason::builtin(
                        format!("condition_{}", item.condition.as_str()),
                        "condition",
                        format!(
                            "returned {} (reason `{}`)",
                            item.condition.as_str(),
                            item.reason
                        ),
                    ),
                    *action,
                ));
            }
        }
        let mut status = ItemStatus::Accepted;
        for (reason, action) in failures {
            match action {
                ValidatorAction::Off => continue,
                ValidatorAction::Review => status = ItemStatus::Review,
                ValidatorAction::Reject => {
                    if status == ItemStatus::Accepted {
                        status = ItemStatus::Rejected;
                    }
                }
            }
            run.item_reason(work, reason);
        }
        work.status = status;
        Ok(())
    }
}

/// `requested {elapsed} days after {basis} on {date}; the {days}-day window{verb}at the
/// end of {last} ({zone}){tail}`, written piece by piece: it is made for every item, and
/// the formatting machinery (dates especially) cost more than the rest of the validators.
fn window_message(
    w: &ReturnWindow,
    days: u32,
    last: chrono::NaiveDate,
    zone: &str,
    verb: &str,
    tail: &str,
) -> String {
    let mut s = String::with_capacity(128);
    s.push_str("requested ");
    push_int(&mut s, i128::from(w.days_elapsed));
    s.push_str(" days after ");
    s.push_str(basis_word(w.basis));
    s.push_str(" on ");
    push_date(&mut s, w.basis_date);
    s.push_str("; the ");
    push_int(&mut s, i128::from(days));
    s.push_str("-day window");
    s.push_str(verb);
    s.push_str("at the end of ");
    push_date(&mut s, last);
    s.push_str(" (");
    s.push_str(zone);
    s.push(')');
    s.push_str(tail);
    s
}

/// Appends an integer as `Display` writes it.
fn push_int(s: &mut String, value: i128) {
    if value < 0 {
        s.push('-');
    }
    let mut digits = [0u8; 40];
    let mut n = value.unsigned_abs();
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            // `n % 10` is below 10.
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    for &d in digits.get(at..).unwrap_or(&[]) {
        s.push(char::from(d));
    }
}

/// Appends a date as `NaiveDate`'s `Display` writes it (`YYYY-MM-DD`; other years
/// through `Display` itself).
fn push_date(s: &mut String, date: chrono::NaiveDate) {
    use chrono::Datelike;
    let year = date.year();
    if !(0..=9999).contains(&year) {
        s.push_str(&date.to_string());
        return;
    }
    let two = |s: &mut String, n: u32| {
        s.push(char::from(b'0' + (n / 10 % 10) as u8));
        s.push(char::from(b'0' + (n % 10) as u8));
    };
    // `year` is in 0..=9999 here.
    let year = year.unsigned_abs();
    two(s, year / 100);
    two(s, year % 100);
    s.push('-');
    two(s, date.month());
    s.push('-');
    two(s, date.day());
}

fn basis_word(basis: WindowBasis) -> &'static str {
    match basis {
        WindowBasis::Delivered => "delivery",
        WindowBasis::Shipped => "shipment (no delivery date)",
        WindowBasis::Placed => "the order (no delivery or shipment date)",
    }
}

#[cfg(test)]
mod message_tests {
    use super::{push_date, push_int};
    use chrono::NaiveDate;

    #[test]
    fn integers_and_dates_are_written_like_display() {
        for n in [
            0_i128,
            7,
            -7,
            10,
            99,
            100,
            -1000,
            4_294_967_295,
            i128::from(i64::MIN),
        ] {
            let mut s = String::new();
            push_int(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        for (y, m, d) in [
            (2025, 3, 30),
            (1, 1, 1),
            (0, 12, 31),
            (9999, 12, 31),
            (10000, 1, 1),
            (-5, 6, 7),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let mut s = String::new();
            push_date(&mut s, date);
            assert_eq!(s, date.to_string());
        }
    }
}
