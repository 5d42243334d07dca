//! Mobile operators of Vietnam by MCC-MNC, with the names officials and customers use.
//!
//! Source: ITU-T E.212 "List of Mobile Country or Geographical Area Codes and Mobile Network
//! Codes" (the ITU Operational Bulletin's annex, MCC 452 Viet Nam), with each network's trade
//! name as the operator publishes it (VNPT's VinaPhone, Viettel Telecom's Viettel). Codes of
//! networks no longer in service (452-03 S-Fone, 452-06 EVNTelecom) are left out: a reading
//! carrying one is shown by its code alone.
//!
//! Invariant: names are data, never translated; lookups by name are ASCII case-insensitive.

/// Where [`OPERATORS`] comes from, as a report cites it.
pub const SOURCE: &str = "ITU-T E.212 list of mobile network codes (ITU Operational Bulletin), MCC 452 Viet Nam; trade names as published by the operators";

/// One operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    /// `MCC-MNC`, as readings carry it (`452-04`).
    pub id: &'static str,
    /// The name it is known by (`Viettel`).
    pub name: &'static str,
}

/// The operators of MCC 452, in code order.
pub const OPERATORS: &[Operator] = &[
    Operator {
        id: "452-01",
        name: "MobiFone",
    },
    Operator {
        id: "452-02",
        name: "VinaPhone",
    },
    Operator {
        id: "452-04",
        name: "Viettel",
    },
    Operator {
        id: "452-05",
        name: "Vietnamobile",
    },
    Operator {
        id: "452-07",
        name: "Gmobile",
    },
    Operator {
        id: "452-08",
        name: "I-Telecom",
    },
];

/// The name of the operator `id` (`452-04` -> `Viettel`); `None` when not in the table.
pub fn name_of(id: &str) -> Option<&'static str> {
    OPERATORS.iter().find(|o| o.id == id).map(|o| o.name)
}

/// The `MCC-MNC` of an operator given by name (`viettel` -> `452-04`, ASCII case-insensitive)
/// or by code (`452-04` -> `452-04`); `None` when neither.
pub fn resolve(name_or_id: &str) -> Option<&'static str> {
    OPERATORS
        .iter()
        .find(|o| o.id == name_or_id || o.name.eq_ignore_ascii_case(name_or_id))
        .map(|o| o.id)
}

/// `Viettel (452-04)` for a known operator, the code alone otherwise.
pub fn label(id: &str) -> String {
    match name_of(id) {
        Some(name) => format!("{name} ({id})"),
        None => id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes() {
        assert_eq!(name_of("452-04"), Some("Viettel"));
        assert_eq!(name_of("452-99"), None);
        assert_eq!(resolve("viettel"), Some("452-04"));
        assert_eq!(resolve("VinaPhone"), Some("452-02"));
        assert_eq!(resolve("452-01"), Some("452-01"));
        assert_eq!(resolve("Beeline"), None);
        assert_eq!(label("452-02"), "VinaPhone (452-02)");
        assert_eq!(label("452-99"), "452-99");
        let mut ids: Vec<&str> = OPERATORS.iter().map(|o| o.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), OPERATORS.len(), "codes are unique and sorted");
    }
}
