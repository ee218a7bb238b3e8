//! USPS Publication 28 abbreviations, keyed by the canonical English word that
//! libpostal's dictionaries expand to. Facts from USPS Publication 28, appendices C1
//! (street suffixes) and C2 (secondary unit designators), and section 233 (directionals).

/// Standard street suffix abbreviations (Publication 28, appendix C1), sorted by word.
static SUFFIXES: &[(&str, &str)] = &[
    ("alley", "ALY"),
    ("annex", "ANX"),
    ("arcade", "ARC"),
    ("avenue", "AVE"),
    ("bayou", "BYU"),
    ("beach", "BCH"),
    ("bend", "BND"),
    ("bluff", "BLF"),
    ("bluffs", "BLFS"),
    ("bottom", "BTM"),
    ("boulevard", "BLVD"),
    ("branch", "BR"),
    ("bridge", "BRG"),
    ("brook", "BRK"),
    ("brooks", "BRKS"),
    ("burg", "BG"),
    ("bypass", "BYP"),
    ("camp", "CP"),
    ("canyon", "CYN"),
    ("cape", "CPE"),
    ("causeway", "CSWY"),
    ("center", "CTR"),
    ("centre", "CTR"),
    ("circle", "CIR"),
    ("circles", "CIRS"),
    ("cliff", "CLF"),
    ("cliffs", "CLFS"),
    ("club", "CLB"),
    ("common", "CMN"),
    ("commons", "CMNS"),
    ("corner", "COR"),
    ("corners", "CORS"),
    ("course", "CRSE"),
    ("court", "CT"),
    ("courts", "CTS"),
    ("cove", "CV"),
    ("creek", "CRK"),
    ("crescent", "CRES"),
    ("crest", "CRST"),
    ("crossing", "XING"),
    ("crossroad", "XRD"),
    ("curve", "CURV"),
    ("dale", "DL"),
    ("dam", "DM"),
    ("divide", "DV"),
    ("drive", "DR"),
    ("drives", "DRS"),
    ("estate", "EST"),
    ("estates", "ESTS"),
    ("expressway", "EXPY"),
    ("extension", "EXT"),
    ("falls", "FLS"),
    ("ferry", "FRY"),
    ("field", "FLD"),
    ("fields", "FLDS"),
    ("flat", "FLT"),
    ("flats", "FLTS"),
    ("ford", "FRD"),
    ("forest", "FRST"),
    ("forge", "FRG"),
    ("fork", "FRK"),
    ("forks", "FRKS"),
    ("fort", "FT"),
    ("freeway", "FWY"),
    ("garden", "GDN"),
    ("gardens", "GDNS"),
    ("gateway", "GTWY"),
    ("glen", "GLN"),
    ("green", "GRN"),
    ("grove", "GRV"),
    ("harbor", "HBR"),
    ("haven", "HVN"),
    ("heights", "HTS"),
    ("highway", "HWY"),
    ("hill", "HL"),
    ("hills", "HLS"),
    ("hollow", "HOLW"),
    ("inlet", "INLT"),
    ("island", "IS"),
    ("islands", "ISS"),
    ("isle", "ISLE"),
    ("junction", "JCT"),
    ("key", "KY"),
    ("knoll", "KNL"),
    ("knolls", "KNLS"),
    ("lake", "LK"),
    ("lakes", "LKS"),
    ("landing", "LNDG"),
    ("lane", "LN"),
    ("light", "LGT"),
    ("loaf", "LF"),
    ("lock", "LCK"),
    ("locks", "LCKS"),
    ("lodge", "LDG"),
    ("loop", "LOOP"),
    ("mall", "MALL"),
    ("manor", "MNR"),
    ("meadow", "MDW"),
    ("meadows", "MDWS"),
    ("mews", "MEWS"),
    ("mill", "ML"),
    ("mills", "MLS"),
    ("mission", "MSN"),
    ("motorway", "MTWY"),
    ("mount", "MT"),
    ("mountain", "MTN"),
    ("neck", "NCK"),
    ("orchard", "ORCH"),
    ("oval", "OVAL"),
    ("overpass", "OPAS"),
    ("park", "PARK"),
    ("parkway", "PKWY"),
    ("pass", "PASS"),
    ("passage", "PSGE"),
    ("path", "PATH"),
    ("pike", "PIKE"),
    ("pine", "PNE"),
    ("pines", "PNES"),
    ("place", "PL"),
    ("plain", "PLN"),
    ("plains", "PLNS"),
    ("plaza", "PLZ"),
    ("point", "PT"),
    ("points", "PTS"),
    ("port", "PRT"),
    ("prairie", "PR"),
    ("radial", "RADL"),
    ("ramp", "RAMP"),
    ("ranch", "RNCH"),
    ("rapids", "RPDS"),
    ("rest", "RST"),
    ("ridge", "RDG"),
    ("river", "RIV"),
    ("road", "RD"),
    ("roads", "RDS"),
    ("route", "RTE"),
    ("row", "ROW"),
    ("run", "RUN"),
    ("shoal", "SHL"),
    ("shore", "SHR"),
    ("shores", "SHRS"),
    ("skyway", "SKWY"),
    ("spring", "SPG"),
    ("springs", "SPGS"),
    ("square", "SQ"),
    ("station", "STA"),
    ("stream", "STRM"),
    ("street", "ST"),
    ("streets", "STS"),
    ("summit", "SMT"),
    ("terrace", "TER"),
    ("throughway", "TRWY"),
    ("trace", "TRCE"),
    ("track", "TRAK"),
    ("trafficway", "TRFY"),
    ("trail", "TRL"),
    ("tunnel", "TUNL"),
    ("turnpike", "TPKE"),
    ("underpass", "UPAS"),
    ("union", "UN"),
    ("valley", "VLY"),
    ("viaduct", "VIA"),
    ("view", "VW"),
    ("village", "VLG"),
    ("ville", "VL"),
    ("vista", "VIS"),
    ("walk", "WALK"),
    ("wall", "WALL"),
    ("way", "WAY"),
    ("well", "WL"),
    ("wells", "WLS"),
];

