//! The page's state in the URL's query string: the whole experiment, the view and the teacher's
//! settings, so that a link reproduces a run and a course link shows what its lesson needs.
//!
//! Every config field is one parameter named by its path in the config's JSON
//! (`learning_rate=0.01`, `game.size=6`, `game.agents.2.scale=100`); arrays of values are
//! comma-separated (`seeds=1,2,3`, `estimators=grpo-global,agent-wise`), `off` is `null`
//! (`ppo_clip=off`), an array of objects is given by its length (`game.agents=4`) and its
//! elements' fields, and the matrix game's payoff table is JSON. Only fields that differ from
//! the *base* are written: the game's defaults, or the opened lesson step's preset. `game` and
//! `seeds` are always written.
//!
//! Decoding starts from the base and applies the parameters one at a time, game first and
//! shorter paths first; a parameter whose value does not parse, names no field, or makes the
//! config invalid (by the core's own [`TrainConfig::validate`]) is ignored and reported, and
//! every other one still applies.

use creditlab::TrainConfig;
use serde_json::Value;

use crate::codec::{self, flatten, to_value, value_text};
pub use crate::codec::Ignored;
use crate::lessons;

/// The parts of the page a link can hide (`hide=builder,ledger`).
pub const HIDEABLE: &[(&str, &str)] = &[
    ("builder", "the whole experiment builder"),
    ("game", "the game menu and the game's parameters"),
    ("estimators", "the estimator checkboxes"),
    ("training", "the training hyperparameters"),
    ("ledger", "the advantage ledger"),
    ("same-batch", "the same-batch comparison"),
    ("theory", "the theory check's scatter"),
    ("step-through", "the step-through of one update"),
    ("predict", "predict, then reveal"),
    ("share", "export, import and the run history"),
    ("lessons", "the lesson menu"),
];

/// What a teacher's link sets beside the experiment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Teacher {
    /// Parts of the page not shown (names from [`HIDEABLE`]).
    pub hide: Vec<String>,
    /// Builder controls that cannot be changed: their field names (`learning_rate`,
    /// `agent1-scale`, `estimators`, …) or `all`.
    pub lock: Vec<String>,
    /// The open lesson, by id.
    pub lesson: Option<String>,
    /// The lesson's step (0-based).
    pub step: usize,
}

impl Teacher {
    /// Whether part `name` is hidden.
    pub fn hides(&self, name: &str) -> bool {
        self.hide.iter().any(|h| h == name)
    }

    /// Whether control `name` is locked.
    pub fn locks(&self, name: &str) -> bool {
        self.lock.iter().any(|l| l == name || l == "all")
    }
}

/// Everything the URL holds.
#[derive(Debug, Clone, PartialEq)]
pub struct PageState {
    /// The experiment.
    pub config: TrainConfig,
    /// Which seed (index) the batch views show.
    pub inspect: usize,
    /// The teacher's settings.
    pub teacher: Teacher,
}

/// The result of reading a query string.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The state: the base with every usable parameter applied.
    pub state: PageState,
    /// Parameters that were not used, in the order they were met.
    pub ignored: Vec<Ignored>,
    /// Whether the link gave no usable seeds and a fresh one was drawn (write the URL back).
    pub seeded: bool,
    /// A failure to provoke (`fault=device-loss@N` or `worker-panic@N`; tests and
    /// demonstrations); used once, not written back.
    pub fault: Option<crate::worker::Fault>,
    /// An example file to open in "Your run" (`run=solver-verifier.jsonl`); used once, not
    /// written back.
    pub run: Option<String>,
}

impl Decoded {
    /// A sentence for the page listing the ignored parameters; `None` when all were used.
    pub fn ignored_message(&self) -> Option<String> {
        if self.ignored.is_empty() {
            return None;
        }
        let parts: Vec<String> = self.ignored.iter().map(|i| format!("{} ({})", i.key, i.reason)).collect();
        Some(format!("Some settings in the link were ignored and left at their defaults: {}.", parts.join("; ")))
    }
}

/// The config a link is read against: the lesson step's preset when it is on `kind`'s game,
/// otherwise the defaults with `kind`'s default game.
pub fn base(teacher: &Teacher, kind: Option<&str>) -> TrainConfig {
    let preset = teacher.lesson.as_deref().and_then(|id| lessons::preset(id, teacher.step));
    match (preset, kind) {
        (Some(preset), None) => preset,
        (Some(preset), Some(kind)) if preset.game.kind() == kind => preset,
        (_, kind) => codec::default_for(kind),
    }
}

