//! Policies: the stacked MLPs of the one-step and board games ([`mlp`]) and the language agents'
//! tiny causal transformers ([`transformer`]).

pub mod mlp;
pub mod transformer;

pub use mlp::*;
