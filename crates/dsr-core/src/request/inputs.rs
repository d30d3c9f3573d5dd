//! The input values of one traversal step, streamed: identity values for seeds, and for edges
//! the values of a field of an earlier collection's rows, read back from the spool rather than
//! held. Each field's values are deduplicated by a 16-byte digest (memory grows with the number
//! of distinct values, never with rows), and sent in statements of at most
//! [`MAX_VALUES_PER_STATEMENT`] values: all fields in one statement when they fit, else one
//! statement per field and chunk, exactly as [`connectors::Connector::read`] splits them.

use std::collections::HashSet;

use connectors::{FieldInput, MAX_VALUES_PER_STATEMENT};
use serde_json::Value;

use super::spool::{Spool, SpoolError, SpoolRows, Spooled};

/// Where a field's values come from.
pub(super) enum Source<'a> {
    /// Values given (the subject's identity).
    Values(Vec<Value>),
    /// Field `field` of the rows of an earlier collection.
    Rows { spooled: &'a Spooled, field: String },
}

enum Current {
    Values(std::vec::IntoIter<Value>),
    Rows(Box<SpoolRows>, String),
}

/// One field's values from all its sources, without nulls or repeats.
struct FieldValues<'a> {
    spool: &'a Spool,
    sources: std::vec::IntoIter<Source<'a>>,
    current: Option<Current>,
    seen: HashSet<u128>,
}

impl FieldValues<'_> {
    fn first_time(&mut self, value: &Value) -> bool {
        !value.is_null() && self.seen.insert(connectors::digest(value))
    }
}

/// The value at `path` of `row`: a column of that name, else the dotted path into nested
/// values of API records.
pub(crate) fn value_at<'v>(row: &'v Value, path: &str) -> Option<&'v Value> {
    row.get(path).or_else(|| path.split('.').try_fold(row, |here, part| here.get(part)))
}

/// The value at `path` of `row` (dotted for nested values of API records), taken out of it;
/// null when absent.
fn take_path(row: &mut Value, path: &str) -> Value {
    // A column whose name holds a dot is a column.
    if let Some(value) = row.as_object_mut().and_then(|r| r.remove(path)) {
        return value;
    }
    let mut here = row;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        let Some(object) = here.as_object_mut() else { return Value::Null };
        if parts.peek().is_none() {
            return object.remove(part).unwrap_or_default();
        }
        match object.get_mut(part) {
            Some(next) => here = next,
            None => return Value::Null,
        }
    }
    Value::Null
}

impl Iterator for FieldValues<'_> {
    type Item = Result<Value, SpoolError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let value = match &mut self.current {
                None => {
                    self.current = match self.sources.next()? {
                        Source::Values(values) => Some(Current::Values(values.into_iter())),
                        Source::Rows { spooled, field } => match self.spool.rows(spooled) {
                            Ok(rows) => Some(Current::Rows(Box::new(rows), field)),
                            Err(e) => return Some(Err(e)),
                        },
                    };
                    continue;
                }
                Some(Current::Values(values)) => values.next(),
                Some(Current::Rows(rows, field)) => match rows.next() {
                    Some(Ok(mut row)) => Some(take_path(&mut row, field)),
                    Some(Err(e)) => return Some(Err(e)),
                    None => None,
                },
            };
            match value {
                None => self.current = None,
                Some(value) if self.first_time(&value) => return Some(Ok(value)),
                Some(_) => {}
            }
        }
    }
}

