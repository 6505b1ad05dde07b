//! Browser tests: the core's wasm build and the page's pieces, in headless Chromium.
//!
//! `.ci/test` runs this twice: without WebGPU (the CPU fallback must be chosen and train) and
//! with `--enable-unsafe-webgpu` (a software adapter: the WebGPU path must be chosen and train).
//! It tells the build which leg it is through `CREDITLAB_EXPECT_BACKEND` (`cpu` or `webgpu`).
#![cfg(target_arch = "wasm32")]

use creditlab::backend::{self, Backend};
use creditlab::{BackendKind, StepReport, TrainConfig, Trainer};
use std::cell::RefCell;
use std::rc::Rc;

use creditlab::{BatchView, Estimator, GameConfig};
use creditlab_app::charts::{self, credit::CreditData, Theme};
use creditlab_app::components::chart_canvas::PageCanvas;
use creditlab_app::game_view::GameView;
use creditlab_app::history::History;
use creditlab_app::worker::{Fault, FromWorker, JsonCodec, Service, StopReason, ToWorker};
use gloo_worker::Codec;
use plotters::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const EXPECTED_BACKEND: Option<&str> = option_env!("CREDITLAB_EXPECT_BACKEND");

fn small_config(updates: u32) -> TrainConfig {
    TrainConfig { updates, groups: 2, group_size: 8, ..TrainConfig::default() }
}

async fn train(backend: Backend, config: TrainConfig) -> Vec<StepReport> {
    let mut trainer = Trainer::new(config, backend).await.expect("trainer");
    let mut reports = Vec::new();
    while !trainer.is_finished() {
        let mut report = trainer.step().await.expect("step");
        report.wall_ms = 0.0;
        reports.push(report);
    }
    reports
}

fn assert_sane(reports: &[StepReport]) {
    for report in reports {
        for run in &report.runs {
            for agent in &run.agents {
                let norm = agent.grad_norm.expect("finite gradient norm");
                assert!(norm > 0.0 && norm.is_finite());
                let total: f32 = agent.action_probs.iter().sum();
                assert!((total - 1.0).abs() < 1e-3, "probabilities sum to {total}");
            }
        }
    }
}

#[wasm_bindgen_test]
async fn backend_choice_matches_the_browser_and_that_backend_trains() {
    creditlab_app::run_constructors();
    let chosen = backend::choose(true).await;
    web_sys::console::log_1(&format!("backend: {:?} ({})", chosen.info.kind, chosen.info.reason).into());
    match EXPECTED_BACKEND {
        Some("webgpu") => assert_eq!(chosen.info.kind, BackendKind::WebGpu, "{}", chosen.info.reason),
        Some("cpu") => {
            assert_eq!(chosen.info.kind, BackendKind::Cpu);
            assert!(chosen.info.reason.starts_with("no WebGPU"), "{}", chosen.info.reason);
            assert!(chosen.info.badge().starts_with("CPU — no WebGPU"), "{}", chosen.info.badge());
        }
        _ => {}
    }
    let reports = train(chosen, small_config(4)).await;
    assert_eq!(reports.len(), 4);
    assert_sane(&reports);
}

#[wasm_bindgen_test]
async fn cpu_training_in_wasm_is_deterministic() {
    creditlab_app::run_constructors();
    let a = train(backend::cpu("test"), small_config(5)).await;
    let b = train(backend::cpu("test"), small_config(5)).await;
    assert_eq!(a, b);
}

/// Every number in `got` is within `rel` (relative, 1e-6 absolute floor) of `want`; everything
/// else is equal. Returns the first difference.
fn json_close(got: &serde_json::Value, want: &serde_json::Value, rel: f64, path: &str) -> Result<(), String> {
    use serde_json::Value;
    match (got, want) {
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap_or(f64::NAN), w.as_f64().unwrap_or(f64::NAN));
            if (g - w).abs() <= rel * w.abs().max(1e-6 / rel) { Ok(()) } else { Err(format!("{path}: {g} vs {w}")) }
        }
        (Value::Object(g), Value::Object(w)) if g.len() == w.len() => {
            for (k, wv) in w {
                let gv = g.get(k).ok_or_else(|| format!("{path}.{k} missing"))?;
                json_close(gv, wv, rel, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            g.iter().zip(w).enumerate().try_for_each(|(i, (gv, wv))| json_close(gv, wv, rel, &format!("{path}[{i}]")))
        }
        (g, w) if g == w => Ok(()),
        (g, w) => Err(format!("{path}: {g} vs {w}")),
    }
}

