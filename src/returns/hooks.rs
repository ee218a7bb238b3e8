//! The returns engine's policy hooks (placeholder until the policy runtime lands).

use super::config::WindowLength;
use super::types::{Disposition, FraudSignal, ItemStatus, SettlementMethod};
use crate::policy::HookSpec;
use crate::{Diagnostic, PolicySource};
use rust_decimal::Decimal;

/// The hooks a returns policy may define.
pub static HOOKS: &[HookSpec] = &[];

/// A hook that failed: its diagnostic and where it lives.
pub(crate) struct HookFailure {
    pub(crate) diagnostic: Diagnostic,
    pub(crate) source: PolicySource,
}

/// An `eligibility` hook's verdict.
pub(crate) struct Verdict {
    pub(crate) status: ItemStatus,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) source: PolicySource,
}

/// One decision's view of the policy: inputs converted once, hooks called by name.
pub(crate) enum Session {}

impl Session {
    pub(crate) fn window_days(
        &mut self,
        _item: usize,
    ) -> Result<Option<WindowLength>, Box<HookFailure>> {
        match *self {}
    }
    pub(crate) fn eligibility(
        &mut self,
        _item: usize,
        _builtin: ItemStatus,
        _codes: &[String],
        _days_elapsed: i64,
    ) -> Result<Option<Verdict>, Box<HookFailure>> {
        match *self {}
    }
    pub(crate) fn restocking_fee_percent(
        &mut self,
        _item: usize,
    ) -> Result<Option<(Decimal, PolicySource)>, Box<HookFailure>> {
        match *self {}
    }
    pub(crate) fn disposition(
        &mut self,
        _item: usize,
    ) -> Result<Option<(Disposition, PolicySource)>, Box<HookFailure>> {
        match *self {}
    }
    pub(crate) fn settlement(
        &mut self,
    ) -> Result<Option<(SettlementMethod, PolicySource)>, Box<HookFailure>> {
        match *self {}
    }
    pub(crate) fn fraud_signals(&mut self) -> Result<Vec<FraudSignal>, Box<HookFailure>> {
        match *self {}
    }
    pub(crate) fn set_refund_total(&mut self, _total: Decimal) {
        match *self {}
    }
    pub(crate) fn take_output(&mut self) -> Vec<String> {
        match *self {}
    }
}
