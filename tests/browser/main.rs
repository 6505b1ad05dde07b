//! Browser tests: the core's wasm build and the page's pieces, in headless Chromium.
//!
//! `.ci/test` runs this twice: without WebGPU (the CPU fallback must be chosen and train) and
//! with `--enable-unsafe-webgpu` (a software adapter: the WebGPU path must be chosen and train).
//! It tells the build which leg it is through `CREDITLAB_EXPECT_BACKEND` (`cpu` or `webgpu`).
#![cfg(target_arch = "wasm32")]

use creditlab::backend::{self, Backend};
use creditlab::{BackendKind, StepReport, TrainConfig, Trainer};
use creditlab_app::charts::{self, Theme};
use creditlab_app::components::chart_canvas::{draw_on_canvas, ChartKind};
use creditlab_app::series::{AgentSeries, RunSeries};
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
    let a = train(backend::cpu("test"), small_config(5)).await;
    let b = train(backend::cpu("test"), small_config(5)).await;
    assert_eq!(a, b);
}

/// Every game trains in wasm, and twice the same seed gives identical reports.
#[wasm_bindgen_test]
async fn every_game_trains_in_wasm_deterministically() {
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
    console_log!("{}", bench::TABLE_HEADER);
    for (name, config) in bench::cases() {
        let m = bench::measure(config, backend::cpu("bench"), 30).await.expect("bench");
        console_log!("{}", bench::table_row(&name, &m));
    }
}

/// WebGPU and the CPU start from the same parameters and the same first batch, so the first
/// update's figures agree up to float rounding (tolerance 1e-3 relative).
#[wasm_bindgen_test]
async fn webgpu_agrees_with_the_cpu_on_the_first_update() {
    let chosen = backend::choose(true).await;
    if chosen.info.kind != BackendKind::WebGpu {
        assert_ne!(EXPECTED_BACKEND, Some("webgpu"), "WebGPU was expected: {}", chosen.info.reason);
        return;
    }
    let gpu = train(chosen, small_config(1)).await;
    let cpu = train(backend::cpu("test"), small_config(1)).await;
    for (g, c) in gpu[0].runs.iter().zip(&cpu[0].runs) {
        assert_eq!(g.team_reward_mean, c.team_reward_mean, "same first batch");
        for (ga, ca) in g.agents.iter().zip(&c.agents) {
            let (gn, cn) = (ga.grad_norm.expect("finite"), ca.grad_norm.expect("finite"));
            assert!((gn - cn).abs() <= 1e-3 * cn.max(1e-3), "gradient norm {gn} (WebGPU) vs {cn} (CPU)");
            for (gp, cp) in ga.action_probs.iter().zip(&ca.action_probs) {
                assert!((gp - cp).abs() < 1e-4, "probability {gp} vs {cp}");
            }
        }
    }
}

fn synthetic_series() -> RunSeries {
    let agents = (0..3)
        .map(|k| AgentSeries {
            reward_score: (1..=40).map(|u| (u, (k as f32 + 1.0) * (u as f32).ln() / 12.0)).collect(),
            grad_norm: (1..=40).map(|u| (u, 10f32.powi(k) / (u as f32))).collect(),
            predicted_norm_factor: (1..=40).map(|u| (u, 0.5 + k as f32)).collect(),
        })
        .collect();
    RunSeries { title: "test".into(), updates: 40, total_updates: 50, agents }
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

#[wasm_bindgen_test]
fn both_charts_draw_on_a_canvas() {
    for kind in [ChartKind::Reward, ChartKind::GradNorm] {
        let canvas: web_sys::HtmlCanvasElement =
            document().create_element("canvas").expect("canvas").dyn_into().expect("a canvas");
        canvas.set_width(560);
        canvas.set_height(250);
        document().body().expect("body").append_child(&canvas).expect("append");
        assert_eq!(drawn_pixels(&canvas), 0, "a fresh canvas is blank");
        draw_on_canvas(canvas.clone(), kind, &synthetic_series(), &Theme::LIGHT).expect("draw");
        let drawn = drawn_pixels(&canvas);
        assert!(drawn > 3_000, "{kind:?} drew only {drawn} pixels");
    }
}

#[wasm_bindgen_test]
fn the_same_chart_functions_render_svg() {
    let series = synthetic_series();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (560, 250)).into_drawing_area();
        charts::gradnorm::draw(&root, &series, &Theme::DARK).expect("draw gradnorm");
    }
    assert!(svg.starts_with("<svg"));
    // A raw, a smoothed and a dashed path per agent, and the log-axis caption.
    assert!(svg.matches("<polyline").count() >= 6, "{} polylines", svg.matches("<polyline").count());
    assert!(svg.contains("Gradient norm per agent"));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (560, 250)).into_drawing_area();
        charts::reward::draw(&root, &RunSeries::default(), &Theme::LIGHT).expect("an empty series draws axes");
    }
    assert!(svg.contains("Reward per agent"));
}

#[wasm_bindgen_test]
async fn the_page_mounts_with_its_controls_and_badge() {
    let host: web_sys::HtmlElement = document().create_element("div").expect("div").dyn_into().expect("element");
    document().body().expect("body").append_child(&host).expect("append");
    let handle = leptos::mount::mount_to(host.clone(), creditlab_app::app::App);
    for id in ["start", "pause", "step", "reset", "backend", "progress", "chart-reward", "chart-gradnorm"] {
        let found = host.query_selector(&format!("[data-testid={id}]")).expect("selector");
        assert!(found.is_some(), "no element with data-testid={id}");
    }
    // The badge resolves once the backend is chosen.
    let badge = host.query_selector("[data-testid=backend]").expect("selector").expect("badge");
    for _ in 0..600 {
        if !badge.text_content().unwrap_or_default().contains("choosing") {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    let text = badge.text_content().unwrap_or_default();
    assert!(text == "WebGPU" || text.starts_with("CPU — "), "badge says {text:?}");
    assert_eq!(host.query_selector_all("[data-testid=chart-reward]").expect("selector").length(), 3);
    drop(handle);
}