/// The wasm build's CPU reports against the native build's, both compared with the same
/// checked-in file (`core/tests/fixtures/cpu-reports.json`; natively it must match bit for
/// bit). In wasm the batches are the same — rewards, advantages, every sampled action — and
/// the float results agree to 1e-5 relative: flex's SIMD reductions sum in a different lane
/// order on simd128 than on the native vector unit, so the last bit of a norm or a probability
/// can differ (measured: at most a few ulp over 5 updates).
#[wasm_bindgen_test]
async fn cpu_reports_in_wasm_match_the_native_ones() {
    creditlab_app::run_constructors();
    let config = TrainConfig { updates: 5, groups: 2, group_size: 8, ..TrainConfig::default() };
    let reports = train(backend::cpu("test"), config).await;
    let expected: serde_json::Value =
        serde_json::from_str(include_str!("../../core/tests/fixtures/cpu-reports.json")).expect("fixture");
    let got = serde_json::to_value(&reports).expect("json");
    if let Err(difference) = json_close(&got, &expected, 1e-5, "reports") {
        panic!("wasm and native CPU reports differ at {difference}");
    }
    for (g, w) in reports.iter().zip(expected.as_array().into_iter().flatten()) {
        for (run, wrun) in g.runs.iter().zip(w["runs"].as_array().into_iter().flatten()) {
            let native = wrun["team_reward_mean"].as_f64().map(|v| v as f32);
            assert_eq!(Some(run.team_reward_mean), native, "the same batch, bit for bit");
        }
    }
}

/// The language agents' reports in wasm against the native ones
/// (`core/tests/fixtures/language-reports.json`, the config of `core/tests/language.rs`): the
/// same responses sampled, the same rewards, the floats within 1e-4 relative (burn's attention
/// softmax calls libm's `expf` in wasm and glibc's natively, on top of flex's lane order).
#[wasm_bindgen_test]
async fn language_reports_in_wasm_match_the_native_ones() {
    creditlab_app::run_constructors();
    let config = TrainConfig::from_json(
        r#"{"game": {"kind": "arithmetic"}, "estimators": ["agent-wise", "global-step"], "seeds": [1], "updates": 3,
        "groups": 2, "group_size": 4, "entropy_coef": 0.03}"#,
    )
    .expect("the fixture's config");
    let reports = train(backend::cpu("test"), config).await;
    let expected: serde_json::Value =
        serde_json::from_str(include_str!("../../core/tests/fixtures/language-reports.json")).expect("fixture");
    let got = serde_json::to_value(&reports).expect("json");
    if let Err(difference) = json_close(&got, &expected, 1e-4, "reports") {
        panic!("wasm and native language reports differ at {difference}");
    }
    for (g, w) in reports.iter().zip(expected.as_array().into_iter().flatten()) {
        for (run, wrun) in g.runs.iter().zip(w["runs"].as_array().into_iter().flatten()) {
            let native = wrun["team_reward_mean"].as_f64().map(|v| v as f32);
            assert_eq!(Some(run.team_reward_mean), native, "the same responses, bit for bit");
        }
    }
}

/// Every game trains in wasm, and twice the same seed gives identical reports.
#[wasm_bindgen_test]
async fn every_game_trains_in_wasm_deterministically() {
    creditlab_app::run_constructors();
    for game in creditlab::config::GameConfig::examples() {
        let config = TrainConfig { game, updates: 2, groups: 2, group_size: 4, ..TrainConfig::default() };
        let a = train(backend::cpu("test"), config.clone()).await;
        let b = train(backend::cpu("test"), config.clone()).await;
        assert_eq!(a, b, "{}", config.game.kind());
        assert!(a[1].runs.iter().all(|r| !r.figures.is_empty() && r.grad_norm.is_some()), "{}", config.game.kind());
    }
}

