//! Page components, one per file.

pub mod backend_badge;
pub mod chart_canvas;
pub mod controls;
pub mod run_column;
