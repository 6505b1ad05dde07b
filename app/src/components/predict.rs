//! Predict, then reveal: before the next update is applied the student guesses, for one
//! estimator, whose gradient norm will be largest and the sign of one agent's mean advantage;
//! "Step and reveal" trains that update and shows the measured answer beside the guess.

use creditlab::StepReport;
use leptos::prelude::*;

use crate::session::Session;

/// |mean advantage| below this fraction of its std counts as "about zero".
const ZERO_BAND: f32 = 0.05;

/// Every agent's gradient norm below this: the agents have converged (their batches carry almost
/// no signal), so which norm is largest is noise, and that guess is not scored.
pub const CONVERGED: f32 = 1e-3;

/// Whether every agent's gradient norm was measured (finite, in every run) and is below
/// [`CONVERGED`]; a diverged or stopped run's missing norms are not convergence.
fn converged(values: &[(f32, f32, f32)]) -> bool {
    !values.is_empty() && values.iter().all(|v| v.0.is_finite() && v.0 < CONVERGED)
}

#[derive(Debug, Clone, PartialEq)]
struct Guess {
    update: u32,
    estimator: usize,
    largest: usize,
    agent: usize,
    sign: &'static str,
}

/// Per agent: (mean grad norm, mean advantage mean, mean advantage std) over the estimator's
/// seeds; the norm is NaN where a run has none (non-finite, or the run stopped).
fn measured(report: &StepReport, estimator: creditlab::advantage::Estimator, agents: usize) -> Vec<(f32, f32, f32)> {
    let runs: Vec<_> = report.runs.iter().filter(|r| r.estimator == estimator).collect();
    let n = runs.len().max(1) as f32;
    (0..agents)
        .map(|k| {
            let sum = |f: &dyn Fn(&creditlab::AgentReport) -> f32| {
                runs.iter().filter_map(|r| r.agents.get(k)).map(f).sum::<f32>() / n
            };
            (sum(&|a| a.grad_norm.unwrap_or(f32::NAN)), sum(&|a| a.advantage_mean), sum(&|a| a.advantage_std))
        })
        .collect()
}

/// The measured answers to `guess`: the agent with the largest gradient norm, and the sign of
/// the guessed agent's mean advantage with that mean and std.
fn answers(guess: &Guess, values: &[(f32, f32, f32)]) -> (usize, &'static str, f32, f32) {
    let norm = |k: usize| if values[k].0.is_nan() { 0.0 } else { values[k].0 };
    let largest = (0..values.len()).max_by(|&a, &b| norm(a).total_cmp(&norm(b))).unwrap_or(0);
    let (mean, std) = values.get(guess.agent).map_or((0.0, 0.0), |v| (v.1, v.2));
    (largest, sign_of(mean, std), mean, std)
}

fn sign_of(mean: f32, std: f32) -> &'static str {
    if mean.abs() <= ZERO_BAND * std.max(1e-6) {
        "about zero"
    } else if mean > 0.0 {
        "positive"
    } else {
        "negative"
    }
}

