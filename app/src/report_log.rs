//! Every report of the experiment on show, without holding a long run in memory.
//!
//! The newest reports stay in memory (the step-through, the predictions and the diverged-runs
//! panel read recent updates); older ones leave in chunks of [`CHUNK`] reports as JSON text for
//! IndexedDB (see `storage`), so a 10,000-update run keeps the page's memory flat. Exports read
//! the chunks back one at a time ([`ReportLog::parts`]). Where IndexedDB refuses a write, that
//! chunk and every later report stay in memory instead, and the page says so once.
//!
//! A chunk's JSON is held as `J` until it is stored: the page uses a JS string, so that the text
//! leaves the wasm memory (which never shrinks) at once, however long IndexedDB takes.
//!
//! This is bookkeeping only; the session does the writes and tells the log how they went.

use std::collections::BTreeSet;
use creditlab::StepReport;

/// Reports kept in memory at least (the newest).
pub const TAIL: usize = 512;
/// Reports per stored chunk. Its JSON is written on the main thread as the chunk leaves: 256
/// reports of the default page (~1.5 MB) took ~40 ms there, the page's longest task while
/// training (a CPU profile: `report_log::items` in 40 of 44 samples of a 68 ms task); 64 take a
/// quarter of that, at four IndexedDB writes where there was one.
pub const CHUNK: usize = 64;

/// Where a chunk of [`CHUNK`] reports is (`J`: its JSON text).
#[derive(Debug, Clone, PartialEq)]
enum Chunk<J> {
    /// Its JSON, until IndexedDB confirms the write.
    Writing(J),
    /// In IndexedDB under its key.
    Stored,
    /// In memory for good (IndexedDB refused it).
    Kept(J),
}

/// A chunk for the session to write to IndexedDB, then report with [`ReportLog::written`].
#[derive(Debug, Clone)]
pub struct Spill<J> {
    /// The chunk's IndexedDB key.
    pub key: String,
    /// Its reports as JSON, the array's items without the brackets.
    pub json: J,
}

/// One part of the log in update order, for building an export a part at a time. Each holds
/// reports as JSON, the array's items without the brackets.
#[derive(Debug, Clone, PartialEq)]
pub enum Part<J> {
    /// A chunk's JSON held in memory.
    Chunk(J),
    /// The reports still in memory as structs, written out for this export.
    Tail(String),
    /// A chunk to read back from IndexedDB under this key.
    Stored(String),
}

/// The reports of one experiment (generation), in update order from update 1.
#[derive(Debug, Clone)]
pub struct ReportLog<J> {
    /// Keys of this log's chunks start with it (unique per experiment and page).
    prefix: String,
    /// Updates `CHUNK·i + 1 ..= CHUNK·(i + 1)` are chunk `i`.
    chunks: Vec<Chunk<J>>,
    /// The reports after the chunks.
    tail: Vec<StepReport>,
    /// The game figures' names seen (the CSV's columns).
    figures: BTreeSet<String>,
    /// No more spilling: IndexedDB refused a write (or is not used).
    in_memory: bool,
}

impl<J> Default for ReportLog<J> {
    fn default() -> Self {
        Self { prefix: String::new(), chunks: Vec::new(), tail: Vec::new(), figures: BTreeSet::new(), in_memory: false }
    }
}

/// The items of a JSON array of `reports`, without the brackets.
fn items(reports: &[StepReport]) -> String {
    let mut json = serde_json::to_string(reports).unwrap_or_else(|_| "[]".into());
    json.pop();
    json.remove(0);
    json
}

impl<J: Clone> ReportLog<J> {
    /// An empty log whose chunks' keys start with `prefix`; with `spill` false everything stays
    /// in memory.
    pub fn new(prefix: String, spill: bool) -> Self {
        Self { prefix, in_memory: !spill, ..Self::default() }
    }

    /// The prefix of this log's chunk keys.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The IndexedDB key of chunk `index` of the log with `prefix` (they sort in update order).
    pub fn key(prefix: &str, index: usize) -> String {
        format!("{prefix}/{index:08}")
    }

    /// How many reports (the last update's number).
    pub fn len(&self) -> usize {
        self.chunks.len() * CHUNK + self.tail.len()
    }

