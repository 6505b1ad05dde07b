//! The experiment builder: the game and its parameters (the bandit's per-agent reward sculptor),
//! the policy, the estimators to compare and the hyperparameters.
//!
//! Every control edits a copy of the config and validates it with the core's rules; a valid
//! edit becomes the experiment (the runs restart from their seeds), an invalid one is refused
//! at the control with the core's message and changes nothing.

use creditlab::advantage::RlooScope;
use creditlab::config::{field, TRAIN_FIELDS};
use creditlab::env::bandit::{Bandit, BanditAgent, BanditConfig};
use creditlab::env::GameSpec;
use creditlab::fields::{self, Field, Range};
use creditlab::policy::PolicySharing;
use creditlab::{Estimator, GameConfig, TrainConfig};
use leptos::prelude::*;

use crate::codec;
use crate::session::Session;

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
    // The "Training" and "Advanced" sections' controls are locked together by `lock=training`.
    // The game menu and the estimators have sections of their own.
    let training = TRAIN_FIELDS.iter().any(|f| f.name == name && f.name != field::GAME.name && f.name != field::ESTIMATORS.name)
        || ["ppo", "clipping"].contains(&name);
    // The estimators' readings (the picker's selects, `gigpo_reading` …) go with the estimators.
    let estimators = name == "estimators" || name.ends_with("_reading");
    session.teacher.with(|t| {
        t.locks(name)
            || (training && t.locks("training"))
            || (estimators && t.locks("estimators"))
            || (!training && !estimators && t.locks("game"))
    })
}

/// The fields the "Training" section shows; every other field of [`TRAIN_FIELDS`] that a
/// control can edit is in "Advanced".
const TRAINING: [Field; 6] =
    [field::LEARNING_RATE, field::GROUP_SIZE, field::GROUPS, field::UPDATES, field::HIDDEN, field::ENTROPY_COEF];

/// Whether the builder draws `f` itself elsewhere (the game, the estimators, the seeds, the
/// policy, and the optional fields behind their own check boxes).
fn drawn_elsewhere(f: &Field) -> bool {
    [field::GAME, field::ESTIMATORS, field::SEEDS, field::POLICY, field::PPO_CLIP, field::MAX_GRAD_NORM].iter().any(|g| g.name == f.name)
}

/// A number control's bounds and step for `f`: its range's, where it has finite ones.
fn bounds(f: &Field) -> (f64, f64, f64) {
    match f.range {
        Range::Whole { min, max } => (min as f64, max as f64, 1.0),
        // A side the range leaves open (`>= 0`) stays open; the other keeps its bound.
        Range::Real { min, max, .. } => {
            let (lo, hi) = (if min.is_finite() { min } else { f64::MIN }, if max.is_finite() { max } else { f64::MAX });
            (lo, hi, if hi - lo <= 1.0 { 0.01 } else { 0.1 })
        }
        _ => (f64::MIN, f64::MAX, 0.01),
    }
}

