//! Per-document font subsetting that keeps glyph ids: outlines of glyphs the document does not
//! use are emptied, hinting and layout tables are dropped, and `post` loses its glyph names.
//! `cmap`, metrics and ids stay as they are, so genpdf (rusttype) lays text out and printpdf
//! writes its ToUnicode map exactly as with the whole font, while the embedded font shrinks
//! from ~110 KB to a few KB.

use std::collections::BTreeSet;

/// Why a font could not be subset.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("font cannot be subset: {0}")]
pub struct SubsetError(pub String);

fn err(message: &str) -> SubsetError {
    SubsetError(message.to_owned())
}

fn u16_at(data: &[u8], at: usize) -> Result<u16, SubsetError> {
    data.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or_else(|| err("truncated"))
}

fn u32_at(data: &[u8], at: usize) -> Result<u32, SubsetError> {
    data.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok_or_else(|| err("truncated"))
}

/// The tables kept; everything else (hinting, kerning, layout, and `name` with its long
/// license text, which the PDF font dictionary does not use) goes.
const KEEP: &[&[u8; 4]] = &[b"OS/2", b"cmap", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp", b"post"];

struct Table<'a> {
    tag: [u8; 4],
    data: &'a [u8],
}

fn tables(font: &[u8]) -> Result<Vec<Table<'_>>, SubsetError> {
    let count = usize::from(u16_at(font, 4)?);
    (0..count)
        .map(|i| {
            let record = 12 + 16 * i;
            let tag: [u8; 4] =
                font.get(record..record + 4).and_then(|t| t.try_into().ok()).ok_or_else(|| err("table record"))?;
            let offset = u32_at(font, record + 8)? as usize;
            let length = u32_at(font, record + 12)? as usize;
            let data = font.get(offset..offset + length).ok_or_else(|| err("table outside the file"))?;
            Ok(Table { tag, data })
        })
        .collect()
}

/// Glyph ids used by `text` (plus `.notdef`), with the components of composite glyphs.
fn used_glyphs(font: &[u8], text: impl Iterator<Item = char>) -> Result<BTreeSet<u16>, SubsetError> {
    let face = ttf_parser::Face::parse(font, 0).map_err(|e| SubsetError(e.to_string()))?;
    let mut used: BTreeSet<u16> = BTreeSet::from([0]);
    for c in text.chain([' ']) {
        if let Some(id) = face.glyph_index(c) {
            used.insert(id.0);
        }
    }
    Ok(used)
}

fn glyph_range(loca: &[u8], long: bool, id: usize) -> Result<(usize, usize), SubsetError> {
    if long {
        Ok((u32_at(loca, id * 4)? as usize, u32_at(loca, id * 4 + 4)? as usize))
    } else {
        Ok((usize::from(u16_at(loca, id * 2)?) * 2, usize::from(u16_at(loca, id * 2 + 2)?) * 2))
    }
}