/// The wasm half of the training benchmark (`.ci/bench` runs it with `--include-ignored`); the
/// native half is `creditlab bench`, on the same cases.
#[wasm_bindgen_test]
#[ignore]
async fn bench_training_in_wasm() {
    use creditlab::bench;
    creditlab_app::run_constructors();
    // WebGPU against the CPU, whole updates (rollouts on the backend too), where an adapter exists.
    let gpu = backend::choose(true).await;
    if gpu.info.kind == BackendKind::WebGpu {
        for rows in bench::BACKEND_ROWS {
            let updates = if rows >= 4096 { 5 } else { 15 };
            for (name, chosen) in [("webgpu", gpu.clone()), ("cpu", backend::cpu("bench"))] {
                let m = bench::measure(bench::rows_case(rows), chosen, updates).await.expect("bench");
                console_log!("backend {{\"backend\":\"{name}\",\"rows\":{rows},\"ms\":{:.3}}}", 1e3 / m.updates_per_second);
            }
        }
    } else {
        console_log!("backend none: {}", gpu.info.reason);
    }
    console_log!("{}", bench::TABLE_HEADER);
    for (name, config) in bench::cases() {
        let m = bench::measure(config, backend::cpu("bench"), 30).await.expect("bench");
        console_log!("{}", bench::table_row(&name, &m));
    }
    // The update step alone, as `creditlab bench --update-step` times it natively.
    for (rows, config) in bench::update_step_cases() {
        let m = bench::measure_update_step(rows, config, backend::cpu("bench"), 30).await.expect("bench");
        console_log!("update-step {}", serde_json::to_string(&m).expect("json"));
    }
}

/// WebGPU and the CPU start from the same parameters and the same first batch, and over the
/// first 20 updates WebGPU stays with the CPU: team rewards within 1e-5 (the same sampled
/// batches), action probabilities within 1e-4 and gradient norms within 0.1 % at update 1, then
/// 1e-3 and 1 % (float summation order differs on the device).
#[wasm_bindgen_test]
async fn webgpu_agrees_with_the_cpu_for_twenty_updates() {
    creditlab_app::run_constructors();
    let chosen = backend::choose(true).await;
    if chosen.info.kind != BackendKind::WebGpu {
        assert_ne!(EXPECTED_BACKEND, Some("webgpu"), "WebGPU was expected: {}", chosen.info.reason);
        return;
    }
    let gpu = train(chosen, small_config(20)).await;
    let cpu = train(backend::cpu("test"), small_config(20)).await;
    for (g_report, c_report) in gpu.iter().zip(&cpu) {
        let u = c_report.update;
        for (g, c) in g_report.runs.iter().zip(&c_report.runs) {
            let close = |a: f32, b: f32, rel: f32| (a - b).abs() <= rel * b.abs().max(1e-3);
            assert!(close(g.team_reward_mean, c.team_reward_mean, 1e-5), "update {u}: team reward {} vs {}", g.team_reward_mean, c.team_reward_mean);
            let (grad_tol, prob_tol) = if u == 1 { (1e-3, 1e-4) } else { (1e-2, 1e-3) };
            for (ga, ca) in g.agents.iter().zip(&c.agents) {
                let (gn, cn) = (ga.grad_norm.expect("finite"), ca.grad_norm.expect("finite"));
                assert!(close(gn, cn, grad_tol), "update {u}: gradient norm {gn} (WebGPU) vs {cn} (CPU)");
                for (gp, cp) in ga.action_probs.iter().zip(&ca.action_probs) {
                    assert!((gp - cp).abs() < prob_tol, "update {u}: probability {gp} vs {cp}");
                }
            }
        }
    }
}

