//! Access packages: the filtered (and name-redacted) results of one access rule rendered as
//! JSON or as a zip of one CSV per collection, optionally encrypted with the requester's key
//! in Fides' layout, and written atomically under the storage directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

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

/// A rendered package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// File contents.
    pub bytes: Vec<u8>,
    /// File extension (`json` or `zip`).
    pub extension: &'static str,
}

/// Why a package could not be rendered (encryption or archive writing failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

fn failed(e: impl std::fmt::Display) -> RenderError {
    RenderError(e.to_string())
}

fn encrypt(key: Option<&[u8]>, plain: Vec<u8>) -> Result<Vec<u8>, RenderError> {
    match key {
        Some(key) => crypto::results::encrypt(key, &plain).map(String::into_bytes).map_err(failed),
        None => Ok(plain),
    }
}

fn csv_of(rows: &Value) -> Result<Vec<u8>, RenderError> {
    let rows: Vec<&Map<String, Value>> = rows.as_array().into_iter().flatten().filter_map(Value::as_object).collect();
    let mut columns: Vec<&str> = Vec::new();
    for row in &rows {
        for key in row.keys() {
            if !columns.contains(&key.as_str()) {
                columns.push(key);
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&columns).map_err(failed)?;
    for row in rows {
        let cells = columns.iter().map(|c| match row.get(*c) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        });
        writer.write_record(cells).map_err(failed)?;
    }
    writer.into_inner().map_err(failed)
}

/// Renders `package` (`"dataset:collection"` → rows). JSON is pretty-printed with two-space
/// indents, as Fides writes it; with a key the whole document becomes one base64 string. CSV
/// gives a zip with `<dataset:collection>.csv` per collection, each encrypted on its own.
pub fn render(
    package: &Map<String, Value>,
    format: ResponseFormat,
    key: Option<&[u8]>,
) -> Result<Rendered, RenderError> {
    match format {
        ResponseFormat::Json => {
            let plain = serde_json::to_vec_pretty(package).map_err(failed)?;
            Ok(Rendered { bytes: encrypt(key, plain)?, extension: "json" })
        }
        ResponseFormat::Csv => {
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .unix_permissions(0o600);
            for (name, rows) in package {
                zip.start_file(format!("{name}.csv"), options).map_err(failed)?;
                zip.write_all(&encrypt(key, csv_of(rows)?)?).map_err(failed)?;
            }
            let bytes = zip.finish().map_err(failed)?.into_inner();
            Ok(Rendered { bytes, extension: "zip" })
        }
    }
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
    std::fs::create_dir_all(dir)?;
    let staged = Staged { path: dir.join(name), temporary: dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4())) };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = (|| {
        let mut file = options.open(&staged.temporary)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    match written {
        Ok(()) => Ok(staged),
        Err(e) => {
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

    #[test]
    fn files_are_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_atomically(dir.path(), "p.json", b"{}").unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"{}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
