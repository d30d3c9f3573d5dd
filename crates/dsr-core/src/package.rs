//! Access packages: the filtered (and name-redacted) results of one access rule rendered as
//! JSON or as a zip of one CSV per collection, optionally encrypted with the requester's key
//! in Fides' layout, and written atomically under the storage directory.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::raw::{self, RawFields};

db::text_enum! {
    /// Output format of access packages.
    #[derive(Default)]
    pub enum ResponseFormat {
        /// One JSON document.
        #[default]
        Json => "json",
        /// A zip of one CSV per collection.
        Csv => "csv",
    }
}

/// Why a package could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// Encryption, archiving or the file system failed.
    #[error("{0}")]
    Failed(String),
    /// The package grew past the size limit while `collection` was written.
    #[error(
        "the access package exceeds the limit of {limit} bytes (LETHE__EXECUTION__MAX_PACKAGE_BYTES): {reached} bytes \
         were reached while writing {collection}"
    )]
    TooLarge {
        /// The entry being written.
        collection: String,
        /// Bytes written when the limit was hit.
        reached: u64,
        /// The limit.
        limit: u64,
    },
}

impl From<std::io::Error> for RenderError {
    fn from(e: std::io::Error) -> RenderError {
        RenderError::Failed(e.to_string())
    }
}

fn failed(e: impl std::fmt::Display) -> RenderError {
    RenderError::Failed(e.to_string())
}

/// One row a [`RowSource`] hands over.
#[derive(Debug, Clone, PartialEq)]
pub enum Row<'a> {
    /// A parsed row.
    Value(Value),
    /// A row exactly as serde_json's compact writer wrote it (a spool line): JSON packages
    /// reindent it without parsing it.
    Compact(&'a [u8]),
}

/// Where the rows of a [`RowSource`] go; an `Err` stops the source.
pub type RowSink<'a> = dyn FnMut(Row<'_>) -> Result<(), RenderError> + 'a;

/// A collection's rows, handed over in order; CSV reads them twice (columns, then cells).
pub trait RowSource {
    /// Hands every row to `each`; an `Err` from `each` stops and is returned.
    fn rows(&self, each: &mut RowSink<'_>) -> Result<(), RenderError>;
}

impl RowSource for [Value] {
    fn rows(&self, each: &mut RowSink<'_>) -> Result<(), RenderError> {
        self.iter().try_for_each(|row| each(Row::Value(row.clone())))
    }
}

/// One key of a package.
#[derive(Clone, Copy)]
pub enum Entry<'a> {
    /// Rows streamed from their source (a JSON array; one CSV member).
    Rows(&'a dyn RowSource),
    /// A value held in memory (manual data: an array of rows or any JSON).
    Value(&'a Value),
}

/// Counts what is written, and refuses to write past `limit` (once, then swallows the rest). Seeks (the zip writer goes back to
/// fill in headers) move the position; the size is the furthest position reached.
struct Counted<W> {
    inner: W,
    position: u64,
    size: u64,
    limit: Option<u64>,
    exceeded: bool,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.exceeded {
            // Past the limit the file is discarded: what writers still write on unwinding (the
            // zip writer finishes itself when dropped) goes nowhere.
            return Ok(data.len());
        }
        let end = self.position + data.len() as u64;
        if let Some(limit) = self.limit
            && end > limit
        {
            self.exceeded = true;
            self.size = self.size.max(end);
            return Err(std::io::Error::other("the package size limit was reached"));
        }
        let written = self.inner.write(data)?;
        self.position += written as u64;
        self.size = self.size.max(self.position);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Seek> Seek for Counted<W> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.position = self.inner.seek(to)?;
        Ok(self.position)
    }
}

/// Writes what `write` writes to `out`, encrypted with `key` in Fides' layout when there is one.
fn sealed<W: Write>(
    key: Option<&[u8]>,
    out: W,
    write: impl FnOnce(&mut dyn Write) -> Result<(), RenderError>,
) -> Result<W, RenderError> {
    match key {
        Some(key) => {
            let mut encryptor = crypto::results::Encryptor::new(key, out).map_err(failed)?;
            write(&mut encryptor)?;
            encryptor.finish().map_err(failed)
        }
        None => {
            let mut out = out;
            write(&mut out)?;
            Ok(out)
        }
    }
}

/// Pretty JSON of `value` with every line after the first indented by `indent` more spaces
/// (JSON strings escape their newlines, so every raw newline is layout).
fn write_pretty(out: &mut dyn Write, value: &Value, indent: &[u8], buffer: &mut Vec<u8>) -> std::io::Result<()> {
    buffer.clear();
    serde_json::to_writer_pretty(&mut *buffer, value).map_err(std::io::Error::other)?;
    for (i, line) in buffer.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
            out.write_all(indent)?;
        }
        out.write_all(line)?;
    }
    Ok(())
}

