//! The experiment builder: the game and its parameters (the bandit's per-agent reward sculptor),
//! the policy, the estimators to compare and the hyperparameters.
//!
//! Every control edits a copy of the config and validates it with the core's rules; a valid
//! edit becomes the experiment (the runs restart from their seeds), an invalid one is refused
//! at the control with the core's message and changes nothing.

use creditlab::advantage::Estimator;
use creditlab::env::bandit::{Bandit, BanditAgent, BanditConfig};
use creditlab::env::matrix::MatrixSpec;
use creditlab::env::pipeline::VerifierReward;
use creditlab::policy::PolicySharing;
use creditlab::{EstimatorKind, GameConfig, TrainConfig};
use leptos::prelude::*;

use crate::session::Session;

/// Every estimator the page offers, in menu order.
pub fn all_estimators() -> Vec<Estimator> {
    let mut all: Vec<Estimator> = EstimatorKind::ALL.iter().map(|&k| Estimator::Batch(k)).collect();
    all.extend([Estimator::Coma, Estimator::Difference, Estimator::Shapley]);
    all
}

/// Applies `edit` to a copy of the session's config and validates it: `Ok` makes it the
/// experiment, `Err` is the message to show at the control (nothing changes).
pub fn try_edit(session: Session, edit: impl FnOnce(&mut TrainConfig) -> Result<(), String>) -> Result<(), String> {
    let mut config = session.config.get_untracked();
    edit(&mut config)?;
    config.validate().map_err(|e| e.to_string())?;
    if config != session.config.get_untracked() {
        session.apply(config);
    }
    Ok(())
}

/// Whether a teacher's link locks control `name` (its field name, or its section).
pub fn locked(session: Session, name: &str) -> bool {
    let training = TRAINING_FIELDS.contains(&name);
    session.teacher.with(|t| {
        t.locks(name) || (training && t.locks("training")) || (!training && name != "estimators" && t.locks("game"))
    })
}

/// The controls of the "Training" section (locked together by `lock=training`).
const TRAINING_FIELDS: &[&str] =
    &["policy", "seeds", "learning_rate", "group_size", "groups", "updates", "hidden", "entropy_coef", "ppo", "ppo_clip", "clipping", "max_grad_norm"];

/// Parses a number typed into a control.
pub fn parse_number(text: &str) -> Result<f64, String> {
    let value: f64 = text.trim().parse().map_err(|_| format!("“{}” is not a number", text.trim()))?;
    if value.is_finite() { Ok(value) } else { Err(format!("{value} is not a finite number")) }
}

/// A labelled number input (and optionally a slider) bound to one config field.
#[component]
pub fn NumberField(
    /// The session.
    session: Session,
    /// Visible label.
    label: String,
    /// Field name (for `data-testid="field-…"` and the error's id).
    name: String,
    /// Slider/number bounds (the core's validation decides what is accepted).
    min: f64,
    /// Upper bound.
    max: f64,
    /// Step.
    step: f64,
    /// Reads the value from the config.
    get: impl Fn(&TrainConfig) -> f64 + Send + Sync + 'static,
    /// Writes the value into a config copy (may refuse).
    set: impl Fn(&mut TrainConfig, f64) -> Result<(), String> + Send + Sync + 'static,
    /// Show a slider beside the number.
    #[prop(optional)]
    slider: bool,
    /// Help text (tooltip).
    #[prop(optional)]
    help: &'static str,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let value = Memo::new(move |_| session.config.with(&get));
    let text = RwSignal::new(String::new());
    // Follow the config unless the user's text is being refused.
    Effect::new(move |_| {
        let v = value.get();
        if error.get_untracked().is_none() {
            text.set(format_value(v));
        }
    });
    let set = std::sync::Arc::new(set);
    let commit = move |raw: String| {
        let set = set.clone();
        text.set(raw.clone());
        let result = parse_number(&raw).and_then(|v| try_edit(session, |c| set(c, v)));
        match result {
            Ok(()) => {
                error.set(None);
                text.set(format_value(value.get_untracked()));
            }
            Err(message) => error.set(Some(message)),
        }
    };
    let commit_slider = commit.clone();
    let is_locked = {
        let name = name.clone();
        move || locked(session, &name)
    };
    let slider_locked = is_locked.clone();
    let id = format!("field-{name}");
    let error_id = format!("error-{name}");
    view! {
        <div class="field" class:invalid=move || error.get().is_some() title=help>
            <label for=id.clone()>{label}</label>
            <div class="inputs">
                {slider.then(|| view! {
                    <input type="range" min=min max=max step=step aria-hidden="true" tabindex="-1" disabled=slider_locked.clone()
                        prop:value=move || text.get()
                        on:change=move |ev| commit_slider(event_target_value(&ev)) />
                })}
                <input type="number" id=id.clone() data-testid=id.clone() min=min max=max step="any" disabled=is_locked
                    prop:value=move || text.get()
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby=error_id.clone()
                    on:change=move |ev| commit(event_target_value(&ev)) />
            </div>
            <span class="field-error" id=error_id.clone() data-testid=error_id role="alert">{move || error.get()}</span>
        </div>
    }
}

