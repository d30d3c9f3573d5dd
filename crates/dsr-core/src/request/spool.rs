//! Access results: what a request's access step found, one file per collection, written as the
//! rows arrive and read back as a stream by the traversal (the values later collections are
//! reached through), the packages and erasure. A request's files are held in memory while they
//! add up to at most [`MEMORY_BYTES`] (most requests never touch the disk); beyond that they are
//! on disk and memory holds one frame per open file.
//!
//! A file is a sequence of frames, each `len (u32 LE) ‖ seal(index (u64 LE) ‖ JSON lines)` under
//! the application key, at most [`FRAME_ROWS`] rows or [`FRAME_BYTES`] bytes of JSON each; the
//! index binds every frame to its place, and the row count kept in the [`Checkpoint`] shows a
//! truncated file. The checkpoint (sealed in the database) names the run's directory and its
//! files: it is what lets a retry or a take-over after a crash mask the rows the first access
//! found, from their original values, without holding them in memory or in one database value.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::vault::Vault;

/// Rows per frame.
pub(crate) const FRAME_ROWS: usize = 1_000;
/// JSON bytes after which a frame is closed early.
pub(crate) const FRAME_BYTES: usize = 1 << 20;
/// Directory under the storage directory holding every request's spools (beside, never inside,
/// the package directories downloads read from).
const SPOOL_DIR: &str = ".spool";
/// Prefix of a request's run directories.
const RUN_PREFIX: &str = "run-";

/// Where request `id`'s spool runs live.
pub(crate) fn request_dir(storage_dir: &Path, id: &str) -> PathBuf {
    storage_dir.join(SPOOL_DIR).join(id)
}

/// Why a spool could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("access results at {path}: {why}")]
pub(crate) struct SpoolError {
    path: String,
    why: String,
}

impl SpoolError {
    fn new(path: &Path, why: impl std::fmt::Display) -> SpoolError {
        SpoolError { path: path.display().to_string(), why: why.to_string() }
    }
}

/// One collection's results on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Spooled {
    /// File name in the run directory.
    pub(crate) file: String,
    /// Rows written.
    pub(crate) rows: u64,
}

/// What a retry resumes from: the run directory and each collection's file, by address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    pub(crate) run: String,
    pub(crate) collections: BTreeMap<String, Spooled>,
}

/// Results whose spool files hold at most this many bytes are stored in the checkpoint itself:
/// one database write, where naming the spool costs a disk flush per file first.
pub(crate) const INLINE_CHECKPOINT_BYTES: u64 = 256 * 1024;

/// A checkpoint as stored: one naming the spool, or (for small results, and as releases before
/// spooling wrote every checkpoint) the results themselves, respooled when a run resumes.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum StoredCheckpoint {
    Spooled(Checkpoint),
    Inline(BTreeMap<String, Vec<Value>>),
}

/// Sealed bytes of all a spool's files kept in memory together; past this a file goes to disk.
pub(crate) const MEMORY_BYTES: usize = 1 << 20;

/// A run's directory of result files. Small results never touch the disk: files are kept in
/// memory until the spool's files together pass [`MEMORY_BYTES`] (then the file being written
/// goes to disk, and the others follow if a checkpoint must name them), so the directory is
/// created only when a file first needs it.
pub(crate) struct Spool {
    dir: PathBuf,
    run: String,
    vault: Vault,
    /// Files held in memory (sealed frames, as on disk), by name.
    memory: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    /// Bytes held in memory by finished files and open writers.
    held: AtomicUsize,
}

