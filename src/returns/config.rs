//! The returns engine's configuration. Every field has a documented default, so `{}` is a
//! complete configuration.

use super::types::{Condition, Disposition};
use crate::RoundingMode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Configuration of a [`ReturnsEngine`](super::ReturnsEngine).
///
/// ```
/// use backoffice::returns::ReturnsConfig;
/// let config: ReturnsConfig = serde_json::from_str(r#"{
///     "time_zone": "Europe/Berlin",
///     "window": {"default_days": 30, "business_day_extension": true, "statutory_minimum_days": 14},
///     "return_shipping_fee": {"kind": "flat", "amount": "7.50"}
/// }"#).unwrap();
/// assert_eq!(config.window.statutory_minimum_days, Some(14));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReturnsConfig {
    /// The merchant's time zone: an IANA name (`Europe/Berlin`, `UTC`) or a fixed offset
    /// (`+01:00`, `-0530`, `Z`). Default `UTC`.
    pub time_zone: String,
    /// The return window.
    #[serde(deserialize_with = "crate::engine::object_only")]
    pub window: WindowConfig,
    /// The other built-in eligibility validators.
    #[serde(deserialize_with = "crate::engine::object_only")]
    pub validators: ValidatorsConfig,
    /// Reason codes added to the built-in taxonomy (`size_too_small`, `size_too_large`,
    /// `not_as_described`, `defective`, `wrong_item`, `damaged_in_transit`,
    /// `changed_mind`, `arrived_late`, `other`).
    pub additional_reason_codes: Vec<ReasonCodeConfig>,
    /// Restocking fees.
    #[serde(deserialize_with = "crate::engine::object_only")]
    pub restocking_fee: RestockingFeeConfig,
    /// The fee for the return label.
    pub return_shipping_fee: ReturnShippingFee,
    /// Whether reasons that are the merchant's fault (`defective`, `wrong_item`,
    /// `not_as_described`, `damaged_in_transit`, and added codes marked so) waive the
    /// restocking and return-shipping fees. Default `true`.
    pub waive_fees_for_merchant_fault: bool,
    /// How refunds are paid.
    #[serde(deserialize_with = "crate::engine::object_only")]
    pub settlement: SettlementConfig,
    /// What happens to returned goods.
    #[serde(deserialize_with = "crate::engine::object_only")]
    pub disposition: DispositionConfig,
    /// Fraud scoring.
    #[serde(deserialize_with = "crate::engine::object_only")]
    pub fraud: FraudConfig,
    /// The queue a request goes to when an item needs review or a policy hook failed.
    /// Default `returns_review`.
    pub review_queue: String,
    /// The priority and expected handling time of each review queue (the
    /// `review_route` hook may change them, and the queue, per request).
    #[serde(deserialize_with = "crate::engine::object_only")]
    pub review_routing: ReviewRoutingConfig,
}

/// The longest expected handling time of a review, in hours (a year).
pub const MAX_EXPECTED_HOURS: u32 = 8760;

/// How urgent a review is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewPriority {
    /// Whenever there is time.
    Low,
    /// The usual order of the queue.
    Normal,
    /// Before the normal ones.
    High,
    /// First.
    Urgent,
}

impl ReviewPriority {
    /// The snake_case name used in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewPriority::Low => "low",
            ReviewPriority::Normal => "normal",
            ReviewPriority::High => "high",
            ReviewPriority::Urgent => "urgent",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "low" => ReviewPriority::Low,
            "normal" => ReviewPriority::Normal,
            "high" => ReviewPriority::High,
            "urgent" => ReviewPriority::Urgent,
            _ => return None,
        })
    }
}

/// The priority and expected handling time of one review queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewTarget {
    /// How urgent the review is.
    pub priority: ReviewPriority,
    /// Hours within which a person is expected to handle it, 1 to 8760.
    pub expected_hours: u32,
}

