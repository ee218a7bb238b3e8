//! USPS Publication 28 abbreviations, keyed by the canonical English word that
//! libpostal's dictionaries expand to. Facts from USPS Publication 28, appendices C1
//! (street suffixes) and C2 (secondary unit designators), and section 233 (directionals).

/// Standard street suffix abbreviations (Publication 28, appendix C1), sorted by word.
static SUFFIXES: &[(&str, &str)] = &[
    ("alley", "aly"),
    ("annex", "anx"),
    ("arcade", "arc"),
    ("avenue", "ave"),
    ("bayou", "byu"),
    ("beach", "bch"),
    ("bend", "bnd"),
    ("bluff", "blf"),
    ("bluffs", "blfs"),
    ("bottom", "btm"),
    ("boulevard", "blvd"),
    ("branch", "br"),
    ("bridge", "brg"),
    ("brook", "brk"),
    ("brooks", "brks"),
    ("burg", "bg"),
    ("bypass", "byp"),
    ("camp", "cp"),
    ("canyon", "cyn"),
    ("cape", "cpe"),
    ("causeway", "cswy"),
    ("center", "ctr"),
    ("centre", "ctr"),
    ("circle", "cir"),
    ("circles", "cirs"),
    ("cliff", "clf"),
    ("cliffs", "clfs"),
    ("club", "clb"),
    ("common", "cmn"),
    ("commons", "cmns"),
    ("corner", "cor"),
    ("corners", "cors"),
    ("course", "crse"),
    ("court", "ct"),
    ("courts", "cts"),
    ("cove", "cv"),
    ("creek", "crk"),
    ("crescent", "cres"),
    ("crest", "crst"),
    ("crossing", "xing"),
    ("crossroad", "xrd"),
    ("curve", "curv"),
    ("dale", "dl"),
    ("dam", "dm"),
    ("divide", "dv"),
    ("drive", "dr"),
    ("drives", "drs"),
    ("estate", "est"),
    ("estates", "ests"),
    ("expressway", "expy"),
    ("extension", "ext"),
    ("falls", "fls"),
    ("ferry", "fry"),
    ("field", "fld"),
    ("fields", "flds"),
    ("flat", "flt"),
    ("flats", "flts"),
    ("ford", "frd"),
    ("forest", "frst"),
    ("forge", "frg"),
    ("fork", "frk"),
    ("forks", "frks"),
    ("fort", "ft"),
    ("freeway", "fwy"),
    ("garden", "gdn"),
    ("gardens", "gdns"),
    ("gateway", "gtwy"),
    ("glen", "gln"),
    ("green", "grn"),
    ("grove", "grv"),
    ("harbor", "hbr"),
    ("haven", "hvn"),
    ("heights", "hts"),
    ("highway", "hwy"),
    ("hill", "hl"),
    ("hills", "hls"),
    ("hollow", "holw"),
    ("inlet", "inlt"),
    ("island", "is"),
    ("islands", "iss"),
    ("isle", "isle"),
    ("junction", "jct"),
    ("key", "ky"),
    ("knoll", "knl"),
    ("knolls", "knls"),
    ("lake", "lk"),
    ("lakes", "lks"),
    ("landing", "lndg"),
    ("lane", "ln"),
    ("light", "lgt"),
    ("loaf", "lf"),
    ("lock", "lck"),
    ("locks", "lcks"),
    ("lodge", "ldg"),
    ("loop", "loop"),
    ("mall", "mall"),
    ("manor", "mnr"),
    ("meadow", "mdw"),
    ("meadows", "mdws"),
    ("mews", "mews"),
    ("mill", "ml"),
    ("mills", "mls"),
    ("mission", "msn"),
    ("motorway", "mtwy"),
    ("mount", "mt"),
    ("mountain", "mtn"),
    ("neck", "nck"),
    ("orchard", "orch"),
    ("oval", "oval"),
    ("overpass", "opas"),
    ("park", "park"),
    ("parkway", "pkwy"),
    ("pass", "pass"),
    ("passage", "psge"),
    ("path", "path"),
    ("pike", "pike"),
    ("pine", "pne"),
    ("pines", "pnes"),
    ("place", "pl"),
    ("plain", "pln"),
    ("plains", "plns"),
    ("plaza", "plz"),
    ("point", "pt"),
    ("points", "pts"),
    ("port", "prt"),
    ("prairie", "pr"),
    ("radial", "radl"),
    ("ramp", "ramp"),
    ("ranch", "rnch"),
    ("rapids", "rpds"),
    ("rest", "rst"),
    ("ridge", "rdg"),
    ("river", "riv"),
    ("road", "rd"),
    ("roads", "rds"),
    ("route", "rte"),
    ("row", "row"),
    ("run", "run"),
    ("shoal", "shl"),
    ("shore", "shr"),
    ("shores", "shrs"),
    ("skyway", "skwy"),
    ("spring", "spg"),
    ("springs", "spgs"),
    ("square", "sq"),
    ("station", "sta"),
    ("stream", "strm"),
    ("street", "st"),
    ("streets", "sts"),
    ("summit", "smt"),
    ("terrace", "ter"),
    ("throughway", "trwy"),
    ("trace", "trce"),
    ("track", "trak"),
    ("trafficway", "trfy"),
    ("trail", "trl"),
    ("tunnel", "tunl"),
    ("turnpike", "tpke"),
    ("underpass", "upas"),
    ("union", "un"),
    ("valley", "vly"),
    ("viaduct", "via"),
    ("view", "vw"),
    ("village", "vlg"),
    ("ville", "vl"),
    ("vista", "vis"),
    ("walk", "walk"),
    ("wall", "wall"),
    ("way", "way"),
    ("well", "wl"),
    ("wells", "wls"),
];

/// Secondary unit designators (Publication 28, appendix C2), sorted by word.
static UNITS: &[(&str, &str)] = &[
    ("#", "#"),
    ("apartment", "apt"),
    ("basement", "bsmt"),
    ("building", "bldg"),
    ("department", "dept"),
    ("floor", "fl"),
    ("front", "frnt"),
    ("hangar", "hngr"),
    ("key", "key"),
    ("lobby", "lbby"),
    ("lot", "lot"),
    ("lower", "lowr"),
    ("number", "#"),
    ("office", "ofc"),
    ("penthouse", "ph"),
    ("pier", "pier"),
    ("rear", "rear"),
    ("room", "rm"),
    ("side", "side"),
    ("slip", "slip"),
    ("space", "spc"),
    ("stop", "stop"),
    ("suite", "ste"),
    ("trailer", "trlr"),
    ("unit", "unit"),
    ("upper", "uppr"),
];

/// Directionals (Publication 28, section 233), sorted by word.
static DIRECTIONALS: &[(&str, &str)] = &[
    ("east", "e"),
    ("north", "n"),
    ("northeast", "ne"),
    ("northwest", "nw"),
    ("south", "s"),
    ("southeast", "se"),
    ("southwest", "sw"),
    ("west", "w"),
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
        assert_eq!(suffix("parkway"), Some("pkwy"));
        assert_eq!(unit("suite"), Some("ste"));
        assert_eq!(directional("northwest"), Some("nw"));
    }
}
