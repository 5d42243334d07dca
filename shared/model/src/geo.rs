//! A validated WGS84 position.
//!
//! Every latitude/longitude range check of the model goes through [`LatLon::new`], so "valid
//! position" means one thing everywhere: both coordinates finite, latitude in -90..=90 and
//! longitude in -180..=180 (degrees, the bounds included). Invariant: a [`LatLon`] value always
//! satisfies this.

/// A position in WGS84 degrees whose coordinates are finite and in range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    lat: f64,
    lon: f64,
}

/// A latitude/longitude pair that is not a valid WGS84 position.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("position ({lat}, {lon}) is out of range")]
pub struct InvalidPosition {
    /// The latitude given.
    pub lat: f64,
    /// The longitude given.
    pub lon: f64,
}

/// Whether `lat` is a latitude: finite and in -90..=90 degrees. (`contains` is false for NaN,
/// and the infinities are out of range, so this also refuses non-finite values.)
pub fn valid_lat(lat: f64) -> bool {
    (-90.0..=90.0).contains(&lat)
}

/// Whether `lon` is a longitude: finite and in -180..=180 degrees.
pub fn valid_lon(lon: f64) -> bool {
    (-180.0..=180.0).contains(&lon)
}

impl LatLon {
    /// The position (`lat`, `lon`), or an error when either is not finite or out of range.
    pub fn new(lat: f64, lon: f64) -> Result<LatLon, InvalidPosition> {
        if valid_lat(lat) && valid_lon(lon) {
            Ok(LatLon { lat, lon })
        } else {
            Err(InvalidPosition { lat, lon })
        }
    }

    /// Whether (`lat`, `lon`) is a valid position.
    pub fn is_valid(lat: f64, lon: f64) -> bool {
        LatLon::new(lat, lon).is_ok()
    }

    /// Latitude, degrees north.
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Longitude, degrees east.
    pub fn lon(self) -> f64 {
        self.lon
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive_and_everything_else_is_refused() {
        for (lat, lon) in [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (22.15, 105.83)] {
            let p = LatLon::new(lat, lon).unwrap();
            assert_eq!((p.lat(), p.lon()), (lat, lon));
        }
        for (lat, lon) in [
            (90.0001, 0.0),
            (-90.0001, 0.0),
            (0.0, 180.0001),
            (0.0, -180.0001),
            (f64::NAN, 0.0),
            (0.0, f64::NAN),
            (f64::INFINITY, 0.0),
            (0.0, f64::NEG_INFINITY),
        ] {
            assert!(!LatLon::is_valid(lat, lon), "({lat}, {lon})");
        }
    }

    #[test]
    fn the_error_names_the_position() {
        assert_eq!(
            LatLon::new(91.0, 2.5).unwrap_err().to_string(),
            "position (91, 2.5) is out of range"
        );
    }
}