/// What [`write_pretty`] writes for the value whose compact serde_json text is `compact`,
/// without parsing it: the same bytes, reindented (a newline and indent after `{`, `[` and `,`,
/// a space after `:`, empty objects and arrays kept as `{}` and `[]`; string contents copied).
fn write_pretty_compact(
    out: &mut dyn Write,
    compact: &[u8],
    indent: &[u8],
    buffer: &mut Vec<u8>,
) -> std::io::Result<()> {
    fn newline(buffer: &mut Vec<u8>, indent: &[u8], depth: usize) {
        buffer.push(b'\n');
        buffer.extend_from_slice(indent);
        buffer.extend(std::iter::repeat_n(b' ', 2 * depth));
    }
    buffer.clear();
    let mut depth = 0usize;
    let mut at = 0;
    while at < compact.len() {
        let byte = compact[at];
        at += 1;
        match byte {
            b'"' => {
                // Up to the closing quote: the first quote not escaped.
                let start = at - 1;
                let mut escaped = false;
                while at < compact.len() {
                    let b = compact[at];
                    at += 1;
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        break;
                    }
                }
                buffer.extend_from_slice(&compact[start..at]);
            }
            b'{' | b'[' if matches!(compact.get(at), Some(b'}' | b']')) => {
                buffer.extend_from_slice(&compact[at - 1..=at]);
                at += 1;
            }
            b'{' | b'[' => {
                buffer.push(byte);
                depth += 1;
                newline(buffer, indent, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(buffer, indent, depth);
                buffer.push(byte);
            }
            b',' => {
                buffer.push(b',');
                newline(buffer, indent, depth);
            }
            b':' => buffer.extend_from_slice(b": "),
            other => buffer.push(other),
        }
    }
    out.write_all(buffer)
}

/// The package as serde_json's pretty printer writes the whole map, entry by entry.
fn write_json(out: &mut dyn Write, entries: &[(String, Entry<'_>)], current: &mut String) -> Result<(), RenderError> {
    if entries.is_empty() {
        return out.write_all(b"{}").map_err(failed);
    }
    let mut buffer = Vec::new();
    out.write_all(b"{\n").map_err(failed)?;
    for (i, (key, entry)) in entries.iter().enumerate() {
        key.clone_into(current);
        out.write_all(b"  ").map_err(failed)?;
        serde_json::to_writer(&mut *out, key).map_err(failed)?;
        out.write_all(b": ").map_err(failed)?;
        match entry {
            Entry::Value(value) => write_pretty(out, value, b"  ", &mut buffer).map_err(failed)?,
            Entry::Rows(source) => {
                let mut first = true;
                source.rows(&mut |row| {
                    out.write_all(if first { b"[\n    " } else { b",\n    " }).map_err(failed)?;
                    first = false;
                    match row {
                        Row::Value(row) => write_pretty(out, &row, b"    ", &mut buffer),
                        Row::Compact(text) => write_pretty_compact(out, text, b"    ", &mut buffer),
                    }
                    .map_err(failed)
                })?;
                out.write_all(if first { b"[]" } else { b"\n  ]" }).map_err(failed)?;
            }
        }
        out.write_all(if i + 1 < entries.len() { b",\n" } else { b"\n" }).map_err(failed)?;
    }
    out.write_all(b"}").map_err(failed)
}

/// One row of a CSV member: a parsed object, or the fields of a compact row's text.
enum CsvRow<'a> {
    Parsed(&'a Map<String, Value>),
    Raw(&'a RawFields<'a>),
}

impl CsvRow<'_> {
    fn keys(&self, each: &mut dyn FnMut(&str)) {
        match self {
            CsvRow::Parsed(row) => row.keys().for_each(|k| each(k)),
            CsvRow::Raw(fields) => fields.0.iter().for_each(|(k, _)| each(k)),
        }
    }

    /// Null and missing keys empty, strings as they are, other values as JSON.
    fn cell(&self, column: &str) -> Cow<'_, str> {
        match self {
            CsvRow::Parsed(row) => match row.get(column) {
                None | Some(Value::Null) => Cow::Borrowed(""),
                Some(Value::String(s)) => Cow::Borrowed(s),
                Some(other) => Cow::Owned(other.to_string()),
            },
            CsvRow::Raw(fields) => fields.get(column).map_or(Cow::Borrowed(""), raw::cell),
        }
    }
}