/// The prediction panel.
#[component]
pub fn Predict(
    /// The session.
    session: Session,
) -> impl IntoView {
    let game = session.game_view();
    let estimator = RwSignal::new(0usize);
    let largest = RwSignal::new(0usize);
    let agent = RwSignal::new(0usize);
    let sign = RwSignal::new("about zero");
    let pending = RwSignal::new(None::<Guess>);
    let revealed = RwSignal::new(None::<(Guess, Vec<(f32, f32, f32)>)>);
    let score = RwSignal::new((0u32, 0u32));
    Effect::new(move |_| {
        session.config.track();
        pending.set(None);
        revealed.set(None);
        estimator.set(0);
        largest.set(0);
        agent.set(0);
    });
    // Reveal once the guessed update's report is in.
    Effect::new(move |_| {
        session.data.reports_changed.track();
        let Some(guess) = pending.get_untracked() else { return };
        let Some(e) = session.config.with_untracked(|c| c.estimators.get(guess.estimator).copied()) else { return };
        let agents = game.with_untracked(|g| g.agents.len());
        let found = session.data.reports.with_value(|r| r.get(guess.update).map(|rep| measured(rep, e, agents)));
        if let Some(values) = found {
            let (largest, sign, _, _) = answers(&guess, &values);
            let scored = !converged(&values);
            let right = u32::from(scored && largest == guess.largest) + u32::from(sign == guess.sign);
            score.update(|(r, t)| {
                *r += right;
                *t += 1 + u32::from(scored);
            });
            pending.set(None);
            revealed.set(Some((guess, values)));
        }
    });
    let can_step = move || {
        session.link.ready.get() && !session.link.running.get() && !session.data.imported.get() && pending.get().is_none() && {
            session.data.history.with(|h| h.updates < h.total)
        }
    };
    let go = move |_| {
        let update = session.data.history.with_untracked(|h| h.updates) + 1;
        pending.set(Some(Guess {
            update,
            estimator: estimator.get_untracked(),
            largest: largest.get_untracked(),
            agent: agent.get_untracked(),
            sign: sign.get_untracked(),
        }));
        revealed.set(None);
        session.step();
    };
    let agent_options = move |selected: RwSignal<usize>| {
        game.get().agents.into_iter().enumerate().map(move |(k, name)| view! {
            <option value=k.to_string() selected=move || selected.get() == k>{name}</option>
        }).collect_view()
    };
    let reveal = move || {
        revealed.get().map(|(guess, values)| {
            let game = game.get();
            let (actual_largest, actual_sign, m, s) = answers(&guess, &values);
            let mark = |ok: bool| if ok { "✓" } else { "✗" };
            let norms: Vec<String> =
                values.iter().enumerate().map(|(k, v)| format!("{} {}", game.agent(k), crate::format::significant(Some(v.0).filter(|n| n.is_finite())))).collect();
            let largest_line = if converged(&values) {
                format!(
                    "– Every gradient norm at update {} is below {CONVERGED}: the agents have converged, so which one is largest is noise and this guess is not scored. Norms: {}. Reset to predict early in a run.",
                    guess.update,
                    norms.join(", ")
                )
            } else {
                format!(
                    "{} Largest gradient norm at update {}: {} (you said {}). Norms: {}.",
                    mark(actual_largest == guess.largest),
                    guess.update,
                    game.agent(actual_largest),
                    game.agent(guess.largest),
                    norms.join(", ")
                )
            };
            view! {
                <div class="reveal" data-testid="predict-reveal">
                    <p>{largest_line}</p>
                    <p>{format!("{} {}'s mean advantage: {m:.3} (std {s:.3}) — {actual_sign} (you said {}).",
                        mark(actual_sign == guess.sign), game.agent(guess.agent), guess.sign)}</p>
                </div>
            }
        })
    };
    // Late in a run every norm may have fallen to almost nothing: say so before the guess.
    let settled = move || {
        session.data.reports_changed.track();
        let e = session.config.with(|c| c.estimators.get(estimator.get()).copied())?;
        let agents = game.with(|g| g.agents.len());
        let values = session.data.reports.with_value(|r| r.last().map(|rep| measured(rep, e, agents)))?;
        converged(&values).then(|| {
            view! {
                <p class="hint" data-testid="predict-converged">{format!(
                    "Under this estimator every agent's gradient norm is now below {CONVERGED}: the policies have converged and the next \
                     update has almost nothing to learn, so “largest gradient norm” will not be scored. Reset to predict early in a run."
                )}</p>
            }
        })
    };
    view! {
        <section class="predict" data-testid="predict" aria-label="predict, then reveal">
            <h2>"Predict, then reveal"</h2>
            <p class="hint">"Pause, make your guess about the next update, then let the lab train it and compare."</p>
            {settled}
            <div class="row">
                <label>"estimator "
                    <select data-testid="predict-estimator" on:change=move |ev| estimator.set(event_target_value(&ev).parse().unwrap_or(0))>
                        {move || session.config.with(|c| c.estimators.clone()).into_iter().enumerate().map(|(i, e)| view! {
                            <option value=i.to_string() selected=move || estimator.get() == i>{e.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"largest gradient norm: "
                    <select data-testid="predict-largest" on:change=move |ev| largest.set(event_target_value(&ev).parse().unwrap_or(0))>
                        {move || agent_options(largest)}
                    </select>
                </label>
                <label>"mean advantage of "
                    <select data-testid="predict-agent" on:change=move |ev| agent.set(event_target_value(&ev).parse().unwrap_or(0))>
                        {move || agent_options(agent)}
                    </select>
                </label>
                <label>" will be "
                    <select data-testid="predict-sign" on:change=move |ev| {
                        let v = event_target_value(&ev);
                        sign.set(match v.as_str() { "positive" => "positive", "negative" => "negative", _ => "about zero" });
                    }>
                        {["positive", "about zero", "negative"].map(|s| view! { <option value=s selected=move || sign.get() == s>{s}</option> })}
                    </select>
                </label>
                <button data-testid="predict-go" disabled=move || !can_step() on:click=go>"Step and reveal"</button>
                <span class="hint" data-testid="predict-score">{move || {
                    let (r, t) = score.get();
                    (t > 0).then(|| format!("score {r} / {t}"))
                }}</span>
            </div>
            {reveal}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convergence_needs_every_norm_measured_and_tiny() {
        assert!(converged(&[(1e-5, 0.0, 1.0), (3e-4, 0.0, 1.0)]));
        assert!(!converged(&[(1e-5, 0.0, 1.0), (0.2, 0.0, 1.0)]));
        // A diverged run has no norm: that is not convergence.
        assert!(!converged(&[(f32::NAN, 0.0, 1.0), (1e-5, 0.0, 1.0)]));
        assert!(!converged(&[]));
        let guess = Guess { update: 1, estimator: 0, largest: 0, agent: 1, sign: "positive" };
        let (largest, sign, _, _) = answers(&guess, &[(f32::NAN, 0.0, 1.0), (0.5, 0.4, 1.0)]);
        assert_eq!((largest, sign), (1, "positive"));
    }
}
