//! The PDF report of an assessment: a title page, then each group with its questions and
//! answers. `external` is the clean Q&A for outside readers; `internal` adds each answer's
//! source and status, the evidence it cites and its earlier versions.

use std::collections::HashMap;

use db::Database;
use pdf_export::{Block, Document};

use super::repo::{self, AnswerRow, AssessmentRow, EvidenceRow, VersionRow};
use super::view;
use crate::error::{AssessmentError, Result};
use crate::kinds::{AnswerSource, AnswerStatus};
use crate::risk::Criterion;
use crate::template::{GroupDef, TemplateDef};

db::text_enum! {
    /// Who the report is for.
    #[derive(Default)]
    pub enum ExportMode {
        /// With sources, evidence and answer versions.
        #[default]
        Internal => "internal",
        /// Questions and answers only.
        External => "external",
    }
}

/// A rendered report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfReport {
    /// A file name for `Content-Disposition`.
    pub filename: String,
    /// The PDF.
    pub bytes: Vec<u8>,
}

fn source_label(source: AnswerSource) -> &'static str {
    match source {
        AnswerSource::System => "system inventory",
        AnswerSource::AiAnalysis => "AI draft",
        AnswerSource::UserInput => "manual input",
        AnswerSource::TeamInput => "team (Slack)",
    }
}

/// What the internal report adds per question: evidence and earlier versions.
#[derive(Default)]
struct Provenance {
    evidence: HashMap<String, Vec<EvidenceRow>>,
    versions: HashMap<String, Vec<VersionRow>>,
}

/// Renders reports.
#[derive(Clone)]
pub(crate) struct Reports {
    db: Database,
}

/// The title page's fields.
fn title_fields(
    row: &AssessmentRow,
    template: &TemplateDef,
    mode: ExportMode,
    today: &str,
) -> Result<Vec<(String, String)>> {
    let criteria: Vec<Criterion> = db::stored_json(&row.risk_criteria, "assessment risk criteria")?;
    let risk = match row.risk_level {
        Some(level) => {
            format!("{level} ({})", criteria.iter().map(|c| c.title.as_str()).collect::<Vec<_>>().join("; "))
        }
        None => "no high-risk criteria met".to_owned(),
    };
    let mut fields = vec![
        ("System".to_owned(), format!("{} ({})", row.system_name, row.system_id)),
        ("Template".to_owned(), template.name.to_owned()),
        ("Status".to_owned(), row.status.as_str().replace('_', " ")),
        ("Risk".to_owned(), risk),
        ("Completeness".to_owned(), format!("{:.0}%", row.completeness)),
        ("Date".to_owned(), today.to_owned()),
    ];
    if mode == ExportMode::Internal {
        fields.push(("Assessment".to_owned(), row.id.to_string()));
        if let Some(at) = row.last_evaluated_at {
            fields.push(("Last evaluated".to_owned(), db::to_rfc3339(at)));
        }
    }
    Ok(fields)
}

/// The blocks of group number `n`: each question with its answer (and, internally, its source,
/// status, evidence and earlier versions).
fn group_blocks(
    n: usize,
    group: &GroupDef,
    answers: &HashMap<String, AnswerRow>,
    provenance: Option<&Provenance>,
    blocks: &mut Vec<Block>,
) {
    blocks.push(Block::Heading(format!("{}. {}", n + 1, group.title)));
    for (m, question) in group.questions.iter().enumerate() {
        blocks.push(Block::Subheading(format!("{}.{} {}", n + 1, m + 1, question.text)));
        let answer = answers.get(question.id).filter(|a| !a.answer.is_empty());
        blocks.push(Block::Boxed(answer.map_or_else(|| "No answer yet.".to_owned(), |a| a.answer.clone())));
        let Some(provenance) = provenance else { continue };
        let status = answer.map_or(AnswerStatus::NeedsInput, |a| a.status).as_str().replace('_', " ");
        let source = answer.map_or("none", |a| source_label(a.source));
        blocks.push(Block::Note(format!("{} · source: {source} · status: {status}", question.id)));
        for e in provenance.evidence.get(question.id).into_iter().flatten() {
            blocks.push(Block::Note(format!("Evidence [{}] {}: {}", e.kind, e.label, e.value)));
        }
        let history = provenance.versions.get(question.id).map(Vec::as_slice).unwrap_or_default();
        for v in history.iter().skip(1) {
            let text: String = v.answer.chars().take(200).collect();
            blocks.push(Block::Note(format!(
                "Earlier version {} by {} ({}) at {}: {}",
                v.version_number,
                v.created_by,
                source_label(v.source),
                db::to_rfc3339(v.created_at),
                if text.is_empty() { "(cleared)".to_owned() } else { text }
            )));
        }
    }
}

impl Reports {
    pub(crate) fn new(db: Database) -> Reports {
        Reports { db }
    }

    /// Renders the report of assessment `id`.
    pub(crate) fn pdf(&self, id: &str, mode: ExportMode) -> Result<PdfReport> {
        let mut conn = self.db.conn()?;
        let row = view::assessment(&mut conn, id)?;
        let template = view::template_of(&row)?;
        let answers: HashMap<String, AnswerRow> =
            repo::answers_of(&mut conn, id)?.into_iter().map(|a| (a.question_id.clone(), a)).collect();
        let provenance = match mode {
            ExportMode::External => None,
            ExportMode::Internal => {
                let mut provenance = Provenance::default();
                for e in repo::evidence_of(&mut conn, id)? {
                    provenance.evidence.entry(e.question_id.clone()).or_default().push(e);
                }
                for v in repo::versions_of_assessment(&mut conn, id)? {
                    provenance.versions.entry(v.question_id.clone()).or_default().push(v);
                }
                Some(provenance)
            }
        };
        let today = db::utc(db::now()).format("%Y-%m-%d").to_string();
        let mut blocks = Vec::new();
        for (n, group) in template.groups.iter().enumerate() {
            group_blocks(n, group, &answers, provenance.as_ref(), &mut blocks);
        }
        let bytes = pdf_export::render(&Document {
            title: format!("{}: {}", template.name, row.system_name),
            subtitle: match mode {
                ExportMode::Internal => "Internal report with sources, evidence and answer history".to_owned(),
                ExportMode::External => "Privacy assessment".to_owned(),
            },
            fields: title_fields(&row, template, mode, &today)?,
            blocks,
        })
        .map_err(|e| AssessmentError::Db(db::DbError::Corrupt(e.to_string())))?;
        Ok(PdfReport { filename: format!("{}-{}-{today}-{mode}.pdf", row.template_id, row.system_id), bytes })
    }
}