    /// Whether there is no report yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The newest report.
    pub fn last(&self) -> Option<&StepReport> {
        self.tail.last()
    }

    /// The report of `update` (1-based) while it is in memory (the newest [`TAIL`] at least).
    pub fn get(&self, update: u32) -> Option<&StepReport> {
        let first = self.chunks.len() * CHUNK + 1;
        self.tail.get((update as usize).checked_sub(first)?)
    }

    /// Whether reports are kept in memory only (IndexedDB refused a write or is not used).
    pub fn in_memory(&self) -> bool {
        self.in_memory
    }

    /// How many reports are held in memory (the tail, and chunks not yet or never stored).
    pub fn in_memory_reports(&self) -> usize {
        self.tail.len() + self.chunks.iter().filter(|c| !matches!(c, Chunk::Stored)).count() * CHUNK
    }

    /// How many chunks have left for IndexedDB (written and confirmed).
    pub fn stored_chunks(&self) -> usize {
        self.chunks.iter().filter(|c| matches!(c, Chunk::Stored)).count()
    }

    /// The game figures' names seen in any report.
    pub fn figures(&self) -> &BTreeSet<String> {
        &self.figures
    }

    /// Appends `reports` (the next updates) and returns the chunks that should now be written;
    /// `text` turns a chunk's JSON into the `J` held until then.
    pub fn push(&mut self, reports: impl IntoIterator<Item = StepReport>, text: impl Fn(String) -> J) -> Vec<Spill<J>> {
        for report in reports {
            for run in &report.runs {
                for name in run.figures.keys() {
                    if !self.figures.contains(name) {
                        self.figures.insert(name.clone());
                    }
                }
            }
            self.tail.push(report);
        }
        let mut spills = Vec::new();
        while !self.in_memory && self.tail.len() >= TAIL + CHUNK {
            let json = text(items(&self.tail[..CHUNK]));
            self.tail.drain(..CHUNK);
            spills.push(Spill { key: Self::key(&self.prefix, self.chunks.len()), json: json.clone() });
            self.chunks.push(Chunk::Writing(json));
        }
        spills
    }

    /// Records how writing the chunk under `key` went. Returns `true` when this is the first
    /// refused write (the page says once that the run is kept in memory), and `false` otherwise,
    /// also for a key of another log (an older experiment's late write).
    pub fn written(&mut self, key: &str, stored: bool) -> bool {
        let Some(index) = key.strip_prefix(&self.prefix).and_then(|rest| rest.strip_prefix('/')).and_then(|i| i.parse::<usize>().ok())
        else {
            return false;
        };
        let Some(chunk) = self.chunks.get_mut(index) else { return false };
        let Chunk::Writing(json) = chunk else { return false };
        if stored {
            *chunk = Chunk::Stored;
            false
        } else {
            *chunk = Chunk::Kept(json.clone());
            let first = !self.in_memory;
            self.in_memory = true;
            first
        }
    }

    /// The log in update order as parts: JSON held in memory, or chunks to read back. Joined
    /// with commas they are the `reports` array's items.
    pub fn parts(&self) -> Vec<Part<J>> {
        let mut parts: Vec<Part<J>> = self
            .chunks
            .iter()
            .enumerate()
            .map(|(i, chunk)| match chunk {
                Chunk::Writing(json) | Chunk::Kept(json) => Part::Chunk(json.clone()),
                Chunk::Stored => Part::Stored(Self::key(&self.prefix, i)),
            })
            .collect();
        if !self.tail.is_empty() {
            parts.push(Part::Tail(items(&self.tail)));
        }
        parts
    }
}

