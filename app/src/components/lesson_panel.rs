//! The lesson card: the open lesson's step (text, what to look at, a question whose answer is
//! revealed on demand), stepping loads each step's preset; and the lesson menu.

use leptos::prelude::*;

use super::your_run::{open_lesson, LESSON_TITLE};
use crate::lessons::{self, LESSONS};
use crate::session::Session;

/// Opens step `step` of lesson `id`: its preset becomes the experiment (a new history entry).
fn open_step(session: Session, id: &str, step: usize) {
    let Some(preset) = lessons::preset(id, step) else { return };
    session.teacher.update(|t| {
        t.lesson = Some(id.to_string());
        t.step = step;
    });
    session.message.set(None);
    session.apply_new(preset);
}

/// The menu's value of the bug-hunt lesson, which opens in "Your run".
const RUN_LESSON: &str = "your-run";

/// The lesson menu and the open lesson.
#[component]
pub fn LessonPanel(
    /// The session.
    session: Session,
) -> impl IntoView {
    let revealed = RwSignal::new(false);
    let open = Memo::new(move |_| {
        session.teacher.with(|t| t.lesson.as_deref().and_then(lessons::find).map(|l| (l, t.step.min(l.steps.len() - 1))))
    });
    // A new step starts with its answer hidden.
    Effect::new(move |_| {
        open.track();
        revealed.set(false);
    });
    let menu_hidden = move || session.teacher.with(|t| t.hides("lessons"));
    let menu = move || {
        (!menu_hidden()).then(|| {
            view! {
                <label class="lesson-menu">"Lessons "
                    <select data-testid="lesson-menu" prop:value=move || open.get().map_or("", |(l, _)| l.id) on:change=move |ev| {
                        let id = event_target_value(&ev);
                        if id == RUN_LESSON {
                            // Not a training lesson: it opens in "Your run", and the menu goes
                            // back to what the experiment is.
                            session.teacher.update(|t| t.lesson = None);
                            if let Some(select) = ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlSelectElement>(t).ok()) {
                                select.set_value("");
                            }
                            open_lesson(session);
                        } else if id.is_empty() {
                            session.teacher.update(|t| t.lesson = None);
                        } else {
                            open_step(session, &id, 0);
                        }
                    }>
                        <option value="" selected=move || open.get().is_none()>"— free play —"</option>
                        {LESSONS.iter().enumerate().map(|(i, l)| {
                            let selected = move || open.get().is_some_and(|(o, _)| o.id == l.id);
                            view! { <option value=l.id selected=selected>{format!("{}. {}", i + 1, l.title)}</option> }
                        }).collect_view()}
                        <option value=RUN_LESSON>{format!("{}. {LESSON_TITLE}", LESSONS.len() + 1)}</option>
                    </select>
                </label>
            }
        })
    };
    let card = move || {
        open.get().map(|(lesson, step)| {
            let s = lesson.steps[step];
            let last = lesson.steps.len() - 1;
            view! {
                <article class="lesson" data-testid="lesson" aria-label="lesson">
                    <header>
                        <h2>{lesson.title}</h2>
                        <span class="hint" data-testid="lesson-step">{format!("step {} of {}", step + 1, lesson.steps.len())}</span>
                        {(!menu_hidden()).then(|| view! {
                            <button class="link" aria-label="close the lesson"
                                on:click=move |_| session.teacher.update(|t| t.lesson = None)>"close"</button>
                        })}
                    </header>
                    <p>{s.text}</p>
                    <p><strong>"Look at: "</strong>{s.look}</p>
                    <p class="question"><strong>"Question: "</strong>{s.question}</p>
                    <Show when=move || revealed.get()
                        fallback=move || view! {
                            <button data-testid="lesson-reveal" on:click=move |_| revealed.set(true)>"Reveal the answer"</button>
                        }>
                        <p class="answer" data-testid="lesson-answer"><strong>"Answer: "</strong>{s.answer}</p>
                    </Show>
                    <nav class="lesson-nav">
                        <button data-testid="lesson-prev" disabled=step == 0
                            on:click=move |_| open_step(session, lesson.id, step.saturating_sub(1))>"← previous step"</button>
                        <button data-testid="lesson-reload" title="load this step's experiment again"
                            on:click=move |_| open_step(session, lesson.id, step)>"Load the step's experiment"</button>
                        <button data-testid="lesson-next" disabled=step == last
                            on:click=move |_| open_step(session, lesson.id, (step + 1).min(last))>"next step →"</button>
                    </nav>
                </article>
            }
        })
    };
    view! { <div class="lessons">{menu}{card}</div> }
}
