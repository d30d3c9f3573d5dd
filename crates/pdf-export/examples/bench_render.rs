//! `just bench-pdf`: renders a 40-question assessment report (answers in Latin, Polish, Greek
//! and Cyrillic, internal-mode notes) many times and prints the p50/p99 render time and the
//! size. Prints figures; asserts nothing.

use std::time::Instant;

use pdf_export::{Block, Document, render};

fn report() -> Document {
    let mut blocks = Vec::new();
    for group in 1..=8 {
        blocks.push(Block::Heading(format!("{group}. Systematic description of the processing")));
        for q in 1..=5 {
            blocks.push(Block::Subheading(format!(
                "{group}.{q} Which categories of personal data are processed, and why is each needed?"
            )));
            blocks.push(Block::Boxed(format!(
                "Personal data processed:\n- Orders: User Contact Email (user.contact.email), Name (user.name)\n\
                 - Newsletter: User Contact Email (user.contact.email)\nZażółć gęślą jaźń; Ελληνικά; Русский ({group}.{q})."
            )));
            blocks.push(Block::Note("dpia_1_2 · source: system inventory · status: complete".into()));
            blocks.push(Block::Note(
                "Evidence [privacy_declaration] Data categories (Orders): user.contact.email, user.name".into(),
            ));
        }
    }
    Document {
        title: "GDPR Data Protection Impact Assessment: Web shop".into(),
        subtitle: "Internal report with sources, evidence and answer history".into(),
        fields: vec![("System".into(), "Web shop (web_shop)".into()), ("Status".into(), "in progress".into())],
        blocks,
    }
}

fn main() -> Result<(), pdf_export::PdfError> {
    let doc = report();
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..50 {
        let started = Instant::now();
        size = render(&doc)?.len();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "PDF export, 40 questions: p50 {:.1} ms, p99 {:.1} ms over {} renders; {:.1} KB",
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        times.len(),
        size as f64 / 1024.0
    );
    Ok(())
}