impl Spool {
    /// A new, empty run directory for request `id`; directories of earlier runs of the request
    /// that no checkpoint names any more are removed.
    pub(crate) fn create(storage_dir: &Path, id: &str, vault: &Vault) -> Result<Spool, SpoolError> {
        let parent = request_dir(storage_dir, id);
        if let Ok(entries) = std::fs::read_dir(&parent) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(RUN_PREFIX) {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let run = format!("{RUN_PREFIX}{}", uuid::Uuid::now_v7().simple());
        let dir = parent.join(&run);
        Ok(Spool::at(dir, run, vault))
    }

    fn at(dir: PathBuf, run: String, vault: &Vault) -> Spool {
        Spool { dir, run, vault: vault.clone(), memory: Mutex::new(HashMap::new()), held: AtomicUsize::new(0) }
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Vec<u8>>>> {
        self.memory.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates file `file` (mode 0600) in the run directory, the directory first if needed.
    fn create_file(&self, file: &str) -> Result<(PathBuf, File), SpoolError> {
        create_private_dir(&self.dir).map_err(|e| SpoolError::new(&self.dir, e))?;
        let path = self.dir.join(file);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let out = options.open(&path).map_err(|e| SpoolError::new(&path, e))?;
        Ok((path, out))
    }

    /// Bytes of `spooled`'s file.
    fn size(&self, spooled: &Spooled) -> Result<u64, SpoolError> {
        if let Some(bytes) = self.memory().get(&spooled.file) {
            return Ok(bytes.len() as u64);
        }
        let path = self.dir.join(&spooled.file);
        Ok(std::fs::metadata(&path).map_err(|e| SpoolError::new(&path, e))?.len())
    }

    /// The run directory `checkpoint` names.
    pub(crate) fn open(storage_dir: &Path, id: &str, checkpoint: &Checkpoint, vault: &Vault) -> Spool {
        Spool::at(request_dir(storage_dir, id).join(&checkpoint.run), checkpoint.run.clone(), vault)
    }

    /// The checkpoint naming this run and `collections`.
    pub(crate) fn checkpoint(&self, collections: &BTreeMap<String, Spooled>) -> Checkpoint {
        Checkpoint { run: self.run.clone(), collections: collections.clone() }
    }

    /// Makes the files of `collections`, and the directories naming them, durable: called
    /// before a checkpoint names them (a run that keeps no checkpoint never waits on the disk).
    pub(crate) fn sync(&self, collections: &BTreeMap<String, Spooled>) -> Result<(), SpoolError> {
        for spooled in collections.values() {
            // A file held in memory is written out first.
            let held = self.memory().get(&spooled.file).cloned();
            if let Some(bytes) = held {
                let (path, mut file) = self.create_file(&spooled.file)?;
                file.write_all(&bytes).map_err(|e| SpoolError::new(&path, e))?;
                self.memory().remove(&spooled.file);
                self.held.fetch_sub(bytes.len(), Ordering::Relaxed);
            }
            let path = self.dir.join(&spooled.file);
            File::open(&path).and_then(|file| file.sync_all()).map_err(|e| SpoolError::new(&path, e))?;
        }
        // A new file's name is durable once its directory is (directories open only on Unix).
        #[cfg(unix)]
        for dir in self.dir.ancestors().take(4) {
            File::open(dir).and_then(|d| d.sync_all()).map_err(|e| SpoolError::new(dir, e))?;
        }
        Ok(())
    }

    /// The rows of `collections` by address, when their files hold at most `limit` bytes.
    pub(crate) fn inline(
        &self,
        collections: &BTreeMap<String, Spooled>,
        limit: u64,
    ) -> Result<Option<BTreeMap<String, Vec<Value>>>, SpoolError> {
        let mut total = 0;
        for spooled in collections.values() {
            total += self.size(spooled)?;
            if total > limit {
                return Ok(None);
            }
        }
        let mut results = BTreeMap::new();
        for (address, spooled) in collections {
            results.insert(address.clone(), self.rows(spooled)?.collect::<Result<Vec<Value>, SpoolError>>()?);
        }
        Ok(Some(results))
    }

    /// A writer of a new file `file` (in memory until the spool's budget is spent, then mode
    /// 0600 on disk).
    pub(crate) fn writer(&self, file: &str) -> Result<SpoolWriter<'_>, SpoolError> {
        if self.memory().contains_key(file) || self.dir.join(file).exists() {
            return Err(SpoolError::new(&self.dir.join(file), "the file exists already"));
        }
        Ok(SpoolWriter {
            spool: self,
            name: file.to_owned(),
            out: Out::Memory(Vec::new()),
            path: self.dir.join(file),
            vault: self.vault.clone(),
            frame: Vec::new(),
            frame_rows: 0,
            frames: 0,
            rows: 0,
        })
    }

    /// The rows of `spooled`, in the order they were written.
    pub(crate) fn rows(&self, spooled: &Spooled) -> Result<SpoolRows, SpoolError> {
        let path = self.dir.join(&spooled.file);
        let held = self.memory().get(&spooled.file).cloned();
        let input: Box<dyn Read + Send> = match held {
            Some(bytes) => Box::new(std::io::Cursor::new(Shared(bytes))),
            None => Box::new(BufReader::with_capacity(
                256 * 1024,
                File::open(&path).map_err(|e| SpoolError::new(&path, e))?,
            )),
        };
        Ok(SpoolRows {
            input,
            path,
            vault: self.vault.clone(),
            expected: spooled.rows,
            read: 0,
            frames: 0,
            frame: Vec::new(),
            at: 0,
            done: false,
        })
    }

    /// Every row of `spooled` handed to `each`; an `Err` of `each` stops the reading.
    pub(crate) fn for_each<E: From<SpoolError>>(
        &self,
        spooled: &Spooled,
        mut each: impl FnMut(Value) -> Result<(), E>,
    ) -> Result<(), E> {
        for row in self.rows(spooled)? {
            each(row?)?;
        }
        Ok(())
    }

    /// Every row of `spooled` as it was written (serde_json's compact text) handed to `each`; an
    /// `Err` of `each` stops the reading.
    pub(crate) fn for_each_text<E: From<SpoolError>>(
        &self,
        spooled: &Spooled,
        mut each: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut rows = self.rows(spooled)?;
        while let Some(text) = rows.next_text() {
            each(text?)?;
        }
        Ok(())
    }

    /// Removes the run directory, and the request's once empty (best effort: a leftover is
    /// removed by the next run).
    pub(crate) fn remove(&self) {
        self.memory().clear();
        self.held.store(0, Ordering::Relaxed);
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(parent) = self.dir.parent() {
            let _ = std::fs::remove_dir(parent);
        }
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Bytes shared with a reader.
struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Where a writer's frames go.
enum Out {
    /// Held in memory (counted in the spool's budget).
    Memory(Vec<u8>),
    /// On disk.
    File(BufWriter<File>),
}

/// Writes one collection's rows, frame by frame.
pub(crate) struct SpoolWriter<'a> {
    spool: &'a Spool,
    name: String,
    out: Out,
    path: PathBuf,
    vault: Vault,
    frame: Vec<u8>,
    frame_rows: usize,
    frames: u64,
    rows: u64,
}

impl SpoolWriter<'_> {
    /// Appends `row`.
    pub(crate) fn push(&mut self, row: &Value) -> Result<(), SpoolError> {
        if self.frame.is_empty() {
            self.frame.extend_from_slice(&self.frames.to_le_bytes());
        }
        serde_json::to_writer(&mut self.frame, row).map_err(|e| SpoolError::new(&self.path, e))?;
        self.frame.push(b'\n');
        self.frame_rows += 1;
        self.rows += 1;
        if self.frame_rows == FRAME_ROWS || self.frame.len() >= FRAME_BYTES {
            self.flush_frame()?;
        }
        Ok(())
    }

    fn flush_frame(&mut self) -> Result<(), SpoolError> {
        if self.frame_rows == 0 {
            return Ok(());
        }
        let sealed = self.vault.seal(&self.frame);
        let len = u32::try_from(sealed.len()).map_err(|_| SpoolError::new(&self.path, "frame too large"))?;
        let added = 4 + sealed.len();
        if let Out::Memory(held) = &mut self.out {
            let total = self.spool.held.fetch_add(added, Ordering::Relaxed) + added;
            if total > MEMORY_BYTES {
                // Past the budget: this file goes to disk with what it held.
                self.spool.held.fetch_sub(held.len() + added, Ordering::Relaxed);
                let (_, file) = self.spool.create_file(&self.name)?;
                let mut file = BufWriter::with_capacity(256 * 1024, file);
                file.write_all(held).map_err(|e| SpoolError::new(&self.path, e))?;
                self.out = Out::File(file);
            }
        }
        let written = match &mut self.out {
            Out::Memory(held) => {
                held.extend_from_slice(&len.to_le_bytes());
                held.extend_from_slice(&sealed);
                Ok(())
            }
            Out::File(out) => out.write_all(&len.to_le_bytes()).and_then(|()| out.write_all(&sealed)),
        };
        written.map_err(|e| SpoolError::new(&self.path, e))?;
        self.frame.clear();
        self.frame_rows = 0;
        self.frames += 1;
        Ok(())
    }

    /// Writes the last frame and says what the file holds (made durable by [`Spool::sync`]).
    pub(crate) fn finish(mut self) -> Result<Spooled, SpoolError> {
        self.flush_frame()?;
        match std::mem::replace(&mut self.out, Out::Memory(Vec::new())) {
            Out::Memory(held) => {
                // Still counted: the file stays in memory.
                self.spool.memory().insert(self.name.clone(), Arc::new(held));
            }
            Out::File(out) => {
                out.into_inner().map_err(|e| SpoolError::new(&self.path, e.error()))?;
            }
        }
        Ok(Spooled { file: self.name.clone(), rows: self.rows })
    }
}

impl Drop for SpoolWriter<'_> {
    fn drop(&mut self) {
        // An unfinished writer's bytes leave the budget with it.
        if let Out::Memory(held) = &self.out {
            self.spool.held.fetch_sub(held.len(), Ordering::Relaxed);
        }
    }
}

/// The rows of one file, frame by frame.
pub(crate) struct SpoolRows {
    input: Box<dyn Read + Send>,
    path: PathBuf,
    vault: Vault,
    expected: u64,
    read: u64,
    frames: u64,
    /// The open frame's JSON lines, and where the next line starts.
    frame: Vec<u8>,
    at: usize,
    done: bool,
}

impl SpoolRows {
    fn fail<T>(&mut self, why: impl std::fmt::Display) -> Option<Result<T, SpoolError>> {
        self.done = true;
        Some(Err(SpoolError::new(&self.path, why)))
    }