fn format_value(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e9 { format!("{v:.0}") } else { format!("{}", v as f32) }
}

/// A labelled select bound to one config field.
#[component]
fn SelectField(
    session: Session,
    label: &'static str,
    name: &'static str,
    options: Vec<(String, String)>,
    get: impl Fn(&TrainConfig) -> String + Send + Sync + 'static,
    set: impl Fn(&mut TrainConfig, &str) -> Result<(), String> + Send + Sync + 'static,
    #[prop(optional)] test_id: Option<&'static str>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let current = Memo::new(move |_| session.config.with(&get));
    let id = format!("field-{name}");
    let test_id = test_id.map_or_else(|| id.clone(), str::to_string);
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            // `prop:value` as well as each option's `selected`: once the user has picked an
            // option, only the property moves the shown choice (Back/Forward, a lesson step).
            <select id=id.clone() data-testid=test_id disabled=move || locked(session, name) prop:value=move || current.get()
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    error.set(try_edit(session, |c| set(c, &v)).err());
                }>
                {options.into_iter().map(|(value, text)| {
                    let selected = { let value = value.clone(); move || current.get() == value };
                    view! { <option value=value selected=selected>{text}</option> }
                }).collect_view()}
            </select>
            <span class="field-error" role="alert">{move || error.get()}</span>
        </div>
    }
}

/// A labelled checkbox bound to one config field.
#[component]
fn CheckField(
    session: Session,
    label: &'static str,
    name: &'static str,
    get: impl Fn(&TrainConfig) -> bool + Send + Sync + 'static,
    set: impl Fn(&mut TrainConfig, bool) -> Result<(), String> + Send + Sync + 'static,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let checked = Memo::new(move |_| session.config.with(&get));
    let id = format!("field-{name}");
    view! {
        <div class="field check">
            <input type="checkbox" id=id.clone() data-testid=id.clone() prop:checked=move || checked.get()
                disabled=move || locked(session, name)
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    error.set(try_edit(session, |c| set(c, on)).err());
                    if error.get_untracked().is_some() {
                        // Refused: the box shows the config's value again.
                        event_target::<web_sys::HtmlInputElement>(&ev).set_checked(!on);
                    }
                } />
            <label for=id>{label}</label>
            <span class="field-error" role="alert">{move || error.get()}</span>
        </div>
    }
}

fn bandit(c: &mut TrainConfig) -> Result<&mut BanditConfig, String> {
    match &mut c.game {
        GameConfig::Bandit(b) => Ok(b),
        _ => Err("not a bandit".into()),
    }
}

fn bandit_agent(c: &mut TrainConfig, k: usize) -> Result<&mut BanditAgent, String> {
    bandit(c)?.agents.get_mut(k).ok_or_else(|| format!("no agent {k}"))
}

