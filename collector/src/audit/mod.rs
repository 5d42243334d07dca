//! Coverage audit (being written).