/// One config field's control, drawn from its entry in the fields table: a number (a slider
/// too for a bounded real), a check box, a menu of its choices, or a text box for a list or a
/// table. It edits the field by its path, as a link would, and the core validates the result.
#[component]
pub fn PathField(
    /// The session.
    session: Session,
    /// The field.
    field: Field,
    /// Its config's path (`game` for a game's fields, empty for the trainer's).
    #[prop(optional)]
    prefix: &'static str,
    /// One agent's entry of a per-agent field (`agents[k].width` of agent 1:
    /// `game.agents.1.width`): its whole path.
    #[prop(optional, into)]
    at: Option<String>,
) -> impl IntoView {
    let path = at.clone().unwrap_or_else(|| field.path(prefix));
    let name: &'static str = match &at {
        // The control's ids name the agent (`field-game-agents-1-width`).
        Some(at) => Box::leak(at.replace('.', "-").into_boxed_str()),
        None => field.name,
    };
    let error = RwSignal::new(None::<String>);
    let current = {
        let path = path.clone();
        Memo::new(move |_| session.config.with(|c| codec::field_text(c, &path).unwrap_or_default()))
    };
    let text = RwSignal::new(String::new());
    // Follow the config unless the user's text is being refused.
    Effect::new(move |_| {
        let v = current.get();
        if error.get_untracked().is_none() {
            text.set(v);
        }
    });
    let commit = {
        let path = path.clone();
        move |raw: String| {
            text.set(raw.clone());
            let result = try_edit(session, |c| {
                *c = codec::edited(c, &path, &raw).map_err(|reason| format!("{path}: {reason}"))?;
                Ok(())
            });
            match result {
                Ok(()) => {
                    error.set(None);
                    text.set(current.get_untracked());
                }
                Err(message) => error.set(Some(message)),
            }
        }
    };
    let id = format!("field-{name}");
    let error_id = format!("error-{name}");
    let help = field.describe();
    let disabled = move || locked(session, name);
    let control = match field.range {
        Range::Flag => {
            let commit = commit.clone();
            view! {
                <input type="checkbox" id=id.clone() data-testid=id.clone() disabled=disabled
                    prop:checked=move || text.get() == "true"
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        commit(on.to_string());
                        if error.get_untracked().is_some() {
                            // Refused: the box shows the config's value again.
                            event_target::<web_sys::HtmlInputElement>(&ev).set_checked(!on);
                        }
                    } />
            }
            .into_any()
        }
        Range::Choice(names) if !field.list => {
            let commit = commit.clone();
            view! {
                <select id=id.clone() data-testid=id.clone() disabled=disabled prop:value=move || text.get()
                    on:change=move |ev| commit(event_target_value(&ev))>
                    {names.iter().map(|&n| {
                        let selected = move || text.get() == n;
                        view! { <option value=n selected=selected>{n.replace('-', " ")}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        Range::Whole { .. } | Range::Real { .. } if !field.list => {
            let (min, max, _) = bounds(&field);
            // A slider where the table gives its span (ε or a count gains nothing from one).
            let slide = field.slider.map(|(lo, hi)| (lo, hi, (hi - lo) / 100.0));
            number_inputs(NumberInputs { id: id.clone(), error_id: error_id.clone(), bounds: (min, max), slide, text, error }, disabled, commit.clone())
                .into_any()
        }
        // A list (`agent_learning_rates`, `ops`) or a table: typed as the address writes it.
        Range::Whole { .. } | Range::Real { .. } | Range::Choice(_) | Range::Other => {
            let commit = commit.clone();
            view! {
                <input type="text" id=id.clone() data-testid=id.clone() disabled=disabled prop:value=move || text.get()
                    aria-invalid=move || error.get().is_some().to_string() aria-describedby=error_id.clone()
                    on:change=move |ev| commit(event_target_value(&ev)) />
            }
            .into_any()
        }
    };
    let check = matches!(field.range, Range::Flag);
    let error_id = format!("error-{name}");
    view! {
        <div class="field" class:check=check class:invalid=move || error.get().is_some() title=help>
            {(!check).then(|| view! { <label for=id.clone()>{field.label}</label> })}
            {control}
            {check.then(|| view! { <label for=id.clone()>{field.label}</label> })}
            <span class="field-error" id=error_id.clone() data-testid=error_id role="alert">{move || error.get()}</span>
        </div>
    }
}

/// What a number control shows: its ids, bounds, optional slider (min, max, step), the text
/// shown and the error at the control.
struct NumberInputs {
    id: String,
    error_id: String,
    bounds: (f64, f64),
    slide: Option<(f64, f64, f64)>,
    text: RwSignal<String>,
    error: RwSignal<Option<String>>,
}

/// A number box, with a slider beside it where `slide` is given; both show `text` and hand what
/// the user sets to `commit`.
fn number_inputs(
    inputs: NumberInputs,
    disabled: impl Fn() -> bool + Clone + Send + Sync + 'static,
    commit: impl Fn(String) + Clone + 'static,
) -> impl IntoView {
    let NumberInputs { id, error_id, bounds: (min, max), slide, text, error } = inputs;
    let commit_slider = commit.clone();
    let slider_disabled = disabled.clone();
    view! {
        <div class="inputs">
            {slide.map(|(lo, hi, step)| view! {
                <input type="range" min=lo max=hi step=step aria-hidden="true" tabindex="-1" disabled=slider_disabled
                    prop:value=move || text.get()
                    on:change=move |ev| commit_slider(event_target_value(&ev)) />
            })}
            <input type="number" id=id.clone() data-testid=id min=min max=max step="any" disabled=disabled
                prop:value=move || text.get()
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id
                on:change=move |ev| commit(event_target_value(&ev)) />
        </div>
    }
}

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
    let is_locked = {
        let name = name.clone();
        move || locked(session, &name)
    };
    let id = format!("field-{name}");
    let error_id = format!("error-{name}");
    view! {
        <div class="field" class:invalid=move || error.get().is_some() title=help>
            <label for=id.clone()>{label}</label>
            {number_inputs(NumberInputs { id: id.clone(), error_id: error_id.clone(), bounds: (min, max), slide: slider.then_some((min, max, step)), text, error }, is_locked, commit)}
            <span class="field-error" id=error_id.clone() data-testid=error_id role="alert">{move || error.get()}</span>
        </div>
    }
}

fn format_value(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e9 { format!("{v:.0}") } else { format!("{}", v as f32) }
}

/// A select's options from (value, text) pairs.
fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(v, t)| (v.to_string(), t.to_string())).collect()
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
    let bounds_of = |name: &str| {
        fields::find(BanditConfig::FIELDS, name).map_or((0.0, 1.0, 0.05), |f| {
            let (lo, hi, step) = bounds(f);
            (lo.max(-100.0), hi.min(1000.0), step)
        })
    };
    let [(sd_lo, sd_hi, _), (sc_lo, sc_hi, _), (of_lo, of_hi, _), (ac_lo, ac_hi, _)] =
        ["agents[k].arm_std", "agents[k].scale", "agents[k].offset", "agents[k].activation"].map(bounds_of);
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
                <NumberField session label=l2 name=n2 min=sd_lo max=sd_hi.min(2.0) step=0.05 slider=true
                    help="std of a pull's noise before scale"
                    get=move |c| f64::from(agent(c).arm_std) set=move |c, v| { bandit_agent(c, k)?.arm_std = v as f32; Ok(()) } />
                <NumberField session label=l3 name=n3 min=sc_lo max=sc_hi step=1.0 slider=true
                    help="multiplies the agent's reward"
                    get=move |c| f64::from(agent(c).scale) set=move |c, v| { bandit_agent(c, k)?.scale = v as f32; Ok(()) } />
                <NumberField session label=l4 name=n4 min=of_lo max=of_hi.min(100.0) step=1.0 slider=true
                    help="added to the agent's reward"
                    get=move |c| f64::from(agent(c).offset) set=move |c, v| { bandit_agent(c, k)?.offset = v as f32; Ok(()) } />
                <NumberField session label=l5 name=n5 min=ac_lo max=ac_hi step=0.05 slider=true
                    help="probability that the agent acts in an episode"
                    get=move |c| f64::from(agent(c).activation) set=move |c, v| { bandit_agent(c, k)?.activation = v as f32; Ok(()) } />
            </fieldset>
        }
    };
    let range_of = |name: &str| fields::find(BanditConfig::FIELDS, name).map_or(Range::whole(1, 1), |f| f.range);
    let agents_range = range_of("agents");
    let [(agents_lo, agents_hi), (arms_lo, arms_hi), (contexts_lo, contexts_hi)] =
        [agents_range, range_of("arms"), range_of("contexts")].map(|r| r.bounds().unwrap_or((1.0, 1.0)));
    view! {
        <div class="sculptor">
            <NumberField session label="agents".into() name="agents".into() min=agents_lo max=agents_hi step=1.0
                get=|c| match &c.game { GameConfig::Bandit(b) => b.agents.len() as f64, _ => 0.0 }
                set=move |c, v| {
                    let n = as_u32(v, "agents")? as usize;
                    let agents = &mut bandit(c)?.agents;
                    if !(agents_lo..=agents_hi).contains(&(n as f64)) { return Err(format!("agents: {n} is out of range {}", agents_range.text())); }
                    while agents.len() < n { let scale = 10f32.powi(agents.len() as i32); agents.push(BanditAgent { scale, ..BanditAgent::default() }); }
                    agents.truncate(n);
                    Ok(())
                } />
            <NumberField session label="arms".into() name="arms".into() min=arms_lo max=arms_hi step=1.0
                get=|c| match &c.game { GameConfig::Bandit(b) => f64::from(b.arms), _ => 0.0 }
                set=|c, v| {
                    let b = bandit(c)?;
                    b.arms = as_u32(v, "arms")?;
                    for a in &mut b.agents { a.arm_means = None; }
                    Ok(())
                } />
            <NumberField session label="contexts".into() name="contexts".into() min=contexts_lo max=contexts_hi step=1.0
                get=|c| match &c.game { GameConfig::Bandit(b) => f64::from(b.contexts), _ => 0.0 }
                set=|c, v| { bandit(c)?.contexts = as_u32(v, "contexts")?; Ok(()) } />
            {move || (0..agents.get()).map(knobs).collect_view()}
        </div>
    }
}

