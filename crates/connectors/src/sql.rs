//! What every SQL connector shares: how input values are typed for binding, how they are split
//! into bounded statements, how rows matched by several statements are handed over once, and
//! how an UPDATE is built. Dialects differ only in quoting and placeholders.

use serde_json::Value;

use crate::{ConnectorError, FieldInput, MAX_VALUES_PER_STATEMENT, RowSink, RowUpdate, Seen};

/// Most rows handed to a sink at once.
pub(crate) const ROW_BATCH: usize = 1_000;

/// Most bytes of row JSON handed to a sink at once (wide rows make smaller batches).
pub(crate) const ROW_BATCH_BYTES: usize = 1 << 20;

/// The column type used to bind a field's input values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BindType {
    Int,
    Float,
    Bool,
    Text,
}

impl BindType {
    /// From the declared type, else from the values themselves.
    pub(crate) fn of(data_type: Option<&str>, values: &[Value]) -> BindType {
        match data_type.map(|t| t.trim_end_matches("[]")) {
            Some("integer") => BindType::Int,
            Some("float") => BindType::Float,
            Some("boolean") => BindType::Bool,
            Some(_) => BindType::Text,
            None if values.iter().all(|v| v.is_i64()) => BindType::Int,
            None if values.iter().all(Value::is_number) => BindType::Float,
            None if values.iter().all(Value::is_boolean) => BindType::Bool,
            None => BindType::Text,
        }
    }

    /// `value` converted to this type; `None` when it cannot be (it then matches nothing).
    pub(crate) fn convert(self, value: &Value) -> Option<Value> {
        match self {
            BindType::Int => as_int(value).map(Value::from),
            BindType::Float => as_float(value).map(Value::from),
            BindType::Bool => as_bool(value).map(Value::from),
            BindType::Text => as_text(value).map(Value::from),
        }
    }
}

