//! Policies: a two-layer MLP per agent (or one shared by a run's agents), every run stacked in
//! one set of tensors.
//!
//! All runs × agents share a leading *model* dimension M (model m = run · K + agent), so one
//! batched matmul evaluates every agent of every seed at once. With *separate* policies each
//! model has its own parameters (P = M parameter models); with a *shared* policy (Dr. MAS's
//! model sharing) a run's agents use one parameter set (P = runs) and the observation gets a
//! one-hot agent id appended, so the input is O + K wide.
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
use serde::{Deserialize, Serialize};

use crate::env::PolicyView;
use crate::exp;

/// Whether a run's agents have their own MLPs or share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicySharing {
    /// One MLP per agent.
    #[default]
    Separate,
    /// One MLP per run, shared by its agents, with a one-hot agent id in the input.
    Shared,
}

/// Shapes of a stacked policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyShape {
    /// Parameter models P: runs × agents (separate) or runs (shared).
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

    /// Splits tensors flattened and concatenated in (W1, b1, W2, b2) order into the four.
    pub fn split_flat(&self, flat: &[f32]) -> [Vec<f32>; 4] {
        let mut offset = 0;
        self.param_shapes().map(|s| {
            let len = s[0] * s[1] * s[2];
            let part = flat[offset..offset + len].to_vec();
            offset += len;
            part
        })
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
    /// Initialises `runs × per_run` MLPs (per_run = agents, or 1 when shared); run r draws its
    /// models' weights from `init_rngs[r]`.
    pub fn init(shape: PolicyShape, per_run: usize, init_rngs: &mut [ChaCha8Rng], device: &Device) -> Self {
        let agents = per_run;
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
    ///
    /// tanh and log-softmax are computed *off the autodiff graph* and their gradients attached
    /// by hand: a value y(a) enters the graph as `(a − a_value) ∘ J + y`, where `a − a_value` is
    /// exactly 0 for finite a (so the value is y bit for bit) and J is the Jacobian: for tanh
    /// 1 − y² element-wise, for log-softmax `d − Σ_j d_j p_j` with p = e^y. On the graph,
    /// autodiff's `exp` backward would compute each exponential a second time. On the CPU
    /// device both values come from [`crate::exp`] (a vectorised e^x, where flex calls libm's
    /// scalar `expf` per element: the top of the shipped worker's profile); on WebGPU they are
    /// burn's own kernels.
    pub fn log_probs(params: &[Tensor<3>; 4], x: Tensor<3>, legal: Option<Tensor<3>>) -> Tensor<3> {
        let [w1, b1, w2, b2] = params.clone();
        let a = x.matmul(w1).add(b1);
        let value = a.clone().without_autodiff();
        let on_host = value.device() == Device::flex();
        // tanh(a) = (e^{2a} − 1) / (e^{2a} + 1), |a| ≤ 15 (tanh(±15) is ±1 in f32): flex's own
        // `tanh` calls libm's `tanhf` per element, several times the cost of `expf`.
        let y = match on_host.then(|| host_values(&value)).flatten() {
            Some(mut v) => {
                exp::tanh_in_place(&mut v);
                Tensor::from_data(TensorData::new(v, value.dims()), &value.device())
            }
            None => {
                let z = value.clone().clamp(-15.0, 15.0).mul_scalar(2.0).exp();
                z.clone().sub_scalar(1.0).div(z.add_scalar(1.0))
            }
        };
        let hidden = if a.is_tracked() {
            let slope = y.clone().square().neg().add_scalar(1.0);
            a.sub(value).mul(slope).add(y)
        } else {
            y
        };
        let mut logits = hidden.matmul(w2).add(b2);
        if let Some(legal) = legal {
            // Illegal actions get a large negative logit: exp underflows to exactly 0.
            logits = logits + legal.sub_scalar(1.0).mul_scalar(1e9);
        }
        let value = logits.clone().without_autodiff();
        let Some(mut y) = on_host.then(|| host_values(&value)).flatten() else {
            return log_softmax(logits, 2);
        };
        let (dims, device) = (value.dims(), value.device());
        let mut p = vec![0.0f32; y.len()];
        exp::log_softmax_rows(&mut y, dims[2], &mut p);
        let y = Tensor::<3>::from_data(TensorData::new(y, dims), &device);
        if !logits.is_tracked() {
            return y;
        }
        let p = Tensor::<3>::from_data(TensorData::new(p, dims), &device);
        let d = logits.sub(value);
        let through = d.clone().sub(d.mul(p).sum_dim(2));
        through.add(y)
    }
}

/// A CPU tensor's values on the host (flex keeps its tensors in host memory: the read is a copy,
/// never a device round trip); `None` if they are not f32.
fn host_values(t: &Tensor<3>) -> Option<Vec<f32>> {
    t.clone().into_data().try_to_vec::<f32>().ok()
}

/// tanh as the device computes it (see [`StackedMlp::log_probs`]): [`exp::tanh`], the same bits
/// natively and in wasm.
pub use crate::exp::tanh;

/// The policy's parameters read back to the host, evaluated on the CPU for rollouts and exact
/// evaluations (the batch of decisions an episode needs is tiny and sequential; the device does
/// the batched loss, backward pass and Adam).
///
/// The forward pass is the device's, written out: `h = tanh(x W1 + b1)` (the device's [`tanh`]),
/// `logits = h W2 + b2`, softmax over the legal actions. [`crate::exp`] makes it bit-identical
/// natively and in wasm.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    /// Shapes (models = parameter models P).
    pub shape: PolicyShape,
    /// Agents K per run.
    pub agents: usize,
    /// Whether a run's agents share one MLP.
    pub sharing: PolicySharing,
    /// W1, b1, W2, b2, each flattened [P, rows, cols] in row-major order.
    pub params: [Vec<f32>; 4],
}