/// Parses a part's JSON (items without brackets) back into reports.
pub fn parse_items(json: &str) -> Result<Vec<StepReport>, String> {
    serde_json::from_str(&format!("[{json}]")).map_err(|e| format!("stored reports could not be read ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use creditlab::{backend, RunRecord, TrainConfig, Trainer};

    fn reports(updates: u32) -> (TrainConfig, Vec<StepReport>) {
        let config = TrainConfig { updates, groups: 2, group_size: 4, seeds: vec![1], ..TrainConfig::default() };
        let reports = pollster::block_on(async {
            let mut trainer = Trainer::new(config.clone(), backend::cpu("test")).await.expect("valid");
            let mut all = Vec::new();
            while !trainer.is_finished() {
                all.push(trainer.step().await.expect("step"));
            }
            all
        });
        (config, reports)
    }

    /// The log's parts joined as the page joins them, with `stored` reading a stored chunk.
    fn joined(log: &ReportLog<Arc<str>>, stored: impl Fn(&str) -> String) -> String {
        let items: Vec<String> = log
            .parts()
            .into_iter()
            .map(|p| match p {
                Part::Chunk(json) => json.to_string(),
                Part::Tail(json) => json,
                Part::Stored(key) => stored(&key),
            })
            .collect();
        items.join(",")
    }

    #[test]
    fn a_long_log_keeps_a_bounded_tail_and_its_parts_are_every_report() {
        let (config, all) = reports(1500);
        let mut log = ReportLog::<Arc<str>>::new("p/1".into(), true);
        let mut db = std::collections::HashMap::new();
        let mut most_in_memory = 0;
        // Reports arrive a few at a time; the writes succeed one message later.
        let mut pending: Vec<Spill<Arc<str>>> = Vec::new();
        for batch in all.chunks(7) {
            for spill in pending.drain(..) {
                db.insert(spill.key.clone(), spill.json.clone());
                assert!(!log.written(&spill.key, true));
            }
            pending = log.push(batch.iter().cloned(), Arc::from);
            most_in_memory = most_in_memory.max(log.in_memory_reports());
        }
        assert!(most_in_memory <= TAIL + 2 * CHUNK, "at most {most_in_memory} reports in memory");
        assert_eq!(log.len(), 1500);
        assert_eq!(log.last(), all.last());
        // Recent updates are found by number; spilled ones are not in memory.
        assert_eq!(log.get(1500), all.get(1499));
        assert_eq!(log.get(1500 - TAIL as u32 + 1), all.get(1500 - TAIL));
        assert_eq!(log.get(1), None);
        assert_eq!(log.get(0), None);
        assert_eq!(log.get(1501), None);
        // Stored, still writing, and the tail together are the whole run, in order.
        assert!(log.parts().iter().any(|p| matches!(p, Part::Stored(_))));
        let mut record = RunRecord::new(config, backend::cpu("test").info);
        let (before, after) = record.json_frame();
        let text = format!("{before}{}{after}", joined(&log, |key| db[key].to_string()));
        record.reports = all;
        assert_eq!(RunRecord::from_json(&text).expect("valid record"), record);
        assert_eq!(log.figures(), &creditlab::figure_names(&record.reports));
    }

    #[test]
    fn a_refused_write_keeps_the_run_in_memory_and_is_said_once() {
        let (_, all) = reports(3 * CHUNK as u32 + TAIL as u32);
        let mut log = ReportLog::<Arc<str>>::new("p/2".into(), true);
        let spills = log.push(all[..TAIL + 2 * CHUNK].iter().cloned(), Arc::from);
        assert_eq!(spills.len(), 2);
        assert_eq!(spills[1].key, "p/2/00000001");
        // Another log's key, or an unknown one, changes nothing.
        assert!(!log.written("p/1/00000000", false));
        assert!(!log.written("p/2/00000009", false));
        assert!(log.written(&spills[0].key, false), "the first refusal is said");
        assert!(!log.written(&spills[1].key, false), "only once");
        assert!(log.in_memory());
        assert!(log.push(all[TAIL + 2 * CHUNK..].iter().cloned(), Arc::from).is_empty(), "no more spilling");
        assert_eq!(log.in_memory_reports(), all.len());
        let items = joined(&log, |key| panic!("{key} was never stored"));
        assert_eq!(parse_items(&items).expect("reports"), all);
        // A log that never spills keeps everything from the start.
        let mut memory = ReportLog::<Arc<str>>::new("p/3".into(), false);
        assert!(memory.push(all.iter().cloned(), Arc::from).is_empty());
        assert_eq!(memory.get(1), all.first());
    }
}