/// Where the objects of an entry go.
type ObjectSink<'a> = dyn FnMut(&CsvRow<'_>) -> Result<(), RenderError> + 'a;

/// The objects of an entry, in order (compact rows read without being parsed where they can).
fn each_object(entry: &Entry<'_>, each: &mut ObjectSink<'_>) -> Result<(), RenderError> {
    match entry {
        Entry::Rows(source) => source.rows(&mut |row| match row {
            Row::Value(Value::Object(row)) => each(&CsvRow::Parsed(&row)),
            Row::Value(_) => Ok(()),
            Row::Compact(text) => match RawFields::of(text) {
                Some(fields) => each(&CsvRow::Raw(&fields)),
                None => match serde_json::from_slice(text).map_err(failed)? {
                    Value::Object(row) => each(&CsvRow::Parsed(&row)),
                    _ => Ok(()),
                },
            },
        }),
        Entry::Value(Value::Array(rows)) => {
            rows.iter().filter_map(Value::as_object).try_for_each(|row| each(&CsvRow::Parsed(row)))
        }
        Entry::Value(_) => Ok(()),
    }
}

/// A collection as CSV: a header of every key in order of first appearance, then one record per
/// row (nulls and missing keys empty, strings as they are, other values as JSON).
fn write_csv(out: &mut dyn Write, entry: &Entry<'_>) -> Result<(), RenderError> {
    let mut columns: Vec<String> = Vec::new();
    let mut known: HashSet<String> = HashSet::new();
    each_object(entry, &mut |row| {
        row.keys(&mut |key| {
            if !known.contains(key) {
                known.insert(key.to_owned());
                columns.push(key.to_owned());
            }
        });
        Ok(())
    })?;
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&columns).map_err(failed)?;
    each_object(entry, &mut |row| {
        for column in &columns {
            writer.write_field(row.cell(column).as_bytes()).map_err(failed)?;
        }
        writer.write_record(None::<&[u8]>).map_err(failed)
    })?;
    writer.flush().map_err(failed)
}

/// The file extension of a package in `format`.
pub fn extension(format: ResponseFormat) -> &'static str {
    match format {
        ResponseFormat::Json => "json",
        ResponseFormat::Csv => "zip",
    }
}

/// A buffered writer that can also seek (flushing first), for the zip writer.
struct BufSeek<W: Write + Seek>(BufWriter<W>);

impl<W: Write + Seek> Write for BufSeek<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.write(data)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl<W: Write + Seek> Seek for BufSeek<W> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.0.seek(to)
    }
}