impl HostPolicy {
    /// Splits the concatenated flattened parameters (W1, b1, W2, b2) read back from the device.
    pub fn from_flat(shape: PolicyShape, agents: usize, sharing: PolicySharing, flat: &[f32]) -> Self {
        Self { shape, agents, sharing, params: shape.split_flat(flat) }
    }

    /// L2 norm of the change of parameter model `model` from `before` to `self` (every
    /// weight and bias of that MLP).
    pub fn model_change(&self, before: &HostPolicy, model: usize) -> f32 {
        let mut sum = 0.0f64;
        for (after, before) in self.params.iter().zip(&before.params) {
            let len = after.len() / self.shape.models;
            for (a, b) in after[model * len..][..len].iter().zip(&before[model * len..][..len]) {
                sum += f64::from(a - b).powi(2);
            }
        }
        sum.sqrt() as f32
    }

    /// The parameter model of (run, agent).
    pub fn model(&self, run: usize, agent: usize) -> usize {
        match self.sharing {
            PolicySharing::Separate => run * self.agents + agent,
            PolicySharing::Shared => run,
        }
    }

    /// Agent `agent` of run `run`: probabilities for `obs` (game observation, without the
    /// agent id) over the `legal` actions, into `out`.
    pub fn probs(&self, run: usize, agent: usize, obs: &[f32], legal: &[bool], out: &mut [f32]) {
        let PolicyShape { input, hidden, actions, .. } = self.shape;
        let m = self.model(run, agent);
        let [w1, b1, w2, b2] = &self.params;
        let w1 = &w1[m * input * hidden..][..input * hidden];
        let mut h: Vec<f32> = b1[m * hidden..][..hidden].to_vec();
        let mut add_row = |i: usize, x: f32| {
            if x != 0.0 {
                for (hj, w) in h.iter_mut().zip(&w1[i * hidden..(i + 1) * hidden]) {
                    *hj += x * w;
                }
            }
        };
        for (i, &x) in obs.iter().enumerate() {
            add_row(i, x);
        }
        if self.sharing == PolicySharing::Shared {
            add_row(obs.len() + agent, 1.0);
        }
        exp::tanh_in_place(&mut h);
        let w2 = &w2[m * hidden * actions..][..hidden * actions];
        let b2 = &b2[m * actions..][..actions];
        let mut max = f32::NEG_INFINITY;
        for a in 0..actions {
            if legal[a] {
                let mut logit = b2[a];
                for (j, hj) in h.iter().enumerate() {
                    logit += hj * w2[j * actions + a];
                }
                out[a] = logit;
                max = max.max(logit);
            }
        }
        let mut total = 0.0;
        for a in 0..actions {
            if legal[a] {
                out[a] = exp::exp(out[a] - max);
                total += out[a];
            } else {
                out[a] = 0.0;
            }
        }
        if total.is_finite() && total > 0.0 {
            for p in out.iter_mut() {
                *p /= total;
            }
        } else {
            // A diverged policy (non-finite logits): fall back to uniform over the legal actions
            // so that the rollout stays well defined; the trainer reports the divergence.
            let n = legal.iter().filter(|l| **l).count().max(1) as f32;
            for (p, l) in out.iter_mut().zip(legal) {
                *p = if *l { 1.0 / n } else { 0.0 };
            }
        }
    }
}

