//! Judging: the config's selection and severities of rules, which resources are critical,
//! suppressions with their reasons and expiry dates, the scores derived from open findings,
//! and the one audit run that puts analyses, rules and these together into a report.

pub mod audit;
pub mod config;
pub mod score;

pub use audit::run;
pub use config::{Config, ConfigError, today};
