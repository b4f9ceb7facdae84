//! YouTube's daily quota: 10,000 units per Google project, resetting at midnight
//! Pacific time. [`QuotaPlan`] counts what the collector spends against
//! `daily_quota_units`; live polls and backfills using one key and one set of rate
//! budgets draw on one plan ([`plan_for`]).
//!
//! Processes sharing a key (several `earshot collect`, an `earshot backfill`, a restart)
//! share the day's count through a ledger in `collector.cursors`: each process stores
//! what it spent today under `quota:youtube:{key}:{day}:{process}`, and a plan reads the
//! others' entries before every poll ([`QuotaPlan::sync`]) and stores its own after it
//! ([`QuotaPlan::publish`]), deleting the key's entries of earlier days (a process id
//! is new at every start, so they would pile up in the compacted topic for good).
//! Within one poll (at most `history_pages` calls) a process
//! does not see the others' spending, which bounds any overspend.

use std::sync::{Arc, Mutex, OnceLock, Weak};

use chrono::{DateTime, Datelike, Duration as ChronoDuration, NaiveDate, Utc, Weekday};
use earshot_model::Platform;

use crate::config::Secret;
use crate::cursor::{CursorStore, CursorStoreExt};
use crate::error::Error;
use crate::ratelimit::{RateBudget, RateBudgets};
use earshot_runtime::InternalEvent;

/// The calendar day in US Pacific time (UTC-8, UTC-7 from the second Sunday of March to
/// the first Sunday of November), when YouTube's quota resets.
pub fn pacific_day(now: DateTime<Utc>) -> NaiveDate {
    let year = now.year();
    let switch = |month, nth, utc_hour| {
        NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, nth)
            .and_then(|d| d.and_hms_opt(utc_hour, 0, 0))
            .map(|t| t.and_utc())
    };
    // 02:00 local: 10:00 UTC in winter time, 09:00 UTC in summer time.
    let summer = match (switch(3, 2, 10), switch(11, 1, 9)) {
        (Some(start), Some(end)) => now >= start && now < end,
        _ => false,
    };
    let offset = if summer { -7 } else { -8 };
    (now + ChronoDuration::hours(offset)).date_naive()
}

/// The plan for `key` among `budgets`, created with `daily_units` on first use and set
/// to them on every later use.
///
/// The quota belongs to the Google project behind the key, so every job spending it must
/// count against one plan: live polls and a backfill given the same [`RateBudgets`] (one
/// process, as `RateBudgets` are shared) draw on one plan, like they draw on one rate
/// budget. The plan hangs off the rate budget `budgets` keeps for the key's quota, so it
/// lives exactly as long as those budgets do.
pub(super) fn plan_for(budgets: &RateBudgets, key: &Secret, daily_units: u64) -> Arc<QuotaPlan> {
    type Plans = Mutex<Vec<(Weak<RateBudget>, Arc<QuotaPlan>)>>;
    static PLANS: OnceLock<Plans> = OnceLock::new();
    let anchor = budgets.get(Platform::Youtube, &format!("quota/{}", key.fingerprint()));
    let mut plans = PLANS.get_or_init(Plans::default).lock().unwrap();
    plans.retain(|(budget, _)| budget.strong_count() > 0);
    let found = plans
        .iter()
        .find(|(budget, _)| budget.upgrade().is_some_and(|b| Arc::ptr_eq(&b, &anchor)))
        .map(|(_, plan)| plan.clone());
    let plan = found.unwrap_or_else(|| {
        let plan = Arc::new(QuotaPlan::new(daily_units).with_ledger(&key.fingerprint()));
        plans.push((Arc::downgrade(&anchor), plan.clone()));
        plan
    });
    plan.set_daily_units(daily_units);
    plan
}

/// The units a key may still spend today, shared by every job using it, and with other
/// processes through the ledger.
#[derive(Debug)]
pub struct QuotaPlan {
    state: Mutex<QuotaState>,
    /// `quota:youtube:{key fingerprint}:`, the ledger's key prefix; `None`: no ledger.
    ledger: Option<String>,
    /// This process's name in the ledger: a restart is a new process whose predecessor's
    /// entry still counts.
    process: String,
}

/// The ledger keys (`{ledger}{day}:{process}`) of days before `today`: spent units of
/// an earlier quota day count for nothing, whichever process stored them.
fn stale_ledger_keys<'a>(
    keys: impl IntoIterator<Item = &'a str>,
    ledger: &str,
    today: NaiveDate,
) -> Vec<&'a str> {
    keys.into_iter()
        .filter(|key| {
            key.strip_prefix(ledger)
                .and_then(|rest| rest.split_once(':'))
                .and_then(|(day, _)| day.parse::<NaiveDate>().ok())
                .is_some_and(|day| day < today)
        })
        .collect()
}

/// One process's entry in the ledger.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct LedgerEntry {
    spent: u64,
}

