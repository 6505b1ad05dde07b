//! Policies: the stacked MLPs of the one-step and board games ([`mlp`]) and the language agents'
//! tiny causal transformers (`transformer`, with the `language` feature).

pub mod mlp;
#[cfg(feature = "language")]
pub mod transformer;

pub use mlp::*;