/// Language agents on WebGPU (the software adapter) against the CPU: the same first batch
/// sampled (team rewards equal), each agent's gradient norm within 1 % and entropy within 1e-3 at
/// updates 1 and 2 (attention's softmax and the reductions sum in another order on the device).
#[wasm_bindgen_test]
async fn language_agents_on_webgpu_agree_with_the_cpu() {
    creditlab_app::run_constructors();
    let chosen = backend::choose(true).await;
    if chosen.info.kind != BackendKind::WebGpu {
        assert_ne!(EXPECTED_BACKEND, Some("webgpu"), "WebGPU was expected: {}", chosen.info.reason);
        return;
    }
    let config = TrainConfig::from_json(r#"{"game": {"kind": "arithmetic"}, "estimators": ["agent-wise"], "updates": 2, "groups": 2, "group_size": 8}"#)
        .expect("config");
    let gpu = train(chosen, config.clone()).await;
    let cpu = train(backend::cpu("test"), config).await;
    for (g_report, c_report) in gpu.iter().zip(&cpu) {
        let u = c_report.update;
        let (g, c) = (&g_report.runs[0], &c_report.runs[0]);
        assert_eq!(g.team_reward_mean, c.team_reward_mean, "update {u}: the same responses");
        for (k, (ga, ca)) in g.agents.iter().zip(&c.agents).enumerate() {
            let (gn, cn) = (ga.grad_norm.expect("finite"), ca.grad_norm.expect("finite"));
            assert!((gn - cn).abs() <= 1e-2 * cn.max(1e-3), "update {u}, agent {k}: gradient norm {gn} (WebGPU) vs {cn} (CPU)");
            assert!((ga.entropy - ca.entropy).abs() <= 1e-3, "update {u}, agent {k}: entropy {} vs {}", ga.entropy, ca.entropy);
        }
    }
}

fn document() -> web_sys::Document {
    web_sys::window().and_then(|w| w.document()).expect("a document")
}

/// Pixels that differ from the top-left (background) pixel.
fn drawn_pixels(canvas: &web_sys::HtmlCanvasElement) -> usize {
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").ok().flatten().expect("2d context").dyn_into().expect("2d context");
    let data = context
        .get_image_data(0.0, 0.0, f64::from(canvas.width()), f64::from(canvas.height()))
        .expect("image data")
        .data();
    let background = &data[..4];
    data.chunks(4).filter(|px| *px != background).count()
}

fn new_canvas(width: u32, height: u32) -> web_sys::HtmlCanvasElement {
    let canvas: web_sys::HtmlCanvasElement =
        document().create_element("canvas").expect("canvas").dyn_into().expect("a canvas");
    canvas.set_width(width);
    canvas.set_height(height);
    document().body().expect("body").append_child(&canvas).expect("append");
    canvas
}

/// A real experiment of `game` on the CPU: its history and the first estimator's batch view.
async fn experiment(game: GameConfig, estimators: Vec<Estimator>, seeds: Vec<u64>) -> (TrainConfig, History, BatchView) {
    let config = TrainConfig { game, estimators, seeds, updates: 6, groups: 2, group_size: 4, ..TrainConfig::default() };
    let mut trainer = Trainer::new(config.clone(), backend::cpu("test")).await.expect("trainer");
    let mut history = History::new(&config);
    while !trainer.is_finished() {
        history.push(&trainer.step().await.expect("step"));
    }
    let view = trainer.batch_view(0, 512).expect("a batch view");
    (config, history, view)
}

/// The page's canvas backend measures text with the canvas (no layout of the page) and agrees
/// with plotters' own measurement (a `<span>` in the document) for the charts' font: the same
/// width to a pixel, the same height within a few pixels (font ascent + descent against the
/// span's line box). Bold is measured bold, as it is drawn (plotters' span sets the invalid
/// `font-style: bold` and so measures bold text at the normal weight).
#[wasm_bindgen_test]
fn the_page_canvas_measures_text_like_the_document() {
    creditlab_app::run_constructors();
    use plotters::style::{FontFamily, FontStyle, IntoFont, TextStyle};
    let backend = PageCanvas::new(new_canvas(200, 100)).expect("2d");
    let family = FontFamily::Name(charts::FONT_FAMILY);
    for size in charts::TEXT_SIZES {
        let font = (family, f64::from(size)).into_font();
        for text in ["0", "update 150", "μ = −0.253, σ = 1.00", "agent 2 (×100) ‖g‖"] {
            let (w, h) = backend.estimate_text_size(text, &TextStyle::from(font.clone())).expect("measured");
            let ((x0, y0), (x1, y1)) = font.layout_box(text).expect("plotters' measurement");
            let (dom_w, dom_h) = (i64::from(x1 - x0), i64::from(y1 - y0));
            assert!((i64::from(w) - dom_w).abs() <= 1, "{text:?} at {size}px: width {w} against the document's {dom_w}");
            assert!((i64::from(h) - dom_h).abs() <= 3, "{text:?} at {size}px: height {h} against the document's {dom_h}");
            assert!(w > 0 && h > 0, "{text:?}: a real size");
            let (bold_w, _) = backend.estimate_text_size(text, &TextStyle::from(font.clone().style(FontStyle::Bold))).expect("measured");
            assert!(bold_w >= w, "{text:?} at {size}px: bold ({bold_w}) is not narrower than normal ({w})");
        }
    }
}

/// Every chart of every game draws on the page's canvas backend (not blank) and, through the
/// same function, to SVG.
#[wasm_bindgen_test]
async fn every_chart_of_every_game_draws_on_a_canvas_and_to_svg() {
    creditlab_app::run_constructors();
    for game in GameConfig::examples() {
        let estimators = vec![Estimator::GlobalStep, Estimator::AgentWise];
        let (config, history, view) = experiment(game, estimators, vec![1, 2]).await;
        let kind = config.game.kind();
        let info = GameView::of(&config.game);
        let column = &history.columns[0];
        let range = (history.updates, history.total);
        let per_agent = charts::advantages::by_agent(info.agents.len(), &view.samples, &view.advantages.values);
        let credit = CreditData { samples: &view.samples, advantages: &view.advantages.values, cells: &view.cells };
        let theme = Theme::LIGHT;
        // Each chart twice: on a canvas (pixels counted) and to SVG (text checked).
        macro_rules! both {
            ($name:expr, $min:expr, |$root:ident| $draw:expr) => {{
                let canvas = new_canvas(520, 300);
                {
                    let $root = PageCanvas::new(canvas.clone()).expect("2d").into_drawing_area();
                    $draw.unwrap_or_else(|e| panic!("{kind} {}: {e}", $name));
                }
                let drawn = drawn_pixels(&canvas);
                assert!(drawn > $min, "{kind} {}: only {drawn} pixels drawn", $name);
                let mut svg = String::new();
                {
                    let $root = SVGBackend::with_string(&mut svg, (520, 300)).into_drawing_area();
                    $draw.unwrap_or_else(|e| panic!("{kind} {} (svg): {e}", $name));
                }
                assert!(svg.starts_with("<svg"), "{kind} {}", $name);
                svg
            }};
        }
        let svg = both!("reward", 3_000, |root| charts::reward::draw(&root, column, &info, range, &theme));
        assert!(svg.contains("Reward per agent"));
        let svg = both!("gradnorm", 3_000, |root| charts::gradnorm::draw(&root, column, &info, range, &theme));
        // The dashed line says what it is: a global baseline's factor, applied or not.
        assert!(svg.contains("global-baseline factor"), "{kind}: the factor's caption");
        assert_eq!(svg.contains("applied: 1"), column.estimator.normalises_per_agent(), "{kind}");
        let svg = both!("figure", 3_000, |root| charts::figure::draw(&root, column, &info, range, &theme));
        assert!(svg.contains(info.headline.label), "{kind}: the headline figure is drawn, not a placeholder");
        match info.tokens {
            // Language agents: the response-length chart takes the policy chart's place.
            Some(most) => {
                let svg = both!("tokens", 3_000, |root| charts::tokens::draw(&root, column, &info, most, range, &theme));
                assert!(svg.contains("Response length"), "{kind}");
            }
            None => {
                both!("policy", 3_000, |root| charts::policy::draw(&root, column, &info, range, &theme));
            }
        }
        let svg = both!("advantages", 2_000, |root| charts::advantages::draw(&root, &per_agent, &info, "Advantages", &theme));
        assert!(svg.contains("mean"), "{kind}: per-agent statistics are labelled");
        both!("credit", 3_000, |root| charts::credit::draw(&root, credit, &info, "Credit map", &theme));
    }
}

#[wasm_bindgen_test]
fn empty_views_draw_a_placeholder_not_an_error() {
    creditlab_app::run_constructors();
    let info = GameView::of(&GameConfig::default());
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (400, 200)).into_drawing_area();
        let empty = CreditData { samples: &[], advantages: &[], cells: &[] };
        charts::credit::draw(&root, empty, &info, "Credit map", &Theme::DARK).expect("draws");
    }
    assert!(svg.contains("no batch yet"));
}

