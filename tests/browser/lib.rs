//! Browser tests live in `main.rs`; this crate has no library code of its own.
