//! Band names in the wire form (`"B3"` for LTE and UMTS, `"n78"` for NR, `"GSM900"`/`"DCS1800"`
//! for GSM) from what modems print: band numbers, vendor band strings
//! (`EUTRAN-BAND3`, `NR5G_BAND78`, `WCDMA IMT 2000`) or, when no band is printed, the channel
//! number (UMTS UARFCN per TS 25.101 §5.4.4, GSM ARFCN per TS 45.005 §2).

/// `"B{n}"` for an LTE (or UMTS) band number.
pub fn lte(n: u64) -> Option<String> {
    (1..=255).contains(&n).then(|| format!("B{n}"))
}

/// `"n{n}"` for an NR band number.
pub fn nr(n: u64) -> Option<String> {
    (1..=1024).contains(&n).then(|| format!("n{n}"))
}

/// Normalises a band string printed by a modem: `EUTRAN-BAND3`, `LTE BAND 3`, `B3`, `b3` →
/// `B3`; `NR5G_BAND78`, `n78`, `NR BAND 78` → `n78`. `nr_context` decides what a bare number means.
pub fn normalise(s: &str, nr_context: bool) -> Option<String> {
    let t = s.trim().trim_matches('"').trim();
    if t.is_empty() || super::fields::is_null_marker(t) {
        return None;
    }
    let upper = t.to_ascii_uppercase();
    let digits: String = upper
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let number = digits.parse::<u64>().ok();
    let is_nr = upper.starts_with("NR") || upper.starts_with('N') && !upper.starts_with("NO");
    if is_nr {
        return number.and_then(nr);
    }
    if upper.contains("BAND") || upper.starts_with('B') {
        return number.and_then(lte);
    }
    if upper.chars().all(|c| c.is_ascii_digit()) {
        return number.and_then(if nr_context { nr } else { lte });
    }
    None
}

/// Whether `earfcn` lies in the downlink range of LTE band `band` (TS 36.101 table 5.7.3-1);
/// `None` for bands not in this table.
pub fn lte_earfcn_in_band(band: u16, earfcn: u32) -> Option<bool> {
    let (lo, hi) = match band {
        1 => (0, 599),
        2 => (600, 1199),
        3 => (1200, 1949),
        4 => (1950, 2399),
        5 => (2400, 2649),
        7 => (2750, 3449),
        8 => (3450, 3799),
        12 => (5010, 5179),
        13 => (5180, 5279),
        14 => (5280, 5379),
        17 => (5730, 5849),
        18 => (5850, 5999),
        19 => (6000, 6149),
        20 => (6150, 6449),
        25 => (8040, 8689),
        26 => (8690, 9039),
        28 => (9210, 9659),
        38 => (37750, 38249),
        39 => (38250, 38649),
        40 => (38650, 39649),
        41 => (39650, 41589),
        42 => (41590, 43589),
        66 => (66436, 67335),
        71 => (68586, 68935),
        _ => return None,
    };
    Some((lo..=hi).contains(&earfcn))
}

/// The LTE band number of a printed band (`B66`, `LTE BAND 3`, `EUTRAN-BAND7`, `3`).
pub fn lte_band_number(printed: &str) -> Option<u16> {
    normalise(printed, false)?.strip_prefix('B')?.parse().ok()
}

/// Clears `earfcn` when it lies outside LTE band `band` (some firmwares print a channel of 0,
/// or a stale one, beside the band) and returns the note saying so, naming the channel as the
/// reply labels it (`label`).
pub fn drop_earfcn_outside_band(
    band: u16,
    earfcn: &mut Option<u32>,
    label: &str,
) -> Option<String> {
    let ch = (*earfcn)?;
    if lte_earfcn_in_band(band, ch) != Some(false) {
        return None;
    }
    *earfcn = None;
    Some(format!(
        "{label} {ch} is outside band B{band}; EARFCN not used"
    ))
}

/// UMTS band from a SIMCom-style name (`WCDMA IMT 2000`, `WCDMA 850`, `WCDMA PCS 1900`).
pub fn umts_from_name(s: &str) -> Option<String> {
    let u = s.to_ascii_uppercase();
    let n = if u.contains("IMT") || u.contains("2100") {
        1
    } else if u.contains("PCS") || u.contains("1900") {
        2
    } else if u.contains("1800") || u.contains("DCS") {
        3
    } else if u.contains("AWS") || u.contains("1700") {
        4
    } else if u.contains("850") {
        5
    } else if u.contains("800") {
        // Sierra prints `WCDMA 800` for the 850 MHz band (B5) as well as Japan's B6/B19: the
        // name alone does not decide; the UARFCN will.
        return None;
    } else if u.contains("900") {
        8
    } else {
        return normalise(s, false);
    };
    lte(n)
}

/// UMTS band from the downlink UARFCN (TS 25.101 table 5.2, general channels only).
pub fn umts_from_uarfcn(u: u64) -> Option<String> {
    let n = match u {
        10562..=10838 => 1,
        9662..=9938 => 2,
        1162..=1513 => 3,
        1537..=1738 => 4,
        4357..=4458 => 5,
        2937..=3088 => 8,
        _ => return None,
    };
    lte(n)
}

/// GSM band from the ARFCN; `pcs` chooses PCS1900 for the 512-810 range that DCS1800 shares
/// (Quectel's `<band>` 1, SIMCom's band text).
pub fn gsm_from_arfcn(arfcn: u64, pcs: bool) -> Option<String> {
    let name = match arfcn {
        1..=124 => "GSM900",
        0 | 975..=1023 => "EGSM900",
        128..=251 => "GSM850",
        512..=810 if pcs => "PCS1900",
        512..=885 => "DCS1800",
        _ => return None,
    };
    Some(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(normalise("EUTRAN-BAND3", false).as_deref(), Some("B3"));
        assert_eq!(normalise("NR5G_BAND78", false).as_deref(), Some("n78"));
        assert_eq!(normalise("n41", false).as_deref(), Some("n41"));
        assert_eq!(normalise("B12", false).as_deref(), Some("B12"));
        assert_eq!(normalise("39", false).as_deref(), Some("B39"));
        assert_eq!(normalise("78", true).as_deref(), Some("n78"));
        assert_eq!(normalise("-", true), None);
        assert_eq!(umts_from_uarfcn(3037).as_deref(), Some("B8"));
        assert_eq!(umts_from_name("WCDMA IMT 2000").as_deref(), Some("B1"));
        assert_eq!(umts_from_name("WCDMA 2100").as_deref(), Some("B1"));
        assert_eq!(umts_from_name("WCDMA 800"), None);
        assert_eq!(lte_earfcn_in_band(66, 0), Some(false));
        assert_eq!(lte_earfcn_in_band(3, 1650), Some(true));
        assert_eq!(lte_earfcn_in_band(99, 1), None);
        assert_eq!(gsm_from_arfcn(94, false).as_deref(), Some("GSM900"));
        assert_eq!(gsm_from_arfcn(600, true).as_deref(), Some("PCS1900"));
    }
}