impl HostPolicy {
    /// ‖∇_θ log π(action | obs)‖²: the squared norm of one sample's score over the parameters of
    /// its agent's MLP (with a shared policy, the run's MLP), analytically —
    /// δ₂ = e_a − π over the legal actions, δ₁ = (W₂ δ₂) ⊙ (1 − h²), and
    /// ‖∇‖² = (‖h‖² + 1)‖δ₂‖² + (‖x‖² + 1)‖δ₁‖² (weights and biases of both layers). The theory
    /// check's per-sample second moments are A² times this.
    pub fn score_norm_sq(&self, run: usize, agent: usize, obs: &[f32], legal: &[bool], action: usize) -> f64 {
        let PolicyShape { input, hidden, actions, .. } = self.shape;
        let m = self.model(run, agent);
        let [w1, b1, w2, _] = &self.params;
        let w1 = &w1[m * input * hidden..][..input * hidden];
        let w2 = &w2[m * hidden * actions..][..hidden * actions];
        let mut x: Vec<f32> = obs.to_vec();
        if self.sharing == PolicySharing::Shared {
            x.resize(input, 0.0);
            x[obs.len() + agent] = 1.0;
        }
        let h: Vec<f64> = (0..hidden)
            .map(|j| {
                let pre = b1[m * hidden + j] + x.iter().enumerate().map(|(i, xi)| xi * w1[i * hidden + j]).sum::<f32>();
                f64::from(tanh(pre))
            })
            .collect();
        let mut p = vec![0.0f32; actions];
        self.probs(run, agent, obs, legal, &mut p);
        let delta2: Vec<f64> =
            (0..actions).map(|b| if legal[b] { f64::from(u8::from(b == action)) - f64::from(p[b]) } else { 0.0 }).collect();
        let delta1: Vec<f64> = (0..hidden)
            .map(|j| (0..actions).map(|b| f64::from(w2[j * actions + b]) * delta2[b]).sum::<f64>() * (1.0 - h[j] * h[j]))
            .collect();
        let sq = |v: &[f64]| v.iter().map(|y| y * y).sum::<f64>();
        let x_sq: f64 = x.iter().map(|v| f64::from(*v).powi(2)).sum();
        (sq(&h) + 1.0) * sq(&delta2) + (x_sq + 1.0) * sq(&delta1)
    }
}

/// One run's view of a [`HostPolicy`], as the games query it.
#[derive(Debug, Clone, Copy)]
pub struct RunPolicy<'a> {
    /// The read-back policy.
    pub host: &'a HostPolicy,
    /// The run.
    pub run: usize,
}

impl PolicyView for RunPolicy<'_> {
    fn probs(&self, agent: usize, obs: &[f32], legal: &[bool], out: &mut [f32]) {
        self.host.probs(self.run, agent, obs, legal, out);
    }
}

/// A [`RunPolicy`] that remembers its answers for one batch: a batch asks the same question
/// many times (a one-step game's one state in every episode, Kuhn poker's 12 information sets),
/// and the probabilities are a pure function of (agent, observation, legal actions), so a
/// rollout played through it is bit for bit the same, with one forward pass per distinct
/// question. At most [`MemoPolicy::CAPACITY`] answers are kept (a game whose observations rarely
/// repeat just computes the rest).
#[derive(Debug)]
pub struct MemoPolicy<'a> {
    policy: RunPolicy<'a>,
    /// (agent, observation bits, legal bits) → probabilities.
    answers: std::cell::RefCell<std::collections::HashMap<Vec<u32>, Vec<f32>>>,
    /// The key being looked up (reused: a hit allocates nothing).
    key: std::cell::RefCell<Vec<u32>>,
}

