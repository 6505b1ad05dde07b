//! Language agents' batch views, per estimator column: the token credit map (responses ×
//! tokens, each cell the token as text coloured by its advantage — every token of a response
//! shares the response's advantage) and transcripts of the batch (question, each round's answer
//! and verdict, rewards, advantages).

use leptos::prelude::*;

use super::chart_canvas::current_theme;
use crate::session::Session;
use creditlab::BatchView;

/// Responses shown in the token credit map.
const MAP_ROWS: usize = 24;
/// Episodes shown in the transcripts.
const TRANSCRIPTS: usize = 6;

/// The largest |advantage| of the responses a view's map shows.
fn map_scale(view: &BatchView) -> f32 {
    view.advantages.values.iter().take(MAP_ROWS.min(view.responses.len())).fold(0.0f32, |m, a| m.max(a.abs()))
}

fn css(color: plotters::style::RGBColor) -> String {
    format!("rgb({}, {}, {})", color.0, color.1, color.2)
}

fn signed(v: f32) -> String {
    if v.is_finite() { format!("{v:+.2}") } else { v.to_string() }
}

/// The token credit map of estimator `index`'s last batch.
#[component]
pub fn TokenMap(
    /// The session.
    session: Session,
    /// Index of the estimator in the config.
    index: usize,
) -> impl IntoView {
    let game = session.game_view();
    let body = move || {
        let most = game.with(|g| g.tokens.unwrap_or(1)) as usize;
        let views = session.data.views.get();
        let Some(view) = views.get(index).filter(|v| !v.responses.is_empty()) else {
            return view! { <p class="muted">"No batch yet."</p> }.into_any();
        };
        // One colour scale for every column, so that side by side the colours compare.
        let shared = views.iter().map(map_scale).fold(0.0f32, f32::max);
        let theme = current_theme();
        let g = game.get();
        let rows = view
            .responses
            .iter()
            .zip(&view.samples)
            .zip(&view.advantages.values)
            .take(MAP_ROWS)
            .map(|((r, s), &a)| {
                let fill = css(theme.diverging(a, shared));
                // The solver may write `most` tokens, the verifier one.
                let own = if s.agent == 0 { most } else { 1 };
                let cells = (0..most.max(r.tokens.len()))
                    .map(|j| match r.tokens.get(j) {
                        Some(t) => view! { <td class="tok" style=format!("background: {fill}")>{t.clone()}</td> }.into_any(),
                        None if j < own => view! { <td class="tok masked" title="after the end token: masked out of the loss"></td> }.into_any(),
                        None => view! { <td></td> }.into_any(),
                    })
                    .collect_view();
                view! {
                    <tr>
                        <td class="num">{s.episode}</td>
                        <td><span class=format!("swatch agent-{}", s.agent % 6)></span>{g.agent(s.agent as usize).split(' ').next().unwrap_or_default().to_string()}</td>
                        <td class="num">{r.round + 1}</td>
                        <td class="prompt"><code>{r.prompt.clone()}</code></td>
                        {cells}
                        <td class="num adv">{signed(a)}</td>
                    </tr>
                }
            })
            .collect_view();
        let shown = view.responses.len().min(MAP_ROWS);
        view! {
            <table class="token-map" data-testid="token-map">
                <caption>{format!(
                    "Token credit map of update {}: the first {shown} of {} responses, each token coloured by the advantage its response was given (scale ±{}, shared by the columns)",
                    view.update,
                    view.total_samples,
                    crate::format::significant(Some(shared))
                )}</caption>
                <thead><tr><th scope="col">"ep."</th><th scope="col">"agent"</th><th scope="col">"round"</th>
                    <th scope="col">"prompt"</th><th scope="col" colspan=most>"response tokens"</th><th scope="col">"A"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! { <div class="token-views">{body}</div> }
}

/// Transcripts of estimator `index`'s last batch: the first episodes, round by round.
#[component]
pub fn Transcripts(
    /// The session.
    session: Session,
    /// Index of the estimator in the config.
    index: usize,
) -> impl IntoView {
    let game = session.game_view();
    let body = move || {
        let views = session.data.views.get();
        let Some(view) = views.get(index).filter(|v| !v.responses.is_empty()) else {
            return view! { <p class="muted">"No batch yet."</p> }.into_any();
        };
        let g = game.get();
        let mut episodes: Vec<u32> = view.samples.iter().map(|s| s.episode).collect();
        episodes.dedup();
        let items = episodes
            .into_iter()
            .take(TRANSCRIPTS)
            .map(|episode| {
                let turns: Vec<usize> = (0..view.samples.len()).filter(|&i| view.samples[i].episode == episode).collect();
                let question = turns.first().map(|&i| view.responses[i].prompt.clone()).unwrap_or_default();
                let steps = turns
                    .iter()
                    .map(|&i| {
                        let (s, r) = (&view.samples[i], &view.responses[i]);
                        let who = g.agent(s.agent as usize).split(' ').next().unwrap_or_default().to_string();
                        let text: String = r.tokens.concat();
                        let verdict = match (s.agent, r.correct) {
                            (0, true) => "right",
                            (0, false) => "wrong",
                            (_, true) => "a right verdict",
                            (_, false) => "a wrong verdict",
                        };
                        view! {
                            <li>
                                <span class=format!("swatch agent-{}", s.agent % 6)></span>
                                {format!("round {} · {who} writes ", r.round + 1)}<code>{text}</code>
                                {format!(" ({verdict}) · return {} · A {}", crate::format::significant(Some(s.reward)), signed(view.advantages.values[i]))}
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <li data-testid="transcript">
                        <strong>{format!("episode {episode}: ")}</strong><code>{question}</code>
                        <ol class="turns">{steps}</ol>
                    </li>
                }
            })
            .collect_view();
        view! { <ol class="transcripts">{items}</ol> }.into_any()
    };
    view! {
        <details class="token-views" open>
            <summary>"Transcripts of the last batch (first episodes)"</summary>
            {body}
        </details>
    }
}
