//! Organization crawls: the accounts come from AWS Organizations (ListAccounts, from the
//! management account or a delegated administrator), and each member account is read through
//! a role assumed in it; the calling account is read with the credentials it was called with.

use aws_config::SdkConfig;

use super::CrawlError;
use super::calls::{Calls, Scope};

/// The role AWS Organizations creates in every account it creates.
pub const DEFAULT_ROLE_NAME: &str = "OrganizationAccountAccessRole";

/// How to read an organization.
#[derive(Debug, Clone)]
pub struct Organization {
    /// The IAM role assumed in each member account (its name, not its ARN).
    pub role_name: String,
    /// Read only these accounts (12-digit ids); empty: every active account.
    pub accounts: Vec<String>,
    /// Leave these accounts out.
    pub exclude_accounts: Vec<String>,
}

impl Default for Organization {
    fn default() -> Self {
        Organization {
            role_name: DEFAULT_ROLE_NAME.to_string(),
            accounts: Vec::new(),
            exclude_accounts: Vec::new(),
        }
    }
}

/// What the listing found and which accounts the crawl reads, for the summary.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// The organization's id (`o-…`), from the accounts' ARNs.
    pub id: Option<String>,
    /// The account the listing was made from.
    pub caller: String,
    /// Accounts listed.
    pub listed: usize,
    /// Accounts left out because they are not ACTIVE, with their state.
    pub inactive: Vec<(String, String)>,
    /// Accounts left out by `exclude_accounts` (or not in `accounts`).
    pub filtered: usize,
    /// The accounts to read, in id order, each with the partition of its ARN.
    pub(crate) members: Vec<Member>,
}

/// An active account of the organization.
#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub id: String,
    pub partition: String,
}

/// Whether `text` is an AWS account id: exactly 12 digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The ARN of role `role_name` in `account`.
pub fn role_arn(partition: &str, account: &str, role_name: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{role_name}")
}

/// One account as ListAccounts gives it.
struct Listed {
    id: String,
    arn: Option<String>,
    state: String,
}

/// List the organization's accounts (every page) and choose the ones to read. A failed
/// listing stops the crawl: without it nobody knows which accounts are missing.
pub(crate) async fn list(
    calls: &Calls,
    config: &SdkConfig,
    caller: &str,
    organization: &Organization,
    default_partition: &str,
) -> Result<Listing, CrawlError> {
    let client = aws_sdk_organizations::Client::new(config);
    let scope = Scope {
        account: caller.to_string(),
        region: None,
    };
    let pages = calls
        .pages(
            &scope,
            "organizations",
            "ListAccounts",
            // 20 a page, the most ListAccounts gives.
            client
                .list_accounts()
                .max_results(20)
                .into_paginator()
                .send(),
        )
        .await;
    if let Some(reason) = calls.error(&scope, "organizations", "ListAccounts") {
        return Err(CrawlError::Organization(format!(
            "Organizations ListAccounts from account {caller} failed: {reason}"
        )));
    }
    let listed: Vec<Listed> = pages
        .iter()
        .flat_map(|page| page.accounts())
        .filter_map(|account| {
            // `State` replaces `Status` (retired in September 2026); read either.
            let state = account
                .state()
                .map(|s| s.as_str().to_string())
                .or_else(|| account.status().map(|s| s.as_str().to_string()))
                .unwrap_or_default();
            Some(Listed {
                id: account.id()?.to_string(),
                arn: account.arn().map(str::to_string),
                state,
            })
        })
        .collect();
    choose(listed, caller, organization, default_partition)
}

