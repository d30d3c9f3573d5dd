//! The RoPA CSV: the spec's exact header, RFC 4180 quoting, lists joined in one cell, and cells a
//! spreadsheet would execute neutralised.

use crate::model::RopaRow;

/// The header row, exactly as the spec gives it.
pub const CSV_HEADER: [&str; 13] = [
    "product_name",
    "space_slug",
    "environment",
    "sensitivity",
    "lawful_basis",
    "retention_period",
    "data_subject_categories",
    "processing_purpose_name",
    "privacy_notice_name",
    "data_categories",
    "recipients",
    "owner_name",
    "has_compliance_gap",
];

/// Most rows an export holds.
pub const MAX_EXPORT_ROWS: usize = 10_000;

/// Prefixes a cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR)
/// with an apostrophe, as OWASP recommends for CSV injection.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// Writes the header row as CSV bytes.
pub fn header() -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(CSV_HEADER);
    writer.into_inner().unwrap_or_default()
}

/// Writes rows as CSV bytes (no header).
pub fn rows(rows: &[RopaRow]) -> Vec<u8> {
    let mut writer =
        csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::with_capacity(rows.len() * 200));
    for row in rows {
        let cells = [
            row.product_name.clone(),
            text(&row.space_slug).to_owned(),
            text(&row.environment).to_owned(),
            text(&row.sensitivity).to_owned(),
            text(&row.lawful_basis).to_owned(),
            text(&row.retention_period).to_owned(),
            row.data_subject_categories.join("; "),
            text(&row.processing_purpose_name).to_owned(),
            text(&row.privacy_notice_name).to_owned(),
            row.data_categories.join("; "),
            row.recipients.join("; "),
            text(&row.owner_name).to_owned(),
            row.has_compliance_gap.to_string(),
        ];
        let _ = writer.write_record(cells.iter().map(|c| neutralise(c).into_owned()));
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> RopaRow {
        RopaRow {
            product_id: "p".into(),
            product_name: name.into(),
            product_type: None,
            product_kind: None,
            product_source_id: None,
            path: None,
            environment: Some("production".into()),
            space_slug: Some("s".into()),
            space_name: Some("S".into()),
            lawful_basis: None,
            retention_period: Some("36 months".into()),
            data_subject_categories: vec!["Customers".into(), "Prospects".into()],
            processing_purpose_id: None,
            processing_purpose_name: None,
            privacy_notice_id: None,
            privacy_notice_name: None,
            sensitivity: Some("PII".into()),
            data_categories: vec![],
            recipients: vec!["A, Inc.".into()],
            owner_id: None,
            owner_name: Some("Alex \"AK\" Kim".into()),
            has_compliance_gap: true,
        }
    }

    #[test]
    fn header_is_the_spec_header() {
        assert_eq!(
            String::from_utf8(header()).unwrap(),
            "product_name,space_slug,environment,sensitivity,lawful_basis,retention_period,data_subject_categories,\
             processing_purpose_name,privacy_notice_name,data_categories,recipients,owner_name,has_compliance_gap\r\n"
        );
    }

    #[test]
    fn cells_are_quoted_per_rfc_4180_and_lists_share_a_cell() {
        let out = String::from_utf8(rows(&[row("Events, raw\nv2")])).unwrap();
        assert_eq!(
            out,
            "\"Events, raw\nv2\",s,production,PII,,36 months,Customers; Prospects,,,,\"A, Inc.\",\"Alex \"\"AK\"\" Kim\",true\r\n"
        );
    }

    #[test]
    fn formula_cells_are_neutralised() {
        for dangerous in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            let out = String::from_utf8(rows(&[row(dangerous)])).unwrap();
            let reader = csv::ReaderBuilder::new().has_headers(false).from_reader(out.as_bytes());
            let first = reader.into_records().next().unwrap().unwrap();
            assert!(first[0].starts_with('\''), "{dangerous:?} became {:?}", &first[0]);
        }
        assert_eq!(neutralise("plain"), "plain");
    }
}