/// The state as `key=value` pairs, in a stable order.
pub fn pairs(state: &PageState) -> Vec<(String, String)> {
    let config = &state.config;
    let base_config = base(&state.teacher, Some(config.game.kind()));
    let mut out = Vec::new();
    let teacher = &state.teacher;
    if let Some(lesson) = &teacher.lesson {
        out.push(("lesson".into(), lesson.clone()));
        out.push(("step".into(), (teacher.step + 1).to_string()));
    }
    out.push(("game".into(), config.game.kind().to_string()));
    let value = to_value(config);
    let base_value = to_value(&base_config);
    if let (Value::Object(map), Value::Object(base_map)) = (&value, &base_value) {
        for (key, v) in map {
            if key == "seeds" {
                continue;
            }
            let mut one = Vec::new();
            flatten(key, v, base_map.get(key), &mut one);
            // Matrix games: the variant's name must come before its fields.
            one.sort_by_key(|(k, _)| k != "game.name");
            out.extend(one);
        }
    }
    out.push(("seeds".into(), value_text(&value["seeds"]).unwrap_or_default()));
    if state.inspect > 0 {
        out.push(("inspect".into(), state.inspect.to_string()));
    }
    if !teacher.hide.is_empty() {
        out.push(("hide".into(), teacher.hide.join(",")));
    }
    if !teacher.lock.is_empty() {
        out.push(("lock".into(), teacher.lock.join(",")));
    }
    out
}

/// The state as a query string (without the leading `?`), e.g.
/// `game=kuhn&estimators=grpo-global,mars&updates=150&seeds=1,2`.
pub fn encode(state: &PageState) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs(state) {
        query.append_pair(&key, &value);
    }
    // Commas are allowed in a query string; keeping them literal keeps lists readable.
    query.finish().replace("%2C", ",")
}

/// "1 seed", "3 seeds".
fn count(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}

fn names(text: &str, allowed: impl Fn(&str) -> bool) -> (Vec<String>, Vec<String>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if allowed(name) {
            if !good.iter().any(|g| g == name) {
                good.push(name.to_string());
            }
        } else {
            bad.push(name.to_string());
        }
    }
    (good, bad)
}