/// Runs `run` once per statement of a step whose fields take their values from `fields`;
/// `several` tells each call whether the step sends more than one statement (rows matched by
/// several must then be handed over once). No statement when no field has a value.
pub(super) fn each_statement<E: From<SpoolError>>(
    spool: &Spool,
    fields: Vec<(String, Vec<Source<'_>>)>,
    mut run: impl FnMut(&[FieldInput], bool) -> Result<(), E>,
) -> Result<(), E> {
    let mut streams: Vec<(String, FieldValues<'_>)> = fields
        .into_iter()
        .map(|(field, sources)| {
            let values = FieldValues { spool, sources: sources.into_iter(), current: None, seen: HashSet::new() };
            (field, values)
        })
        .collect();
    // Read ahead just far enough to know whether everything fits in one statement.
    let mut buffered: Vec<Vec<Value>> = vec![Vec::new(); streams.len()];
    let mut total = 0;
    let mut fits = true;
    'fill: for (i, (_, stream)) in streams.iter_mut().enumerate() {
        for value in stream.by_ref() {
            buffered[i].push(value?);
            total += 1;
            if total > MAX_VALUES_PER_STATEMENT {
                fits = false;
                break 'fill;
            }
        }
    }
    if fits {
        let inputs: Vec<FieldInput> = streams
            .iter()
            .zip(buffered)
            .filter(|(_, values)| !values.is_empty())
            .map(|((field, _), values)| FieldInput { field: field.clone(), values })
            .collect();
        return if inputs.is_empty() { Ok(()) } else { run(&inputs, false) };
    }
    for ((field, stream), mut pending) in streams.iter_mut().zip(buffered) {
        loop {
            while pending.len() < MAX_VALUES_PER_STATEMENT {
                match stream.next() {
                    Some(value) => pending.push(value?),
                    None => break,
                }
            }
            if pending.is_empty() {
                break;
            }
            let rest = if pending.len() > MAX_VALUES_PER_STATEMENT {
                pending.split_off(MAX_VALUES_PER_STATEMENT)
            } else {
                Vec::new()
            };
            run(&[FieldInput { field: field.clone(), values: pending }], true)?;
            pending = rest;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::request::vault::Vault;

    /// The statements `each_statement` sends, as (field, values) lists.
    fn statements(spool: &Spool, fields: Vec<(String, Vec<Source<'_>>)>) -> Vec<(Vec<(String, usize)>, bool)> {
        let mut sent = Vec::new();
        each_statement::<SpoolError>(spool, fields, |inputs, several| {
            sent.push((inputs.iter().map(|i| (i.field.clone(), i.values.len())).collect(), several));
            Ok(())
        })
        .unwrap();
        sent
    }

    #[test]
    fn values_stream_from_the_spool_deduplicated_and_split_as_connectors_split_them() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::create(dir.path(), "pri_1", &Vault::new(crypto::AppKey::generate())).unwrap();
        let mut writer = spool.writer("orders").unwrap();
        // 2,600 orders of 2,500 distinct customers (the last 100 repeat), one without a customer.
        for i in 0..2_600 {
            writer.push(&json!({"id": i, "customer_id": i % 2_500})).unwrap();
        }
        writer.push(&json!({"id": -1, "customer_id": null})).unwrap();
        let orders = writer.finish().unwrap();
        let edge = || Source::Rows { spooled: &orders, field: "customer_id".to_owned() };

        // Few values: every field in one statement.
        let few = vec![
            ("email".to_owned(), vec![Source::Values(vec![json!("a@x.io"), json!("a@x.io"), json!(null)])]),
            ("id".to_owned(), vec![Source::Values(vec![json!(1)])]),
        ];
        assert_eq!(statements(&spool, few), vec![(vec![("email".to_owned(), 1), ("id".to_owned(), 1)], false)]);

        // Many: one statement per field and chunk of 1,000 distinct values.
        let many = vec![
            ("id".to_owned(), vec![edge(), Source::Values(vec![json!(0), json!(5_000)])]),
            ("email".to_owned(), vec![Source::Values(vec![json!("a@x.io")])]),
        ];
        let sent = statements(&spool, many);
        let sizes: Vec<(String, usize)> = sent.iter().map(|(s, _)| s[0].clone()).collect();
        let expected = [("id", 1_000), ("id", 1_000), ("id", 501), ("email", 1)];
        assert_eq!(sizes, expected.map(|(f, n)| (f.to_owned(), n)));
        assert!(sent.iter().all(|(_, several)| *several));

        // Nothing to match: no statement.
        assert!(statements(&spool, vec![("id".to_owned(), vec![Source::Values(vec![json!(null)])])]).is_empty());
    }
}
