//! The impact of an outage: the facts a business function carries (owner, criticality, RTO,
//! impact per hour, from a manifest or a hand-written snapshot), how long an outage lasts,
//! what it costs per function, and totals per currency. Amounts in two currencies are never
//! added: every total is one amount per currency.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::{Money, Resource};

/// What a business function declares about itself (the attributes a manifest puts on a
/// resource of kind `function`). Every fact is optional: a function may carry none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionFacts {
    /// `critical`, `important` or `other`.
    pub criticality: Option<String>,
    pub owner: Option<String>,
    /// Recovery time objective, in hours.
    pub rto_hours: Option<f64>,
    pub impact_per_hour: Option<Money>,
}

impl FunctionFacts {
    /// The facts in a resource's attributes (`criticality`, `owner`, `rto_hours`,
    /// `impact_per_hour`); values of the wrong shape count as absent.
    pub fn of(resource: &Resource) -> FunctionFacts {
        let attributes = &resource.attributes;
        let text = |key: &str| {
            attributes
                .get(key)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        FunctionFacts {
            criticality: text("criticality"),
            owner: text("owner"),
            rto_hours: attributes
                .get("rto_hours")
                .and_then(serde_json::Value::as_f64)
                .filter(|h| h.is_finite() && *h >= 0.0),
            impact_per_hour: attributes.get("impact_per_hour").and_then(money),
        }
    }

    /// Whether any fact is declared.
    pub fn is_empty(&self) -> bool {
        *self == FunctionFacts::default()
    }
}

/// `{"amount": 180000, "currency": "USD"}` as money, if it is that.
fn money(value: &serde_json::Value) -> Option<Money> {
    let amount = value.get("amount")?.as_f64().filter(|a| a.is_finite())?;
    let currency = value.get("currency")?.as_str().filter(|c| !c.is_empty())?;
    Some(Money {
        amount,
        currency: currency.to_string(),
    })
}

/// How long an outage lasts, in whole seconds (more than zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutageDuration {
    seconds: u64,
}

/// The units a duration may be written in, longest first, with their seconds.
const UNITS: [(char, f64); 4] = [('d', 86_400.0), ('h', 3_600.0), ('m', 60.0), ('s', 1.0)];

/// The longest duration accepted: a year.
const MAX_SECONDS: f64 = 366.0 * 86_400.0;

impl OutageDuration {
    pub fn from_seconds(seconds: u64) -> Option<OutageDuration> {
        (seconds > 0).then_some(OutageDuration { seconds })
    }

    /// Parse `40m`, `1h`, `90s`, `1h30m`, `2.5h`, `1d`: numbers each followed by a unit (`d`,
    /// `h`, `m`, `s`), units in that order and each at most once, adding up to a whole number
    /// of seconds, more than zero and at most a year.
    pub fn parse(text: &str) -> Result<OutageDuration, String> {
        let bad = |why: &str| format!("`{text}` is not a duration ({why}; e.g. 40m, 1h30m, 2.5h)");
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(bad("it is empty"));
        }
        let mut seconds = 0.0;
        let mut last_unit = None;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            let (number, after) = rest.split_at(digits);
            let Some(unit) = after.chars().next() else {
                return Err(bad("a number without a unit: d, h, m or s"));
            };
            let Some(position) = UNITS.iter().position(|&(u, _)| u == unit) else {
                return Err(bad(&format!(
                    "unknown unit `{unit}`; expected d, h, m or s"
                )));
            };
            if number.is_empty() {
                return Err(bad(&format!("no number before `{unit}`")));
            }
            let value: f64 = number
                .parse()
                .map_err(|_| bad(&format!("`{number}` is not a number")))?;
            if last_unit.is_some_and(|last| position <= last) {
                return Err(bad("units go from days to seconds, each once"));
            }
            last_unit = Some(position);
            seconds += value * UNITS[position].1;
            rest = &after[unit.len_utf8()..];
        }
        if seconds > MAX_SECONDS {
            return Err(bad("longer than a year"));
        }
        let whole = seconds.round();
        if (seconds - whole).abs() > 1e-6 {
            return Err(bad("not a whole number of seconds"));
        }
        OutageDuration::from_seconds(whole as u64).ok_or_else(|| bad("it is zero"))
    }

    pub fn seconds(self) -> u64 {
        self.seconds
    }

    pub fn hours(self) -> f64 {
        self.seconds as f64 / 3_600.0
    }
}