/// Writes the package made of `entries` (keys unique, in order) to `out`, rows streamed from
/// their sources, and returns the bytes written. JSON is pretty-printed with two-space indents,
/// as Fides writes it; with a key the whole document becomes one base64 string. CSV gives a zip
/// with `<key>.csv` per entry, each encrypted on its own. Past `limit` bytes the writing stops
/// with [`RenderError::TooLarge`] naming the entry being written.
pub fn write<W: Write + Seek>(
    out: W,
    entries: &[(String, Entry<'_>)],
    format: ResponseFormat,
    key: Option<&[u8]>,
    limit: Option<u64>,
) -> Result<u64, RenderError> {
    let mut out = Counted { inner: out, position: 0, size: 0, limit, exceeded: false };
    let mut current = String::new();
    let outcome = match format {
        ResponseFormat::Json => {
            let mut buffered = BufWriter::with_capacity(64 * 1024, &mut out);
            sealed(key, &mut buffered, |w| write_json(w, entries, &mut current)).and_then(|w| w.flush().map_err(failed))
        }
        ResponseFormat::Csv => (|| {
            let mut zip = zip::ZipWriter::new(BufSeek(BufWriter::with_capacity(64 * 1024, &mut out)));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .unix_permissions(0o600)
                .large_file(true);
            for (name, entry) in entries {
                name.clone_into(&mut current);
                zip.start_file(format!("{name}.csv"), options).map_err(failed)?;
                sealed(key, &mut zip, |w| write_csv(w, entry))?;
            }
            let BufSeek(mut buffered) = zip.finish().map_err(failed)?;
            buffered.flush().map_err(failed)
        })(),
    };
    match outcome {
        Err(_) if out.exceeded => {
            Err(RenderError::TooLarge { collection: current, reached: out.size, limit: limit.unwrap_or_default() })
        }
        Err(e) => Err(e),
        Ok(()) => Ok(out.size),
    }
}

/// A rendered package, in memory (small packages and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// File contents.
    pub bytes: Vec<u8>,
    /// File extension (`json` or `zip`).
    pub extension: &'static str,
}

/// Renders `package` (`"dataset:collection"` → rows) in memory: what [`write()`] writes.
pub fn render(
    package: &Map<String, Value>,
    format: ResponseFormat,
    key: Option<&[u8]>,
) -> Result<Rendered, RenderError> {
    let entries: Vec<(String, Entry<'_>)> = package.iter().map(|(k, v)| (k.clone(), Entry::Value(v))).collect();
    let mut bytes = std::io::Cursor::new(Vec::new());
    write(&mut bytes, &entries, format, key, None)?;
    Ok(Rendered { bytes: bytes.into_inner(), extension: extension(format) })
}

/// Writes `bytes` to `dir/name` so that readers see the whole file or none of it.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    stage(dir, name, bytes)?.commit()
}

/// A package written under a temporary name, not yet visible under its own.
#[derive(Debug)]
pub struct Staged {
    temporary: PathBuf,
    path: PathBuf,
}

/// Writes `bytes` (mode 0600, synced) under a temporary name in `dir`, to be published as
/// `name` by [`Staged::commit`] or removed by [`Staged::discard`].
pub fn stage(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<Staged> {
    stage_with(dir, name, |file| file.write_all(bytes)).map(|(staged, ())| staged)
}

/// Like [`stage`], with the contents written by `write` (the file is synced after it); a failed
/// `write` leaves nothing behind.
pub fn stage_with<T, E: From<std::io::Error>>(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut std::fs::File) -> Result<T, E>,
) -> Result<(Staged, T), E> {
    std::fs::create_dir_all(dir)?;
    let staged = Staged { path: dir.join(name), temporary: dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4())) };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&staged.temporary)?;
    let written = write(&mut file).and_then(|value| {
        file.sync_all()?;
        Ok(value)
    });
    match written {
        Ok(value) => Ok((staged, value)),
        Err(e) => {
            drop(file);
            staged.discard();
            Err(e)
        }
    }
}

impl Staged {
    /// Publishes the package under its name (an atomic rename).
    pub fn commit(self) -> std::io::Result<PathBuf> {
        match std::fs::rename(&self.temporary, &self.path) {
            Ok(()) => Ok(self.path),
            Err(e) => {
                self.discard();
                Err(e)
            }
        }
    }