/// Adds the components of composite glyphs (accented letters are often composites).
fn close_over_components(glyf: &[u8], loca: &[u8], long: bool, used: &mut BTreeSet<u16>) -> Result<(), SubsetError> {
    let mut pending: Vec<u16> = used.iter().copied().collect();
    while let Some(id) = pending.pop() {
        let (start, end) = glyph_range(loca, long, usize::from(id))?;
        if end <= start + 10 || (u16_at(glyf, start)? as i16) >= 0 {
            continue; // empty or simple
        }
        let mut at = start + 10;
        loop {
            let flags = u16_at(glyf, at)?;
            let component = u16_at(glyf, at + 2)?;
            if used.insert(component) {
                pending.push(component);
            }
            at += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
            at += if flags & 0x0008 != 0 {
                2
            } else if flags & 0x0040 != 0 {
                4
            } else if flags & 0x0080 != 0 {
                8
            } else {
                0
            };
            if flags & 0x0020 == 0 {
                break;
            }
        }
    }
    Ok(())
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// The font with only the glyphs `text` needs.
pub fn subset(font: &[u8], text: impl Iterator<Item = char>) -> Result<Vec<u8>, SubsetError> {
    let tables = tables(font)?;
    let find =
        |tag: &[u8; 4]| tables.iter().find(|t| &t.tag == tag).map(|t| t.data).ok_or_else(|| err("missing table"));
    let (head, maxp, loca, glyf) = (find(b"head")?, find(b"maxp")?, find(b"loca")?, find(b"glyf")?);
    let long = u16_at(head, 50)? == 1;
    let glyphs = usize::from(u16_at(maxp, 4)?);
    let mut used = used_glyphs(font, text)?;
    close_over_components(glyf, loca, long, &mut used)?;

    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity((glyphs + 1) * 4);
    for id in 0..glyphs {
        new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).map_err(|_| err("glyf too large"))?.to_be_bytes());
        if used.contains(&u16::try_from(id).map_err(|_| err("glyph id"))?) {
            let (start, end) = glyph_range(loca, long, id)?;
            new_glyf.extend_from_slice(glyf.get(start..end).ok_or_else(|| err("glyph outside glyf"))?);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).map_err(|_| err("glyf too large"))?.to_be_bytes());
    let mut new_head = head.to_vec();
    new_head[8..12].copy_from_slice(&[0; 4]); // checksumAdjustment, recomputed below
    new_head[50..52].copy_from_slice(&1u16.to_be_bytes()); // long loca offsets
    // post version 3: no glyph names.
    let mut new_post = find(b"post")?.get(..32).ok_or_else(|| err("post"))?.to_vec();
    new_post[0..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());

    let mut kept: Vec<([u8; 4], Vec<u8>)> = Vec::new();
    for table in tables.iter().filter(|t| KEEP.contains(&&t.tag)) {
        let data = match &table.tag {
            b"glyf" => new_glyf.clone(),
            b"loca" => new_loca.clone(),
            b"head" => new_head.clone(),
            b"post" => new_post.clone(),
            _ => table.data.to_vec(),
        };
        kept.push((table.tag, data));
    }
    kept.sort_by_key(|(tag, _)| *tag);

    let count = u16::try_from(kept.len()).map_err(|_| err("tables"))?;
    let mut out = Vec::new();
    out.extend_from_slice(&u32_at(font, 0)?.to_be_bytes());
    let entry_selector = 15 - count.leading_zeros() as u16;
    let search_range = (1u16 << entry_selector) * 16;
    for value in [count, search_range, entry_selector, count * 16 - search_range] {
        out.extend_from_slice(&value.to_be_bytes());
    }
    let mut offset = 12 + 16 * kept.len();
    for (tag, data) in &kept {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&u32::try_from(offset).map_err(|_| err("offset"))?.to_be_bytes());
        out.extend_from_slice(&u32::try_from(data.len()).map_err(|_| err("length"))?.to_be_bytes());
        offset += data.len().div_ceil(4) * 4;
    }
    let mut head_at = 0;
    for (tag, data) in &kept {
        if tag == b"head" {
            head_at = out.len();
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out[head_at + 8..head_at + 12].copy_from_slice(&adjustment.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

    fn outline_len(font: &[u8], c: char) -> usize {
        let face = ttf_parser::Face::parse(font, 0).unwrap_or_else(|e| panic!("{e}"));
        let id = face.glyph_index(c).unwrap_or_else(|| panic!("{c} mapped"));
        struct Count(usize);
        impl ttf_parser::OutlineBuilder for Count {
            fn move_to(&mut self, _: f32, _: f32) {
                self.0 += 1;
            }
            fn line_to(&mut self, _: f32, _: f32) {
                self.0 += 1;
            }
            fn quad_to(&mut self, _: f32, _: f32, _: f32, _: f32) {
                self.0 += 1;
            }
            fn curve_to(&mut self, _: f32, _: f32, _: f32, _: f32, _: f32, _: f32) {
                self.0 += 1;
            }
            fn close(&mut self) {}
        }
        let mut count = Count(0);
        face.outline_glyph(id, &mut count);
        count.0
    }

    #[test]
    fn used_glyphs_keep_their_outlines_and_others_are_emptied() {
        let small = subset(REGULAR, "Zażółć Ωμέγα Привет".chars()).unwrap_or_else(|e| panic!("{e}"));
        assert!(small.len() < REGULAR.len() / 3, "{} bytes", small.len());
        for c in "ZażółćΩμέγαПривет".chars() {
            assert!(outline_len(&small, c) > 0, "{c} kept");
            assert_eq!(outline_len(&small, c), outline_len(REGULAR, c), "{c} unchanged");
        }
        assert_eq!(outline_len(&small, 'Q'), 0, "unused glyphs are empty");
        let face = ttf_parser::Face::parse(&small, 0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            face.glyph_index('Q'),
            ttf_parser::Face::parse(REGULAR, 0).ok().and_then(|f| f.glyph_index('Q')),
            "ids kept"
        );
    }
}
