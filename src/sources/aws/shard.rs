//! Sharded crawls: N jobs that each read a deterministic slice of the accounts × regions, and
//! together read every pair exactly once, with no coordinator between them.
//!
//! The units of an account are its regions in name order, then its global services (Route 53,
//! CloudFront) as one more unit. Unit `j` (0-based) of account `a` goes to shard
//!
//! ```text
//! (a mod N + j) mod N   (0-based; shard K of `--shard K/N` is K - 1)
//! ```
//!
//! where `a` is the 12-digit account id read as a number. Each account's units are dealt
//! round-robin over the shards from an offset of its own, so
//! - every shard gets ⌊U/N⌋ or ⌈U/N⌉ of each account's U units, and the offsets (account ids
//!   are spread evenly modulo N) spread the remainders: the loads stay balanced;
//! - adding or removing an account moves none of the other accounts' units, and adding a
//!   region to an account moves only that account's units: the slices are stable;
//! - the rule needs nothing but the account id, its region list, K and N.

use std::fmt;
use std::str::FromStr;

/// Shard K of N (1 ≤ K ≤ N): the slice of the crawl one job reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

/// Why `K/N` does not name a shard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("expected K/N (shard K of N, e.g. 2/3)")]
    Syntax,
    #[error("N must be at least 1")]
    NoShards,
    #[error("K must be between 1 and N ({count}), not {index}")]
    OutOfRange { index: u32, count: u32 },
}

impl Shard {
    /// Shard `index` (1-based) of `count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, ShardError> {
        if count == 0 {
            return Err(ShardError::NoShards);
        }
        if index == 0 || index > count {
            return Err(ShardError::OutOfRange { index, count });
        }
        Ok(Shard { index, count })
    }

    /// K, 1-based.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// N.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether this shard reads unit `position` (0-based) of `account`.
    pub fn reads(&self, account: &str, position: usize) -> bool {
        shard_of(account, position, self.count) == self.index
    }

    /// Whether this shard reads any of the `units` units of `account`.
    pub fn touches(&self, account: &str, units: usize) -> bool {
        (0..units.min(self.count as usize)).any(|position| self.reads(account, position))
    }

    /// What of an account this shard reads: of `regions` (any order, repeats ignored) the
    /// ones it owns, and whether it owns the global services.
    pub fn slice(&self, account: &str, regions: &[String]) -> AccountSlice {
        let units = units(regions);
        let mut slice = AccountSlice::default();
        for (position, unit) in units.into_iter().enumerate() {
            if !self.reads(account, position) {
                continue;
            }
            match unit {
                Unit::Region(region) => slice.regions.push(region),
                Unit::Global => slice.global = true,
            }
        }
        slice
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let (index, count) = text.split_once('/').ok_or(ShardError::Syntax)?;
        let number = |part: &str| {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ShardError::Syntax);
            }
            part.parse::<u32>().map_err(|_| ShardError::Syntax)
        };
        Shard::new(number(index)?, number(count)?)
    }
}

/// One unit of an account's crawl: a region, or the account's global services.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unit {
    Region(String),
    Global,
}

/// The regions and global services of one account that one shard reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSlice {
    /// In name order.
    pub regions: Vec<String>,
    pub global: bool,
}

/// The units of an account crawled in `regions`: the regions in name order (each once), then
/// the global services.
pub fn units(regions: &[String]) -> Vec<Unit> {
    let mut sorted: Vec<&String> = regions.iter().collect();
    sorted.sort();
    sorted.dedup();
    sorted
        .into_iter()
        .map(|r| Unit::Region(r.clone()))
        .chain([Unit::Global])
        .collect()
}

/// The shard (1-based, of `count`) that reads unit `position` of `account`.
pub fn shard_of(account: &str, position: usize, count: u32) -> u32 {
    let count = u64::from(count.max(1));
    let offset = account_number(account) % count;
    let position = position as u64 % count;
    ((offset + position) % count) as u32 + 1
}

/// An account id as a number: the id itself for the 12 digits of AWS; any other name (never
/// produced by AWS) is hashed (FNV-1a) so that it still has a stable offset.
fn account_number(account: &str) -> u64 {
    if !account.is_empty() && account.len() <= 19 && account.bytes().all(|b| b.is_ascii_digit()) {
        return account.parse().unwrap_or(0);
    }
    account.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n_and_refuses_the_rest() {
        assert_eq!("2/3".parse::<Shard>().unwrap().to_string(), "2/3");
        assert_eq!("1/1".parse::<Shard>().unwrap(), Shard::new(1, 1).unwrap());
        for bad in [
            "", "3", "0/2", "3/2", "1/0", "-1/2", "a/b", "1/2/3", "1.0/2",
        ] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(
            "3/2".parse::<Shard>().unwrap_err().to_string(),
            "K must be between 1 and N (2), not 3"
        );
    }

    #[test]
    fn the_shards_read_every_unit_exactly_once() {
        let regions: Vec<String> = ["us-east-1", "ap-northeast-1", "eu-west-1", "us-east-1"]
            .map(String::from)
            .to_vec();
        let accounts = [
            "123456789012",
            "085753372935",
            "598148521831",
            "000000000007",
        ];
        for count in 1..=7 {
            for account in accounts {
                let mut seen = Vec::new();
                for index in 1..=count {
                    let slice = Shard::new(index, count).unwrap().slice(account, &regions);
                    seen.extend(slice.regions.into_iter().map(Unit::Region));
                    if slice.global {
                        seen.push(Unit::Global);
                    }
                }
                seen.sort();
                let mut all = units(&regions);
                all.sort();
                assert_eq!(seen, all, "{account} over {count} shards");
            }
        }
    }

    #[test]
    fn an_account_is_dealt_round_robin_from_its_own_offset() {
        let regions: Vec<String> = ["ap-northeast-1", "us-east-1"].map(String::from).to_vec();
        // 123456789012 mod 2 = 0: ap-northeast-1 and the global services on shard 1.
        let first = Shard::new(1, 2).unwrap().slice("123456789012", &regions);
        assert_eq!(first.regions, ["ap-northeast-1"]);
        assert!(first.global);
        // 598148521831 mod 2 = 1: the other way round.
        let second = Shard::new(2, 2).unwrap().slice("598148521831", &regions);
        assert_eq!(second.regions, ["ap-northeast-1"]);
        assert!(second.global);
        // 123456789012 mod 5 = 2: its three units go to shards 3, 4 and 5, none to 1 or 2.
        let touched: Vec<u32> = (1..=5)
            .filter(|&k| Shard::new(k, 5).unwrap().touches("123456789012", 3))
            .collect();
        assert_eq!(touched, [3, 4, 5]);
        // Seven units over five shards: every shard.
        assert!((1..=5).all(|k| Shard::new(k, 5).unwrap().touches("123456789012", 7)));
    }

    #[test]
    fn loads_stay_balanced() {
        let accounts: Vec<String> = (0..200u64)
            .map(|i| format!("{:012}", i * 7_919_000_003 % 1_000_000_000_000))
            .collect();
        let count = 8;
        let mut load = vec![0usize; count as usize];
        for account in &accounts {
            // 17 regions and the global services.
            for position in 0..18 {
                load[shard_of(account, position, count) as usize - 1] += 1;
            }
        }
        // 3,600 units: 450 a shard on average.
        let (min, max) = (load.iter().min().unwrap(), load.iter().max().unwrap());
        assert!(max - min <= 40, "balanced: {load:?}");
    }
}