#[derive(Debug)]
struct QuotaState {
    daily_units: u64,
    day: Option<NaiveDate>,
    spent: u64,
    /// Spent today by other processes on the same key, as of the last sync.
    others: u64,
    /// YouTube answered `quotaExceeded` today: nothing more until the reset, whatever
    /// our own count says.
    refused: bool,
    announced: bool,
}

impl QuotaState {
    fn remaining(&self) -> u64 {
        if self.refused {
            0
        } else {
            self.daily_units.saturating_sub(self.spent + self.others)
        }
    }

    /// Moves to `today` if the day changed, forgetting yesterday's counts.
    fn roll_to(&mut self, today: NaiveDate) {
        if self.day != Some(today) {
            self.day = Some(today);
            self.spent = 0;
            self.others = 0;
            self.refused = false;
            self.announced = false;
        }
    }
}

impl QuotaPlan {
    pub fn new(daily_units: u64) -> Self {
        QuotaPlan {
            state: Mutex::new(QuotaState {
                daily_units,
                day: None,
                spent: 0,
                others: 0,
                refused: false,
                announced: false,
            }),
            ledger: None,
            process: format!("{:016x}", rand::random::<u64>()),
        }
    }

    /// Shares the count with other processes using the key `fingerprint`.
    pub fn with_ledger(mut self, fingerprint: &str) -> Self {
        self.ledger = Some(format!("quota:youtube:{fingerprint}:"));
        self
    }

    fn day_prefix(&self, day: NaiveDate) -> Option<String> {
        self.ledger.as_ref().map(|ledger| format!("{ledger}{day}:"))
    }

    /// Reads what other processes spent today on this key.
    pub async fn sync(
        &self,
        cursors: &(impl CursorStore + ?Sized),
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let today = pacific_day(now);
        let Some(prefix) = self.day_prefix(today) else {
            return Ok(());
        };
        cursors.refresh().await?;
        let own = format!("{prefix}{}", self.process);
        let others: u64 = cursors
            .with_prefix::<LedgerEntry>(&prefix)
            .into_iter()
            .filter(|(key, _)| *key != own)
            .map(|(_, entry)| entry.spent)
            .sum();
        let mut state = self.state.lock().unwrap();
        state.roll_to(today);
        state.others = others;
        Ok(())
    }

    /// Stores what this process spent today, for the others' next sync.
    pub async fn publish(
        &self,
        cursors: &(impl CursorStore + ?Sized),
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let today = pacific_day(now);
        let Some(prefix) = self.day_prefix(today) else {
            return Ok(());
        };
        let spent = {
            let mut state = self.state.lock().unwrap();
            state.roll_to(today);
            state.spent
        };
        if spent == 0 {
            return Ok(());
        }
        cursors
            .put(&format!("{prefix}{}", self.process), &LedgerEntry { spent })
            .await?;
        let ledger = self.ledger.as_deref().unwrap_or_default();
        let keys = cursors.with_prefix::<serde_json::Value>(ledger);
        for key in stale_ledger_keys(keys.iter().map(|(key, _)| key.as_str()), ledger, today) {
            cursors.delete(key).await?;
        }
        Ok(())
    }

    fn set_daily_units(&self, daily_units: u64) {
        let mut state = self.state.lock().unwrap();
        if state.daily_units != daily_units {
            state.daily_units = daily_units;
            state.announced = false;
        }
    }

    /// Spends `units` if today's plan has them; `false` (logged once a day) if not.
    pub fn try_spend(&self, units: u64, now: DateTime<Utc>) -> bool {
        let mut state = self.state.lock().unwrap();
        state.roll_to(pacific_day(now));
        let ok = units <= state.remaining();
        if ok {
            state.spent += units;
        } else if !state.announced {
            state.announced = true;
            tracing::warn!(
                spent = state.spent,
                spent_elsewhere = state.others,
                daily_units = state.daily_units,
                "YouTube daily quota spent; polling resumes after midnight Pacific time"
            );
        }
        crate::internal_events::QuotaChecked {
            platform: Platform::Youtube,
            remaining: state.remaining(),
            granted: ok,
        }
        .emit();
        ok
    }

    /// Marks today's quota as spent (YouTube answered `quotaExceeded`).
    pub fn exhaust(&self, now: DateTime<Utc>) {
        let mut state = self.state.lock().unwrap();
        state.roll_to(pacific_day(now));
        state.refused = true;
    }

    /// Units left today.
    pub fn remaining(&self, now: DateTime<Utc>) -> u64 {
        let state = self.state.lock().unwrap();
        if state.day == Some(pacific_day(now)) {
            state.remaining()
        } else {
            state.daily_units
        }
    }

