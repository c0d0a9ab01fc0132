//! Which country each cloud region is in: where a provider provides its services.

/// ISO 3166-1 alpha-2 country of a cloud region, for the providers whose region names
/// linchpin knows. None for anything else (reported as a gap).
pub(super) fn country(provider: &str, region: &str) -> Option<&'static str> {
    let table = match provider {
        "aws" => AWS_REGIONS,
        "gcp" | "google" => GCP_REGIONS,
        "azure" | "azurerm" => AZURE_REGIONS,
        _ => return None,
    };
    table
        .binary_search_by(|(name, _)| (*name).cmp(region))
        .ok()
        .map(|at| table[at].1)
}

/// (region, country) tables, sorted by region name for [`country`]'s binary search.
type Regions = &'static [(&'static str, &'static str)];

/// AWS regions and their countries, sorted by region.
const AWS_REGIONS: Regions = &[
    ("af-south-1", "ZA"),
    ("ap-east-1", "HK"),
    ("ap-east-2", "TW"),
    ("ap-northeast-1", "JP"),
    ("ap-northeast-2", "KR"),
    ("ap-northeast-3", "JP"),
    ("ap-south-1", "IN"),
    ("ap-south-2", "IN"),
    ("ap-southeast-1", "SG"),
    ("ap-southeast-2", "AU"),
    ("ap-southeast-3", "ID"),
    ("ap-southeast-4", "AU"),
    ("ap-southeast-5", "MY"),
    ("ap-southeast-7", "TH"),
    ("ca-central-1", "CA"),
    ("ca-west-1", "CA"),
    ("cn-north-1", "CN"),
    ("cn-northwest-1", "CN"),
    ("eu-central-1", "DE"),
    ("eu-central-2", "CH"),
    ("eu-north-1", "SE"),
    ("eu-south-1", "IT"),
    ("eu-south-2", "ES"),
    ("eu-west-1", "IE"),
    ("eu-west-2", "GB"),
    ("eu-west-3", "FR"),
    ("il-central-1", "IL"),
    ("me-central-1", "AE"),
    ("me-south-1", "BH"),
    ("mx-central-1", "MX"),
    ("sa-east-1", "BR"),
    ("us-east-1", "US"),
    ("us-east-2", "US"),
    ("us-gov-east-1", "US"),
    ("us-gov-west-1", "US"),
    ("us-west-1", "US"),
    ("us-west-2", "US"),
];

/// Google Cloud regions and their countries, sorted by region.
const GCP_REGIONS: Regions = &[
    ("africa-south1", "ZA"),
    ("asia-east1", "TW"),
    ("asia-east2", "HK"),
    ("asia-northeast1", "JP"),
    ("asia-northeast2", "JP"),
    ("asia-northeast3", "KR"),
    ("asia-south1", "IN"),
    ("asia-south2", "IN"),
    ("asia-southeast1", "SG"),
    ("asia-southeast2", "ID"),
    ("australia-southeast1", "AU"),
    ("australia-southeast2", "AU"),
    ("europe-central2", "PL"),
    ("europe-north1", "FI"),
    ("europe-north2", "SE"),
    ("europe-southwest1", "ES"),
    ("europe-west1", "BE"),
    ("europe-west10", "DE"),
    ("europe-west12", "IT"),
    ("europe-west2", "GB"),
    ("europe-west3", "DE"),
    ("europe-west4", "NL"),
    ("europe-west6", "CH"),
    ("europe-west8", "IT"),
    ("europe-west9", "FR"),
    ("me-central1", "QA"),
    ("me-central2", "SA"),
    ("me-west1", "IL"),
    ("northamerica-northeast1", "CA"),
    ("northamerica-northeast2", "CA"),
    ("northamerica-south1", "MX"),
    ("southamerica-east1", "BR"),
    ("southamerica-west1", "CL"),
    ("us-central1", "US"),
    ("us-east1", "US"),
    ("us-east4", "US"),
    ("us-east5", "US"),
    ("us-south1", "US"),
    ("us-west1", "US"),
    ("us-west2", "US"),
    ("us-west3", "US"),
    ("us-west4", "US"),
];

/// Azure regions and their countries, sorted by region.
const AZURE_REGIONS: Regions = &[
    ("australiacentral", "AU"),
    ("australiaeast", "AU"),
    ("australiasoutheast", "AU"),
    ("brazilsouth", "BR"),
    ("canadacentral", "CA"),
    ("canadaeast", "CA"),
    ("centralindia", "IN"),
    ("centralus", "US"),
    ("eastasia", "HK"),
    ("eastus", "US"),
    ("eastus2", "US"),
    ("francecentral", "FR"),
    ("francesouth", "FR"),
    ("germanynorth", "DE"),
    ("germanywestcentral", "DE"),
    ("israelcentral", "IL"),
    ("italynorth", "IT"),
    ("japaneast", "JP"),
    ("japanwest", "JP"),
    ("koreacentral", "KR"),
    ("koreasouth", "KR"),
    ("mexicocentral", "MX"),
    ("northcentralus", "US"),
    ("northeurope", "IE"),
    ("norwayeast", "NO"),
    ("norwaywest", "NO"),
    ("polandcentral", "PL"),
    ("qatarcentral", "QA"),
    ("southafricanorth", "ZA"),
    ("southcentralus", "US"),
    ("southeastasia", "SG"),
    ("southindia", "IN"),
    ("spaincentral", "ES"),
    ("swedencentral", "SE"),
    ("switzerlandnorth", "CH"),
    ("switzerlandwest", "CH"),
    ("uaenorth", "AE"),
    ("uksouth", "GB"),
    ("ukwest", "GB"),
    ("westcentralus", "US"),
    ("westeurope", "NL"),
    ("westindia", "IN"),
    ("westus", "US"),
    ("westus2", "US"),
    ("westus3", "US"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_countries() {
        assert_eq!(country("aws", "ap-northeast-1"), Some("JP"));
        assert_eq!(country("gcp", "europe-west4"), Some("NL"));
        assert_eq!(country("azure", "westeurope"), Some("NL"));
        assert_eq!(country("aws", "mars-north-1"), None);
        assert_eq!(country("vaultco", "ap-northeast-1"), None);
    }

    #[test]
    fn region_tables_are_sorted() {
        for table in [AWS_REGIONS, GCP_REGIONS, AZURE_REGIONS] {
            assert!(table.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }
}
