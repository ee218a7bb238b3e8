//! Available to promise: what a node can still commit to an order.

use super::{KitComponent, StockRow};
use chrono::{DateTime, Utc};

/// Units of one stock row that an order held by `holder` may take at `now`:
/// on hand − unexpired reservations held by others − safety stock, never below zero.
///
/// A reservation held by `holder` itself does not count against it (the order may use what
/// it already holds), and a reservation whose `expires_at` is at or before `now` counts for
/// nothing.
///
/// ```
/// use backoffice::routing::{available_to_promise, Reservation, StockRow};
/// use chrono::{TimeZone, Utc};
/// let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
/// let mut row = StockRow::new("W1", "MUG", 10);
/// row.safety_stock = 2;
/// row.reservations = vec![
///     Reservation { quantity: 3, holder: "order-7".into(), expires_at: None },
///     Reservation { quantity: 4, holder: "order-1".into(), expires_at: None },
///     Reservation {
///         quantity: 5,
///         holder: "order-9".into(),
///         expires_at: Some(Utc.with_ymd_and_hms(2026, 3, 1, 11, 0, 0).unwrap()),
///     },
/// ];
/// // 10 − 3 (order-7's) − 2 safety; order-1's own hold and the expired one do not count.
/// assert_eq!(available_to_promise(&row, "order-1", now), 5);
/// ```
pub fn available_to_promise(row: &StockRow, holder: &str, now: DateTime<Utc>) -> u64 {
    let held_by_others: u64 = row
        .reservations
        .iter()
        .filter(|r| r.holder != holder)
        .filter(|r| r.expires_at.is_none_or(|at| at > now))
        .map(|r| u64::from(r.quantity))
        .sum();
    u64::from(row.on_hand)
        .saturating_sub(held_by_others)
        .saturating_sub(u64::from(row.safety_stock))
}

/// How many whole kits a node can build: the minimum over components of
/// ⌊ATP / quantity per kit⌋. `atp_of` gives the ATP of a component SKU at the node (0 when
/// the node has no row for it). A kit without components can build nothing.
///
/// ```
/// use backoffice::routing::{kit_available_to_promise, KitComponent};
/// let bundle = [
///     KitComponent { sku: "CASE".into(), quantity: 1 },
///     KitComponent { sku: "PENCIL".into(), quantity: 2 },
///     KitComponent { sku: "ERASER".into(), quantity: 1 },
/// ];
/// let atp = |sku: &str| match sku { "CASE" => 3, "PENCIL" => 6, "ERASER" => 2, _ => 0 };
/// assert_eq!(kit_available_to_promise(&bundle, atp), 2);
/// ```
pub fn kit_available_to_promise(components: &[KitComponent], atp_of: impl Fn(&str) -> u64) -> u64 {
    components
        .iter()
        .map(|c| {
            atp_of(&c.sku)
                .checked_div(u64::from(c.quantity))
                .unwrap_or(0)
        })
        .min()
        .unwrap_or(0)
}