pub(crate) fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn as_int(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

pub(crate) fn as_float(value: &Value) -> Option<f64> {
    value.as_f64().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

pub(crate) fn as_bool(value: &Value) -> Option<bool> {
    value.as_bool().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

/// The statements a read sends: all fields OR-joined in one statement when their values fit
/// in one, else one statement per field and chunk of [`MAX_VALUES_PER_STATEMENT`] values.
/// Fields without values are left out; no statements when none has any.
pub(crate) fn statements(inputs: &[FieldInput]) -> Vec<Vec<FieldInput>> {
    let inputs: Vec<&FieldInput> = inputs.iter().filter(|i| !i.values.is_empty()).collect();
    let total: usize = inputs.iter().map(|i| i.values.len()).sum();
    if total == 0 {
        return Vec::new();
    }
    if total <= MAX_VALUES_PER_STATEMENT {
        return vec![inputs.into_iter().cloned().collect()];
    }
    inputs
        .into_iter()
        .flat_map(|input| {
            input
                .values
                .chunks(MAX_VALUES_PER_STATEMENT)
                .map(|chunk| vec![FieldInput { field: input.field.clone(), values: chunk.to_vec() }])
        })
        .collect()
}

/// Runs `statements` one after another through `run` (which hands each statement's rows to
/// the sink it is given) and forwards rows to `sink`: when more than one statement runs, a
/// row already handed over by an earlier statement is dropped ([`Seen`]). Returns the number
/// of rows handed over.
pub(crate) fn read_statements(
    statements: Vec<Vec<FieldInput>>,
    sink: &mut RowSink<'_>,
    mut run: impl FnMut(&[FieldInput], &mut RowSink<'_>) -> Result<(), ConnectorError>,
) -> Result<usize, ConnectorError> {
    let mut seen = (statements.len() > 1).then(Seen::default);
    let mut count = 0;
    for statement in statements {
        run(&statement, &mut |rows: Vec<Value>| {
            let rows: Vec<Value> = match &mut seen {
                Some(seen) => rows.into_iter().filter(|row| seen.first_time(row)).collect(),
                None => rows,
            };
            count += rows.len();
            if rows.is_empty() { Ok(()) } else { sink(rows) }
        })?;
        if let Some(seen) = &mut seen {
            seen.end_statement();
        }
    }
    Ok(count)
}

/// Hands rows built as JSON text by the database to `sink` as they arrive, in batches of at
/// most [`ROW_BATCH`] rows or [`ROW_BATCH_BYTES`] bytes.
pub(crate) fn stream_json_rows<E: std::fmt::Display>(
    rows: impl Iterator<Item = Result<JsonRow, E>>,
    sink: &mut RowSink<'_>,
) -> Result<(), ConnectorError> {
    let mut batch = Vec::new();
    let mut bytes = 0;
    for row in rows {
        let row = row.map_err(ConnectorError::from_driver)?;
        bytes += row.lethe_row.len();
        batch.push(serde_json::from_str(&row.lethe_row).map_err(|e| ConnectorError(format!("row is not JSON: {e}")))?);
        if batch.len() == ROW_BATCH || bytes >= ROW_BATCH_BYTES {
            sink(std::mem::take(&mut batch))?;
            bytes = 0;
        }
    }
    if batch.is_empty() { Ok(()) } else { sink(batch) }
}

/// A row the database built as JSON text (`row_to_json`, `json_object`), in column `lethe_row`.
#[derive(diesel::QueryableByName)]
pub(crate) struct JsonRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    lethe_row: String,
}

/// `UPDATE <table> SET … WHERE …` with identifiers quoted by `quote`, placeholders from
/// `placeholder(n)` (1-based), and the values to bind in order. Nulls in SET are written as
/// `NULL` (a typed NULL parameter would not fit every column type); the filter never holds nulls.
pub(crate) fn update_sql(
    table: &str,
    update: &RowUpdate,
    quote: fn(&str) -> String,
    placeholder: Placeholder<'_>,
) -> (String, Vec<Value>) {
    let mut binds = Vec::new();
    let set: Vec<String> = update
        .set
        .iter()
        .map(|(column, value)| format!("{} = {}", quote(column), bind_or_null(column, value, &mut binds, placeholder)))
        .collect();
    let filter: Vec<String> = update
        .filter
        .iter()
        .map(|(column, value)| format!("{} = {}", quote(column), bind_or_null(column, value, &mut binds, placeholder)))
        .collect();
    (format!("UPDATE {table} SET {} WHERE {}", set.join(", "), filter.join(" AND ")), binds)
}

/// Most values one batched UPDATE binds (SQLite allows 32,766, MySQL 65,535, PostgreSQL 65,535).
const MAX_UPDATE_BINDS: usize = 30_000;

/// How a run of rows of one shape becomes one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Batch {
    /// `UPDATE t SET c = CASE k WHEN … THEN … ELSE c END … WHERE k IN (…)` (MySQL, SQLite). A CASE
    /// is searched branch by branch for every row: fine for MySQL, whose CASE is cheap.
    Case,
    /// `UPDATE t AS lethe_t SET c = v.c0 … FROM (VALUES (k, v0, …), …) AS v(lethe_key, c0, …)
    /// WHERE lethe_t.k = v.lethe_key` (PostgreSQL): a hash join, where a thousand-branch CASE costs
    /// PostgreSQL ~35 ms per thousand rows against ~9 ms.
    Values,
}

/// The statements that apply `updates`: runs of rows that set the same columns and are found by
/// the same single column become one statement each in the `batch` form (one round trip for up
/// to thousands of rows instead of one per row); other rows get one UPDATE each
/// ([`update_sql`]). Values are bound in order; nulls are written literally, and a column set
/// to NULL on every row of a run is written `= NULL` (a run of untyped NULLs would be text).
pub(crate) fn update_statements(
    table: &str,
    updates: &[RowUpdate],
    quote: fn(&str) -> String,
    placeholder: Placeholder<'_>,
    batch_form: Batch,
) -> Vec<(String, Vec<Value>)> {
    let same_shape = |a: &RowUpdate, b: &RowUpdate| {
        a.filter.len() == 1
            && b.filter.len() == 1
            && a.filter[0].0 == b.filter[0].0
            && a.set.len() == b.set.len()
            && a.set.iter().zip(&b.set).all(|(x, y)| x.0 == y.0)
    };
    let mut statements = Vec::new();
    let mut rest = updates;
    while let Some(first) = rest.first() {
        if first.filter.len() != 1 || first.set.is_empty() {
            statements.push(update_sql(table, first, quote, placeholder));
            rest = &rest[1..];
            continue;
        }
        let per_row = match batch_form {
            Batch::Case => 2 * first.set.len() + 1,
            Batch::Values => first.set.len() + 1,
        };
        let most = (MAX_UPDATE_BINDS / per_row).max(1);
        let run = rest.iter().take(most).take_while(|u| same_shape(first, u)).count();
        let (batch, after) = rest.split_at(run);
        rest = after;
        if batch.len() == 1 {
            statements.push(update_sql(table, first, quote, placeholder));
            continue;
        }
        let all_null: Vec<bool> = (0..first.set.len()).map(|i| batch.iter().all(|u| u.set[i].1.is_null())).collect();
        statements.push(match batch_form {
            Batch::Case => case_update(table, batch, &all_null, quote, placeholder, per_row),
            Batch::Values => values_update(table, batch, &all_null, quote, placeholder, per_row),
        });
    }
    statements
}

/// The text standing for bind `n` (1-based) of `value` for `column`: `?`, `$n`, or `$n::uuid`
/// where PostgreSQL must be told a text value's type.
pub(crate) type Placeholder<'a> = &'a dyn Fn(usize, &str, &Value) -> String;

/// Binds `value` (a placeholder), or writes NULL.
fn bind_or_null(column: &str, value: &Value, binds: &mut Vec<Value>, placeholder: Placeholder<'_>) -> String {
    if value.is_null() {
        return "NULL".to_owned();
    }
    binds.push(value.clone());
    placeholder(binds.len(), column, value)
}

fn case_update(
    table: &str,
    batch: &[RowUpdate],
    all_null: &[bool],
    quote: fn(&str) -> String,
    placeholder: Placeholder<'_>,
    per_row: usize,
) -> (String, Vec<Value>) {
    let key = quote(&batch[0].filter[0].0);
    let mut binds: Vec<Value> = Vec::with_capacity(batch.len() * per_row);
    let mut set = Vec::with_capacity(all_null.len());
    for (i, (column, _)) in batch[0].set.iter().enumerate() {
        let column = quote(column);
        if all_null[i] {
            set.push(format!("{column} = NULL"));
            continue;
        }
        let mut case = format!("{column} = CASE {key}");
        for update in batch {
            let when = bind_or_null(&update.filter[0].0, &update.filter[0].1, &mut binds, placeholder);
            let then = bind_or_null(&update.set[i].0, &update.set[i].1, &mut binds, placeholder);
            case.push_str(&format!(" WHEN {when} THEN {then}"));
        }
        case.push_str(&format!(" ELSE {column} END"));
        set.push(case);
    }
    let keys: Vec<String> =
        batch.iter().map(|u| bind_or_null(&u.filter[0].0, &u.filter[0].1, &mut binds, placeholder)).collect();
    (format!("UPDATE {table} SET {} WHERE {key} IN ({})", set.join(", "), keys.join(", ")), binds)
}

fn values_update(
    table: &str,
    batch: &[RowUpdate],
    all_null: &[bool],
    quote: fn(&str) -> String,
    placeholder: Placeholder<'_>,
    per_row: usize,
) -> (String, Vec<Value>) {
    let key = quote(&batch[0].filter[0].0);
    let mut binds: Vec<Value> = Vec::with_capacity(batch.len() * per_row);
    // The joined columns are named by position, so no column name can clash with the alias.
    let set: Vec<String> = batch[0]
        .set
        .iter()
        .enumerate()
        .map(|(i, (column, _))| {
            let rhs = if all_null[i] { "NULL".to_owned() } else { format!("v.c{i}") };
            format!("{} = {rhs}", quote(column))
        })
        .collect();
    let rows: Vec<String> = batch
        .iter()
        .map(|update| {
            let mut row = vec![bind_or_null(&update.filter[0].0, &update.filter[0].1, &mut binds, placeholder)];
            for (i, (column, value)) in update.set.iter().enumerate() {
                if !all_null[i] {
                    row.push(bind_or_null(column, value, &mut binds, placeholder));
                }
            }
            format!("({})", row.join(", "))
        })
        .collect();
    let mut names = vec!["lethe_key".to_owned()];
    names.extend((0..all_null.len()).filter(|i| !all_null[*i]).map(|i| format!("c{i}")));
    (
        format!(
            "UPDATE {table} AS lethe_t SET {} FROM (VALUES {}) AS v({}) WHERE lethe_t.{key} = v.lethe_key",
            set.join(", "),
            rows.join(", "),
            names.join(", ")
        ),
        binds,
    )
}

/// `"name"` with embedded quotes doubled (PostgreSQL, SQLite).
pub(crate) fn quote_double(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `` `name` `` with embedded backticks doubled (MySQL, MariaDB).
pub(crate) fn quote_backtick(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn identifiers_are_quoted_per_dialect() {
        assert_eq!(quote_double("user"), "\"user\"");
        assert_eq!(quote_double("a\"; DROP TABLE x; --"), "\"a\"\"; DROP TABLE x; --\"");
        assert_eq!(quote_backtick("order"), "`order`");
        assert_eq!(quote_backtick("a`; DROP TABLE x; --"), "`a``; DROP TABLE x; --`");
    }

    #[test]
    fn bind_types_follow_the_data_type_then_the_values() {
        assert_eq!(BindType::of(Some("integer"), &[json!("1")]), BindType::Int);
        assert_eq!(BindType::of(Some("string"), &[json!(1)]), BindType::Text);
        assert_eq!(BindType::of(None, &[json!(1), json!(2)]), BindType::Int);
        assert_eq!(BindType::of(None, &[json!(1.5)]), BindType::Float);
        assert_eq!(BindType::of(None, &[json!("a"), json!(1)]), BindType::Text);
        assert_eq!(BindType::Int.convert(&json!(" 7")), Some(json!(7)));
        assert_eq!(BindType::Int.convert(&json!("x")), None);
    }

    #[test]
    fn updates_bind_every_value_and_write_nulls_literally() {
        let update = RowUpdate {
            set: vec![("name".into(), json!("x")), ("phone".into(), Value::Null)],
            filter: vec![("id".into(), json!(7)), ("tenant".into(), json!("a"))],
            row: None,
        };
        let (sql, binds) = update_sql("\"shop\".\"customer\"", &update, quote_double, &|n, _, _| format!("${n}"));
        assert_eq!(
            sql,
            "UPDATE \"shop\".\"customer\" SET \"name\" = $1, \"phone\" = NULL WHERE \"id\" = $2 AND \"tenant\" = $3"
        );
        assert_eq!(binds, vec![json!("x"), json!(7), json!("a")]);
        let (sql, _) = update_sql("`customer`", &update, quote_backtick, &|_, _, _| "?".to_owned());
        assert_eq!(sql, "UPDATE `customer` SET `name` = ?, `phone` = NULL WHERE `id` = ? AND `tenant` = ?");
    }

    #[test]
    fn rows_of_one_shape_are_updated_in_one_statement() {
        let row = |id: i64, name: Value| RowUpdate {
            set: vec![("name".into(), name), ("phone".into(), Value::Null)],
            filter: vec![("id".into(), json!(id))],
            row: None,
        };
        let composite = RowUpdate {
            set: vec![("name".into(), json!("z"))],
            filter: vec![("a".into(), json!(1)), ("b".into(), json!(2))],
            row: None,
        };
        let updates = [row(1, json!("x")), row(2, Value::Null), composite, row(3, json!("y"))];
        let statements = update_statements("\"t\"", &updates, quote_double, &|n, _, _| format!("${n}"), Batch::Case);
        assert_eq!(statements.len(), 3);
        assert_eq!(
            statements[0],
            (
                "UPDATE \"t\" SET \"name\" = CASE \"id\" WHEN $1 THEN $2 WHEN $3 THEN NULL ELSE \"name\" END, \"phone\" = NULL \
                 WHERE \"id\" IN ($4, $5)"
                    .to_owned(),
                vec![json!(1), json!("x"), json!(2), json!(1), json!(2)]
            )
        );
        assert_eq!(statements[1].0, "UPDATE \"t\" SET \"name\" = $1 WHERE \"a\" = $2 AND \"b\" = $3");
        assert_eq!(statements[2].0, "UPDATE \"t\" SET \"name\" = $1, \"phone\" = NULL WHERE \"id\" = $2");
        // Bounded binds: 30,000 / (2 × 2 + 1) = 6,000 rows a statement.
        let many: Vec<RowUpdate> = (0..13_000).map(|i| row(i, json!("m"))).collect();
        let sizes: Vec<usize> = update_statements("t", &many, quote_double, &|_, _, _| "?".to_owned(), Batch::Case)
            .iter()
            .map(|s| s.1.len())
            .collect();
        assert_eq!(sizes, vec![18_000, 18_000, 3_000]);

        // PostgreSQL's form: the same rows joined from a VALUES list, one bind per key and value.
        let statements = update_statements("\"t\"", &updates, quote_double, &|n, _, _| format!("${n}"), Batch::Values);
        assert_eq!(statements.len(), 3);
        assert_eq!(
            statements[0],
            (
                "UPDATE \"t\" AS lethe_t SET \"name\" = v.c0, \"phone\" = NULL FROM (VALUES ($1, $2), ($3, NULL)) \
                 AS v(lethe_key, c0) WHERE lethe_t.\"id\" = v.lethe_key"
                    .to_owned(),
                vec![json!(1), json!("x"), json!(2)]
            )
        );
        assert_eq!(statements[1].0, "UPDATE \"t\" SET \"name\" = $1 WHERE \"a\" = $2 AND \"b\" = $3");
        // 30,000 / (2 + 1) = 10,000 rows a statement.
        let sizes: Vec<usize> = update_statements("t", &many, quote_double, &|_, _, _| "?".to_owned(), Batch::Values)
            .iter()
            .map(|s| s.1.len())
            .collect();
        assert_eq!(sizes, vec![20_000, 6_000]);
    }

    #[test]
    fn inputs_drop_nulls_and_duplicates() {
        let input = FieldInput::new("id", vec![json!(1), json!(null), json!(1), json!(2)]);
        assert_eq!(input.values, vec![json!(1), json!(2)]);
    }

    #[test]
    fn statements_are_bounded_and_rows_of_several_are_handed_over_once() {
        let small = [FieldInput::new("email", [json!("a")]), FieldInput::new("id", [json!(1)])];
        assert_eq!(statements(&small).len(), 1);
        let many: Vec<Value> = (0..2_500).map(Value::from).collect();
        let large = [FieldInput::new("id", many), FieldInput::new("email", [json!("a")]), FieldInput::new("x", [])];
        let planned = statements(&large);
        assert_eq!(planned.iter().map(|s| s[0].values.len()).collect::<Vec<_>>(), vec![1_000, 1_000, 500, 1]);
        assert!(statements(&[FieldInput::new("id", [])]).is_empty());

        // Statement 1 finds rows a, b (b twice: two identical rows); statement 2 finds b again and c.
        let answers =
            [vec![json!({"r": "a"}), json!({"r": "b"}), json!({"r": "b"})], vec![json!({"r": "b"}), json!({"r": "c"})]];
        let mut got = Vec::new();
        let mut round = 0;
        let count = read_statements(
            vec![vec![], vec![]],
            &mut |rows| {
                got.extend(rows);
                Ok(())
            },
            |_, sink| {
                round += 1;
                sink(answers[round - 1].clone())
            },
        )
        .unwrap();
        assert_eq!(count, 4);
        assert_eq!(got, vec![json!({"r": "a"}), json!({"r": "b"}), json!({"r": "b"}), json!({"r": "c"})]);
    }
}