    /// The next row as it was written: serde_json's compact text of it.
    pub(crate) fn next_text(&mut self) -> Option<Result<&[u8], SpoolError>> {
        if self.done {
            return None;
        }
        while self.at >= self.frame.len() {
            match self.next_frame() {
                Ok(true) => {}
                Ok(false) if self.read == self.expected => {
                    self.done = true;
                    return None;
                }
                Ok(false) => return self.fail(format!("holds {} rows, {} were written", self.read, self.expected)),
                Err(why) => return self.fail(why),
            }
        }
        let start = self.at;
        let end = self.frame[start..].iter().position(|b| *b == b'\n').map_or(self.frame.len(), |i| start + i);
        self.at = end + 1;
        self.read += 1;
        Some(Ok(&self.frame[start..end]))
    }

    /// Opens the next frame; `Ok(false)` at the end of the file.
    fn next_frame(&mut self) -> Result<bool, String> {
        let mut len = [0u8; 4];
        match self.input.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(e.to_string()),
        }
        let mut sealed = vec![0u8; u32::from_le_bytes(len) as usize];
        self.input.read_exact(&mut sealed).map_err(|e| format!("frame {} is cut short ({e})", self.frames))?;
        let plain = self.vault.open(&sealed).map_err(|_| format!("frame {} cannot be decrypted", self.frames))?;
        let (index, lines) = plain.split_at_checked(8).ok_or_else(|| format!("frame {} is empty", self.frames))?;
        if index != self.frames.to_le_bytes() {
            return Err(format!("frame {} is out of place", self.frames));
        }
        self.frame.clear();
        self.frame.extend_from_slice(lines);
        self.at = 0;
        self.frames += 1;
        Ok(true)
    }
}

