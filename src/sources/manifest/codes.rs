//! The codes a manifest holds, checked: LEIs (ISO 17442, with their check digits), country
//! and currency codes, the EBA ICT service types of the DORA register, substitutability
//! levels, `runs_on` domains, ids and zone IDs.

/// The EBA ICT service type codes of the register of information (Annex III of Commission
/// Implementing Regulation (EU) 2024/2956), with a short name each.
pub const SERVICE_TYPES: &[(&str, &str)] = &[
    ("S01", "ICT project management"),
    ("S02", "ICT development"),
    ("S03", "ICT help desk and first level support"),
    ("S04", "ICT security management services"),
    ("S05", "Provision of data"),
    ("S06", "Data analysis"),
    (
        "S07",
        "ICT, facilities and hosting services (excluding cloud services)",
    ),
    ("S08", "Computation"),
    ("S09", "Non-cloud data storage"),
    ("S10", "Telecom carrier"),
    ("S11", "Network infrastructure"),
    ("S12", "Hardware and physical devices"),
    ("S13", "Software licencing (excluding SaaS)"),
    ("S14", "ICT operation management (including maintenance)"),
    ("S15", "ICT consulting"),
    ("S16", "ICT risk management"),
    ("S17", "Cloud services: IaaS"),
    ("S18", "Cloud services: PaaS"),
    ("S19", "Cloud services: SaaS"),
];

/// The register's four substitutability levels, as the manifest spells them.
pub const SUBSTITUTABILITY: &[&str] = &[
    "not_substitutable",
    "highly_complex",
    "medium_complexity",
    "easy",
];

/// A Legal Entity Identifier: 20 characters, upper-case letters and digits, the last two
/// check digits (ISO 7064 MOD 97-10, as ISO 17442 prescribes).
pub fn lei(text: &str) -> Result<String, String> {
    let lei = text.trim().to_ascii_uppercase();
    if lei.len() != 20 || !lei.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!(
            "`{text}` is not an LEI: 20 letters and digits (ISO 17442)"
        ));
    }
    if !lei[18..].bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{text}` is not an LEI: its last two characters are check digits"
        ));
    }
    let mut remainder: u32 = 0;
    for byte in lei.bytes() {
        let value = if byte.is_ascii_digit() {
            u32::from(byte - b'0')
        } else {
            u32::from(byte - b'A') + 10
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    if remainder == 1 {
        Ok(lei)
    } else {
        Err(format!(
            "`{text}` is not a valid LEI: its check digits do not match (ISO 17442)"
        ))
    }
}

/// An ISO 3166-1 alpha-2 country code, upper-cased.
pub fn country(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(code)
    } else {
        Err(format!(
            "`{text}` is not a country code: two letters, ISO 3166-1 alpha-2 (`JP`, `DE`)"
        ))
    }
}

/// An ISO 4217 currency code, upper-cased.
pub fn currency(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(code)
    } else {
        Err(format!(
            "`{text}` is not a currency code: three letters, ISO 4217 (`USD`, `EUR`, `JPY`)"
        ))
    }
}

/// An EBA ICT service type code (`S01` … `S19`).
pub fn service_type(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if SERVICE_TYPES.iter().any(|(c, _)| *c == code) {
        Ok(code)
    } else {
        Err(format!(
            "`{text}` is not an EBA ICT service type code: S01 … S19 (e.g. S17 IaaS, S18 PaaS, S19 SaaS, S05 provision of data)"
        ))
    }
}

/// A substitutability level.
pub fn substitutability(text: &str) -> Result<String, String> {
    let level = text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    if SUBSTITUTABILITY.contains(&level.as_str()) {
        Ok(level)
    } else {
        Err(format!(
            "substitutability `{text}` is not one of: {}",
            SUBSTITUTABILITY.join(", ")
        ))
    }
}

/// An id: letters, digits and `-_./`, starting with a letter or digit.
pub fn slug(text: &str) -> Result<(), String> {
    let ok = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "id `{text}` must start with a letter or digit and hold only letters, digits and - _ . /"
        ))
    }
}

/// A service id: like [`slug`], and no `/` first (it follows the third party's id).
pub fn service_id(text: &str) -> Result<(), String> {
    slug(text)
}

/// A resource kind: `provider:service:type`.
pub fn kind(text: &str) -> Result<(), String> {
    if text.split(':').count() >= 2 && text.split(':').all(|part| !part.is_empty()) {
        Ok(())
    } else {
        Err(format!(
            "kind `{text}` must read provider:service:type (e.g. `marketfeed:data:feed`)"
        ))
    }
}

/// A `runs_on` entry: `provider`, `provider:region` or `provider:region:zone`.
pub fn runs_on(text: &str) -> Result<(), String> {
    let parts: Vec<&str> = text.split(':').collect();
    let ok = (1..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "runs_on `{text}` must be provider, provider:region or provider:region:zone in lower case (`aws:ap-northeast-1`, `gcp`)"
        ))
    }
}

/// A zone ID a zone map maps to.
pub fn zone_id(text: &str) -> Result<(), String> {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        Ok(())
    } else {
        Err(format!(
            "`{text}` is not a zone ID (e.g. `apne1-az4`, `eastus-az3`)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leis_are_checked_by_their_check_digits() {
        // The LEI of the GLEIF itself.
        assert_eq!(lei("506700GE1G29325QX363").unwrap(), "506700GE1G29325QX363");
        assert!(
            lei("506700GE1G29325QX364")
                .unwrap_err()
                .contains("check digits")
        );
        assert!(
            lei("506700GE1G29325QX3")
                .unwrap_err()
                .contains("20 letters")
        );
        assert!(
            lei("506700GE1G29325QX3AB")
                .unwrap_err()
                .contains("check digits")
        );
    }

    #[test]
    fn codes_are_normalised_or_refused() {
        assert_eq!(country("jp").unwrap(), "JP");
        assert!(country("JPN").is_err());
        assert_eq!(currency("usd").unwrap(), "USD");
        assert_eq!(service_type("s19").unwrap(), "S19");
        assert!(service_type("S20").is_err());
        assert_eq!(
            substitutability("Highly complex").unwrap(),
            "highly_complex"
        );
        assert!(runs_on("aws:ap-northeast-1").is_ok());
        assert!(runs_on("AWS").is_err());
        assert!(runs_on("aws:").is_err());
    }
}