impl fmt::Display for OutageDuration {
    /// The shortest form in units: `40m`, `1h30m`, `2h30m`, `90s` is `1m30s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.seconds;
        for (unit, size) in UNITS {
            let size = size as u64;
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

/// A number of hours the way people write them: `1h`, `30m`, `4h`, `1h30m`, `0s` for none.
pub fn hours_text(hours: f64) -> String {
    let seconds = (hours * 3_600.0).round();
    if seconds >= 1.0 && seconds <= u64::MAX as f64 {
        OutageDuration {
            seconds: seconds as u64,
        }
        .to_string()
    } else {
        "0s".to_string()
    }
}

/// An amount rounded to cents.
pub fn cents(amount: f64) -> f64 {
    (amount * 100.0).round() / 100.0
}

/// What `per_hour` costs over `duration` (rounded to cents).
pub fn impact_for(per_hour: &Money, duration: OutageDuration) -> Money {
    Money {
        // Multiply first: 180,000 × 2,400 s / 3,600 is exactly 120,000.
        amount: cents(per_hour.amount * duration.seconds as f64 / 3_600.0),
        currency: per_hour.currency.clone(),
    }
}

/// The sum of `amounts`, one per currency, in currency order.
pub fn totals<'a>(amounts: impl IntoIterator<Item = &'a Money>) -> Vec<Money> {
    let mut sums: BTreeMap<&str, f64> = BTreeMap::new();
    for money in amounts {
        *sums.entry(money.currency.as_str()).or_default() += money.amount;
    }
    sums.into_iter()
        .map(|(currency, amount)| Money {
            amount: cents(amount),
            currency: currency.to_string(),
        })
        .collect()
}

/// An amount for people: digits grouped by thousands, cents only when there are any, then
/// the currency (`120,000 USD`, `1,234.50 EUR`).
pub fn money_text(money: &Money) -> String {
    format!("{} {}", amount_text(money.amount), money.currency)
}

/// Amounts in several currencies, each on its own (`9,000 EUR and 120,000 USD`), or `–`
/// for none.
pub fn totals_text(amounts: &[Money]) -> String {
    if amounts.is_empty() {
        return "–".to_string();
    }
    amounts
        .iter()
        .map(money_text)
        .collect::<Vec<_>>()
        .join(" and ")
}

fn amount_text(amount: f64) -> String {
    let amount = cents(amount);
    let sign = if amount < 0.0 { "-" } else { "" };
    let cents_total = (amount.abs() * 100.0).round() as u128;
    let (whole, fraction) = (cents_total / 100, cents_total % 100);
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if fraction == 0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(amount: f64) -> Money {
        Money {
            amount,
            currency: "USD".into(),
        }
    }

    #[test]
    fn durations_parse_in_every_accepted_form() {
        for (text, seconds) in [
            ("40m", 2_400),
            ("1h", 3_600),
            ("90s", 90),
            ("1h30m", 5_400),
            ("2.5h", 9_000),
            ("1d2h", 93_600),
            ("1.5m", 90),
        ] {
            assert_eq!(
                OutageDuration::parse(text).unwrap().seconds(),
                seconds,
                "{text}"
            );
        }
    }

    #[test]
    fn bad_durations_say_why() {
        for (text, why) in [
            ("", "empty"),
            ("40", "without a unit"),
            ("40x", "unknown unit `x`"),
            ("h", "no number before `h`"),
            ("30m1h", "from days to seconds"),
            ("1h1h", "from days to seconds"),
            ("0m", "zero"),
            ("0.5s", "whole number of seconds"),
            ("1.2.3h", "not a number"),
            ("400d", "longer than a year"),
            ("-5m", "unknown unit `-`"),
        ] {
            let err = OutageDuration::parse(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn durations_print_in_their_shortest_form() {
        for (text, shown) in [("90s", "1m30s"), ("2.5h", "2h30m"), ("40m", "40m")] {
            assert_eq!(OutageDuration::parse(text).unwrap().to_string(), shown);
        }
        assert_eq!(hours_text(0.5), "30m");
        assert_eq!(hours_text(4.0), "4h");
        assert_eq!(hours_text(0.0), "0s");
    }

    #[test]
    fn impact_is_the_hourly_amount_times_the_hours() {
        let forty = OutageDuration::parse("40m").unwrap();
        assert_eq!(impact_for(&usd(180_000.0), forty), usd(120_000.0));
        assert_eq!(impact_for(&usd(100.0), forty).amount, 66.67);
    }

    #[test]
    fn totals_never_add_two_currencies() {
        let eur = Money {
            amount: 9_000.0,
            currency: "EUR".into(),
        };
        let all = [usd(1.0), eur.clone(), usd(2.5)];
        assert_eq!(totals(&all), vec![eur, usd(3.5)]);
        assert_eq!(totals_text(&totals(&all)), "9,000 EUR and 3.50 USD");
    }

    #[test]
    fn amounts_group_thousands() {
        assert_eq!(money_text(&usd(180_000.0)), "180,000 USD");
        assert_eq!(money_text(&usd(1_234_567.5)), "1,234,567.50 USD");
        assert_eq!(money_text(&usd(999.0)), "999 USD");
        assert_eq!(money_text(&usd(-1_000.0)), "-1,000 USD");
    }
}