impl Iterator for SpoolRows {
    type Item = Result<Value, SpoolError>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = match self.next_text()? {
            Ok(text) => serde_json::from_slice(text),
            Err(e) => return Some(Err(e)),
        };
        match row {
            Ok(row) => Some(Ok(row)),
            Err(e) => {
                let read = self.read;
                self.fail(format!("row {read} is not JSON ({e})"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn vault() -> Vault {
        static KEY: std::sync::OnceLock<crypto::AppKey> = std::sync::OnceLock::new();
        Vault::new(KEY.get_or_init(crypto::AppKey::generate).clone())
    }

    #[test]
    fn rows_come_back_in_order_across_frames() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::create(dir.path(), "pri_1", &vault()).unwrap();
        let mut writer = spool.writer("0").unwrap();
        let rows: Vec<Value> = (0..2_345).map(|i| json!({"id": i, "text": "line\nbreak"})).collect();
        rows.iter().for_each(|row| writer.push(row).unwrap());
        let spooled = writer.finish().unwrap();
        assert_eq!(spooled.rows, 2_345);
        let back: Vec<Value> = spool.rows(&spooled).unwrap().map(Result::unwrap).collect();
        assert_eq!(back, rows);
        // Held in memory until a checkpoint must name it; then on disk, and read back from there.
        assert!(!spool.dir.exists());
        spool.sync(&BTreeMap::from([("shop:x".to_owned(), spooled.clone())])).unwrap();
        assert!(spool.memory().is_empty());
        let back: Vec<Value> = spool.rows(&spooled).unwrap().map(Result::unwrap).collect();
        assert_eq!(back, rows);
        // Nothing is in the clear on disk.
        let bytes = std::fs::read(dir.path().join(".spool").join("pri_1").join(&spool.run).join("0")).unwrap();
        assert!(!bytes.windows(5).any(|w| w == b"break"));
        // A new run removes the old one.
        let next = Spool::create(dir.path(), "pri_1", &vault()).unwrap();
        assert!(!spool.dir.exists());
        assert!(!next.dir.exists(), "created when a file first needs it");
        next.remove();
        assert!(!dir.path().join(".spool").join("pri_1").exists());
    }

    #[test]
    fn truncated_reordered_or_foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::create(dir.path(), "pri_1", &vault()).unwrap();
        let mut writer = spool.writer("0").unwrap();
        (0..2_500).for_each(|i| writer.push(&json!(i)).unwrap());
        let spooled = writer.finish().unwrap();
        spool.sync(&BTreeMap::from([("shop:x".to_owned(), spooled.clone())])).unwrap();
        let path = spool.dir.join("0");
        let whole = std::fs::read(&path).unwrap();
        let first = 4 + u32::from_le_bytes(whole[..4].try_into().unwrap()) as usize;
        let second = first + 4 + u32::from_le_bytes(whole[first..first + 4].try_into().unwrap()) as usize;

        let error = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            spool.rows(&spooled).unwrap().find_map(Result::err).map(|e| e.to_string())
        };
        // The last frame dropped: fewer rows than written.
        assert!(error(&whole[..second]).unwrap().contains("holds 2000 rows, 2500 were written"));
        // Cut inside a frame.
        assert!(error(&whole[..second + 10]).unwrap().contains("cut short"));
        // Frames swapped.
        let swapped = [&whole[first..second], &whole[..first], &whole[second..]].concat();
        assert!(error(&swapped).unwrap().contains("frame 0 is out of place"));
        // Sealed under another key.
        std::fs::write(&path, &whole).unwrap();
        let other = Spool::open(
            dir.path(),
            "pri_1",
            &spool.checkpoint(&BTreeMap::new()),
            &Vault::new(crypto::AppKey::generate()),
        );
        assert!(other.rows(&spooled).unwrap().next().unwrap().unwrap_err().to_string().contains("cannot be decrypted"));
    }

    #[test]
    fn small_results_stay_in_memory_and_large_ones_go_to_disk() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::create(dir.path(), "pri_1", &vault()).unwrap();
        let mut small = spool.writer("0").unwrap();
        (0..100).for_each(|i| small.push(&json!({"id": i})).unwrap());
        let small = small.finish().unwrap();
        assert!(!dir.path().join(".spool").exists(), "no directory for a small result");
        // Rows whose sealed frames pass the budget: this file goes to disk, the small one stays.
        let text = "x".repeat(1_000);
        let mut large = spool.writer("1").unwrap();
        let rows: Vec<Value> = (0..3_000).map(|i| json!({"id": i, "text": text})).collect();
        rows.iter().for_each(|row| large.push(row).unwrap());
        let large = large.finish().unwrap();
        assert!(spool.dir.join("1").exists());
        assert!(!spool.dir.join("0").exists());
        assert_eq!(spool.rows(&large).unwrap().map(Result::unwrap).collect::<Vec<_>>(), rows);
        assert_eq!(spool.rows(&small).unwrap().count(), 100);
        assert!(spool.writer("0").is_err(), "a name is written once");
        // A writer dropped unfinished gives its share of the budget back.
        let before = spool.held.load(Ordering::Relaxed);
        let mut dropped = spool.writer("2").unwrap();
        (0..1_500).for_each(|i| dropped.push(&json!(i)).unwrap());
        drop(dropped);
        assert_eq!(spool.held.load(Ordering::Relaxed), before);
        spool.remove();
        assert!(!dir.path().join(".spool").join("pri_1").exists());
        assert!(spool.memory().is_empty());
    }

    #[test]
    fn old_inline_checkpoints_still_open() {
        let inline: StoredCheckpoint = serde_json::from_value(json!({"shop:customer": [{"id": 1}]})).unwrap();
        assert!(matches!(inline, StoredCheckpoint::Inline(ref m) if m["shop:customer"] == vec![json!({"id": 1})]));
        let spooled: StoredCheckpoint = serde_json::from_value(
            json!({"run": ".results-x", "collections": {"shop:customer": {"file": "0", "rows": 1}}}),
        )
        .unwrap();
        assert!(matches!(spooled, StoredCheckpoint::Spooled(_)));
    }
}