/// The mean of agent `k`'s arm means (the sculptor's "mean").
fn arm_mean(c: &TrainConfig, k: usize) -> f64 {
    match &c.game {
        GameConfig::Bandit(b) => Bandit::new(b.clone())
            .arm_means()
            .get(k)
            .map_or(0.0, |m| m.iter().map(|&v| f64::from(v)).sum::<f64>() / m.len().max(1) as f64),
        _ => 0.0,
    }
}

/// Shifts agent `k`'s arm means so that their mean is `target` (their gaps are kept).
fn set_arm_mean(c: &mut TrainConfig, k: usize, target: f64) -> Result<(), String> {
    let GameConfig::Bandit(b) = &c.game else { return Err("not a bandit".into()) };
    let means = Bandit::new(b.clone()).arm_means().get(k).cloned().ok_or_else(|| format!("no agent {k}"))?;
    let shift = target - means.iter().map(|&v| f64::from(v)).sum::<f64>() / means.len().max(1) as f64;
    bandit_agent(c, k)?.arm_means = Some(means.iter().map(|&v| (f64::from(v) + shift) as f32).collect());
    Ok(())
}

fn as_u32(v: f64, field: &str) -> Result<u32, String> {
    if v < 0.0 || v != v.trunc() || v > f64::from(u32::MAX) {
        Err(format!("{field}: {v} is not a whole number ≥ 0"))
    } else {
        Ok(v as u32)
    }
}

/// The bandit's reward sculptor: one row of knobs per agent.
#[component]
fn Sculptor(session: Session) -> impl IntoView {
    let agents = Memo::new(move |_| session.config.with(|c| match &c.game {
        GameConfig::Bandit(b) => b.agents.len(),
        _ => 0,
    }));
    let knobs = move |k: usize| {
        let f = |label: &str, name: &str| (label.to_string(), format!("agent{k}-{name}"));
        let (l1, n1) = f("mean", "mean");
        let (l2, n2) = f("spread (noise σ)", "spread");
        let (l3, n3) = f("scale ×", "scale");
        let (l4, n4) = f("offset +", "offset");
        let (l5, n5) = f("activation p", "activation");
        let agent = move |c: &TrainConfig| match &c.game {
            GameConfig::Bandit(b) => b.agents.get(k).cloned().unwrap_or_default(),
            _ => BanditAgent::default(),
        };
        view! {
            <fieldset class=format!("agent-knobs agent-border-{}", k % 6)>
                <legend><span class=format!("swatch agent-{}", k % 6)></span>{format!("agent {k}")}</legend>
                <NumberField session label=l1 name=n1 min=-1.0 max=2.0 step=0.05 slider=true
                    help="mean of the agent's arm means (the gaps between arms are kept)"
                    get=move |c| arm_mean(c, k) set=move |c, v| set_arm_mean(c, k, v) />
                <NumberField session label=l2 name=n2 min=0.0 max=2.0 step=0.05 slider=true
                    help="std of a pull's noise before scale"
                    get=move |c| f64::from(agent(c).arm_std) set=move |c, v| { bandit_agent(c, k)?.arm_std = v as f32; Ok(()) } />
                <NumberField session label=l3 name=n3 min=0.0 max=1000.0 step=1.0 slider=true
                    help="multiplies the agent's reward"
                    get=move |c| f64::from(agent(c).scale) set=move |c, v| { bandit_agent(c, k)?.scale = v as f32; Ok(()) } />
                <NumberField session label=l4 name=n4 min=-100.0 max=100.0 step=1.0 slider=true
                    help="added to the agent's reward"
                    get=move |c| f64::from(agent(c).offset) set=move |c, v| { bandit_agent(c, k)?.offset = v as f32; Ok(()) } />
                <NumberField session label=l5 name=n5 min=0.0 max=1.0 step=0.05 slider=true
                    help="probability that the agent acts in an episode"
                    get=move |c| f64::from(agent(c).activation) set=move |c, v| { bandit_agent(c, k)?.activation = v as f32; Ok(()) } />
            </fieldset>
        }
    };
    view! {
        <div class="sculptor">
            <NumberField session label="agents".into() name="agents".into() min=1.0 max=6.0 step=1.0
                get=|c| match &c.game { GameConfig::Bandit(b) => b.agents.len() as f64, _ => 0.0 }
                set=|c, v| {
                    let n = as_u32(v, "agents")? as usize;
                    let agents = &mut bandit(c)?.agents;
                    if n == 0 || n > 6 { return Err(format!("agents: {n} is out of range 1..=6")); }
                    while agents.len() < n { let scale = 10f32.powi(agents.len() as i32); agents.push(BanditAgent { scale, ..BanditAgent::default() }); }
                    agents.truncate(n);
                    Ok(())
                } />
            <NumberField session label="arms".into() name="arms".into() min=2.0 max=16.0 step=1.0
                get=|c| match &c.game { GameConfig::Bandit(b) => f64::from(b.arms), _ => 0.0 }
                set=|c, v| {
                    let b = bandit(c)?;
                    b.arms = as_u32(v, "arms")?;
                    for a in &mut b.agents { a.arm_means = None; }
                    Ok(())
                } />
            <NumberField session label="contexts".into() name="contexts".into() min=1.0 max=16.0 step=1.0
                get=|c| match &c.game { GameConfig::Bandit(b) => f64::from(b.contexts), _ => 0.0 }
                set=|c, v| { bandit(c)?.contexts = as_u32(v, "contexts")?; Ok(()) } />
            {move || (0..agents.get()).map(knobs).collect_view()}
        </div>
    }
}