/// Review routing: what a request that goes to review is reported with
/// ([`ReviewRoute`](super::ReviewRoute) in the outcome's `review`). The queue is
/// `review_queue` (an item needs review or a hook failed) or `fraud.review_queue` (the
/// fraud score); its entry in `queues`, else `default`, gives the priority and the
/// expected handling time. The `review_route` hook may then change any of the three.
///
/// ```
/// use backoffice::returns::{ReturnsConfig, ReturnsEngine, ReviewPriority};
/// let config: ReturnsConfig = serde_json::from_str(r#"{"review_routing": {
///     "default": {"priority": "low", "expected_hours": 72},
///     "queues": {"fraud_review": {"priority": "urgent", "expected_hours": 4}}
/// }}"#).unwrap();
/// assert_eq!(config.review_routing.default.priority, ReviewPriority::Low);
///
/// let mut config = ReturnsConfig::default();
/// config.review_routing.default.expected_hours = 0;
/// let err = ReturnsEngine::new(config).unwrap_err();
/// assert_eq!(err.field(), Some("review_routing.default.expected_hours"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewRoutingConfig {
    /// The route of a queue without an entry in `queues`. Default `normal`, 48 hours.
    pub default: ReviewTarget,
    /// Per queue name. Default `fraud_review` → `high`, 24 hours (setting `queues`
    /// replaces this default entry).
    pub queues: BTreeMap<String, ReviewTarget>,
}

impl Default for ReviewRoutingConfig {
    fn default() -> Self {
        ReviewRoutingConfig {
            default: ReviewTarget {
                priority: ReviewPriority::Normal,
                expected_hours: 48,
            },
            queues: [(
                "fraud_review".to_string(),
                ReviewTarget {
                    priority: ReviewPriority::High,
                    expected_hours: 24,
                },
            )]
            .into_iter()
            .collect(),
        }
    }
}

impl Default for ReturnsConfig {
    fn default() -> Self {
        ReturnsConfig {
            time_zone: "UTC".to_string(),
            window: WindowConfig::default(),
            validators: ValidatorsConfig::default(),
            additional_reason_codes: Vec::new(),
            restocking_fee: RestockingFeeConfig::default(),
            return_shipping_fee: ReturnShippingFee::Free,
            waive_fees_for_merchant_fault: true,
            settlement: SettlementConfig::default(),
            disposition: DispositionConfig::default(),
            fraud: FraudConfig::default(),
            review_queue: "returns_review".to_string(),
            review_routing: ReviewRoutingConfig::default(),
        }
    }
}

/// What a failing validator does to an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidatorAction {
    /// The item is rejected (unless another failing validator asks for review).
    Reject,
    /// The item goes to manual review.
    Review,
    /// The validator is switched off.
    Off,
}

/// What the not-yet-delivered check does with an item whose line has no delivery date.
///
/// In every case the window of such an item counts from the shipment date (the line's,
/// else the order's), or from the order's placement when nothing has shipped.
///
/// ```
/// use backoffice::returns::{NotDeliveredAction, ValidatorsConfig};
/// assert_eq!(ValidatorsConfig::default().not_delivered, NotDeliveredAction::Reject);
/// let allow: NotDeliveredAction = serde_json::from_str(r#""allow""#).unwrap();
/// let off: NotDeliveredAction = serde_json::from_str(r#""off""#).unwrap();
/// assert_eq!((allow, off), (NotDeliveredAction::Allow, NotDeliveredAction::Allow));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotDeliveredAction {
    /// The item is rejected with `not_yet_delivered` (the default, as before this option
    /// had `allow`).
    #[default]
    Reject,
    /// The item goes to review with `not_yet_delivered`.
    Review,
    /// The item passes the check; its window counts from shipment, and a
    /// `window_from_shipment` reason says so.
    #[serde(alias = "off")]
    Allow,
}

