//! Step through one update: a frozen batch of the inspected seed, walked in six stages —
//! raw rewards → grouping keys → per-key μ and σ → advantages → per-agent gradient norms → the
//! parameter change — with the numbers at each stage. Before the advantages are shown the
//! student guesses the sign of one sample's advantage.

use creditlab::{BatchView, RunReport};
use leptos::prelude::*;

use crate::session::Session;

/// Samples shown in the stage tables.
const ROWS: usize = 16;

const STAGES: [&str; 6] =
    ["1 · raw rewards", "2 · grouping keys", "3 · per-key μ and σ", "4 · advantages", "5 · gradient norms", "6 · parameter change"];

/// A batch and the reports around its update, frozen.
#[derive(Debug, Clone, PartialEq)]
struct Frozen {
    view: BatchView,
    /// The report of the update that trained on this batch (this run).
    after: Option<RunReport>,
    /// The run's report of the update before (policy before the step); `None` at update 1.
    before: Option<RunReport>,
    eps: f32,
    learning_rate: f32,
}

fn freeze(session: Session, estimator: usize) -> Option<Frozen> {
    let view = session.data.views.with_untracked(|v| v.get(estimator).cloned())?;
    let run = view.run as usize;
    let update = view.update as usize;
    let (after, before) = session.data.reports.with_value(|reports| {
        let at = |u: usize| reports.get(u as u32).and_then(|r| r.runs.get(run)).cloned();
        (at(update), at(update.saturating_sub(1)))
    });
    let config = session.config.get_untracked();
    Some(Frozen { view, after, before, eps: config.eps, learning_rate: config.learning_rate })
}

fn num(v: f32) -> String {
    if v.abs() >= 1000.0 || (v != 0.0 && v.abs() < 1e-3) { format!("{v:.3e}") } else { format!("{v:.3}") }
}

