#![doc = include_str!("../README.md")]

pub mod subset;

use genpdf::elements::{Break, FramedElement, PaddedElement, Paragraph};
use genpdf::fonts::{FontData, FontFamily};
use genpdf::style::{Color, Style};
use genpdf::{Alignment, Element, Margins, SimplePageDecorator};

const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
const ITALIC: &[u8] = include_bytes!("../fonts/DejaVuSans-Oblique.ttf");
const BOLD_ITALIC: &[u8] = include_bytes!("../fonts/DejaVuSans-BoldOblique.ttf");

/// Why a document could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// A font could not be prepared.
    #[error(transparent)]
    Font(#[from] subset::SubsetError),
    /// genpdf failed.
    #[error("rendering the PDF failed: {0}")]
    Render(String),
}

/// A piece of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// A smaller heading (a question).
    Subheading(String),
    /// Body text; line breaks start new lines.
    Text(String),
    /// Secondary text (guidance, sources), small and grey.
    Note(String),
    /// `label: value` on one line, the label in bold.
    Field(String, String),
    /// Text in a frame (an answer, a quoted thread).
    Boxed(String),
    /// Vertical space.
    Space,
    /// Continue on a new page.
    PageBreak,
}

/// A document: a title page (title, subtitle, fields) and blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// Title (also the PDF's metadata title).
    pub title: String,
    /// Line under the title.
    pub subtitle: String,
    /// Facts on the title page.
    pub fields: Vec<(String, String)>,
    /// The body.
    pub blocks: Vec<Block>,
}

impl Document {
    fn all_text(&self) -> impl Iterator<Item = char> + '_ {
        let blocks = self.blocks.iter().flat_map(|b| {
            let (a, b): (&str, &str) = match b {
                Block::Heading(t) | Block::Subheading(t) | Block::Text(t) | Block::Note(t) | Block::Boxed(t) => (t, ""),
                Block::Field(l, v) => (l, v),
                Block::Space | Block::PageBreak => ("", ""),
            };
            a.chars().chain(b.chars())
        });
        let fields = self.fields.iter().flat_map(|(l, v)| l.chars().chain(v.chars()));
        // Page numbers are drawn by the decorator.
        self.title.chars().chain(self.subtitle.chars()).chain(fields).chain(blocks).chain("0123456789".chars())
    }
}

fn lines(text: &str, style: Style) -> Vec<Paragraph> {
    text.split('\n').map(|line| Paragraph::default().styled_string(line.trim_end(), style)).collect()
}

/// Renders `document` as PDF bytes. Fonts (DejaVu Sans, covering Latin, Greek and Cyrillic) are
/// embedded, each subset to the characters the document uses.
pub fn render(document: &Document) -> Result<Vec<u8>, PdfError> {
    let chars: Vec<char> = document.all_text().collect();
    let font = |data: &[u8]| -> Result<FontData, PdfError> {
        let bytes = subset::subset(data, chars.iter().copied())?;
        FontData::new(bytes, None).map_err(|e| PdfError::Render(e.to_string()))
    };
    // The model never sets italics (notes are small grey type), so the italic faces are PDF
    // built-ins that are never drawn: printpdf then neither embeds them nor scans them (it
    // walks every code point of each embedded font to build its ToUnicode map).
    let unused = |data: &[u8], builtin| -> Result<FontData, PdfError> {
        FontData::new(data.to_vec(), Some(builtin)).map_err(|e| PdfError::Render(e.to_string()))
    };
    let family = FontFamily {
        regular: font(REGULAR)?,
        bold: font(BOLD)?,
        italic: unused(ITALIC, printpdf::BuiltinFont::HelveticaOblique)?,
        bold_italic: unused(BOLD_ITALIC, printpdf::BuiltinFont::HelveticaBoldOblique)?,
    };
    let mut doc = genpdf::Document::new(family);
    // No embedded ICC colour profile (~0.5 MB) or PDF/A metadata: a report, not an archive.
    doc.set_minimal_conformance();
    doc.set_title(document.title.clone());
    doc.set_font_size(10);
    doc.set_line_spacing(1.25);
    let mut decorator = SimplePageDecorator::new();
    decorator.set_margins(18);
    decorator.set_header(|page| {
        Paragraph::new(format!("{page}")).aligned(Alignment::Right).styled(Style::new().with_font_size(8))
    });
    doc.set_page_decorator(decorator);

    let grey = Style::new().with_color(Color::Rgb(90, 90, 90));
    doc.push(Break::new(6));
    doc.push(Paragraph::new(document.title.clone()).styled(Style::new().bold().with_font_size(20)));
    doc.push(Paragraph::new(document.subtitle.clone()).styled(Style::new().with_font_size(12)));
    doc.push(Break::new(2));
    for (label, value) in &document.fields {
        doc.push(
            Paragraph::default()
                .styled_string(format!("{label}: "), Style::new().bold())
                .styled_string(value.clone(), Style::new()),
        );
    }
    for block in &document.blocks {
        match block {
            Block::Heading(text) => {
                doc.push(Break::new(1));
                doc.push(Paragraph::new(text.clone()).styled(Style::new().bold().with_font_size(14)));
            }
            Block::Subheading(text) => {
                doc.push(Break::new(0.5));
                for line in lines(text, Style::new().bold()) {
                    doc.push(line);
                }
            }
            Block::Text(text) => lines(text, Style::new()).into_iter().for_each(|l| doc.push(l)),
            Block::Note(text) => {
                lines(text, grey).into_iter().for_each(|l| doc.push(l.styled(Style::new().with_font_size(8))))
            }
            Block::Field(label, value) => doc.push(
                Paragraph::default()
                    .styled_string(format!("{label}: "), Style::new().bold())
                    .styled_string(value.clone(), Style::new()),
            ),
            Block::Boxed(text) => {
                let mut column = genpdf::elements::LinearLayout::vertical();
                for line in lines(text, Style::new()) {
                    column.push(line);
                }
                doc.push(FramedElement::new(PaddedElement::new(column, Margins::trbl(2, 2, 2, 2))));
            }
            Block::Space => doc.push(Break::new(1)),
            Block::PageBreak => doc.push(genpdf::elements::PageBreak::new()),
        }
    }
    let mut out = Vec::new();
    doc.render(&mut out).map_err(|e| PdfError::Render(e.to_string()))?;
    Ok(out)
}