/// A window length: a number of days or `"unlimited"`.
///
/// Read from JSON by hand rather than as an untagged enum, so that a wrong value says
/// what is allowed:
///
/// ```
/// use backoffice::returns::WindowLength;
/// let err = backoffice::engine::from_json::<WindowLength>("-5").unwrap_err();
/// assert_eq!(err.to_string(), r#"invalid JSON at line 1, column 2: expected a number of days ≥ 0 or "unlimited", got -5"#);
/// assert_eq!(serde_json::from_str::<WindowLength>("14").unwrap(), WindowLength::Days(14));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum WindowLength {
    /// This many days after the basis date.
    Days(u32),
    /// No deadline.
    Unlimited(Unlimited),
}

/// The marker `"unlimited"` of [`WindowLength::Unlimited`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unlimited {
    /// `"unlimited"`.
    Unlimited,
}

/// What a [`WindowLength`] may be, for error messages.
const WINDOW_LENGTH_EXPECTED: &str = r#"a number of days ≥ 0 or "unlimited""#;

impl<'de> Deserialize<'de> for WindowLength {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WindowLengthVisitor)
    }
}

struct WindowLengthVisitor;

impl WindowLengthVisitor {
    fn refuse<E: serde::de::Error>(got: impl std::fmt::Display) -> E {
        E::custom(format!("expected {WINDOW_LENGTH_EXPECTED}, got {got}"))
    }
}