/// Reads a query string (with or without the leading `?`). `fresh_seed` is used when the link
/// gives no usable seeds. Never panics; every unusable parameter is listed in `ignored`.
pub fn decode(query: &str, fresh_seed: u64) -> Decoded {
    let mut params = codec::parse_query(query);
    let mut ignored = Vec::new();
    // A parameter given twice (`game=kuhn&game=foraging`): the first counts, the rest are named.
    let mut seen = std::collections::BTreeSet::new();
    params.retain(|(k, v)| {
        let first = seen.insert(k.clone());
        if !first {
            ignored.push(Ignored { key: k.clone(), reason: format!("given more than once; the first value is used, not “{}”", v.trim()) });
        }
        first
    });
    let mut ignore = |key: &str, reason: String| ignored.push(Ignored { key: key.to_string(), reason });

    // The teacher's lesson and step choose the base.
    let mut teacher = Teacher::default();
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if let Some(text) = param("lesson") {
        match lessons::find(text.trim()) {
            Some(_) => teacher.lesson = Some(text.trim().to_string()),
            None => ignore(
                "lesson",
                format!("no lesson “{}” (the lessons are {})", text.trim(), lessons::LESSONS.iter().map(|l| l.id).collect::<Vec<_>>().join(", ")),
            ),
        }
    }
    if let Some(text) = param("step") {
        match (text.trim().parse::<usize>(), teacher.lesson.as_deref().and_then(lessons::find)) {
            (Ok(n), Some(lesson)) if (1..=lesson.steps.len()).contains(&n) => teacher.step = n - 1,
            (Ok(_), Some(lesson)) => ignore("step", format!("the lesson has steps 1..={}", lesson.steps.len())),
            (_, None) => ignore("step", "there is no lesson to step through".into()),
            (Err(_), _) => ignore("step", format!("“{text}” is not a step number")),
        }
    }

    // The experiment: every config parameter, read against the lesson's preset or the game's defaults.
    let (view, config_params): (Vec<_>, Vec<_>) =
        params.into_iter().filter(|(k, _)| k != "lesson" && k != "step").partition(|(k, _)| VIEW_KEYS.contains(&k.as_str()));
    let read = codec::read_config(&config_params, |kind| base(&teacher, kind));
    ignored.extend(read.ignored);
    let mut config = read.config;
    let mut ignore = |key: &str, reason: String| ignored.push(Ignored { key: key.to_string(), reason });

    // The view and the teacher's settings.
    let mut inspect = 0;
    let mut fault = None;
    let mut run = None;
    for (key, text) in &view {
        match key.as_str() {
            "hide" => {
                let (good, bad) = names(text, |n| HIDEABLE.iter().any(|(h, _)| *h == n));
                teacher.hide = good;
                if !bad.is_empty() {
                    ignore(
                        key,
                        format!(
                            "nothing called {} can be hidden (the parts are {})",
                            bad.join(", "),
                            HIDEABLE.iter().map(|(h, _)| *h).collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
            }
            "lock" => {
                let (good, bad) = names(text, |n| n.len() <= 40 && n.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
                teacher.lock = good;
                if !bad.is_empty() {
                    ignore(key, "control names are letters, digits, - and _".into());
                }
            }
            "run" => match crate::session::your_run::EXAMPLES.iter().find(|(file, _)| *file == text.trim()) {
                Some((file, _)) => run = Some((*file).to_string()),
                None => ignore(
                    key,
                    format!(
                        "“{text}” is not an example file ({})",
                        crate::session::your_run::EXAMPLES.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", ")
                    ),
                ),
            },
            "inspect" => match text.trim().parse::<usize>() {
                Ok(i) => inspect = i,
                Err(_) => ignore(key, format!("“{text}” is not a seed index")),
            },
            _ => match crate::worker::Fault::parse(text.trim()) {
                Ok(f) => fault = Some(f),
                Err(reason) => ignore(key, reason),
            },
        }
    }
    let seeded = !(read.seeds_given || teacher.lesson.is_some());
    if seeded {
        config.seeds = vec![fresh_seed];
    }
    if inspect >= config.seeds.len() {
        ignore(
            "inspect",
            format!("the experiment has {}, counted from 0, so the largest is {}", count(config.seeds.len(), "seed"), config.seeds.len() - 1),
        );
        inspect = 0;
    }
    Decoded { state: PageState { config, inspect, teacher }, ignored, seeded, fault, run }
}

/// The parameters about the view rather than the experiment, in the order they are read.
const VIEW_KEYS: [&str; 5] = ["hide", "lock", "inspect", "fault", "run"];

#[cfg(test)]
mod tests {
    use super::*;

    use creditlab::GameConfig;
    use creditlab::Estimator;

    fn state(config: TrainConfig) -> PageState {
        PageState { config, inspect: 0, teacher: Teacher::default() }
    }

    fn round_trip(state: &PageState) -> Decoded {
        decode(&encode(state), 999)
    }

    #[test]
    fn a_run_names_an_example_file_or_is_ignored_by_name() {
        let d = decode("seeds=1&run=agent-wise.json", 9);
        assert_eq!(d.run.as_deref(), Some("agent-wise.json"));
        assert!(d.ignored.is_empty());
        let d = decode("seeds=1&run=../secret.json", 9);
        assert_eq!(d.run, None);
        assert_eq!(d.ignored[0].key, "run");
        assert!(d.ignored[0].reason.contains("not an example file"), "{}", d.ignored[0].reason);
        assert!(!encode(&d.state).contains("run="), "a run is opened once, not written back");
    }

    #[test]
    fn a_fault_is_read_once_and_never_written_back() {
        use crate::worker::Fault;
        let d = decode("game=bandit&seeds=1&fault=device-loss@6", 9);
        assert_eq!(d.fault, Some(Fault::DeviceLoss(6)));
        assert!(d.ignored.is_empty());
        assert_eq!(decode("seeds=1&fault=worker-panic@1", 9).fault, Some(Fault::WorkerPanic(1)));
        assert_eq!(encode(&d.state), "game=bandit&seeds=1");
        for bad in ["boom@3", "device-loss@0", "device-loss", "worker-panic@x"] {
            let d = decode(&format!("seeds=1&fault={bad}"), 9);
            assert_eq!(d.fault, None, "{bad}");
            assert_eq!(d.ignored.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["fault"], "{bad}");
        }
    }

    #[test]
    fn default_link_is_short_and_round_trips() {
        let s = state(TrainConfig::default());
        assert_eq!(encode(&s), "game=bandit&seeds=1");
        let back = round_trip(&s);
        assert_eq!(back.state, s);
        assert!(back.ignored.is_empty() && !back.seeded);
    }

    #[test]
    fn a_link_without_seeds_draws_one() {
        let d = decode("game=kuhn&learning_rate=0.01", 4242);
        assert!(d.seeded);
        assert_eq!(d.state.config.seeds, vec![4242]);
        assert_eq!(d.state.config.learning_rate, 0.01);
        assert!(encode(&d.state).contains("seeds=4242"));
    }

    #[test]
    fn ignored_fields_are_named() {
        let d = decode("game=pipeline&learning_rate=fast&game.rounds=99&colour=red&seeds=3&game.size=4", 1);
        let keys: Vec<&str> = d.ignored.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["game.rounds", "game.size", "learning_rate", "colour"]);
        assert_eq!(d.state.config.game.kind(), "pipeline");
        assert_eq!(d.state.config.seeds, vec![3]);
        let message = d.ignored_message().unwrap_or_default();
        assert!(message.contains("learning_rate (“fast” is not a number)"), "{message}");
    }

    #[test]
    fn refusals_are_in_the_pages_words_and_list_what_is_allowed() {
        let reason = |query: &str, key: &str| -> String {
            let d = decode(query, 1);
            let found = d.ignored.iter().find(|i| i.key == key).map(|i| i.reason.clone());
            found.unwrap_or_else(|| panic!("{query}: {key} not ignored: {:?}", d.ignored))
        };
        assert_eq!(reason("seeds=-1", "seeds"), "“-1” is not a whole number ≥ 0");
        assert_eq!(reason("seeds=1.5", "seeds"), "“1.5” is not a whole number ≥ 0");
        let game = reason("game=tictactoe", "game");
        assert!(game.contains("tictactoe") && game.contains("tic-tac-toe") && game.contains("foraging"), "{game}");
        let variant = reason("game=matrix&game.name=chicken", "game.name");
        assert!(variant.contains("climbing") && variant.contains("stag-hunt"), "{variant}");
        let estimator = reason("estimators=grpo-global,∞", "estimators");
        assert!(estimator.starts_with("“∞” is not one of") && estimator.contains("agent-wise"), "{estimator}");
        let lesson = reason("lesson=nope", "lesson");
        assert!(lesson.contains("scales") && lesson.contains("anchors"), "{lesson}");
        assert_eq!(reason("seeds=4&inspect=3", "inspect"), "the experiment has 1 seed, counted from 0, so the largest is 0");
        assert!(reason("seeds=4,5&inspect=3", "inspect").starts_with("the experiment has 2 seeds"));
        // No parser vocabulary leaks into any message of a batch of garbage links.
        for query in ["seeds=-1", "estimators=∞", "updates=1e99", "game=bandit&game.agents.0.scale=x", "learning_rate=[1]",
                      "game=matrix&game.payoffs=[[1]]", "policy=sideways", "ppo_clip=true"] {
            for i in decode(query, 1).ignored {
                for word in ["invalid type", "expected", "variant", "u64", "f32", "line ", "column "] {
                    assert!(!i.reason.contains(word), "{query}: {} says {:?}", i.key, i.reason);
                }
            }
        }
    }

    #[test]
    fn a_parameter_given_twice_uses_the_first_and_says_so() {
        let d = decode("game=kuhn&game=foraging&seeds=1&seeds=2", 9);
        assert_eq!(d.state.config.game.kind(), "kuhn");
        assert_eq!(d.state.config.seeds, vec![1]);
        let keys: Vec<&str> = d.ignored.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["game", "seeds"]);
        assert!(d.ignored[0].reason.contains("more than once") && d.ignored[0].reason.contains("foraging"), "{:?}", d.ignored);
    }

    #[test]
    fn teacher_settings_round_trip() {
        let mut s = state(TrainConfig::default());
        s.teacher = Teacher {
            hide: vec!["builder".into(), "ledger".into()],
            lock: vec!["learning_rate".into(), "estimators".into()],
            lesson: None,
            step: 0,
        };
        s.config.seeds = vec![3, 4];
        s.inspect = 1;
        assert_eq!(round_trip(&s).state, s);
        let d = decode("hide=builder,sidebar&step=2&lock=a b", 1);
        assert_eq!(d.state.teacher.hide, ["builder"]);
        assert_eq!(d.ignored.len(), 3, "{:?}", d.ignored);
    }

    #[test]
    fn every_game_and_matrix_variant_round_trips() {
        let mut games = GameConfig::examples();
        games.extend(creditlab::env::matrix::MatrixSpec::variants().into_iter().map(GameConfig::Matrix));
        for game in games {
            let mut config = TrainConfig { game: game.clone(), seeds: vec![5, 6], ..TrainConfig::default() };
            if let GameConfig::Matrix(creditlab::env::matrix::MatrixSpec::Penalty { k }) = &mut config.game {
                *k = 75.0;
            }
            let s = state(config);
            let back = round_trip(&s);
            assert!(back.ignored.is_empty(), "{game:?}: {:?}", back.ignored);
            assert_eq!(back.state, s, "{}", encode(&s));
        }
    }

    /// Every top-level field and every bandit field changed from its default survives the
    /// link (the test walks the config's JSON, so a new field is covered when it is added).
    #[test]
    fn every_field_round_trips() {
        let mut config = TrainConfig {
            estimators: vec![Estimator::Rloo, Estimator::Coma, Estimator::Gigpo],
            seeds: vec![7, 8, 9],
            updates: 77,
            groups: 3,
            group_size: 5,
            hidden: 17,
            learning_rate: 0.0123,
            agent_learning_rates: Some(vec![0.01, 0.02, 0.5, 0.25]),
            ppo_clip: Some(0.3),
            epochs: 2,
            entropy_coef: 0.01,
            kl_coef: 0.2,
            max_grad_norm: Some(2.5),
            eps: 1e-4,
            mean_only: true,
            rloo_scope: creditlab::advantage::RlooScope::Agent,
            mars_gamma: 0.9,
            gigpo_gamma: 0.5,
            gigpo_omega: 2.0,
            gigpo_mean_std: true,
            gigpo_agent_wise: true,
            difference_baseline: creditlab::advantage::DifferenceBaseline::Expected,
            ..TrainConfig::default()
        };
        if let GameConfig::Bandit(b) = &mut config.game {
            b.arms = 5;
            let mut extra = b.agents[0].clone();
            extra.scale = 1000.0;
            extra.offset = -3.5;
            extra.arm_std = 0.7;
            extra.arm_means = Some(vec![0.1, 0.2, 0.3, 0.4, 0.5]);
            b.agents.push(extra);
            b.agents[1].activation = 1.0;
        }
        config.validate().expect("a valid config");
        let s = state(config.clone());
        let text = encode(&s);
        let back = round_trip(&s);
        assert!(back.ignored.is_empty(), "{text}: {:?}", back.ignored);
        assert_eq!(back.state.config, config, "{text}");
        // Each changed top-level field is in the link.
        let defaults = to_value(&TrainConfig::default());
        for (key, value) in to_value(&config).as_object().into_iter().flatten() {
            if defaults.get(key) != Some(value) {
                assert!(text.split('&').any(|p| p.starts_with(&format!("{key}="))), "{key} missing from {text}");
            }
        }
        // Fewer agents than the default also round-trip.
        let mut two = TrainConfig::default();
        if let GameConfig::Bandit(b) = &mut two.game {
            b.agents.truncate(2);
        }
        assert_eq!(round_trip(&state(two.clone())).state.config, two);
    }

    #[test]
    fn lesson_links_read_against_the_lesson() {
        for lesson in lessons::LESSONS {
            for step in 0..lesson.steps.len() {
                let teacher = Teacher { lesson: Some(lesson.id.into()), step, ..Teacher::default() };
                let preset = base(&teacher, None);
                let s = PageState { config: preset.clone(), inspect: 0, teacher: teacher.clone() };
                let back = round_trip(&s);
                assert_eq!(back.state, s, "{}", encode(&s));
                // The short teacher link (no config parameters) opens the preset.
                let short = decode(&format!("lesson={}&step={}", lesson.id, step + 1), 1);
                assert!(short.ignored.is_empty(), "{:?}", short.ignored);
                assert_eq!(short.state.config, preset);
                // A student's change to the preset is kept.
                let mut changed = s.clone();
                changed.config.learning_rate *= 2.0;
                assert_eq!(round_trip(&changed).state, changed);
            }
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::codec::parse_value;
    use proptest::prelude::*;

    /// Fields that are valid on their own whatever else the link says, with a valid value.
    fn valid_field() -> impl Strategy<Value = (&'static str, String)> {
        prop_oneof![
            (1u32..=1000).prop_map(|v| ("updates", v.to_string())),
            (1u32..=128).prop_map(|v| ("hidden", v.to_string())),
            (1u32..=8).prop_map(|v| ("epochs", v.to_string())),
            (1e-5f32..1.0).prop_map(|v| ("learning_rate", v.to_string())),
            (0.0f32..=1.0).prop_map(|v| ("entropy_coef", v.to_string())),
            (0.0f32..=1.0).prop_map(|v| ("kl_coef", v.to_string())),
            (0.0f32..=1.0).prop_map(|v| ("mars_gamma", v.to_string())),
            (0.0f32..=1.0).prop_map(|v| ("gigpo_gamma", v.to_string())),
            any::<bool>().prop_map(|v| ("mean_only", v.to_string())),
            prop::sample::select(vec!["episode", "agent", "group"]).prop_map(|v| ("rloo_scope", v.to_string())),
            prop::collection::vec(0u64..1_000_000, 1..5)
                .prop_map(|v| ("seeds", v.iter().map(u64::to_string).collect::<Vec<_>>().join(","))),
        ]
    }

    /// Parameters that must be refused: unknown keys, and known keys (not among the valid
    /// ones above) with values that cannot be right.
    fn bad_field() -> impl Strategy<Value = (String, String)> {
        let junk = "[^&=#%+]{0,12}";
        prop_oneof![
            ("x[a-z]{1,8}", junk).prop_map(|(k, v)| (k, v)),
            (prop::sample::select(vec!["group_size", "groups", "eps", "gigpo_omega", "ppo_clip", "max_grad_norm"]), "[a-z]{1,6}")
                .prop_map(|(k, v)| (k.to_string(), v)),
            prop::sample::select(vec!["-1", "1e9", "NaN", "inf", "2.5x"]).prop_map(|v| ("game.arms".to_string(), v.to_string())),
        ]
    }

    /// Cases per property (`CREDITLAB_FUZZ_CASES` for a long run; 256 in the test command).
    fn cases() -> u32 {
        std::env::var("CREDITLAB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

        /// A hand-edited link never panics the reader and never loses a valid field: each valid
        /// parameter is applied whatever junk surrounds it, and each bad one is reported.
        #[test]
        fn malformed_links_keep_every_valid_field(
            valid in prop::collection::vec(valid_field(), 0..6),
            bad in prop::collection::vec(bad_field(), 0..6),
            shuffle in any::<u64>(),
        ) {
            // One value per key: the last valid value of a key wins.
            let mut valid_unique: Vec<(&str, String)> = Vec::new();
            for (k, v) in valid {
                valid_unique.retain(|(key, _)| *key != k);
                valid_unique.push((k, v));
            }
            let mut params: Vec<(String, String)> =
                valid_unique.iter().map(|(k, v)| (k.to_string(), v.clone())).chain(bad.iter().cloned()).collect();
            // A deterministic shuffle.
            let n = params.len().max(1);
            params.rotate_left((shuffle as usize) % n);
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &params {
                query.append_pair(k, v);
            }
            let decoded = decode(&query.finish(), 7);
            let got = to_value(&decoded.state.config);
            for (key, text) in &valid_unique {
                let expected = parse_value(&to_value(&TrainConfig::default())[*key], text).expect("valid");
                prop_assert_eq!(&got[*key], &expected, "{} lost", key);
                prop_assert!(!decoded.ignored.iter().any(|i| i.key == *key));
            }
            for (key, _) in &bad {
                prop_assert!(decoded.ignored.iter().any(|i| &i.key == key), "{} not reported", key);
            }
            prop_assert!(decoded.state.config.validate().is_ok());
        }

        /// Any bytes at all: the reader never panics and always yields a valid config.
        #[test]
        fn any_query_reads_to_a_valid_config(query in ".{0,200}") {
            let decoded = decode(&query, 1);
            prop_assert!(decoded.state.config.validate().is_ok());
            // What it read writes back to a link that reads the same.
            let again = decode(&encode(&decoded.state), 2);
            prop_assert_eq!(again.state, decoded.state);
        }
    }
}