    /// Removes the staged bytes.
    pub fn discard(self) {
        let _ = std::fs::remove_file(&self.temporary);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use serde_json::json;

    use super::*;

    fn package() -> Map<String, Value> {
        json!({
            "shop:customer": [{"id": 1, "email": "a@x.io", "tags": ["x"]}, {"id": 2, "name": "B, \"quoted\""}],
            "shop:orders": [],
        })
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn json_is_pretty_and_encrypts_whole() {
        let plain = render(&package(), ResponseFormat::Json, None).unwrap();
        assert!(String::from_utf8(plain.bytes.clone()).unwrap().contains("\n  \"shop:customer\": [\n"));
        let sealed = render(&package(), ResponseFormat::Json, Some(b"test--encryption")).unwrap();
        let text = String::from_utf8(sealed.bytes).unwrap();
        assert_eq!(crypto::results::decrypt(b"test--encryption", &text).unwrap(), plain.bytes);
    }

    #[test]
    fn csv_zip_has_one_member_per_collection() {
        let rendered = render(&package(), ResponseFormat::Csv, None).unwrap();
        assert_eq!(rendered.extension, "zip");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(rendered.bytes)).unwrap();
        assert_eq!(archive.len(), 2);
        let mut text = String::new();
        archive.by_name("shop:customer.csv").unwrap().read_to_string(&mut text).unwrap();
        assert_eq!(text, "id,email,tags,name\n1,a@x.io,\"[\"\"x\"\"]\",\n2,,,\"B, \"\"quoted\"\"\"\n");
    }

    /// Rows handed over one by one, as a spool hands them.
    struct Streamed(Vec<Value>);

    impl RowSource for Streamed {
        fn rows(&self, each: &mut RowSink<'_>) -> Result<(), RenderError> {
            self.0.iter().cloned().try_for_each(|row| each(Row::Value(row)))
        }
    }

    /// Rows handed over as compact text, as a spool hands rows nobody filters.
    struct Compact(Vec<Vec<u8>>);

    impl RowSource for Compact {
        fn rows(&self, each: &mut RowSink<'_>) -> Result<(), RenderError> {
            self.0.iter().try_for_each(|text| each(Row::Compact(text)))
        }
    }

    #[test]
    fn compact_rows_are_reindented_exactly_as_serde_json_pretty_prints_them() {
        // serde_json's own pretty printer is the oracle.
        let values = [
            json!({}),
            json!([]),
            json!(null),
            json!(-1.5e300),
            json!("a \"quoted\" {brace}, [bracket]: colon \\ backslash \\\" \n\t\u{1f} é 😀"),
            json!({"id": 1, "tags": ["a", {"b": null}], "e": {}, "l": [], "n": [[], [{}], [1, [2, []]]]}),
            json!({"\"k{,}\"": {"x:": "y,", "": ""}, "deep": {"a": {"b": {"c": [true, false]}}}}),
            json!([{"a": [1, 2]}, [], {}, "s"]),
        ];
        for value in values {
            let compact = serde_json::to_vec(&value).unwrap();
            let mut expected = Vec::new();
            write_pretty(&mut expected, &value, b"    ", &mut Vec::new()).unwrap();
            let mut got = Vec::new();
            write_pretty_compact(&mut got, &compact, b"    ", &mut Vec::new()).unwrap();
            assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(expected).unwrap(), "{value}");
        }
    }

    #[test]
    fn compact_rows_make_the_same_package_as_parsed_ones() {
        let rows = vec![
            json!({"id": 1, "note": "x,\"y\"", "tags": ["a", {"b": []}]}),
            json!({"id": 2, "name": "B", "n": null, "f": 2.5}),
            json!({}),
            json!({"escaped \"key\"": "v", "id": 3}),
        ];
        let parsed = Streamed(rows.clone());
        let compact = Compact(rows.iter().map(|r| serde_json::to_vec(r).unwrap()).collect());
        for format in [ResponseFormat::Json, ResponseFormat::Csv] {
            let render = |source: &dyn RowSource| {
                let entries = [("shop:customer".to_owned(), Entry::Rows(source))];
                let mut out = std::io::Cursor::new(Vec::new());
                write(&mut out, &entries, format, None, None).unwrap();
                out.into_inner()
            };
            let (a, b) = (render(&parsed), render(&compact));
            match format {
                ResponseFormat::Json => assert_eq!(String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap()),
                ResponseFormat::Csv => {
                    let member = |bytes: Vec<u8>| {
                        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
                        let mut text = String::new();
                        archive.by_name("shop:customer.csv").unwrap().read_to_string(&mut text).unwrap();
                        text
                    };
                    assert_eq!(member(a), member(b));
                }
            }
        }
    }