/// The game-specific parameters: the bandit's reward sculptor, or one control per field of the
/// game's table that the current game has (a matrix game's variant decides which).
#[component]
fn GameParams(session: Session) -> impl IntoView {
    let shown = Memo::new(move |_| {
        session.config.with(|c| {
            let game = codec::to_value(c)["game"].clone();
            let fields: Vec<Field> = c.game.fields().iter().filter(|f| game.get(f.name).is_some()).copied().collect();
            (c.game.kind(), fields)
        })
    });
    let game_view = session.game_view();
    // Per-agent fields (`agents[k].width`) of games whose agents are a list of objects other
    // than the bandit's (which has its sculptor): one set of controls per agent.
    let per_agent = Memo::new(move |_| {
        session.config.with(|c| {
            let game = codec::to_value(c)["game"].clone();
            let count = game.get("agents").and_then(|a| a.as_array()).filter(|a| a.iter().all(|v| v.is_object())).map_or(0, Vec::len);
            let fields: Vec<Field> = c.game.fields().iter().filter(|f| f.name.starts_with("agents[k].")).copied().collect();
            if c.game.kind() == BanditConfig::KIND || fields.is_empty() { Vec::new() } else { vec![fields; count] }
        })
    });
    move || {
        let (kind, fields) = shown.get();
        if kind == BanditConfig::KIND {
            return view! { <Sculptor session /> }.into_any();
        }
        if fields.is_empty() && per_agent.get().is_empty() {
            return view! { <p class="hint">"This game has no parameters."</p> }.into_any();
        }
        let game = game_view.get();
        let agents = per_agent
            .get()
            .into_iter()
            .enumerate()
            .map(|(k, fields)| {
                let controls = fields
                    .into_iter()
                    .map(|field| {
                        let at = format!("game.agents.{k}.{}", field.name.trim_start_matches("agents[k]."));
                        view! { <PathField session field at /> }
                    })
                    .collect_view();
                view! {
                    <fieldset class=format!("agent-knobs agent-border-{}", k % 6)>
                        <legend><span class=format!("swatch agent-{}", k % 6)></span>{game.agent(k)}</legend>
                        {controls}
                    </fieldset>
                }
            })
            .collect_view();
        view! {
            {fields.into_iter().map(|field| view! { <PathField session field prefix="game" /> }).collect_view()}
            <div class="sculptor">{agents}</div>
        }
        .into_any()
    }
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
    let games: Vec<(String, String)> = GameConfig::examples().iter().map(|g| (g.kind().to_string(), g.label().to_string())).collect();
    let estimator_error = RwSignal::new(None::<String>);
    let seeds_error = RwSignal::new(None::<String>);
    let seeds_text = RwSignal::new(String::new());
    Effect::new(move |_| {
        let seeds = session.config.with(|c| c.seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", "));
        if seeds_error.get_untracked().is_none() {
            seeds_text.set(seeds);
        }
    });
    let estimator_boxes = Estimator::ALL
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
    let (c_lo, c_hi, c_step) = bounds(&field::PPO_CLIP);
    let (m_lo, _, _) = bounds(&field::MAX_GRAD_NORM);
    let advanced: Vec<Field> = TRAIN_FIELDS.iter().filter(|f| !drawn_elsewhere(f) && !TRAINING.contains(f)).copied().collect();
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
                    let game = GameConfig::example(kind).ok_or_else(|| format!("unknown game {kind}"))?;
                    c.estimators = game.default_estimators();
                    if game.is_language() || c.game.is_language() {
                        // Language agents train with settings of their own (and leaving them,
                        // the MLP games' defaults come back).
                        let defaults = TrainConfig::for_game(game.clone());
                        (c.learning_rate, c.entropy_coef, c.groups, c.group_size, c.updates) =
                            (defaults.learning_rate, defaults.entropy_coef, defaults.groups, defaults.group_size, defaults.updates);
                        // Not yet measured for language agents (the config refuses them there).
                        if game.is_language() {
                            (c.theory_check, c.kl_coef) = (false, 0.0);
                        }
                    }
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
                <Show when=move || session.config.with(|c| c.estimators.contains(&Estimator::Gigpo))>
                    <SelectField session label="GiGPO reading" name="gigpo_reading" test_id="variant-gigpo"
                        options=options(&[("global", "global keys"), ("dr-mas", "agent-wise, as Dr. MAS's code"), ("own-steps", "agent-wise, each agent's own steps")])
                        get=|c| match (c.gigpo_agent_wise, c.gigpo_own_steps) { (false, _) => "global".into(), (true, false) => "dr-mas".into(), (true, true) => "own-steps".into() }
                        set=|c, v| { c.gigpo_agent_wise = v != "global"; c.gigpo_own_steps = v == "own-steps"; Ok(()) } />
                </Show>
                <Show when=move || session.config.with(|c| c.estimators.contains(&Estimator::Rloo))>
                    <SelectField session label="RLOO members" name="rloo_reading" test_id="variant-rloo"
                        options=options(&[("mean", "trajectory mean (default)"), ("first-sample", "first sample per trajectory (DrMAS code)"), ("agent", "agent's samples"), ("group", "group's samples")])
                        get=|c| match (c.rloo_scope, c.rloo_first_sample) {
                            (RlooScope::Episode, false) => "mean".into(),
                            (RlooScope::Episode, true) => "first-sample".into(),
                            (RlooScope::Agent, _) => "agent".into(),
                            (RlooScope::Group, _) => "group".into(),
                        }
                        set=|c, v| {
                            c.rloo_scope = match v { "agent" => RlooScope::Agent, "group" => RlooScope::Group, _ => RlooScope::Episode };
                            c.rloo_first_sample = v == "first-sample";
                            Ok(())
                        } />
                </Show>
                <Show when=move || session.config.with(|c| c.estimators.contains(&Estimator::Mars))>
                    <SelectField session label="MARS unique values" name="mars_reading" test_id="variant-mars"
                        options=options(&[("turns", "over the turns (default)"), ("padded", "over the padded tensor (MARS code)")])
                        get=|c| if c.mars_padded_unique { "padded".into() } else { "turns".into() }
                        set=|c, v| { c.mars_padded_unique = v == "padded"; Ok(()) } />
                </Show>
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
                {TRAINING.into_iter().map(|field| view! { <PathField session field /> }).collect_view()}
                <CheckField session label="PPO clipping" name="ppo"
                    get=|c| c.ppo_clip.is_some() set=|c, on| { c.ppo_clip = on.then_some(0.2); Ok(()) } />
                <Show when=move || session.config.with(|c| c.ppo_clip.is_some())>
                    <NumberField session label=field::PPO_CLIP.label.into() name=field::PPO_CLIP.name.into() min=c_lo.max(0.01) max=c_hi step=c_step
                        help=field::PPO_CLIP.doc
                        get=|c| c.ppo_clip.map_or(0.2, f64::from) set=|c, v| { c.ppo_clip = Some(v as f32); Ok(()) } />
                </Show>
                <CheckField session label="gradient clipping" name="clipping"
                    get=|c| c.max_grad_norm.is_some() set=|c, on| { c.max_grad_norm = on.then_some(1.0); Ok(()) } />
                <Show when=move || session.config.with(|c| c.max_grad_norm.is_some())>
                    <NumberField session label=field::MAX_GRAD_NORM.label.into() name=field::MAX_GRAD_NORM.name.into() min=m_lo.max(0.01) max=100.0 step=0.1
                        help=field::MAX_GRAD_NORM.doc
                        get=|c| c.max_grad_norm.map_or(1.0, f64::from) set=|c, v| { c.max_grad_norm = Some(v as f32); Ok(()) } />
                </Show>
            </details>
            <details data-testid="advanced">
                <summary>"Advanced"</summary>
                <p class="hint">"Every other setting a link can carry: optimizer epochs, the KL penalty, per-agent learning rates and each estimator's options."</p>
                {advanced.into_iter().map(|field| view! { <PathField session field /> }).collect_view()}
            </details>
            </div>
        </aside>
    }
}