    /// The error a job stops with while the day's quota is spent: what happened, and
    /// when running it again will get further.
    pub fn spent_error(&self, now: DateTime<Utc>) -> Error {
        let state = self.state.lock().unwrap();
        let why = if state.refused {
            "YouTube answered quotaExceeded".to_string()
        } else {
            format!(
                "{} of {} units (collectors.youtube.daily_quota_units) used today",
                state.spent + state.others,
                state.daily_units
            )
        };
        let reset = next_reset(now);
        Error::QuotaExhausted {
            platform: Platform::Youtube,
            detail: format!(
                "{why}; the quota resets at midnight Pacific time ({}, in {}h{:02}m): run \
                 again after that to resume",
                reset.to_rfc3339(),
                (reset - now).num_hours(),
                (reset - now).num_minutes() % 60
            ),
        }
    }
}

/// The next midnight Pacific time after `now`.
fn next_reset(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = pacific_day(now);
    // The day changes within the next 25 hours; find the minute it does.
    let mut at = now;
    let mut step = ChronoDuration::hours(1);
    while step >= ChronoDuration::minutes(1) {
        while pacific_day(at + step) == today {
            at += step;
        }
        step = step / 60;
    }
    let minute = at + ChronoDuration::minutes(1);
    DateTime::from_timestamp(minute.timestamp() - minute.timestamp() % 60, 0).unwrap_or(minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn ledger_entries_of_earlier_days_are_stale() {
        let ledger = "quota:youtube:ab12:";
        let today: NaiveDate = "2026-03-12".parse().unwrap();
        let keys = [
            "quota:youtube:ab12:2026-03-11:0000000000000001",
            "quota:youtube:ab12:2025-12-31:00000000000000ff",
            "quota:youtube:ab12:2026-03-12:0000000000000002",
            "quota:youtube:cd34:2026-03-01:0000000000000003",
            "quota:youtube:ab12:garbage",
        ];
        assert_eq!(
            stale_ledger_keys(keys, ledger, today),
            [
                "quota:youtube:ab12:2026-03-11:0000000000000001",
                "quota:youtube:ab12:2025-12-31:00000000000000ff"
            ]
        );
    }

    #[test]
    fn the_quota_day_is_pacific() {
        // Winter: UTC-8, so 07:59 UTC is still the previous day.
        assert_eq!(
            pacific_day(at("2026-01-15T07:59:00Z")).to_string(),
            "2026-01-14"
        );
        assert_eq!(
            pacific_day(at("2026-01-15T08:00:00Z")).to_string(),
            "2026-01-15"
        );
        // Summer (from 8 March 2026): UTC-7.
        assert_eq!(
            pacific_day(at("2026-07-01T06:59:00Z")).to_string(),
            "2026-06-30"
        );
        assert_eq!(
            pacific_day(at("2026-07-01T07:00:00Z")).to_string(),
            "2026-07-01"
        );
    }

    #[test]
    fn the_plan_stops_at_the_budget_and_resets_at_pacific_midnight() {
        let plan = QuotaPlan::new(2);
        let day = at("2026-03-12T12:00:00Z");
        assert!(plan.try_spend(1, day) && plan.try_spend(1, day));
        assert!(!plan.try_spend(1, day));
        assert_eq!(plan.remaining(day), 0);
        // 07:00 UTC on 13 March is midnight in Pacific summer time.
        assert!(!plan.try_spend(1, at("2026-03-13T06:59:00Z")));
        assert!(plan.try_spend(1, at("2026-03-13T07:00:00Z")));
        plan.exhaust(at("2026-03-13T08:00:00Z"));
        assert!(!plan.try_spend(1, at("2026-03-13T09:00:00Z")));
    }

    #[test]
    fn plans_are_shared_per_key_and_name_the_reset() {
        let budgets = RateBudgets::default();
        let key = Secret::new("AIza-plan-test");
        let plan = plan_for(&budgets, &key, 2);
        assert!(Arc::ptr_eq(&plan, &plan_for(&budgets, &key, 2)));
        assert!(!Arc::ptr_eq(
            &plan,
            &plan_for(&budgets, &Secret::new("AIza-other"), 2)
        ));
        assert!(!Arc::ptr_eq(
            &plan,
            &plan_for(&RateBudgets::default(), &key, 2)
        ));
        let now = at("2026-03-12T12:00:00Z");
        assert!(plan.try_spend(1, now) && plan.try_spend(1, now) && !plan.try_spend(1, now));
        // A larger plan (the config changed) lets the same day go on.
        plan_for(&budgets, &key, 3);
        assert!(plan.try_spend(1, now));
        let error = plan.spent_error(now).to_string();
        assert!(
            error.starts_with("youtube: quota spent: 3 of 3 units")
                && error.contains("2026-03-13T07:00:00+00:00, in 19h00m"),
            "{error}"
        );
        plan.exhaust(now);
        assert!(plan.spent_error(now).to_string().contains("quotaExceeded"));
        assert_eq!(
            next_reset(at("2026-01-15T07:59:30Z")),
            at("2026-01-15T08:00:00Z")
        );
    }
}