fn matrix_name(spec: &MatrixSpec) -> &'static str {
    match spec {
        MatrixSpec::Climbing => "climbing",
        MatrixSpec::Penalty { .. } => "penalty",
        MatrixSpec::PrisonersDilemma => "prisoners-dilemma",
        MatrixSpec::StagHunt => "stag-hunt",
        MatrixSpec::MatchingPennies => "matching-pennies",
        MatrixSpec::Coordination { .. } => "coordination",
        MatrixSpec::Custom { .. } => "custom",
    }
}

/// The game-specific parameters.
#[component]
fn GameParams(session: Session) -> impl IntoView {
    let kind = Memo::new(move |_| session.config.with(|c| c.game.kind()));
    let field = |label: &'static str, name: &'static str| (label.to_string(), name.to_string());
    move || match kind.get() {
        "bandit" => view! { <Sculptor session /> }.into_any(),
        "matrix" => {
            let options = ["climbing", "penalty", "prisoners-dilemma", "stag-hunt", "matching-pennies", "coordination"]
                .map(|n| (n.to_string(), n.replace('-', " ")))
                .to_vec();
            let (kl, kn) = field("penalty k", "penalty-k");
            let (pl, pn) = field("players", "players");
            let (al, an) = field("actions", "actions");
            let spec = Memo::new(move |_| session.config.with(|c| match &c.game {
                GameConfig::Matrix(s) => s.clone(),
                _ => MatrixSpec::Climbing,
            }));
            view! {
                <SelectField session label="matrix game" name="matrix" options
                    get=|c| match &c.game { GameConfig::Matrix(s) => matrix_name(s).to_string(), _ => String::new() }
                    set=|c, v| {
                        c.game = GameConfig::Matrix(match v {
                            "climbing" => MatrixSpec::Climbing,
                            "penalty" => MatrixSpec::Penalty { k: 50.0 },
                            "prisoners-dilemma" => MatrixSpec::PrisonersDilemma,
                            "stag-hunt" => MatrixSpec::StagHunt,
                            "matching-pennies" => MatrixSpec::MatchingPennies,
                            "coordination" => MatrixSpec::Coordination { players: 2, actions: 3 },
                            other => return Err(format!("unknown matrix game {other}")),
                        });
                        Ok(())
                    } />
                {move || match spec.get() {
                    MatrixSpec::Penalty { .. } => view! {
                        <NumberField session label=kl.clone() name=kn.clone() min=0.0 max=100.0 step=5.0 slider=true
                            get=|c| match &c.game { GameConfig::Matrix(MatrixSpec::Penalty { k }) => f64::from(*k), _ => 0.0 }
                            set=|c, v| { c.game = GameConfig::Matrix(MatrixSpec::Penalty { k: v as f32 }); Ok(()) } />
                    }.into_any(),
                    MatrixSpec::Coordination { .. } => view! {
                        <NumberField session label=pl.clone() name=pn.clone() min=2.0 max=3.0 step=1.0
                            get=|c| match &c.game { GameConfig::Matrix(MatrixSpec::Coordination { players, .. }) => f64::from(*players), _ => 0.0 }
                            set=|c, v| { if let GameConfig::Matrix(MatrixSpec::Coordination { players, .. }) = &mut c.game { *players = as_u32(v, "players")?; } Ok(()) } />
                        <NumberField session label=al.clone() name=an.clone() min=2.0 max=8.0 step=1.0
                            get=|c| match &c.game { GameConfig::Matrix(MatrixSpec::Coordination { actions, .. }) => f64::from(*actions), _ => 0.0 }
                            set=|c, v| { if let GameConfig::Matrix(MatrixSpec::Coordination { actions, .. }) = &mut c.game { *actions = as_u32(v, "actions")?; } Ok(()) } />
                    }.into_any(),
                    _ => ().into_any(),
                }}
            }
            .into_any()
        }
        "pipeline" => {
            macro_rules! pipe {
                ($c:expr) => {
                    match &mut $c.game {
                        GameConfig::Pipeline(p) => p,
                        _ => return Err("not the pipeline".into()),
                    }
                };
            }
            let get = |f: fn(&creditlab::env::pipeline::PipelineConfig) -> f64| {
                move |c: &TrainConfig| match &c.game { GameConfig::Pipeline(p) => f(p), _ => 0.0 }
            };
            view! {
                <NumberField session label="tasks".into() name="tasks".into() min=1.0 max=16.0 step=1.0
                    get=get(|p| f64::from(p.tasks)) set=|c, v| { pipe!(c).tasks = as_u32(v, "tasks")?; Ok(()) } />
                <NumberField session label="digits".into() name="digits".into() min=2.0 max=8.0 step=1.0
                    get=get(|p| f64::from(p.digits)) set=|c, v| { pipe!(c).digits = as_u32(v, "digits")?; Ok(()) } />
                <NumberField session label="answer length".into() name="answer_length".into() min=1.0 max=4.0 step=1.0
                    get=get(|p| f64::from(p.answer_length)) set=|c, v| { pipe!(c).answer_length = as_u32(v, "answer length")?; Ok(()) } />
                <NumberField session label="rounds".into() name="rounds".into() min=1.0 max=6.0 step=1.0
                    get=get(|p| f64::from(p.rounds)) set=|c, v| { pipe!(c).rounds = as_u32(v, "rounds")?; Ok(()) } />
                <NumberField session label="solver noise".into() name="solver_noise".into() min=0.0 max=1.0 step=0.05 slider=true
                    get=get(|p| f64::from(p.solver_noise)) set=|c, v| { pipe!(c).solver_noise = v as f32; Ok(()) } />
                <NumberField session label="call cost".into() name="call_cost".into() min=0.0 max=1.0 step=0.01 slider=true
                    get=get(|p| f64::from(p.call_cost)) set=|c, v| { pipe!(c).call_cost = v as f32; Ok(()) } />
                <CheckField session label="refiner (third agent)" name="refiner"
                    get=|c| matches!(&c.game, GameConfig::Pipeline(p) if p.refiner)
                    set=|c, on| { pipe!(c).refiner = on; Ok(()) } />
                <SelectField session label="verifier paid" name="verifier_reward"
                    options=vec![("judgement".into(), "its judgement".into()), ("outcome".into(), "the shared outcome".into())]
                    get=|c| match &c.game { GameConfig::Pipeline(p) if p.verifier_reward == VerifierReward::Outcome => "outcome".into(), _ => "judgement".into() }
                    set=|c, v| { pipe!(c).verifier_reward = if v == "outcome" { VerifierReward::Outcome } else { VerifierReward::Judgement }; Ok(()) } />
            }
            .into_any()
        }
        "foraging" => {
            macro_rules! lbf {
                ($c:expr) => {
                    match &mut $c.game {
                        GameConfig::Foraging(f) => f,
                        _ => return Err("not foraging".into()),
                    }
                };
            }
            let get = |f: fn(&creditlab::env::foraging::ForagingConfig) -> f64| {
                move |c: &TrainConfig| match &c.game { GameConfig::Foraging(p) => f(p), _ => 0.0 }
            };
            view! {
                <NumberField session label="grid size".into() name="size".into() min=3.0 max=8.0 step=1.0
                    get=get(|p| f64::from(p.size)) set=|c, v| { lbf!(c).size = as_u32(v, "size")?; Ok(()) } />
                <NumberField session label="agents".into() name="foraging-agents".into() min=2.0 max=4.0 step=1.0
                    get=get(|p| p.agent_levels.len() as f64)
                    set=|c, v| { let n = as_u32(v, "agents")? as usize; let f = lbf!(c); f.agent_levels.resize(n, 1); Ok(()) } />
                <NumberField session label="food".into() name="food".into() min=1.0 max=4.0 step=1.0
                    get=get(|p| f64::from(p.food)) set=|c, v| { lbf!(c).food = as_u32(v, "food")?; Ok(()) } />
                <NumberField session label="max steps".into() name="max_steps".into() min=1.0 max=100.0 step=1.0
                    get=get(|p| f64::from(p.max_steps)) set=|c, v| { lbf!(c).max_steps = as_u32(v, "max steps")?; Ok(()) } />
                <CheckField session label="cooperative food" name="cooperative"
                    get=|c| matches!(&c.game, GameConfig::Foraging(f) if f.cooperative)
                    set=|c, on| { lbf!(c).cooperative = on; Ok(()) } />
                <CheckField session label="shared reward" name="shared_reward"
                    get=|c| matches!(&c.game, GameConfig::Foraging(f) if f.shared_reward)
                    set=|c, on| { lbf!(c).shared_reward = on; Ok(()) } />
            }
            .into_any()
        }
        _ => view! { <p class="hint">"This game has no parameters."</p> }.into_any(),
    }
}

