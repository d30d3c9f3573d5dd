//! Integers that JSON Schema's `integer` allows but serde refuses: integral numbers written with
//! a fraction or an exponent (`2.0`, `1e3`). Use with `#[serde(deserialize_with = …)]`.

use serde::de::{Deserialize, Deserializer, Error};

fn integral<T: TryFrom<i64>, E: Error>(number: &serde_json::Number) -> Result<T, E> {
    let whole = match (number.as_i64(), number.as_f64()) {
        (Some(i), _) => Some(i),
        // Exactly representable and integral: 2.0, -5614.0, 1e3.
        (None, Some(f)) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => Some(f as i64),
        _ => None,
    };
    let whole = whole.ok_or_else(|| E::custom(format!("invalid type: number `{number}`, expected an integer")))?;
    T::try_from(whole).map_err(|_| E::custom(format!("integer `{whole}` is out of range")))
}

/// An integer (`i32`, `i64`, `u16`, …) from any integral JSON number.
pub fn integer<'de, D: Deserializer<'de>, T: TryFrom<i64>>(deserializer: D) -> Result<T, D::Error> {
    integral(&serde_json::Number::deserialize(deserializer)?)
}

/// An optional integer from any integral JSON number or `null`.
pub fn optional<'de, D: Deserializer<'de>, T: TryFrom<i64>>(deserializer: D) -> Result<Option<T>, D::Error> {
    Option::<serde_json::Number>::deserialize(deserializer)?.map(|n| integral(&n)).transpose()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::optional")]
        days: Option<i32>,
        #[serde(deserialize_with = "super::integer")]
        port: u16,
    }

    fn parse(json: &str) -> Result<Body, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn integral_numbers_in_any_notation_are_integers() {
        let body = parse(r#"{"days": 2147483647.0, "port": 5.432e3}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((body.days, body.port), (Some(i32::MAX), 5432));
        assert_eq!(parse(r#"{"days": null, "port": 1}"#).map(|b| b.days), Ok(None));
        assert_eq!(parse(r#"{"port": 1}"#).map(|b| b.days), Ok(None));
    }

    #[test]
    fn fractions_strings_and_out_of_range_values_are_refused() {
        assert!(parse(r#"{"port": 1.5}"#).unwrap_err().contains("expected an integer"));
        assert!(parse(r#"{"port": "1"}"#).is_err());
        assert!(parse(r#"{"port": 70000}"#).unwrap_err().contains("out of range"));
        assert!(parse(r#"{"days": 2147483648, "port": 1}"#).unwrap_err().contains("out of range"));
    }
}
