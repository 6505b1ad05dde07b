//! The gloo-worker actor around the [`Service`], and the worker's panic plumbing: a panic or an
//! uncaught error in the worker reaches the page as [`FromWorker::Crashed`].

use std::cell::RefCell;
use std::rc::Rc;

use gloo_worker::{HandlerId, Worker, WorkerScope};

use super::protocol::{FromWorker, JsonCodec, ToWorker};
use super::service::Service;

/// Sends a crash message to the page.
type CrashReport = Rc<dyn Fn(String)>;

thread_local! {
    /// Where the panic hook sends `Crashed` (set once the worker has heard from the page).
    static CRASH_REPORT: RefCell<Option<CrashReport>> = RefCell::new(None);
}

/// Tells the page that the worker crashed, if the page is known yet.
fn report_crash(message: String) {
    let report = CRASH_REPORT.try_with(|slot| slot.try_borrow().ok().and_then(|s| s.clone())).ok().flatten();
    if let Some(report) = report {
        report(message);
    }
}

/// Installs the worker's panic hook: the panic goes to the console and, as `Crashed`, to the
/// page (the release build aborts right after, so this is the page's only word of it). The
/// trap that follows is handled in the worker (the page has already been told), and any other
/// uncaught error of the worker is reported as a crash too.
pub fn report_panics() {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    static REPORTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let on_error = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(|event: web_sys::ErrorEvent| {
        event.prevent_default();
        if !REPORTED.swap(true, std::sync::atomic::Ordering::SeqCst) {
            report_crash(format!("the worker stopped: {}", event.message()));
        }
    });
    if let Ok(scope) = js_sys::global().dyn_into::<web_sys::EventTarget>() {
        let _ = scope.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
    }
    on_error.forget();
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        REPORTED.store(true, std::sync::atomic::Ordering::SeqCst);
        let message = match info.payload().downcast_ref::<String>() {
            Some(text) => text.clone(),
            None => info.payload().downcast_ref::<&str>().map_or_else(|| info.to_string(), |s| (*s).to_string()),
        };
        report_crash(message);
    }));
}

/// The gloo-worker actor around [`Service`]: one page, one service.
#[derive(Debug)]
pub struct TrainingWorker {
    service: Service,
    page: Rc<RefCell<Option<HandlerId>>>,
}

impl Worker for TrainingWorker {
    type Message = ();
    type Input = ToWorker;
    type Output = FromWorker;

    fn create(scope: &WorkerScope<Self>) -> Self {
        let page: Rc<RefCell<Option<HandlerId>>> = Rc::default();
        let (crash_scope, crash_to) = (scope.clone(), page.clone());
        let report: CrashReport = Rc::new(move |message| {
            if let Some(id) = crash_to.try_borrow().ok().and_then(|id| *id) {
                crash_scope.respond(id, FromWorker::Crashed { message });
            }
        });
        CRASH_REPORT.with(|slot| *slot.borrow_mut() = Some(report));
        let (scope, to) = (scope.clone(), page.clone());
        let service = Service::new(move |message| {
            if let Some(id) = *to.borrow() {
                scope.respond(id, message);
            }
        });
        Self { service, page }
    }

    fn update(&mut self, _scope: &WorkerScope<Self>, _msg: ()) {}

    fn received(&mut self, _scope: &WorkerScope<Self>, msg: ToWorker, id: HandlerId) {
        *self.page.borrow_mut() = Some(id);
        self.service.handle(msg);
    }
}

/// The worker binaries' `main`: constructors, panic reports, then serve the page.
pub fn run() {
    use gloo_worker::Registrable;
    crate::run_constructors();
    report_panics();
    TrainingWorker::registrar().encoding::<JsonCodec>().register();
}