/// The default estimators when switching to `game`: global against agent-wise, plus the
/// estimator that the game is the lesson for.
pub fn estimators_for(game: &GameConfig) -> Vec<Estimator> {
    let mut list = vec![Estimator::Batch(EstimatorKind::GrpoGlobal), Estimator::Batch(EstimatorKind::AgentWise)];
    match game.kind() {
        "bandit" => list.insert(1, Estimator::Batch(EstimatorKind::GlobalStep)),
        "pipeline" => list.insert(1, Estimator::Batch(EstimatorKind::GlobalStep)),
        "matrix" => list.push(Estimator::Coma),
        "kuhn" | "tic-tac-toe" => list.push(Estimator::Batch(EstimatorKind::Mars)),
        "foraging" => list.push(Estimator::Batch(EstimatorKind::Gigpo)),
        _ => {}
    }
    list
}

fn parse_seeds(text: &str) -> Result<Vec<u64>, String> {
    let seeds: Result<Vec<u64>, String> = text
        .split([',', ' '])
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<u64>().map_err(|_| format!("“{}” is not a seed (a whole number ≥ 0)", s.trim())))
        .collect();
    let seeds = seeds?;
    if seeds.is_empty() {
        return Err("give at least one seed".into());
    }
    Ok(seeds)
}

