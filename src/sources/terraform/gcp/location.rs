//! Google locations as Terraform writes them: zone names (`us-central1-a`), regions
//! (`us-central1`), multi-regions (`US`, `eur3`, `nam-eur-asia1`), any of them as the last
//! segment of an API URL, and references to other resources as URLs, relative paths or bare
//! names.

/// The last segment of a path or URL (`…/zones/us-west1-b` → `us-west1-b`).
pub fn last_segment(text: &str) -> String {
    let text = strip_query(text).trim_end_matches('/');
    text.rsplit('/').next().unwrap_or(text).trim().to_string()
}

/// The segment after `name` in a resource path (`projects/p/...` → `p`).
pub fn segment_after(path: &str, name: &str) -> Option<String> {
    let mut parts = strip_query(path).split('/');
    while let Some(part) = parts.next() {
        if part == name {
            return parts.next().filter(|s| !s.is_empty()).map(str::to_string);
        }
    }
    None
}

/// `us-central1-a` → `us-central1`; anything that is not a zone name is returned as is.
pub fn region_of_zone(zone: &str) -> String {
    if is_zone(zone) {
        zone.rsplit_once('-')
            .map_or(zone, |(region, _)| region)
            .to_string()
    } else {
        zone.to_string()
    }
}

/// A Google zone name: a region (`us-central1`, `europe-west3`, `me-central2`) and a
/// one-letter suffix.
pub fn is_zone(name: &str) -> bool {
    match name.rsplit_once('-') {
        Some((region, suffix)) => {
            suffix.len() == 1 && suffix.chars().all(|c| c.is_ascii_lowercase()) && is_region(region)
        }
        None => false,
    }
}

/// A Google region name: `<area>-<place><digit(s)>` in lower case (`us-central1`,
/// `northamerica-northeast2`, `africa-south1`). Multi-regions (`us`, `eu`, `nam4`,
/// `nam-eur-asia1`, `eur3`) are not regions.
pub fn is_region(name: &str) -> bool {
    let Some((area, place)) = name.split_once('-') else {
        return false;
    };
    let digits = place.trim_start_matches(|c: char| c.is_ascii_lowercase());
    !area.is_empty()
        && area.chars().all(|c| c.is_ascii_lowercase())
        && place.len() > digits.len()
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && !MULTI_REGION_AREAS.contains(&area)
}

/// First words of multi-region names shaped like regions (Spanner's `nam-eur-asia1`). No
/// region starts with them (regions start `asia-`, `europe-`, `northamerica-`, …).
const MULTI_REGION_AREAS: &[&str] = &["nam", "eur", "global"];

/// What a `location` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Zone(String),
    Region(String),
    /// Several regions (`US`, `EU`, `nam4`, `nam-eur-asia1`, `global`), lower-cased.
    MultiRegion(String),
}

impl Location {
    /// Read a location in any case, also as the last segment of a URL.
    pub fn parse(text: &str) -> Option<Location> {
        let name = last_segment(text).to_ascii_lowercase();
        if name.is_empty() {
            None
        } else if is_zone(&name) {
            Some(Location::Zone(name))
        } else if is_region(&name) {
            Some(Location::Region(name))
        } else {
            Some(Location::MultiRegion(name))
        }
    }

    /// The region of a zone or region; none for a multi-region.
    pub fn region(&self) -> Option<String> {
        match self {
            Location::Zone(zone) => Some(region_of_zone(zone)),
            Location::Region(region) => Some(region.clone()),
            Location::MultiRegion(_) => None,
        }
    }
}

/// A reference without its query (`…/instanceTemplates/t?uniqueId=123`) or trailing slash.
pub fn strip_query(text: &str) -> &str {
    let text = text.trim();
    text.split(['?', '#']).next().unwrap_or(text)
}

/// A reference to a Google resource in one of its forms, as a path the table can match:
/// a URL or a `projects/…` path is kept (without query); a path relative to the project
/// (`global/networks/default`, `regions/r/subnetworks/s`) gets `projects/<project>/` in
/// front; a bare name is placed under `scope` (e.g. `global/networks`) of `project`.
pub fn resource_path(reference: &str, project: Option<&str>, scope: &str) -> Option<String> {
    let reference = strip_query(reference).trim_end_matches('/');
    if reference.is_empty() {
        return None;
    }
    if reference.contains("projects/") || reference.starts_with("https://") {
        return Some(reference.to_string());
    }
    let project = project?;
    if reference.contains('/') {
        Some(format!("projects/{project}/{reference}"))
    } else {
        Some(format!("projects/{project}/{scope}/{reference}"))
    }
}

/// The comparable form of a path built by [`resource_path`]: the API prefix removed, lower
/// case (as the framework compares references).
pub fn path_key(reference: &str) -> String {
    super::super::build::key(strip_query(reference))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_regions_and_multi_regions_tell_apart() {
        for zone in [
            "us-central1-a",
            "europe-west3-c",
            "northamerica-northeast2-b",
        ] {
            assert!(is_zone(zone), "{zone}");
        }
        for region in [
            "us-central1",
            "me-central2",
            "africa-south1",
            "europe-west10",
            "asia-east1",
        ] {
            assert!(is_region(region) && !is_zone(region), "{region}");
        }
        for multi in [
            "us",
            "eu",
            "asia",
            "nam4",
            "eur3",
            "nam-eur-asia1",
            "global",
            "asia1",
        ] {
            assert!(!is_region(multi) && !is_zone(multi), "{multi}");
        }
        assert_eq!(region_of_zone("us-central1-a"), "us-central1");
        assert_eq!(region_of_zone("us-central1"), "us-central1");
        assert_eq!(
            Location::parse("https://www.googleapis.com/compute/v1/projects/p/zones/us-west1-b"),
            Some(Location::Zone("us-west1-b".into()))
        );
        assert_eq!(
            Location::parse("US-CENTRAL1"),
            Some(Location::Region("us-central1".into()))
        );
        assert_eq!(
            Location::parse("EU"),
            Some(Location::MultiRegion("eu".into()))
        );
        assert_eq!(Location::parse(" "), None);
    }

    #[test]
    fn references_in_every_form_become_paths() {
        assert_eq!(
            resource_path("default", Some("p"), "global/networks").as_deref(),
            Some("projects/p/global/networks/default")
        );
        assert_eq!(
            resource_path("regions/r/subnetworks/s", Some("p"), "x").as_deref(),
            Some("projects/p/regions/r/subnetworks/s")
        );
        assert_eq!(
            path_key(
                "https://www.googleapis.com/compute/v1/projects/p/global/instanceTemplates/t?uniqueId=1"
            ),
            "projects/p/global/instancetemplates/t"
        );
        assert_eq!(resource_path("default", None, "global/networks"), None);
        assert_eq!(
            segment_after("projects/p1/zones/europe-west1-c/instances/vm", "zones").as_deref(),
            Some("europe-west1-c")
        );
        assert_eq!(
            last_segment("https://www.googleapis.com/compute/v1/projects/p/zones/us-west1-b"),
            "us-west1-b"
        );
    }
}