/// Secondary unit designators (Publication 28, appendix C2), sorted by word.
static UNITS: &[(&str, &str)] = &[
    ("#", "#"),
    ("apartment", "APT"),
    ("basement", "BSMT"),
    ("building", "BLDG"),
    ("department", "DEPT"),
    ("floor", "FL"),
    ("front", "FRNT"),
    ("hangar", "HNGR"),
    ("key", "KEY"),
    ("lobby", "LBBY"),
    ("lot", "LOT"),
    ("lower", "LOWR"),
    ("number", "#"),
    ("office", "OFC"),
    ("penthouse", "PH"),
    ("pier", "PIER"),
    ("rear", "REAR"),
    ("room", "RM"),
    ("side", "SIDE"),
    ("slip", "SLIP"),
    ("space", "SPC"),
    ("stop", "STOP"),
    ("suite", "STE"),
    ("trailer", "TRLR"),
    ("unit", "UNIT"),
    ("upper", "UPPR"),
];

/// Directionals (Publication 28, section 233), sorted by word.
static DIRECTIONALS: &[(&str, &str)] = &[
    ("east", "E"),
    ("north", "N"),
    ("northeast", "NE"),
    ("northwest", "NW"),
    ("south", "S"),
    ("southeast", "SE"),
    ("southwest", "SW"),
    ("west", "W"),
];

fn find(table: &'static [(&'static str, &'static str)], word: &str) -> Option<&'static str> {
    table
        .binary_search_by(|(k, _)| (*k).cmp(word))
        .ok()
        .and_then(|i| table.get(i))
        .map(|(_, v)| *v)
}

/// The standard suffix abbreviation of a canonical street-type word.
pub(crate) fn suffix(word: &str) -> Option<&'static str> {
    find(SUFFIXES, word)
}

/// The standard secondary unit designator of a canonical unit word.
pub(crate) fn unit(word: &str) -> Option<&'static str> {
    find(UNITS, word)
}

/// The standard abbreviation of a canonical directional word.
pub(crate) fn directional(word: &str) -> Option<&'static str> {
    find(DIRECTIONALS, word)
}

#[cfg(test)]
pub(crate) fn tests_suffixes() -> &'static [(&'static str, &'static str)] {
    SUFFIXES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted() {
        for table in [SUFFIXES, UNITS, DIRECTIONALS] {
            assert!(table.windows(2).all(|w| w[0].0 < w[1].0));
        }
        assert_eq!(suffix("parkway"), Some("PKWY"));
        assert_eq!(unit("suite"), Some("STE"));
        assert_eq!(directional("northwest"), Some("NW"));
    }
}
