//! Policies: one two-layer MLP per agent, every run's agents stacked in one set of tensors.
//!
//! All runs × agents share a leading *model* dimension M (model m = run · K + agent), so one
//! batched matmul evaluates every agent of every seed at once:
//!
//! ```text
//! x      [M, B, O]   observation rows (B rows per model, O = observation size)
//! h      = tanh(x · W1 + b1)     W1 [M, O, H], b1 [M, 1, H]
//! logits = h · W2 + b2           W2 [M, H, A], b2 [M, 1, A]
//! π      = masked softmax(logits) over the legal actions
//! ```
//! Initialisation follows torch's `nn.Linear`: U(−1/√fan_in, 1/√fan_in) for weights and biases,
//! drawn on the CPU from the run's init stream, so that it is identical on every backend.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Shapes of a stacked policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyShape {
    /// Models: runs × agents.
    pub models: usize,
    /// Observation size O.
    pub input: usize,
    /// Hidden units H.
    pub hidden: usize,
    /// Actions A.
    pub actions: usize,
}

impl PolicyShape {
    /// Shapes of (W1, b1, W2, b2).
    pub fn param_shapes(&self) -> [[usize; 3]; 4] {
        let Self { models: m, input: o, hidden: h, actions: a } = *self;
        [[m, o, h], [m, 1, h], [m, h, a], [m, 1, a]]
    }

    /// Parameters per model.
    pub fn params_per_model(&self) -> usize {
        self.param_shapes().iter().map(|s| s[1] * s[2]).sum()
    }
}

/// The stacked parameters (W1, b1, W2, b2), on the training device, without autodiff.
#[derive(Debug, Clone)]
pub struct StackedMlp {
    /// Shapes.
    pub shape: PolicyShape,
    /// W1, b1, W2, b2.
    pub params: [Tensor<3>; 4],
}

impl StackedMlp {
    /// Initialises `runs × agents` MLPs; run r draws its agents' weights from `init_rngs[r]`.
    pub fn init(shape: PolicyShape, agents: usize, init_rngs: &mut [ChaCha8Rng], device: &Device) -> Self {
        debug_assert_eq!(shape.models, init_rngs.len() * agents);
        let shapes = shape.param_shapes();
        let mut host: [Vec<f32>; 4] = Default::default();
        for rng in init_rngs.iter_mut() {
            for _ in 0..agents {
                for (i, s) in shapes.iter().enumerate() {
                    // fan_in of layer 1 is O, of layer 2 is H; biases share their layer's bound.
                    let fan_in = if i < 2 { shape.input } else { shape.hidden };
                    let bound = 1.0 / (fan_in as f32).sqrt();
                    host[i].extend((0..s[1] * s[2]).map(|_| rng.random_range(-bound..bound)));
                }
            }
        }
        let params = std::array::from_fn(|i| {
            let data = std::mem::take(&mut host[i]);
            Tensor::from_data(TensorData::new(data, shapes[i]), device)
        });
        Self { shape, params }
    }

    /// Log-probabilities [M, B, A] of the rows `x` [M, B, O] under `params`; actions whose
    /// `legal` entry is 0 get probability 0 (`legal` is [M, B, A] of 0/1, or `None` = all legal).
    pub fn log_probs(params: &[Tensor<3>; 4], x: Tensor<3>, legal: Option<Tensor<3>>) -> Tensor<3> {
        let [w1, b1, w2, b2] = params.clone();
        let hidden = x.matmul(w1).add(b1).tanh();
        let mut logits = hidden.matmul(w2).add(b2);
        if let Some(legal) = legal {
            // Illegal actions get a large negative logit: exp underflows to exactly 0.
            logits = logits + legal.sub_scalar(1.0).mul_scalar(1e9);
        }
        log_softmax(logits, 2)
    }
}