/// The step-through panel.
#[component]
pub fn StepThrough(
    /// The session.
    session: Session,
) -> impl IntoView {
    let estimator = RwSignal::new(0usize);
    let stage = RwSignal::new(0usize);
    let frozen = RwSignal::new(None::<Frozen>);
    let guess = RwSignal::new(None::<&'static str>);
    let game = session.game_view();
    // A new experiment drops the frozen batch.
    Effect::new(move |_| {
        session.config.track();
        frozen.set(None);
    });
    let do_freeze = move || {
        let f = freeze(session, estimator.get_untracked());
        if f.is_none() {
            session.message.set(Some("No batch yet: train at least one update, then freeze it.".into()));
        }
        frozen.set(f);
        stage.set(0);
        guess.set(None);
    };
    let at_end = move || stage.get() + 1 == STAGES.len();
    let tabs = move || {
        session.config.with(|c| c.estimators.clone()).into_iter().enumerate().map(|(i, e)| view! {
            <option value=i.to_string() selected=move || estimator.get() == i>{e.label()}</option>
        }).collect_view()
    };
    let body = move || {
        let Some(f) = frozen.get() else {
            return view! { <p class="hint">"Train a few updates (or pause), choose an estimator and press Freeze: the lab \
                keeps that batch and walks through how it became one policy update."</p> }.into_any();
        };
        let game = game.get();
        if f.view.samples.is_empty() {
            return view! { <p class="hint">"This batch has no samples (no agent acted): nothing to step through."</p> }.into_any();
        }
        let samples = &f.view.samples;
        let ledger = &f.view.advantages.ledger;
        let shown = samples.len().min(ROWS);
        let header = format!(
            "update {} · {} · seed {} · {} samples in the batch (first {shown} shown)",
            f.view.update,
            f.view.estimator.label(),
            f.view.seed,
            f.view.total_samples
        );
        let sample_rows = |with_key: bool, with_adv: bool| {
            (0..shown).map(|i| {
                let s = &samples[i];
                let e = ledger.get(i);
                view! {
                    <tr>
                        <td>{s.group}</td><td>{s.episode}</td><td>{game.agent(s.agent as usize)}</td><td>{s.turn}</td>
                        <td>{s.action.map_or("—".into(), |a| game.action(s.agent as usize, a as usize))}</td>
                        <td>{num(s.reward)}</td>
                        {with_key.then(|| view! { <td><code>{e.map(|e| e.key.clone())}</code></td><td>{e.map(|e| e.key_size)}</td> })}
                        {with_adv.then(|| {
                            let formula = e.map(|e| match &e.note {
                                Some(note) => note.clone(),
                                None => format!("({} − {}) / ({} + {}) = {}", num(e.value), num(e.mean), num(e.std), f.eps, num(e.advantage)),
                            });
                            view! { <td>{formula}</td><td class="adv">{e.map(|e| num(e.advantage))}</td> }
                        })}
                    </tr>
                }
            }).collect_view()
        };
        let head = |with_key: bool, with_adv: bool| view! {
            <tr><th>"group"</th><th>"episode"</th><th>"agent"</th><th>"turn"</th><th>"action"</th><th>"reward r"</th>
                {with_key.then(|| view! { <th>"key"</th><th>"members"</th> })}
                {with_adv.then(|| view! { <th>"(value − μ) / (σ + ε)"</th><th>"A"</th> })}</tr>
        };
        let content = match stage.get() {
            0 => view! {
                <p>"Every decision of the batch is one sample with the reward credited to it (by default its episode's return, \
                    its agent's own term on the bandit)."</p>
                <table class="steps"><thead>{head(false, false)}</thead><tbody>{sample_rows(false, false)}</tbody></table>
            }.into_any(),
            1 => view! {
                <p>{format!("{} groups the samples by key; the statistics are computed per key.", f.view.estimator.label())}</p>
                <table class="steps"><thead>{head(true, false)}</thead><tbody>{sample_rows(true, false)}</tbody></table>
            }.into_any(),
            2 => {
                let mut keys: Vec<&creditlab::LedgerEntry> = Vec::new();
                for e in ledger {
                    if !keys.iter().any(|k| k.key == e.key) {
                        keys.push(e);
                    }
                }
                let total = keys.len();
                let rows = keys.into_iter().take(24).map(|e| view! {
                    <tr><td><code>{e.key.clone()}</code></td><td>{e.key_size}</td><td>{num(e.mean)}</td><td>{num(e.std)}</td></tr>
                }).collect_view();
                view! {
                    <p>{format!("{total} keys. A key with one member uses μ = 0, σ = 1; a key whose members are all equal has σ = 0 and gives A = 0.")}</p>
                    <table class="steps"><thead><tr><th>"key"</th><th>"members"</th><th>"μ"</th><th>"σ"</th></tr></thead>
                        <tbody>{rows}</tbody></table>
                }.into_any()
            }
            3 => match guess.get() {
                None => {
                    let s = &samples[0];
                    let e = ledger.first();
                    view! {
                        <div class="predict-box" data-testid="step-guess">
                            <p>{format!("Predict first: sample 0 ({}, reward {}) has key {} with μ = {}, σ = {}. Will its advantage be positive, zero or negative?",
                                game.agent(s.agent as usize), num(s.reward), e.map(|e| e.key.clone()).unwrap_or_default(),
                                e.map_or(String::new(), |e| num(e.mean)), e.map_or(String::new(), |e| num(e.std)))}</p>
                            <button data-testid="guess-positive" on:click=move |_| guess.set(Some("positive"))>"positive"</button>
                            <button data-testid="guess-zero" on:click=move |_| guess.set(Some("zero"))>"zero"</button>
                            <button data-testid="guess-negative" on:click=move |_| guess.set(Some("negative"))>"negative"</button>
                        </div>
                    }.into_any()
                }
                Some(g) => {
                    let a = ledger.first().map_or(0.0, |e| e.advantage);
                    let actual = if a.abs() < 1e-6 { "zero" } else if a > 0.0 { "positive" } else { "negative" };
                    let verdict = if g == actual { format!("✓ right: A = {}", num(a)) } else { format!("✗ you said {g}; A = {} is {actual}", num(a)) };
                    view! {
                        <p class="reveal" data-testid="step-reveal">{verdict}</p>
                        <table class="steps"><thead>{head(true, true)}</thead><tbody>{sample_rows(true, true)}</tbody></table>
                    }.into_any()
                }
            },
            4 => {
                let rows = f.after.as_ref().map(|r| r.agents.iter().enumerate().map(|(k, a)| view! {
                    <tr><td>{game.agent(k)}</td><td>{num(a.advantage_mean)}</td><td>{num(a.advantage_std)}</td>
                        <td>{a.grad_norm.map_or("skipped (non-finite)".into(), num)}</td>
                        <td>{a.predicted_inflation.map_or("—".into(), |p| num(p.sqrt()))}</td></tr>
                }).collect_view());
                view! {
                    <p>"The loss −Σ A·log π(a|s) (weighted per agent) is differentiated; each agent's gradient norm is the L2 norm \
                        over its own parameters, before any clipping. The last column is the factor √((σ_k² + (μ_k − μ)²)/σ²) \
                        predicted for one global baseline."</p>
                    <table class="steps"><thead><tr><th>"agent"</th><th>"mean A"</th><th>"std A"</th><th>"‖∇θ_k‖"</th><th>"predicted factor"</th></tr></thead>
                        <tbody>{rows}</tbody></table>
                }.into_any()
            }
            _ => {
                let rows = f.after.as_ref().map(|r| r.agents.iter().enumerate().map(|(k, a)| {
                    let before = f.before.as_ref().and_then(|b| b.agents.get(k)).map(|b| b.action_probs.clone());
                    let probs = |p: &[f32]| p.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(" ");
                    view! {
                        <tr><td>{game.agent(k)}</td><td>{a.update_norm.map_or("—".into(), num)}</td>
                            <td>{before.map_or("(initial policy: not recorded)".into(), |b| probs(&b))}</td>
                            <td>{probs(&a.action_probs)}</td></tr>
                    }
                }).collect_view());
                view! {
                    <p>{format!("Adam (learning rate {}) turns each gradient into a step; ‖Δθ_k‖ is the size of that step over \
                        the agent's parameters. The policy at the game's reference decision, before → after:", f.learning_rate)}</p>
                    <table class="steps"><thead><tr><th>"agent"</th><th>"‖Δθ_k‖"</th><th>"π before"</th><th>"π after"</th></tr></thead>
                        <tbody>{rows}</tbody></table>
                }.into_any()
            }
        };
        view! { <p class="hint" data-testid="step-header">{header}</p><div data-testid="step-stage">{content}</div> }.into_any()
    };
    view! {
        <section class="step-through" data-testid="step-through" aria-label="step through one update">
            <h2>"Step through one update"</h2>
            <div class="row">
                <label>"estimator "
                    <select data-testid="step-estimator" on:change=move |ev| {
                        estimator.set(event_target_value(&ev).parse().unwrap_or(0));
                        frozen.set(None);
                    }>{tabs}</select>
                </label>
                <button data-testid="step-freeze" on:click=move |_| do_freeze()>"Freeze the latest batch"</button>
            </div>
            <Show when=move || frozen.with(Option::is_some)>
                <nav class="stages" role="tablist">
                    {STAGES.iter().enumerate().map(|(i, label)| view! {
                        <button role="tab" class:active=move || stage.get() == i aria-selected=move || (stage.get() == i).to_string()
                            on:click=move |_| stage.set(i)>{*label}</button>
                    }).collect_view()}
                    <button data-testid="step-next" disabled=at_end
                        on:click=move |_| stage.update(|s| *s = (*s + 1).min(STAGES.len() - 1))>"next →"</button>
                </nav>
            </Show>
            {body}
        </section>
    }
}