async fn wait_for(messages: &Rc<RefCell<Vec<FromWorker>>>, what: &str, done: impl Fn(&[FromWorker]) -> bool) {
    for _ in 0..2_000 {
        if done(&messages.borrow()) {
            return;
        }
        gloo_timers::future::TimeoutFuture::new(5).await;
    }
    panic!("the worker service never answered: {what}; got {:?}", messages.borrow().len());
}

/// The worker protocol: configure → ready, step → one report and the batch views, start →
/// every update exactly once until finished, compare → the frozen batch; every message survives
/// the JSON codec unchanged.
#[wasm_bindgen_test]
async fn the_worker_protocol_round_trips_reports() {
    creditlab_app::run_constructors();
    let messages: Rc<RefCell<Vec<FromWorker>>> = Rc::default();
    let sink = messages.clone();
    let service = Service::new(move |m| sink.borrow_mut().push(m));
    let config = TrainConfig { updates: 7, groups: 2, group_size: 4, seeds: vec![1, 2], ..TrainConfig::default() };
    let command = ToWorker::Configure { generation: 1, config: Box::new(config.clone()), prefer_gpu: false };
    assert_eq!(JsonCodec::decode::<ToWorker>(JsonCodec::encode(&command)), command);
    service.handle(command);
    wait_for(&messages, "ready", |m| m.iter().any(|m| matches!(m, FromWorker::Ready { generation: 1, .. }))).await;

    service.handle(ToWorker::Step);
    wait_for(&messages, "views after a step", |m| m.iter().any(|m| matches!(m, FromWorker::Views { .. }))).await;
    service.handle(ToWorker::Start);
    wait_for(&messages, "finished", |m| {
        m.iter().any(|m| matches!(m, FromWorker::Stopped { reason: StopReason::Finished, .. }))
    })
    .await;
    service.handle(ToWorker::Compare { run: 2 });
    wait_for(&messages, "same batch", |m| m.iter().any(|m| matches!(m, FromWorker::SameBatch { .. }))).await;

    let messages: Vec<FromWorker> = messages.borrow().clone();
    let mut updates = Vec::new();
    for message in messages.iter() {
        // Every message survives the codec unchanged.
        assert_eq!(&JsonCodec::decode::<FromWorker>(JsonCodec::encode(message)), message);
        match message {
            FromWorker::Reports { generation, reports, .. } => {
                assert_eq!(*generation, 1);
                updates.extend(reports.iter().map(|r| r.update));
                assert!(reports.iter().all(|r| r.runs.len() == config.runs()));
            }
            FromWorker::Views { views, .. } => assert_eq!(views.len(), config.estimators.len(), "one view per estimator"),
            FromWorker::SameBatch { same, .. } => {
                assert_eq!(same.run, 2);
                let main: Vec<_> = same.results.iter().filter(|r| r.variant.is_none()).map(|r| r.estimator).collect();
                assert_eq!(main, config.estimators, "one result per estimator, then its code variants");
            }
            FromWorker::Error { message, .. } => panic!("unexpected error: {message}"),
            _ => {}
        }
    }
    assert_eq!(updates, (1..=7).collect::<Vec<u32>>(), "every update exactly once, in order");
    // A report decoded from the worker's message equals the trainer's own report.
    let direct = train(backend::cpu("test"), config).await;
    let first = messages.iter().find_map(|m| match m {
        FromWorker::Reports { reports, .. } => Some(reports[0].clone()),
        _ => None,
    });
    let mut first = first.expect("a report");
    first.wall_ms = 0.0;
    assert_eq!(first, direct[0]);
}

