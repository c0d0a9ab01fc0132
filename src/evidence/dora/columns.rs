//! The columns of the five templates: EBA reporting column codes and the names the ITS gives
//! them.

pub(super) type Columns = &'static [(&'static str, &'static str)];

pub(super) const B_02_02: Columns = &[
    ("c0010", "Contractual arrangement reference number"),
    (
        "c0020",
        "LEI of the financial entity making use of the ICT service(s)",
    ),
    (
        "c0030",
        "Identification code of the ICT third-party service provider",
    ),
    (
        "c0040",
        "Type of code to identify the ICT third-party service provider",
    ),
    ("c0050", "Function identifier"),
    ("c0060", "Type of ICT services"),
    ("c0070", "Start date of the contractual arrangement"),
    ("c0080", "End date of the contractual arrangement"),
    (
        "c0090",
        "Reason of the termination or ending of the contractual arrangement",
    ),
    (
        "c0100",
        "Notice period for the financial entity making use of the ICT service(s)",
    ),
    (
        "c0110",
        "Notice period for the ICT third-party service provider",
    ),
    (
        "c0120",
        "Country of the governing law of the contractual arrangement",
    ),
    ("c0130", "Country of provision of the ICT services"),
    ("c0140", "Storage of data"),
    ("c0150", "Location of the data at rest (storage)"),
    ("c0160", "Location of management of the data (processing)"),
    (
        "c0170",
        "Sensitiveness of the data stored by the ICT third-party service provider",
    ),
    (
        "c0180",
        "Level of reliance on the ICT service supporting the critical or important function",
    ),
];

pub(super) const B_05_01: Columns = &[
    (
        "c0010",
        "Identification code of ICT third-party service provider",
    ),
    (
        "c0020",
        "Type of code to identify the ICT third-party service provider",
    ),
    (
        "c0030",
        "Additional identification code of ICT third-party service provider",
    ),
    ("c0040", "Type of additional identification code"),
    (
        "c0050",
        "Legal name of the ICT third-party service provider",
    ),
    (
        "c0060",
        "Name of the ICT third-party service provider in Latin alphabet",
    ),
    (
        "c0070",
        "Type of person of the ICT third-party service provider",
    ),
    (
        "c0080",
        "Country of the ICT third-party service provider's headquarters",
    ),
    ("c0090", "Currency of the amount reported in c0100"),
    (
        "c0100",
        "Total annual expense or estimated cost of the ICT third-party service provider",
    ),
    (
        "c0110",
        "Identification code of the ICT third-party service provider's ultimate parent undertaking",
    ),
    (
        "c0120",
        "Type of code to identify the ultimate parent undertaking",
    ),
];

pub(super) const B_05_02: Columns = &[
    ("c0010", "Contractual arrangement reference number"),
    ("c0020", "Type of ICT services"),
    (
        "c0030",
        "Identification code of the ICT third-party service provider",
    ),
    (
        "c0040",
        "Type of code to identify the ICT third-party service provider",
    ),
    ("c0050", "Rank"),
    (
        "c0060",
        "Identification code of the recipient of sub-contracted ICT services",
    ),
    (
        "c0070",
        "Type of code to identify the recipient of sub-contracted ICT services",
    ),
];

pub(super) const B_06_01: Columns = &[
    ("c0010", "Function identifier"),
    ("c0020", "Licenced activity"),
    ("c0030", "Function name"),
    ("c0040", "LEI of the financial entity"),
    ("c0050", "Criticality or importance assessment"),
    ("c0060", "Reasons for criticality or importance"),
    (
        "c0070",
        "Date of the last assessment of criticality or importance",
    ),
    ("c0080", "Recovery time objective of the function"),
    ("c0090", "Recovery point objective of the function"),
    ("c0100", "Impact of discontinuing the function"),
];

pub(super) const B_07_01: Columns = &[
    ("c0010", "Contractual arrangement reference number"),
    (
        "c0020",
        "Identification code of the ICT third-party service provider",
    ),
    (
        "c0030",
        "Type of code to identify the ICT third-party service provider",
    ),
    ("c0040", "Type of ICT services"),
    (
        "c0050",
        "Substitutability of the ICT third-party service provider",
    ),
    (
        "c0060",
        "Reason if the ICT third-party service provider is considered not substitutable or difficult to be substitutable",
    ),
    (
        "c0070",
        "Date of the last audit on the ICT third-party service provider",
    ),
    ("c0080", "Existence of an exit plan"),
    (
        "c0090",
        "Possibility of reintegration of the contracted ICT service",
    ),
    ("c0100", "Impact of discontinuing the ICT services"),
    (
        "c0110",
        "Are there alternative ICT third-party service providers identified?",
    ),
    (
        "c0120",
        "Identification of alternative ICT third-party service providers",
    ),
];
