//! The advantage ledger: for the current batch of one run, how each sample's advantage was
//! made (its key, the key's size, mean and std, the value normalised, the advantage). Clicking a
//! row highlights every sample that shares its statistics.

use leptos::prelude::*;

use crate::session::Session;

/// Rows shown per page.
pub const PAGE: usize = 48;

/// The ledger of the inspected seed's batch, one estimator at a time.
#[component]
pub fn Ledger(
    /// The session.
    session: Session,
) -> impl IntoView {
    let estimator = RwSignal::new(0usize);
    let page = RwSignal::new(0usize);
    let selected_key = RwSignal::new(None::<String>);
    let game = session.game_view();
    let view_now = move || session.data.views.with(|v| v.get(estimator.get()).cloned());
    let tabs = move || {
        session
            .config
            .with(|c| c.estimators.clone())
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                view! {
                    <button role="tab" aria-selected=move || (estimator.get() == i).to_string()
                        class:active=move || estimator.get() == i
                        on:click=move |_| { estimator.set(i); page.set(0); selected_key.set(None); }>
                        {e.label()}
                    </button>
                }
            })
            .collect_view()
    };
    let seeds = move || {
        session
            .config
            .with(|c| c.seeds.clone())
            .into_iter()
            .enumerate()
            .map(|(i, s)| view! { <option value=i.to_string() selected=move || session.data.inspect_seed.get() == i>{format!("seed {s}")}</option> })
            .collect_view()
    };
    let rows = move || {
        let Some(view) = view_now() else {
            return view! { <tr><td colspan="13">"No batch yet: start or step the run."</td></tr> }.into_any();
        };
        let game = game.get();
        let key = selected_key.get();
        let start = page.get() * PAGE;
        view.samples
            .iter()
            .zip(&view.advantages.ledger)
            .enumerate()
            .skip(start)
            .take(PAGE)
            .map(|(i, (s, l))| {
                let row_key = l.key.clone();
                let shared = key.as_deref() == Some(l.key.as_str());
                let action = s.action.map_or("—".to_string(), |a| {
                    game.actions.get(s.agent as usize).and_then(|n| n.get(a as usize)).cloned().unwrap_or_else(|| a.to_string())
                });
                let sign = if l.advantage > 0.0 { "pos" } else if l.advantage < 0.0 { "neg" } else { "zero" };
                view! {
                    <tr class:shared=shared tabindex="0" data-key=l.key.clone()
                        on:click={ let k = row_key.clone(); move |_| selected_key.set(Some(k.clone())) }
                        on:keydown=move |ev| if ev.key() == "Enter" { selected_key.set(Some(row_key.clone())) }>
                        <td>{i.to_string()}</td>
                        <td>{s.group.to_string()}</td>
                        <td>{s.episode.to_string()}</td>
                        <td><span class=format!("swatch agent-{}", s.agent % 6)></span>{game.agent(s.agent as usize)}</td>
                        <td>{s.turn.to_string()}</td>
                        <td>{action}</td>
                        <td>{format!("{:.3}", s.reward)}</td>
                        <td class="key">{l.key.clone()}</td>
                        <td>{l.key_size.to_string()}</td>
                        <td>{format!("{:.3}", l.mean)}</td>
                        <td>{format!("{:.3}", l.std)}</td>
                        <td>{format!("{:.3}", l.value)}</td>
                        <td class=format!("adv {sign}")>{format!("{:+.3}", l.advantage)}</td>
                    </tr>
                }
            })
            .collect_view()
            .into_any()
    };
    let pages = move || view_now().map_or(1, |v| v.samples.len().div_ceil(PAGE).max(1));
    let shared_count = move || {
        let key = selected_key.get()?;
        let n = view_now()?.advantages.ledger.iter().filter(|l| l.key == key).count();
        Some(format!("key {key}: {n} samples share its mean and std (highlighted)"))
    };
    let caption = move || {
        view_now().map_or("no batch yet".to_string(), |v| {
            format!(
                "{} · update {} · seed {} · showing {} of {} samples (whole groups)",
                v.estimator.label(),
                v.update,
                v.seed,
                v.samples.len(),
                v.total_samples
            )
        })
    };
    // (A closure, not inline: a `>` inside an attribute would end the tag for `view!`.)
    let on_last_page = move || page.get() + 1 >= pages();
    view! {
        <section class="ledger-panel" aria-label="advantage ledger">
            <h2>"Advantage ledger"</h2>
            <div class="ledger-bar">
                <div role="tablist" aria-label="estimator">{tabs}</div>
                <label>"batch of "
                    <select data-testid="inspect-seed" on:change=move |ev| {
                        if let Ok(i) = event_target_value(&ev).parse::<usize>() { session.inspect(i); }
                    }>{seeds}</select>
                </label>
                <span class="pager">
                    <button data-testid="ledger-prev" aria-label="previous page"
                        on:click=move |_| page.update(|p| *p = p.saturating_sub(1)) disabled=move || page.get() == 0>"◀"</button>
                    <span data-testid="ledger-page">{move || format!(" page {} of {} ", page.get() + 1, pages())}</span>
                    <button data-testid="ledger-next" aria-label="next page"
                        on:click=move |_| page.update(|p| *p += 1) disabled=on_last_page>"▶"</button>
                </span>
            </div>
            <p class="hint" role="status">{move || shared_count().unwrap_or_else(|| "Click a row to highlight the samples that share its statistics.".into())}</p>
            <div class="table-scroll">
                <table class="ledger" data-testid="ledger">
                    <caption>{caption}</caption>
                    <thead><tr>
                        <th scope="col">"#"</th><th scope="col">"group"</th><th scope="col">"episode"</th><th scope="col">"agent"</th>
                        <th scope="col">"turn"</th><th scope="col">"action"</th><th scope="col">"reward"</th>
                        <th scope="col" title="the samples normalised together">"key"</th><th scope="col">"n"</th>
                        <th scope="col">"μ"</th><th scope="col">"σ"</th><th scope="col" title="the value normalised">"value"</th>
                        <th scope="col">"advantage"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}