impl<'a> MemoPolicy<'a> {
    /// Answers kept at most.
    pub const CAPACITY: usize = 4096;

    /// Remembers `policy`'s answers.
    pub fn new(policy: RunPolicy<'a>) -> Self {
        Self { policy, answers: Default::default(), key: Default::default() }
    }
}

impl PolicyView for MemoPolicy<'_> {
    fn probs(&self, agent: usize, obs: &[f32], legal: &[bool], out: &mut [f32]) {
        let mut key = self.key.borrow_mut();
        key.clear();
        key.push(agent as u32);
        key.extend(obs.iter().map(|x| x.to_bits()));
        key.extend(legal.iter().map(|&l| u32::from(l)));
        let mut answers = self.answers.borrow_mut();
        if let Some(p) = answers.get(key.as_slice()) {
            let n = p.len().min(out.len());
            out[..n].copy_from_slice(&p[..n]);
            return;
        }
        self.policy.probs(agent, obs, legal, out);
        if answers.len() < Self::CAPACITY {
            answers.insert(key.clone(), out.to_vec());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The gradient of the log-probabilities, whose tanh' = 1 − tanh² and log-softmax Jacobian
    /// are attached by hand off the autodiff graph, matches central finite differences for all
    /// four parameters, with illegal actions masked, for pre-activations from near 0 into
    /// saturation.
    #[test]
    fn the_log_probs_gradient_matches_finite_differences() {
        let device = Device::flex();
        let (m, b, o, h, a) = (2usize, 6usize, 3usize, 5usize, 4usize);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut draw = |n: usize, scale: f32| (0..n).map(|_| rng.random_range(-scale..scale)).collect::<Vec<f32>>();
        let shapes = [[m, o, h], [m, 1, h], [m, h, a], [m, 1, a]];
        let params: [Vec<f32>; 4] = [draw(m * o * h, 1.5), draw(m * h, 1.0), draw(m * h * a, 1.0), draw(m * a, 0.5)];
        let x = draw(m * b * o, 2.0);
        let weights = draw(m * b * a, 1.0);
        // Every third action of a row is illegal (never a whole row).
        let legal: Vec<f32> = (0..m * b * a).map(|i| if (i / a + i % a) % 3 == 2 { 0.0 } else { 1.0 }).collect();
        // A masked action's log-probability is −1e9-ish: its weight is 0, so the loss stays finite.
        let weights: Vec<f32> = weights.iter().zip(&legal).map(|(w, l)| w * l).collect();
        let tensor = |v: &[f32], shape: [usize; 3]| Tensor::<3>::from_data(TensorData::new(v.to_vec(), shape), &device);
        let loss = |p: &[Vec<f32>; 4], track: bool| {
            let p: [Tensor<3>; 4] = std::array::from_fn(|i| {
                let t = tensor(&p[i], shapes[i]);
                if track { t.autodiff().require_grad() } else { t }
            });
            let lp = StackedMlp::log_probs(&p, tensor(&x, [m, b, o]), Some(tensor(&legal, [m, b, a])));
            ((lp * tensor(&weights, [m, b, a])).sum(), p)
        };
        let (l, tracked) = loss(&params, true);
        let grads = l.backward();
        for layer in 0..4 {
            let ad = tracked[layer].grad(&grads).expect("a gradient").into_data().try_to_vec::<f32>().expect("f32");
            for (i, &g) in ad.iter().enumerate() {
                let eps = 1e-2;
                let at = |d: f32| {
                    let mut p = params.clone();
                    p[layer][i] += d;
                    loss(&p, false).0.into_data().try_to_vec::<f32>().expect("f32")[0]
                };
                let fd = (at(eps) - at(-eps)) / (2.0 * eps);
                assert!((g - fd).abs() <= 2e-3 + 2e-2 * fd.abs(), "layer {layer} parameter {i}: autodiff {g}, finite differences {fd}");
            }
        }
        // The pre-activations span tanh's range, from near 0 into saturation.
        let pre: Vec<f32> = (0..m * b * h)
            .map(|r| {
                let (model, row, j) = (r / (b * h), (r / h) % b, r % h);
                (0..o).map(|k| x[(model * b + row) * o + k] * params[0][(model * o + k) * h + j]).sum::<f32>() + params[1][model * h + j]
            })
            .collect();
        assert!(pre.iter().any(|v| v.abs() > 3.0) && pre.iter().any(|v| v.abs() < 0.5), "pre-activations {pre:?}");
    }

    /// The memo answers every question as the policy does, bit for bit, including questions
    /// that differ only in the agent or the legal actions, and keeps at most its capacity.
    #[test]
    fn the_memo_answers_as_the_policy_does() {
        let (o, h, a) = (2usize, 5usize, 3usize);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let shape = PolicyShape { models: 2, input: o, hidden: h, actions: a };
        let flat: Vec<f32> = (0..shape.params_per_model() * 2).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        let host = HostPolicy::from_flat(shape, 2, PolicySharing::Separate, &flat);
        let plain = RunPolicy { host: &host, run: 0 };
        let memo = MemoPolicy::new(plain);
        let questions: Vec<(usize, Vec<f32>, Vec<bool>)> = (0..5000)
            .map(|i| (i % 2, vec![(i % 7) as f32 * 0.5, (i / 7 % 1000) as f32], vec![true, i % 3 != 0, true]))
            .collect();
        for round in 0..2 {
            for (agent, obs, legal) in &questions {
                let (mut want, mut got) = (vec![0.0f32; a], vec![0.0f32; a]);
                plain.probs(*agent, obs, legal, &mut want);
                memo.probs(*agent, obs, legal, &mut got);
                assert_eq!(want.iter().map(|p| p.to_bits()).collect::<Vec<_>>(), got.iter().map(|p| p.to_bits()).collect::<Vec<_>>(), "round {round}: agent {agent}, obs {obs:?}, legal {legal:?}");
            }
        }
        assert_eq!(memo.answers.borrow().len(), MemoPolicy::CAPACITY);
    }

    /// The host's analytic score norm ‖∇ log π(a|x)‖² equals the squared norm of burn's
    /// gradient of log π(a|x), for each action and both sharings' inputs.
    #[test]
    fn the_host_score_norm_matches_autodiff() {
        let device = Device::flex();
        let (o, h, a) = (4usize, 6usize, 3usize);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let mut draw = |n: usize, scale: f32| (0..n).map(|_| rng.random_range(-scale..scale)).collect::<Vec<f32>>();
        let shape = PolicyShape { models: 1, input: o, hidden: h, actions: a };
        let flat: Vec<f32> = [draw(o * h, 1.5), draw(h, 1.0), draw(h * a, 1.0), draw(a, 0.5)].concat();
        let host = HostPolicy::from_flat(shape, 1, PolicySharing::Separate, &flat);
        let obs = draw(o, 2.0);
        let legal = [true, false, true];
        let shapes = [[1, o, h], [1, 1, h], [1, h, a], [1, 1, a]];
        for action in [0, 2] {
            let p: [Tensor<3>; 4] = std::array::from_fn(|i| {
                Tensor::<3>::from_data(TensorData::new(host.params[i].clone(), shapes[i]), &device).autodiff().require_grad()
            });
            let x = Tensor::<3>::from_data(TensorData::new(obs.clone(), [1, 1, o]), &device);
            let mask = Tensor::<3>::from_data(TensorData::new(legal.iter().map(|l| f32::from(u8::from(*l))).collect::<Vec<f32>>(), [1, 1, a]), &device);
            let mut pick = vec![0.0f32; a];
            pick[action] = 1.0;
            let lp = StackedMlp::log_probs(&p, x, Some(mask));
            let grads = (lp * Tensor::<3>::from_data(TensorData::new(pick, [1, 1, a]), &device)).sum().backward();
            let autodiff: f64 = p
                .iter()
                .map(|t| t.grad(&grads).expect("grad").into_data().try_to_vec::<f32>().expect("f32").iter().map(|g| f64::from(*g).powi(2)).sum::<f64>())
                .sum();
            let analytic = host.score_norm_sq(0, 0, &obs, &legal, action);
            assert!((analytic - autodiff).abs() <= 1e-4 * autodiff.max(1.0), "action {action}: analytic {analytic}, autodiff {autodiff}");
        }
    }
}