impl<'de> serde::de::Visitor<'de> for WindowLengthVisitor {
    type Value = WindowLength;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(WINDOW_LENGTH_EXPECTED)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<WindowLength, E> {
        u32::try_from(v)
            .map(WindowLength::Days)
            .map_err(|_| Self::refuse(format!("{v} (at most {} days)", u32::MAX)))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<WindowLength, E> {
        match u64::try_from(v) {
            Ok(days) => self.visit_u64(days),
            Err(_) => Err(Self::refuse(v)),
        }
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<WindowLength, E> {
        Err(Self::refuse(v))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<WindowLength, E> {
        match v {
            "unlimited" => Ok(WindowLength::Unlimited(Unlimited::Unlimited)),
            other => match other.trim().parse::<u32>() {
                Ok(_) => Err(Self::refuse(format!(
                    "the string {other:?} (write the number without quotes)"
                ))),
                Err(_) => Err(Self::refuse(format!("{other:?}"))),
            },
        }
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<WindowLength, E> {
        Err(Self::refuse(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<WindowLength, E> {
        Err(Self::refuse("null"))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<WindowLength, A::Error> {
        Err(Self::refuse("an array"))
    }

    // With serde_json's `arbitrary_precision`, a number that is not a plain integer
    // (`-5.5`, `1e400`) arrives as a one-entry map holding its text.
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<WindowLength, A::Error> {
        if let Some(key) = map.next_key::<String>()? {
            if key == "$serde_json::private::Number" {
                let text: String = map.next_value()?;
                return match text.parse::<u64>() {
                    Ok(days) => self.visit_u64(days),
                    Err(_) => Err(Self::refuse(text)),
                };
            }
        }
        Err(Self::refuse("an object"))
    }
}

impl WindowLength {
    /// The number of days, or `None` when unlimited.
    pub fn days(self) -> Option<u32> {
        match self {
            WindowLength::Days(days) => Some(days),
            WindowLength::Unlimited(_) => None,
        }
    }
}

/// The return window.
///
/// The window counts from the delivery date (the line's, else the order's), falling back
/// to the shipment date and then the order date when a date is missing. Its last day is
/// the calendar day, in the merchant's time zone, that lies `days` after that date; a
/// request made at or before the end of that day is inside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WindowConfig {
    /// The window when no category override applies. Default 30 days.
    pub default_days: WindowLength,
    /// Per-category windows (`{"electronics": 14, "furniture": "unlimited"}`).
    pub category_days: BTreeMap<String, WindowLength>,
    /// Move a last day that falls on a Saturday or Sunday to the following Monday.
    /// Default `false`.
    pub business_day_extension: bool,
    /// A statutory minimum (e.g. 14 days for EU distance sales): no configuration or
    /// policy shortens the window below it, and a policy cannot reject an item inside it.
    pub statutory_minimum_days: Option<u32>,
    /// What a request outside the window does. Default `reject`.
    pub action: ValidatorAction,
}

impl Default for WindowConfig {
    fn default() -> Self {
        WindowConfig {
            default_days: WindowLength::Days(30),
            category_days: BTreeMap::new(),
            business_day_extension: false,
            statutory_minimum_days: None,
            action: ValidatorAction::Reject,
        }
    }
}

/// The built-in validators other than the window, each with its action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidatorsConfig {
    /// Final-sale lines (`final_sale`). Default `reject`.
    pub final_sale: ValidatorAction,
    /// Gift cards (`gift_card_not_returnable`). Default `reject`.
    pub gift_card: ValidatorAction,
    /// Lines with no delivery date (`not_yet_delivered`): `reject` (the default), `review`,
    /// or `allow`, which accepts them with the window counted from shipment (from the
    /// order's placement when nothing has shipped either; `off` is accepted as another
    /// spelling of `allow`). See [`NotDeliveredAction`].
    pub not_delivered: NotDeliveredAction,
    /// More units than delivered minus already returned (`exceeds_returnable_quantity`).
    /// Default `reject`.
    pub returnable_quantity: ValidatorAction,
    /// Hygiene categories returned in any condition but `new` (`hygiene_opened`).
    /// Default `reject`.
    pub hygiene: ValidatorAction,
    /// The hygiene categories. Default `cosmetics`, `underwear`, `swimwear`, `earrings`.
    pub hygiene_categories: Vec<String>,
    /// What each declared condition does (`condition_<name>`). Default: `damaged` and
    /// `missing_parts` go to review. Not applied when the reason is the merchant's fault.
    #[serde(deserialize_with = "crate::engine::named_keys")]
    pub conditions: BTreeMap<Condition, ValidatorAction>,
}

impl Default for ValidatorsConfig {
    fn default() -> Self {
        ValidatorsConfig {
            final_sale: ValidatorAction::Reject,
            gift_card: ValidatorAction::Reject,
            not_delivered: NotDeliveredAction::Reject,
            returnable_quantity: ValidatorAction::Reject,
            hygiene: ValidatorAction::Reject,
            hygiene_categories: ["cosmetics", "underwear", "swimwear", "earrings"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            conditions: [
                (Condition::Damaged, ValidatorAction::Review),
                (Condition::MissingParts, ValidatorAction::Review),
            ]
            .into_iter()
            .collect(),
        }
    }
}

/// One reason code of the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonCodeConfig {
    /// The code, e.g. `missing_accessory`.
    pub code: String,
    /// Whether the merchant is at fault (waives fees when so configured).
    #[serde(default)]
    pub merchant_fault: bool,
}

/// The built-in reason codes and whether each is the merchant's fault.
pub const BUILTIN_REASON_CODES: &[(&str, bool)] = &[
    ("size_too_small", false),
    ("size_too_large", false),
    ("not_as_described", true),
    ("defective", true),
    ("wrong_item", true),
    ("damaged_in_transit", true),
    ("changed_mind", false),
    ("arrived_late", false),
    ("other", false),
];

/// Restocking fees as a percentage of the merchandise refund: a category's percentage
/// wins over the condition's; otherwise none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RestockingFeeConfig {
    /// Percentage by condition (`{"opened": "15"}`).
    #[serde(deserialize_with = "crate::engine::named_keys")]
    pub by_condition: BTreeMap<Condition, PercentValue>,
    /// Percentage by category.
    pub by_category: BTreeMap<String, PercentValue>,
    /// How a fee is rounded to the currency's minor unit. Default `half_up`.
    pub rounding: RoundingMode,
}

impl Default for RestockingFeeConfig {
    fn default() -> Self {
        RestockingFeeConfig {
            by_condition: BTreeMap::new(),
            by_category: BTreeMap::new(),
            rounding: RoundingMode::HalfUp,
        }
    }
}

/// A percentage (`"15"` is 15 %), read exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PercentValue(#[serde(with = "crate::money::serde_decimal")] pub Decimal);

/// The fee for the return label, in the order's currency.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReturnShippingFee {
    /// No fee (the default).
    #[default]
    Free,
    /// One fee per return request, shared across its items in proportion to their
    /// merchandise refund (largest remainder).
    Flat {
        /// The fee.
        #[serde(with = "crate::money::serde_decimal")]
        amount: Decimal,
    },
    /// A fee for every unit returned.
    PerItem {
        /// The fee per unit.
        #[serde(with = "crate::money::serde_decimal")]
        amount: Decimal,
    },
}

/// Settlement rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SettlementConfig {
    /// Pay in store credit instead of the original payment once more than this many days
    /// have passed since the window's basis date (the latest among the items).
    pub store_credit_after_days: Option<u32>,
    /// Whether exchanges are offered. Default `true`.
    pub allow_exchange: bool,
}

impl Default for SettlementConfig {
    fn default() -> Self {
        SettlementConfig {
            store_credit_after_days: None,
            allow_exchange: true,
        }
    }
}

/// Disposition defaults. Precedence: a hygiene category in any condition but `new` is
/// disposed of; then the reason's entry, then the category's, then the condition's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DispositionConfig {
    /// By reason code. Default `defective` → `return_to_vendor`.
    pub by_reason: BTreeMap<String, Disposition>,
    /// By category.
    pub by_category: BTreeMap<String, Disposition>,
    /// By condition. Default `new`/`opened` → `restock`, `used`/`missing_parts` →
    /// `refurbish`, `damaged` → `liquidate`.
    #[serde(deserialize_with = "crate::engine::named_keys")]
    pub by_condition: BTreeMap<Condition, Disposition>,
}

impl Default for DispositionConfig {
    fn default() -> Self {
        DispositionConfig {
            by_reason: [("defective".to_string(), Disposition::ReturnToVendor)]
                .into_iter()
                .collect(),
            by_category: BTreeMap::new(),
            by_condition: [
                (Condition::New, Disposition::Restock),
                (Condition::Opened, Disposition::Restock),
                (Condition::Used, Disposition::Refurbish),
                (Condition::MissingParts, Disposition::Refurbish),
                (Condition::Damaged, Disposition::Liquidate),
            ]
            .into_iter()
            .collect(),
        }
    }
}

/// One built-in fraud signal: whether it is on, its signed weight, and its threshold
/// (the meaning of which each signal documents; comparisons are inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalConfig {
    /// Whether the signal is evaluated. Default `true`.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Added to the score when the signal fires (may be negative).
    pub weight: i32,
    /// The signal's threshold.
    #[serde(with = "crate::money::serde_decimal")]
    pub threshold: Decimal,
}

fn yes() -> bool {
    true
}

impl SignalConfig {
    fn new(weight: i32, threshold: i64) -> Self {
        SignalConfig {
            enabled: true,
            weight,
            threshold: Decimal::from(threshold),
        }
    }

