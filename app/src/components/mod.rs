//! Page components, one per file.

pub mod about;
pub mod backend_badge;
pub mod builder;
pub mod chart_canvas;
pub mod column;
pub mod controls;
pub mod health;
pub mod ledger;
pub mod same_batch;
pub mod lesson_panel;
pub mod predict;
pub mod share;
pub mod step_through;
pub mod sweep;
pub mod theory;
pub mod tokens;
pub mod your_run;