/// The whole builder.
#[component]
pub fn Builder(
    /// The session.
    session: Session,
) -> impl IntoView {
    let games: Vec<(String, String)> = GameConfig::examples()
        .iter()
        .map(|g| {
            let label = match g.kind() {
                "bandit" => "Bandit (reward sculptor)",
                "matrix" => "Matrix games",
                "pipeline" => "Solver–verifier pipeline",
                "kuhn" => "Kuhn poker (self-play)",
                "tic-tac-toe" => "Tic-tac-toe (self-play)",
                _ => "Foraging gridworld",
            };
            (g.kind().to_string(), label.to_string())
        })
        .collect();
    let estimator_error = RwSignal::new(None::<String>);
    let seeds_error = RwSignal::new(None::<String>);
    let seeds_text = RwSignal::new(String::new());
    Effect::new(move |_| {
        let seeds = session.config.with(|c| c.seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", "));
        if seeds_error.get_untracked().is_none() {
            seeds_text.set(seeds);
        }
    });
    let estimator_boxes = all_estimators()
        .into_iter()
        .map(|e| {
            let checked = move || session.config.with(|c| c.estimators.contains(&e));
            let id = format!("estimator-{}", e.name());
            view! {
                <label class="estimator" for=id.clone()>
                    <input type="checkbox" id=id.clone() data-testid=id.clone() prop:checked=checked
                        disabled=move || locked(session, "estimators")
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            let result = try_edit(session, |c| {
                                if on {
                                    if !c.estimators.contains(&e) { c.estimators.push(e); }
                                } else {
                                    c.estimators.retain(|x| *x != e);
                                    if c.estimators.is_empty() { return Err("keep at least one estimator".into()); }
                                }
                                Ok(())
                            });
                            estimator_error.set(result.err());
                            if estimator_error.get_untracked().is_some() {
                                // Refused: the box shows the config's value again.
                                event_target::<web_sys::HtmlInputElement>(&ev).set_checked(!on);
                            }
                        } />
                    {e.label()}
                </label>
            }
        })
        .collect_view();
    let num = |label: &str, name: &str| (label.to_string(), name.to_string());
    let (lr_l, lr_n) = num("learning rate", "learning_rate");
    let (g_l, g_n) = num("group size G", "group_size");
    let (gr_l, gr_n) = num("groups per update", "groups");
    let (u_l, u_n) = num("updates", "updates");
    let (h_l, h_n) = num("hidden units", "hidden");
    let (e_l, e_n) = num("entropy bonus β", "entropy_coef");
    let (c_l, c_n) = num("PPO clip ε", "ppo_clip");
    let (m_l, m_n) = num("max gradient norm", "max_grad_norm");
    let hides = move |part: &str| session.teacher.with(|t| t.hides(part));
    view! {
        <aside class="builder" aria-label="experiment builder">
            <h2>"Experiment"</h2>
            {move || session.teacher.with(|t| !t.lock.is_empty()).then(|| view! {
                <p class="hint locked-note" data-testid="locked-note">"Some settings are fixed by the lesson link."</p>
            })}
            <div hidden=move || hides("game")>
            <SelectField session label="game" name="game" test_id="game" options=games
                get=|c| c.game.kind().to_string()
                set=|c, kind| {
                    let game = GameConfig::examples().into_iter().find(|g| g.kind() == kind).ok_or_else(|| format!("unknown game {kind}"))?;
                    c.estimators = estimators_for(&game);
                    c.game = game;
                    Ok(())
                } />
            </div>
            <div hidden=move || hides("game")>
            <details open>
                <summary>"Game parameters"</summary>
                <GameParams session />
            </details>
            </div>
            <div hidden=move || hides("estimators")>
            <fieldset class="estimators" data-testid="estimators">
                <legend>"Estimators to compare"</legend>
                {estimator_boxes}
                <span class="field-error" role="alert" data-testid="error-estimators">{move || estimator_error.get()}</span>
            </fieldset>
            </div>
            <div hidden=move || hides("training")>
            <details open data-testid="training">
                <summary>"Training"</summary>
                <SelectField session label="policy" name="policy"
                    options=vec![("separate".into(), "separate (one MLP per agent)".into()), ("shared".into(), "shared (one MLP, agent id)".into())]
                    get=|c| if c.policy == PolicySharing::Shared { "shared".into() } else { "separate".into() }
                    set=|c, v| { c.policy = if v == "shared" { PolicySharing::Shared } else { PolicySharing::Separate }; if c.policy == PolicySharing::Shared { c.agent_learning_rates = None; } Ok(()) } />
                <div class="field" class:invalid=move || seeds_error.get().is_some()>
                    <label for="field-seeds">"seeds"</label>
                    <input id="field-seeds" data-testid="field-seeds" type="text" prop:value=move || seeds_text.get()
                        disabled=move || locked(session, "seeds")
                        aria-invalid=move || seeds_error.get().is_some().to_string() aria-describedby="error-seeds"
                        on:change=move |ev| {
                            let raw = event_target_value(&ev);
                            seeds_text.set(raw.clone());
                            let result = parse_seeds(&raw).and_then(|seeds| try_edit(session, |c| { c.seeds = seeds; Ok(()) }));
                            seeds_error.set(result.err());
                        } />
                    <span class="field-error" id="error-seeds" data-testid="error-seeds" role="alert">{move || seeds_error.get()}</span>
                </div>
                <NumberField session label=lr_l name=lr_n min=0.0001 max=0.1 step=0.0001
                    get=|c| f64::from(c.learning_rate) set=|c, v| { c.learning_rate = v as f32; Ok(()) } />
                <NumberField session label=g_l name=g_n min=1.0 max=256.0 step=1.0
                    get=|c| f64::from(c.group_size) set=|c, v| { c.group_size = as_u32(v, "group_size")?; Ok(()) } />
                <NumberField session label=gr_l name=gr_n min=1.0 max=64.0 step=1.0
                    get=|c| f64::from(c.groups) set=|c, v| { c.groups = as_u32(v, "groups")?; Ok(()) } />
                <NumberField session label=u_l name=u_n min=1.0 max=100000.0 step=1.0
                    get=|c| f64::from(c.updates) set=|c, v| { c.updates = as_u32(v, "updates")?; Ok(()) } />
                <NumberField session label=h_l name=h_n min=1.0 max=512.0 step=1.0
                    get=|c| f64::from(c.hidden) set=|c, v| { c.hidden = as_u32(v, "hidden")?; Ok(()) } />
                <NumberField session label=e_l name=e_n min=0.0 max=1.0 step=0.001
                    get=|c| f64::from(c.entropy_coef) set=|c, v| { c.entropy_coef = v as f32; Ok(()) } />
                <CheckField session label="PPO clipping" name="ppo"
                    get=|c| c.ppo_clip.is_some() set=|c, on| { c.ppo_clip = on.then_some(0.2); Ok(()) } />
                <Show when=move || session.config.with(|c| c.ppo_clip.is_some())>
                    <NumberField session label=c_l.clone() name=c_n.clone() min=0.01 max=1.0 step=0.01
                        get=|c| c.ppo_clip.map_or(0.2, f64::from) set=|c, v| { c.ppo_clip = Some(v as f32); Ok(()) } />
                </Show>
                <CheckField session label="gradient clipping" name="clipping"
                    get=|c| c.max_grad_norm.is_some() set=|c, on| { c.max_grad_norm = on.then_some(1.0); Ok(()) } />
                <Show when=move || session.config.with(|c| c.max_grad_norm.is_some())>
                    <NumberField session label=m_l.clone() name=m_n.clone() min=0.01 max=100.0 step=0.1
                        get=|c| c.max_grad_norm.map_or(1.0, f64::from) set=|c, v| { c.max_grad_norm = Some(v as f32); Ok(()) } />
                </Show>
            </details>
            </div>
        </aside>
    }
}
