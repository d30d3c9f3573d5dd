//! MySQL/MariaDB values as JSON, as Fides' packages write them (PyMySQL, then Fides' JSON
//! encoders): integers and `TINYINT(1)` booleans as numbers (0/1), `DECIMAL` as strings (no
//! precision lost), `JSON` columns as strings, binary values as `quote_encoded_<%-escaped>`,
//! `TIME` as Python prints a timedelta. Two choices differ, where Fides loses or bends data:
//! `DATETIME`/`TIMESTAMP` keep their microseconds (Fides drops them), and `DATE` is the date
//! (`YYYY-MM-DD`, as Lethe's PostgreSQL and SQLite packages write it; Fides turns it into a
//! midnight datetime on an internal round trip).

use mysql::consts::ColumnType;
use serde_json::{Map, Value};

/// Character set number of binary strings.
const BINARY: u16 = 63;

/// One row as a JSON object keyed by column name, in the row's column order.
pub(crate) fn mysql_row(row: mysql::Row) -> Value {
    let columns = row.columns();
    let values = row.unwrap();
    let object: Map<String, Value> = columns
        .iter()
        .zip(values)
        .map(|(column, value)| {
            (column.name_str().into_owned(), json(value, column.column_type(), column.character_set()))
        })
        .collect();
    Value::Object(object)
}

fn json(value: mysql::Value, column_type: ColumnType, charset: u16) -> Value {
    use ColumnType::*;
    match value {
        mysql::Value::NULL => Value::Null,
        mysql::Value::Int(i) => Value::from(i),
        mysql::Value::UInt(u) => Value::from(u),
        // The shortest text that reads back as the same f32, so 0.1 stays 0.1.
        mysql::Value::Float(f) => {
            f.to_string().parse::<f64>().ok().and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number)
        }
        mysql::Value::Double(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        mysql::Value::Date(year, month, day, hour, minute, second, micros) => Value::String(date(
            column_type,
            [year, month.into(), day.into(), hour.into(), minute.into(), second.into()],
            micros,
        )),
        mysql::Value::Time(negative, days, hours, minutes, seconds, micros) => {
            Value::String(timedelta(negative, days, hours, minutes, seconds, micros))
        }
        mysql::Value::Bytes(bytes) => match column_type {
            MYSQL_TYPE_DECIMAL | MYSQL_TYPE_NEWDECIMAL | MYSQL_TYPE_JSON => text_or_quoted(bytes),
            MYSQL_TYPE_BIT => Value::String(quote_encoded(&bytes)),
            _ if charset == BINARY => Value::String(quote_encoded(&bytes)),
            _ => text_or_quoted(bytes),
        },
    }
}

fn text_or_quoted(bytes: Vec<u8>) -> Value {
    match String::from_utf8(bytes) {
        Ok(text) => Value::String(text),
        Err(e) => Value::String(quote_encoded(e.as_bytes())),
    }
}

/// `DATE` as `YYYY-MM-DD`; `DATETIME`/`TIMESTAMP` as `YYYY-MM-DDTHH:MM:SS[.ffffff]`; zero dates as
/// the server writes them.
fn date(column_type: ColumnType, [year, month, day, hour, minute, second]: [u16; 6], micros: u32) -> String {
    let is_date = matches!(column_type, ColumnType::MYSQL_TYPE_DATE | ColumnType::MYSQL_TYPE_NEWDATE);
    if year == 0 && month == 0 && day == 0 {
        return if is_date { "0000-00-00".to_owned() } else { "0000-00-00 00:00:00".to_owned() };
    }
    let day_text = format!("{year:04}-{month:02}-{day:02}");
    if is_date {
        return day_text;
    }
    let mut text = format!("{day_text}T{hour:02}:{minute:02}:{second:02}");
    if micros != 0 {
        text.push_str(&format!(".{micros:06}"));
    }
    text
}

/// Python's `str(timedelta)`: `[-]D day[s], H:MM:SS[.ffffff]`, days carrying the sign.
fn timedelta(negative: bool, days: u32, hours: u8, minutes: u8, seconds: u8, micros: u32) -> String {
    const MICROS_PER_DAY: i64 = 86_400_000_000;
    let magnitude = i64::from(days) * MICROS_PER_DAY
        + ((i64::from(hours) * 60 + i64::from(minutes)) * 60 + i64::from(seconds)) * 1_000_000
        + i64::from(micros);
    let total = if negative { -magnitude } else { magnitude };
    let days = total.div_euclid(MICROS_PER_DAY);
    let rest = total.rem_euclid(MICROS_PER_DAY);
    let (seconds, micros) = (rest / 1_000_000, rest % 1_000_000);
    let mut text = format!("{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
    if micros != 0 {
        text.push_str(&format!(".{micros:06}"));
    }
    if days != 0 {
        text = format!("{days} day{}, {text}", if days.abs() == 1 { "" } else { "s" });
    }
    text
}

/// Fides' encoding of bytes: `quote_encoded_` and Python's `urllib.parse.quote` (unreserved
/// characters and `/` kept, everything else `%XX`).
fn quote_encoded(bytes: &[u8]) -> String {
    let mut out = String::from("quote_encoded_");
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values printed by CPython 3.11: `str(timedelta(...))` and
    // `"quote_encoded_" + urllib.parse.quote(b"...")`.
    #[test]
    fn times_print_as_python_timedeltas() {
        assert_eq!(timedelta(false, 1, 1, 0, 1, 0), "1 day, 1:00:01");
        assert_eq!(timedelta(false, 0, 13, 5, 9, 0), "13:05:09");
        assert_eq!(timedelta(false, 2, 0, 0, 0, 500), "2 days, 0:00:00.000500");
        assert_eq!(timedelta(true, 0, 1, 0, 0, 0), "-1 day, 23:00:00");
        assert_eq!(timedelta(true, 3, 2, 0, 0, 0), "-4 days, 22:00:00");
        assert_eq!(timedelta(false, 0, 0, 0, 0, 0), "0:00:00");
    }

    #[test]
    fn bytes_are_quote_encoded_as_python_quotes_them() {
        assert_eq!(quote_encoded(&[0x00, 0xFF, b'A']), "quote_encoded_%00%FFA");
        assert_eq!(quote_encoded(b"a b/c~d+e"), "quote_encoded_a%20b/c~d%2Be");
    }

    #[test]
    fn dates_keep_their_precision() {
        assert_eq!(date(ColumnType::MYSQL_TYPE_DATE, [2024, 2, 29, 0, 0, 0], 0), "2024-02-29");
        assert_eq!(date(ColumnType::MYSQL_TYPE_DATETIME, [2024, 2, 29, 13, 5, 9], 0), "2024-02-29T13:05:09");
        assert_eq!(date(ColumnType::MYSQL_TYPE_TIMESTAMP, [2024, 2, 29, 13, 5, 9], 120), "2024-02-29T13:05:09.000120");
        assert_eq!(date(ColumnType::MYSQL_TYPE_DATE, [0, 0, 0, 0, 0, 0], 0), "0000-00-00");
    }
}
