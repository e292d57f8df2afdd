//! Money as an exact number of cents, never a float.

use std::fmt;
use std::str::FromStr;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative amount with two decimal places, stored as cents.
///
/// On the wire it is a decimal string (`"49.50"`), so no client ever parses money as a
/// binary float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Price(u64);

/// Why a price string was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a price: expected digits with at most two decimals, e.g. \"49.50\"")]
pub struct PriceError(String);

impl Price {
    /// A price of `cents` hundredths.
    pub const fn from_cents(cents: u64) -> Self {
        Self(cents)
    }

    /// The amount in cents.
    pub const fn cents(self) -> u64 {
        self.0
    }
}

impl FromStr for Price {
    type Err = PriceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PriceError(s.to_owned());
        let (units, fraction) = s.split_once('.').unwrap_or((s, ""));
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if units.is_empty() || !all_digits(units) || !all_digits(fraction) || fraction.len() > 2 {
            return Err(err());
        }
        let units: u64 = units.parse().map_err(|_| err())?;
        let fraction: u64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<u64>().map_err(|_| err())? * 10,
            _ => fraction.parse().map_err(|_| err())?,
        };
        units
            .checked_mul(100)
            .and_then(|c| c.checked_add(fraction))
            .map(Price)
            .ok_or_else(err)
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl Serialize for Price {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_two_decimals() {
        for (text, cents, shown) in [
            ("49.50", 4950, "49.50"),
            ("49.5", 4950, "49.50"),
            ("120", 12000, "120.00"),
            ("0.07", 7, "0.07"),
        ] {
            let price: Price = text.parse().unwrap();
            assert_eq!(price.cents(), cents);
            assert_eq!(price.to_string(), shown);
        }
    }

    #[test]
    fn rejects_anything_but_a_plain_decimal() {
        for bad in ["", ".5", "1.234", "-1", "1e3", "12,50", "abc", "99999999999999999999"] {
            assert!(bad.parse::<Price>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn is_a_string_in_json() {
        let json = serde_json::to_string(&Price::from_cents(1999)).unwrap();
        assert_eq!(json, "\"19.99\"");
        assert_eq!(serde_json::from_str::<Price>(&json).unwrap(), Price::from_cents(1999));
    }
}