    #[test]
    fn streamed_json_is_byte_for_byte_what_serde_json_prints_for_the_whole_map() {
        let nested =
            json!({"id": 1, "tags": ["a", {"b": null}], "note": "line\nbreak \"q\"", "deep": {"x": {}, "y": []}});
        let manual = json!([{"system_name": "files", "text": "x"}]);
        let cases: Vec<Vec<(&str, Vec<Value>)>> = vec![
            vec![],
            vec![("shop:empty", vec![])],
            vec![
                ("shop:customer", vec![nested.clone(), json!({"id": 2})]),
                ("shop:orders", vec![]),
                ("shop:one", vec![json!(7)]),
            ],
        ];
        for case in cases {
            let streamed: Vec<(String, Streamed)> =
                case.iter().map(|(k, rows)| ((*k).to_owned(), Streamed(rows.clone()))).collect();
            let mut entries: Vec<(String, Entry<'_>)> =
                streamed.iter().map(|(k, rows)| (k.clone(), Entry::Rows(rows as &dyn RowSource))).collect();
            entries.push(("manual_upload".to_owned(), Entry::Value(&manual)));
            let mut whole = Map::new();
            for (key, rows) in &case {
                whole.insert((*key).to_owned(), Value::Array(rows.clone()));
            }
            whole.insert("manual_upload".to_owned(), manual.clone());
            let mut out = std::io::Cursor::new(Vec::new());
            let size = write(&mut out, &entries, ResponseFormat::Json, None, None).unwrap();
            let expected = serde_json::to_vec_pretty(&whole).unwrap();
            assert_eq!(String::from_utf8(out.into_inner()).unwrap(), String::from_utf8(expected.clone()).unwrap());
            assert_eq!(size, expected.len() as u64);
        }
        let mut out = std::io::Cursor::new(Vec::new());
        write(&mut out, &[], ResponseFormat::Json, None, None).unwrap();
        assert_eq!(out.into_inner(), b"{}");
    }

    #[test]
    fn encrypted_streams_open_with_the_requesters_key() {
        let rows: Vec<Value> = (0..5_000).map(|i| json!({"id": i, "email": format!("u{i}@x.io")})).collect();
        let source = Streamed(rows.clone());
        let entries = [("shop:customer".to_owned(), Entry::Rows(&source as &dyn RowSource))];
        let mut out = std::io::Cursor::new(Vec::new());
        write(&mut out, &entries, ResponseFormat::Json, Some(b"test--encryption"), None).unwrap();
        let plain = crypto::results::decrypt(b"test--encryption", std::str::from_utf8(out.get_ref()).unwrap()).unwrap();
        let mut whole = Map::new();
        whole.insert("shop:customer".to_owned(), Value::Array(rows));
        assert_eq!(plain, serde_json::to_vec_pretty(&whole).unwrap());
    }

    #[test]
    fn the_size_limit_stops_the_writing_and_names_the_collection() {
        let rows: Vec<Value> = (0..1_000).map(|i| json!({"id": i})).collect();
        let source = Streamed(rows);
        let small = json!([]);
        let entries = [
            ("shop:a".to_owned(), Entry::Value(&small)),
            ("shop:big".to_owned(), Entry::Rows(&source as &dyn RowSource)),
        ];
        for format in [ResponseFormat::Json, ResponseFormat::Csv] {
            let mut out = std::io::Cursor::new(Vec::new());
            let error = write(&mut out, &entries, format, None, Some(2_000)).unwrap_err();
            let RenderError::TooLarge { collection, reached, limit } = error.clone() else { panic!("{error:?}") };
            assert_eq!((collection.as_str(), limit), ("shop:big", 2_000), "{format:?}");
            assert!(reached > 2_000, "{reached}");
            assert!(out.get_ref().len() <= 2_000);
            assert!(error.to_string().contains("LETHE__EXECUTION__MAX_PACKAGE_BYTES"), "{error}");
            let mut out = std::io::Cursor::new(Vec::new());
            assert!(write(&mut out, &entries, format, None, Some(1_000_000)).is_ok());
        }
    }

    #[test]
    fn a_failed_stage_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let outcome = stage_with(dir.path(), "p.json", |file| -> Result<(), RenderError> {
            file.write_all(b"half")?;
            Err(RenderError::Failed("stopped".into()))
        });
        assert!(outcome.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn files_are_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_atomically(dir.path(), "p.json", b"{}").unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"{}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