    fn with_threshold(weight: i32, threshold: Decimal) -> Self {
        SignalConfig {
            enabled: true,
            weight,
            threshold,
        }
    }
}

/// Fraud scoring: built-in signals, thresholds, hard lists and the review queue.
///
/// Score = sum of the weights of the signals that fire, clamped to 0..=100. `approve`
/// below `review_threshold`, `review` at or above it, `deny` at or above
/// `deny_threshold`. A customer on the allow list is always approved; on the block list
/// (and not allowed), always denied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FraudConfig {
    /// Score at or above which a request is reviewed. Default 40.
    pub review_threshold: u32,
    /// Score at or above which a request is denied. Default 70.
    pub deny_threshold: u32,
    /// The queue for fraud reviews. Default `fraud_review`.
    pub review_queue: String,
    /// Customer ids always approved.
    pub allow_list: Vec<String>,
    /// Customer ids always denied (unless also on the allow list).
    pub block_list: Vec<String>,
    /// Return rate over 365 days (returns ÷ orders) at or above the threshold, with at
    /// least `serial_returner_min_returns` returns. Default weight 25, threshold 0.5.
    pub serial_returner: SignalConfig,
    /// The minimum number of returns in 365 days for `serial_returner`. Default 5.
    pub serial_returner_min_returns: u32,
    /// Returns in the last 30 days at or above the threshold. Default weight 15,
    /// threshold 3.
    pub velocity: SignalConfig,
    /// Refund total at or above the threshold (in the order's currency). Default weight 15,
    /// threshold 500.
    pub high_refund_value: SignalConfig,
    /// Account younger than the threshold in days. Default weight 10, threshold 30.
    pub new_account: SignalConfig,
    /// Refunds without a returned item at or above the threshold. Default weight 20,
    /// threshold 2.
    pub refunds_without_return: SignalConfig,
    /// Chargebacks at or above the threshold. Default weight 30, threshold 1.
    pub chargebacks: SignalConfig,
    /// Worn or used items of a wardrobing category returned within the threshold in days
    /// of delivery. Default weight 20, threshold 10.
    pub wardrobing: SignalConfig,
    /// The categories where wardrobing happens. Default `apparel`, `formalwear`,
    /// `costumes`, `shoes`.
    pub wardrobing_categories: Vec<String>,
    /// Several sizes of one product bought and all but one returned (threshold: the
    /// minimum number of sizes bought). Default weight 15, threshold 2.
    pub bracketing: SignalConfig,
    /// The line attribute holding the size. Default `size`.
    pub size_attribute: String,
    /// Parcel ships back from a country other than the one it was delivered to.
    /// Default weight 10 (threshold unused).
    pub ship_from_mismatch: SignalConfig,
    /// Returned weight at or below this fraction of the expected weight. Default weight
    /// 40, threshold 0.5.
    pub weight_mismatch: SignalConfig,
    /// An item bought at a discount of at least this percentage. Default weight 10,
    /// threshold 50.
    pub heavy_discount: SignalConfig,
    /// Linked flagged accounts at or above the threshold. Default weight 30, threshold 1.
    pub linked_flagged_accounts: SignalConfig,
}

impl Default for FraudConfig {
    fn default() -> Self {
        FraudConfig {
            review_threshold: 40,
            deny_threshold: 70,
            review_queue: "fraud_review".to_string(),
            allow_list: Vec::new(),
            block_list: Vec::new(),
            serial_returner: SignalConfig::with_threshold(25, Decimal::new(5, 1)),
            serial_returner_min_returns: 5,
            velocity: SignalConfig::new(15, 3),
            high_refund_value: SignalConfig::new(15, 500),
            new_account: SignalConfig::new(10, 30),
            refunds_without_return: SignalConfig::new(20, 2),
            chargebacks: SignalConfig::new(30, 1),
            wardrobing: SignalConfig::new(20, 10),
            wardrobing_categories: ["apparel", "formalwear", "costumes", "shoes"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            bracketing: SignalConfig::new(15, 2),
            size_attribute: "size".to_string(),
            ship_from_mismatch: SignalConfig::new(10, 0),
            weight_mismatch: SignalConfig::with_threshold(40, Decimal::new(5, 1)),
            heavy_discount: SignalConfig::new(10, 50),
            linked_flagged_accounts: SignalConfig::new(30, 1),
        }
    }
}