/// A lost device (forced at update 3): the service rebuilds the trainer on the CPU from the last
/// report, says so (a second `Ready` with the CPU and why, and a message), and every update
/// arrives exactly once. In the WebGPU leg this is the WebGPU → CPU fallback itself.
#[wasm_bindgen_test]
async fn a_lost_device_goes_on_on_the_cpu_from_the_last_report() {
    creditlab_app::run_constructors();
    let messages: Rc<RefCell<Vec<FromWorker>>> = Rc::default();
    let sink = messages.clone();
    let service = Service::new(move |m| sink.borrow_mut().push(m));
    let config = TrainConfig { updates: 8, groups: 2, group_size: 4, seeds: vec![1, 2], ..TrainConfig::default() };
    service.handle(ToWorker::Inject(Fault::DeviceLoss(3)));
    service.handle(ToWorker::Configure { generation: 1, config: Box::new(config), prefer_gpu: true });
    wait_for(&messages, "ready", |m| m.iter().any(|m| matches!(m, FromWorker::Ready { .. }))).await;
    service.handle(ToWorker::Start);
    wait_for(&messages, "finished", |m| {
        m.iter().any(|m| matches!(m, FromWorker::Stopped { reason: StopReason::Finished, .. }))
    })
    .await;
    let messages = messages.borrow().clone();
    let backends: Vec<_> = messages
        .iter()
        .filter_map(|m| match m {
            FromWorker::Ready { backend, .. } => Some(backend.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(backends.len(), 2, "{backends:?}");
    if let Some(expected) = EXPECTED_BACKEND {
        let kind = if expected == "webgpu" { BackendKind::WebGpu } else { BackendKind::Cpu };
        assert_eq!(backends[0].kind, kind);
    }
    assert_eq!(backends[1].kind, BackendKind::Cpu);
    assert!(backends[1].reason.contains("device failed at update 3"), "{}", backends[1].reason);
    assert!(messages.iter().any(|m| matches!(m, FromWorker::Error { message, .. } if message.contains("from update 2; nothing was lost"))));
    let updates: Vec<u32> = messages
        .iter()
        .flat_map(|m| match m {
            FromWorker::Reports { reports, .. } => reports.iter().map(|r| r.update).collect(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(updates, (1..=8).collect::<Vec<u32>>(), "every update exactly once, in order");
}

/// A message the page cannot read becomes `Unreadable` (said in the page), not a panic.
#[wasm_bindgen_test]
fn an_unreadable_worker_message_is_reported_not_a_panic() {
    creditlab_app::run_constructors();
    let decoded = JsonCodec::decode::<FromWorker>(wasm_bindgen::JsValue::from_str("{\"Reports\": {\"generation\": null}}"));
    assert!(matches!(decoded, FromWorker::Unreadable { ref error } if error.contains("generation")), "{decoded:?}");
}

/// A new generation drops the old experiment: nothing of generation 1 arrives after it.
#[wasm_bindgen_test]
async fn reconfiguring_drops_the_old_experiment() {
    creditlab_app::run_constructors();
    let messages: Rc<RefCell<Vec<FromWorker>>> = Rc::default();
    let sink = messages.clone();
    let service = Service::new(move |m| sink.borrow_mut().push(m));
    let config = TrainConfig { updates: 1_000, groups: 2, group_size: 4, ..TrainConfig::default() };
    service.handle(ToWorker::Configure { generation: 1, config: Box::new(config.clone()), prefer_gpu: false });
    wait_for(&messages, "ready 1", |m| m.iter().any(|m| matches!(m, FromWorker::Ready { generation: 1, .. }))).await;
    service.handle(ToWorker::Start);
    wait_for(&messages, "reports 1", |m| m.iter().any(|m| matches!(m, FromWorker::Reports { .. }))).await;
    service.handle(ToWorker::Configure { generation: 2, config: Box::new(TrainConfig { updates: 3, ..config }), prefer_gpu: false });
    let cut = messages.borrow().len();
    wait_for(&messages, "ready 2", |m| m.iter().any(|m| matches!(m, FromWorker::Ready { generation: 2, .. }))).await;
    service.handle(ToWorker::Start);
    wait_for(&messages, "finished 2", |m| {
        m.iter().any(|m| matches!(m, FromWorker::Stopped { generation: 2, reason: StopReason::Finished }))
    })
    .await;
    let after: Vec<String> = messages.borrow()[cut..]
        .iter()
        .filter(|m| !matches!(m, FromWorker::Ready { generation: 2, .. } | FromWorker::Reports { generation: 2, .. } | FromWorker::Views { generation: 2, .. } | FromWorker::Stopped { generation: 2, .. }))
        .map(|m| format!("{m:?}").chars().take(80).collect())
        .collect();
    // The old loop may announce that it stopped; it never reports another update.
    assert!(after.iter().all(|m| m.starts_with("Stopped { generation: 1")), "{after:?}");
}

fn input(host: &web_sys::HtmlElement, test_id: &str) -> web_sys::HtmlInputElement {
    host.query_selector(&format!("[data-testid={test_id}]")).expect("selector").unwrap_or_else(|| panic!("no {test_id}")).dyn_into().expect("an input")
}

fn change(element: &web_sys::HtmlInputElement, value: &str) {
    element.set_value(value);
    let event = web_sys::Event::new("change").expect("event");
    element.dispatch_event(&event).expect("dispatch");
}

fn text_of(host: &web_sys::HtmlElement, test_id: &str) -> String {
    host.query_selector(&format!("[data-testid={test_id}]")).ok().flatten().and_then(|e| e.text_content()).unwrap_or_default()
}

/// The page mounts with its controls, and the builder refuses bad values at the control with the
/// core's message while keeping the experiment as it was.
#[wasm_bindgen_test]
async fn the_builder_refuses_bad_values_at_the_control() {
    creditlab_app::run_constructors();
    let host: web_sys::HtmlElement = document().create_element("div").expect("div").dyn_into().expect("element");
    document().body().expect("body").append_child(&host).expect("append");
    // Uncaught errors of timers and tasks (e.g. a chart drawing after its column was disposed).
    let uncaught = Rc::new(RefCell::new(Vec::<String>::new()));
    let on_error = {
        let uncaught = uncaught.clone();
        wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let message = js_sys::Reflect::get(&e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_default();
            // The test page has no worker script to load; that error is expected here.
            if !message.contains("importScripts") {
                uncaught.borrow_mut().push(message);
            }
        })
    };
    let window = web_sys::window().expect("window");
    window.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref()).expect("listen");
    let handle = leptos::mount::mount_to(host.clone(), creditlab_app::app::App);
    gloo_timers::future::TimeoutFuture::new(50).await;
    for id in ["start", "pause", "step", "reset", "backend", "progress", "game", "estimators", "chart-reward", "chart-gradnorm",
        "chart-advantages", "chart-credit", "chart-policy", "ledger", "same-batch"] {
        assert!(host.query_selector(&format!("[data-testid={id}]")).expect("selector").is_some(), "no data-testid={id}");
    }
    assert_eq!(host.query_selector_all("[data-testid=chart-reward]").expect("selector").length(), 3, "one column per estimator");

    let rate = input(&host, "field-learning_rate");
    change(&rate, "-1");
    gloo_timers::future::TimeoutFuture::new(20).await;
    assert!(text_of(&host, "error-learning_rate").contains("learning_rate"), "{}", text_of(&host, "error-learning_rate"));
    assert_eq!(rate.get_attribute("aria-invalid").as_deref(), Some("true"));
    change(&rate, "fast");
    gloo_timers::future::TimeoutFuture::new(20).await;
    assert!(text_of(&host, "error-learning_rate").contains("not a number"));
    change(&rate, "0.01");
    gloo_timers::future::TimeoutFuture::new(20).await;
    assert_eq!(text_of(&host, "error-learning_rate"), "");
    assert_eq!(rate.value(), "0.01");

    let group = input(&host, "field-group_size");
    change(&group, "2.5");
    gloo_timers::future::TimeoutFuture::new(20).await;
    assert!(text_of(&host, "error-group_size").contains("whole number"));
    change(&group, "100000");
    gloo_timers::future::TimeoutFuture::new(20).await;
    assert!(text_of(&host, "error-group_size").contains("group_size"), "{}", text_of(&host, "error-group_size"));

    let seeds = input(&host, "field-seeds");
    change(&seeds, "1, two");
    gloo_timers::future::TimeoutFuture::new(20).await;
    assert!(text_of(&host, "error-seeds").contains("two"));

    let activation = input(&host, "field-agent1-activation");
    change(&activation, "1.5");
    gloo_timers::future::TimeoutFuture::new(20).await;
    assert!(text_of(&host, "error-agent1-activation").contains("activation"), "{}", text_of(&host, "error-agent1-activation"));

    // The last estimator cannot be unticked; two valid changes went through.
    for e in ["grpo-global", "global-step", "agent-wise"] {
        let b = input(&host, &format!("estimator-{e}"));
        b.set_checked(false);
        b.dispatch_event(&web_sys::Event::new("change").expect("event")).expect("dispatch");
        gloo_timers::future::TimeoutFuture::new(20).await;
    }
    assert!(text_of(&host, "error-estimators").contains("at least one"));
    assert!(input(&host, "estimator-agent-wise").checked(), "the refused box is ticked again");
    assert_eq!(host.query_selector_all("[data-testid=chart-reward]").expect("selector").length(), 1);
    drop(handle);
    // Removed columns and the unmounted page drew nothing after they were gone.
    gloo_timers::future::TimeoutFuture::new(100).await;
    window.remove_event_listener_with_callback("error", on_error.as_ref().unchecked_ref()).expect("unlisten");
    assert!(uncaught.borrow().is_empty(), "uncaught errors: {:?}", uncaught.borrow());
}