/// The accounts to read: the active ones, filtered. An `accounts` id that is not an active
/// account of the organization is an error.
fn choose(
    mut listed: Vec<Listed>,
    caller: &str,
    organization: &Organization,
    default_partition: &str,
) -> Result<Listing, CrawlError> {
    listed.sort_by(|a, b| a.id.cmp(&b.id));
    listed.dedup_by(|a, b| a.id == b.id);
    let id = listed
        .iter()
        .filter_map(|a| a.arn.as_deref())
        .find_map(organization_id);
    let named = if id.is_some() {
        format!("organization {}", id.as_deref().unwrap_or_default())
    } else {
        "the organization".to_string()
    };
    let mut problems = Vec::new();
    for wanted in &organization.accounts {
        match listed.iter().find(|a| &a.id == wanted) {
            None => problems.push(format!(
                "--accounts {wanted}: not an account of {named} (ListAccounts from {caller} lists {})",
                listed.len()
            )),
            Some(account) if account.state != "ACTIVE" => problems.push(format!(
                "--accounts {wanted}: the account is {}, not ACTIVE",
                account.state
            )),
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        return Err(CrawlError::Accounts(problems.join("\n")));
    }
    for unknown in organization
        .exclude_accounts
        .iter()
        .filter(|e| !listed.iter().any(|a| &a.id == *e))
    {
        tracing::warn!("--exclude-accounts {unknown}: not an account of {named}");
    }
    let mut listing = Listing {
        id,
        caller: caller.to_string(),
        listed: listed.len(),
        ..Listing::default()
    };
    for account in listed {
        if account.state != "ACTIVE" {
            listing.inactive.push((account.id, account.state));
            continue;
        }
        let wanted =
            organization.accounts.is_empty() || organization.accounts.contains(&account.id);
        if !wanted || organization.exclude_accounts.contains(&account.id) {
            listing.filtered += 1;
            continue;
        }
        let partition = account
            .arn
            .as_deref()
            .and_then(|arn| arn.split(':').nth(1))
            .filter(|p| p.starts_with("aws"))
            .map(str::to_string)
            .unwrap_or_else(|| default_partition.to_string());
        listing.members.push(Member {
            id: account.id,
            partition,
        });
    }
    Ok(listing)
}

/// The organization id in an account ARN:
/// `arn:aws:organizations::111111111111:account/o-exampleorgid/222222222222`.
fn organization_id(arn: &str) -> Option<String> {
    let path = arn.split(':').nth(5)?;
    let mut parts = path.split('/');
    (parts.next()? == "account")
        .then(|| parts.next())
        .flatten()
        .filter(|id| id.starts_with("o-"))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(id: &str, state: &str) -> Listed {
        Listed {
            id: id.into(),
            arn: Some(format!(
                "arn:aws:organizations::123456789012:account/o-abc123/{id}"
            )),
            state: state.into(),
        }
    }

    fn estate() -> Vec<Listed> {
        vec![
            listed("333333333333", "ACTIVE"),
            listed("123456789012", "ACTIVE"),
            listed("222222222222", "SUSPENDED"),
            listed("111111111111", "ACTIVE"),
        ]
    }

    fn ids(listing: &Listing) -> Vec<&str> {
        listing.members.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn only_active_accounts_are_read_in_id_order() {
        let listing = choose(estate(), "123456789012", &Organization::default(), "aws").unwrap();
        assert_eq!(listing.id.as_deref(), Some("o-abc123"));
        assert_eq!(
            ids(&listing),
            ["111111111111", "123456789012", "333333333333"]
        );
        assert_eq!(
            listing.inactive,
            [("222222222222".to_string(), "SUSPENDED".to_string())]
        );
        assert_eq!(listing.members[0].partition, "aws");
    }

    #[test]
    fn accounts_and_exclusions_filter() {
        let only = Organization {
            accounts: vec!["111111111111".into(), "333333333333".into()],
            exclude_accounts: vec!["333333333333".into(), "999999999999".into()],
            ..Organization::default()
        };
        let listing = choose(estate(), "123456789012", &only, "aws").unwrap();
        assert_eq!(ids(&listing), ["111111111111"]);
        assert_eq!(listing.filtered, 2);
    }

    #[test]
    fn an_account_outside_the_organization_or_inactive_is_an_error() {
        let wrong = Organization {
            accounts: vec!["999999999999".into(), "222222222222".into()],
            ..Organization::default()
        };
        let error = choose(estate(), "123456789012", &wrong, "aws")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("--accounts 999999999999: not an account of organization o-abc123"),
            "{error}"
        );
        assert!(
            error.contains("--accounts 222222222222: the account is SUSPENDED, not ACTIVE"),
            "{error}"
        );
    }

    #[test]
    fn ids_and_arns() {
        assert!(is_account_id("012345678901"));
        assert!(!is_account_id("12345678901"));
        assert!(!is_account_id("12345678901a"));
        assert_eq!(
            role_arn("aws-cn", "111111111111", DEFAULT_ROLE_NAME),
            "arn:aws-cn:iam::111111111111:role/OrganizationAccountAccessRole"
        );
        assert_eq!(
            organization_id("arn:aws:organizations::1:account/o-x1/2").as_deref(),
            Some("o-x1")
        );
        assert_eq!(organization_id("arn:aws:iam::1:role/r"), None);
    }
}
