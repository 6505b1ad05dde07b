//! Run records: export → import round trip, the CSV of per-update metrics, and imports of
//! malformed files refused with the field named (never a panic).

use creditlab::backend;
use creditlab::env::pipeline::PipelineConfig;
use creditlab::record::CSV_COLUMNS;
use creditlab::{figure_names, GameConfig, MetricsCsv, RunRecord, TrainConfig};
use proptest::prelude::*;

mod common;
use common::run;

fn record(config: TrainConfig) -> RunRecord {
    let mut record = RunRecord::new(config.clone(), backend::cpu("test").info);
    record.reports = run(&config);
    record
}

fn pipeline_record() -> RunRecord {
    record(TrainConfig {
        game: GameConfig::Pipeline(PipelineConfig::default()),
        updates: 4,
        groups: 2,
        group_size: 4,
        seeds: vec![3, 4],
        ..TrainConfig::default()
    })
}

#[test]
fn export_then_import_gives_the_same_record() {
    let original = pipeline_record();
    let text = original.to_json();
    let back = RunRecord::from_json(&text).expect("a valid record");
    assert_eq!(back, original);
    // A record of a run stopped half-way is valid too.
    let mut partial = original.clone();
    partial.reports.truncate(2);
    assert_eq!(RunRecord::from_json(&partial.to_json()).expect("valid"), partial);
}

#[test]
fn a_record_written_a_part_at_a_time_is_the_same_record_and_csv() {
    let original = pipeline_record();
    // JSON: the frame around reports serialized in two parts (as the page writes a long run).
    let (before, after) = original.json_frame();
    let part = |reports: &[creditlab::StepReport]| {
        let json = serde_json::to_string(reports).expect("reports");
        json[1..json.len() - 1].to_string()
    };
    let text = format!("{before}{},{}{after}", part(&original.reports[..1]), part(&original.reports[1..]));
    assert_eq!(RunRecord::from_json(&text).expect("a valid record"), original);
    let empty = RunRecord { reports: Vec::new(), ..original.clone() };
    assert_eq!(RunRecord::from_json(&format!("{before}{after}")).expect("valid"), empty);
    // CSV: header, then the rows of each part, is the whole CSV.
    let csv = MetricsCsv::new(figure_names(&original.reports));
    let parts = csv.header().expect("header") + &csv.rows(&original.reports[..3]).expect("rows") + &csv.rows(&original.reports[3..]).expect("rows");
    assert_eq!(parts, original.metrics_csv().expect("csv"));
}

#[test]
fn csv_has_one_row_per_update_run_and_agent() {
    let record = pipeline_record();
    let text = record.metrics_csv().expect("csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(&header[..CSV_COLUMNS.len()], CSV_COLUMNS.map(str::to_string).as_slice());
    assert!(header.contains(&"figure:accuracy".to_string()), "{header:?}");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    // 4 updates × (3 estimators × 2 seeds) runs × 2 agents (solver, verifier).
    assert_eq!(rows.len(), 4 * 6 * 2);
    assert!(rows.iter().all(|r| r.len() == header.len()));
    // The first row is update 1, the first run's first agent, with its reported numbers.
    let first = &record.reports[0].runs[0];
    assert_eq!(&rows[0][0], "1");
    assert_eq!(&rows[0][2], first.estimator.name());
    assert_eq!(&rows[0][3], "3");
    assert_eq!(rows[0][6].parse::<f32>().expect("reward_mean"), first.agents[0].reward_mean);
}

fn refused(text: &str) -> String {
    match RunRecord::from_json(text) {
        Ok(_) => panic!("accepted a malformed record"),
        Err(e) => e.field,
    }
}

#[test]
fn malformed_records_are_refused_naming_the_field() {
    let good = pipeline_record();
    let json = |r: &RunRecord| r.to_json();
    assert_eq!(refused("not json"), "record");
    assert_eq!(refused(&json(&good)[..200]), "record", "truncated");
    let mut r = good.clone();
    r.format = "something-else".into();
    assert_eq!(refused(&json(&r)), "format");
    let mut r = good.clone();
    r.config.learning_rate = -1.0;
    assert_eq!(refused(&json(&r)), "config.learning_rate");
    let mut r = good.clone();
    r.reports.remove(1);
    assert_eq!(refused(&json(&r)), "reports[1].update");
    let mut r = good.clone();
    r.reports[2].runs.pop();
    assert_eq!(refused(&json(&r)), "reports[2].runs");
    let mut r = good.clone();
    r.reports[0].runs[1].seed = 99;
    assert_eq!(refused(&json(&r)), "reports[0].runs[1]");
    let mut r = good.clone();
    r.reports[3].runs[0].agents.pop();
    assert_eq!(refused(&json(&r)), "reports[3].runs[0].agents");
    let mut r = good.clone();
    r.config.updates = 2;
    assert_eq!(refused(&json(&r)), "reports");
    let with_unknown = json(&good).replacen("\"format\"", "\"colour\": 1, \"format\"", 1);
    assert!(RunRecord::from_json(&with_unknown).expect_err("unknown field").message.contains("colour"));
}

/// Cases (`CREDITLAB_FUZZ_CASES` for a long run; 256 in the test command).
fn cases() -> u32 {
    std::env::var("CREDITLAB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]
    /// Cutting, splicing and overwriting a valid record's text never panics the importer, and
    /// whatever it accepts passes its own checks.
    #[test]
    fn importing_mangled_records_never_panics(cut in 0usize..4000, at in 0usize..4000, junk in "[\\[\\]{}:,\"0-9a-z.-]{0,12}") {
        let text = small_record_json();
        let cut = cut.min(text.len());
        let at = at.min(text.len());
        let mut mangled: String = text.chars().take(cut).collect();
        mangled.push_str(&junk);
        mangled.extend(text.chars().skip(at));
        if let Ok(record) = RunRecord::from_json(&mangled) {
            prop_assert!(record.check().is_ok());
        }
    }
}

fn small_record_json() -> &'static str {
    use std::sync::OnceLock;
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| record(TrainConfig { updates: 2, groups: 1, group_size: 2, ..TrainConfig::default() }).to_json())
}
