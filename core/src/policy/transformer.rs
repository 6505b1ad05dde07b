//! A language agent's policy: a tiny causal transformer over a task's vocabulary.
//!
//! ```text
//! x      [B, L]  tokens (prompt, then the response; right-padded)
//! h_0    = E_tok[x_t] + E_pos[t]                     E_tok [V, d], E_pos [L_max, d]
//! h_l    = h_{l−1} + MHA(LN(h_{l−1}))  (causal)      pre-norm blocks: burn's TransformerEncoder
//!          then + W_2 gelu(W_1 LN(·))                 (norm_first, no dropout), d_ff = 2d
//! logits = LN(h_n) W_out + b_out                     [B, L, V]
//! π(x_{t+1} | x_{≤t}) = softmax of logits_t / τ over the agent's legal tokens
//! ```
//! A response's log-probabilities are read at its own tokens ([`TokenModel::response_log_probs`]):
//! token j of a response that starts at position s is predicted from position s + j − 1; the
//! positions after the response's end token are masked out (mask 0, log-prob 0).
//!
//! Initialisation is drawn on the CPU from the run's init stream, so it is the same on every
//! backend: embeddings U(−½, ½), every linear layer's weight U(−1/√fan_in, 1/√fan_in) (torch's
//! `nn.Linear`) and bias 0, layer norms γ = 1 and β = 0.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::nn::attention::generate_autoregressive_mask;
use burn::nn::transformer::{TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::env::sample_categorical;
use crate::exp;

/// The size of one token model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenShape {
    /// Vocabulary size V.
    pub vocab: usize,
    /// Most positions L_max (prompt and response together).
    pub positions: usize,
    /// Width d.
    pub width: usize,
    /// Transformer blocks.
    pub blocks: usize,
    /// Attention heads (divide d).
    pub heads: usize,
}

/// The logit given to a token the agent may not write: e^(−1e9) underflows to exactly 0.
const ILLEGAL: f32 = -1e9;

/// A tiny causal transformer (see the module's formula).
#[derive(Module, Debug)]
pub struct TokenModel {
    token: Embedding,
    position: Embedding,
    blocks: TransformerEncoder,
    norm: LayerNorm,
    head: Linear,
}

impl TokenModel {
    /// A model of `shape` on `device`, its parameters drawn from `init`.
    pub fn new(shape: TokenShape, device: &Device, init: &mut ChaCha8Rng) -> Self {
        let d = shape.width;
        let model = TokenModel {
            token: EmbeddingConfig::new(shape.vocab, d).init(device),
            position: EmbeddingConfig::new(shape.positions, d).init(device),
            blocks: TransformerEncoderConfig::new(d, 2 * d, shape.heads, shape.blocks).with_norm_first(true).with_dropout(0.0).init(device),
            norm: LayerNormConfig::new(d).init(device),
            head: LinearConfig::new(d, shape.vocab).init(device),
        };
        model.map(&mut HostInit { rng: init, path: Vec::new() })
    }

    /// Logits [B, L, V] of every position (causal: position t sees positions ≤ t only).
    pub fn logits(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        let [b, l] = tokens.dims();
        let device = tokens.device();
        let positions: Vec<i32> = (0..b).flat_map(|_| 0..l as i32).collect();
        let positions = Tensor::<2, Int>::from_data(TensorData::new(positions, [b, l]), &device);
        let x = self.token.forward(tokens).add(self.position.forward(positions));
        let mask = generate_autoregressive_mask(b, l, &device);
        let h = self.blocks.forward(TransformerEncoderInput::new(x).mask_attn(mask));
        self.head.forward(self.norm.forward(h))
    }

    /// Every response's per-token log-probabilities and entropies [N, T] under the sampling
    /// distribution (logits / τ, the agent's legal tokens), masked after each response's end.
    pub fn response_log_probs(&self, rows: &TokenRows, legal: &[bool], temperature: f32, device: &Device) -> (Tensor<2>, Tensor<2>) {
        let (n, l, t) = (rows.rows, rows.length, rows.response);
        let v = legal.len();
        let tokens = Tensor::<2, Int>::from_data(TensorData::new(rows.tokens.clone(), [n, l]), device);
        let bias: Vec<f32> = legal.iter().map(|&ok| if ok { 0.0 } else { ILLEGAL }).collect();
        let bias = Tensor::<3>::from_data(TensorData::new(bias, [1, 1, v]), device);
        let logits = self.logits(tokens).div_scalar(temperature).add(bias);
        let log_p = log_softmax(logits, 2);
        let at = Tensor::<3, Int>::from_data(TensorData::new(rows.positions.clone(), [n, t, 1]), device).repeat_dim(2, v);
        let picked = log_p.gather(1, at);
        let target = Tensor::<3, Int>::from_data(TensorData::new(rows.targets.clone(), [n, t, 1]), device);
        let mask = Tensor::<2>::from_data(TensorData::new(rows.mask.clone(), [n, t]), device);
        let chosen = picked.clone().gather(2, target).reshape([n, t]).mul(mask.clone());
        let entropy = picked.clone().exp().mul(picked).sum_dim(2).reshape([n, t]).neg().mul(mask);
        (chosen, entropy)
    }

    /// Samples one response per prompt, all prompts at once: at each step every unfinished
    /// response gets one token drawn from π at its last position (the agent's legal tokens,
    /// temperature τ), until it writes `end` or has `max_len` tokens. Draws one uniform per
    /// unfinished response per step from `rng`, in prompt order.
    pub async fn sample(&self, prompts: &[Vec<u32>], how: &Sampling<'_>, rng: &mut ChaCha8Rng, device: &Device) -> Result<Vec<Vec<u32>>, String> {
        let Sampling { legal, end, pad, max_len, temperature } = *how;
        let v = legal.len();
        let mut responses: Vec<Vec<u32>> = vec![Vec::new(); prompts.len()];
        let mut open: Vec<usize> = (0..prompts.len()).collect();
        let mut probs = vec![0.0f32; v];
        for _ in 0..max_len {
            if open.is_empty() {
                break;
            }
            let rows: Vec<Vec<u32>> = open.iter().map(|&i| prompts[i].iter().chain(&responses[i]).copied().collect()).collect();
            let l = rows.iter().map(Vec::len).max().unwrap_or(1);
            let flat: Vec<i32> = rows.iter().flat_map(|r| r.iter().copied().chain(std::iter::repeat(pad)).take(l)).map(|t| t as i32).collect();
            let tokens = Tensor::<2, Int>::from_data(TensorData::new(flat, [rows.len(), l]), device);
            let logits = self.logits(tokens).into_data_async().await.map_err(|e| format!("{e:?}"))?;
            let logits = logits.try_to_vec::<f32>().map_err(|e| format!("{e:?}"))?;
            let mut still = Vec::with_capacity(open.len());
            for (r, &i) in open.iter().enumerate() {
                let last = rows[r].len() - 1;
                let row = &logits[(r * l + last) * v..][..v];
                host_probs(row, legal, temperature, &mut probs);
                let token = sample_categorical(&probs, rng.random::<f32>()) as u32;
                responses[i].push(token);
                if token != end {
                    still.push(i);
                }
            }
            open = still;
        }
        Ok(responses)
    }

    /// Every parameter, flattened in visiting order (the tests compare and perturb them).
    pub fn flat_params(&self) -> Vec<f32> {
        let mut out = Flat(Vec::new());
        self.visit(&mut out);
        out.0
    }
}

/// How an agent samples a response.
#[derive(Debug, Clone, Copy)]
pub struct Sampling<'a> {
    /// The tokens it may write (one per vocabulary entry).
    pub legal: &'a [bool],
    /// The end token (a response stops after it).
    pub end: u32,
    /// The padding token.
    pub pad: u32,
    /// Most tokens in one response.
    pub max_len: usize,
    /// Temperature τ.
    pub temperature: f32,
}

/// π over `legal` tokens from one position's logits, on the host: softmax(logits / τ) with the
/// lab's e^x (the same bits natively and in wasm).
pub fn host_probs(logits: &[f32], legal: &[bool], temperature: f32, out: &mut [f32]) {
    let max = logits.iter().zip(legal).filter(|(_, &ok)| ok).map(|(x, _)| x / temperature).fold(f32::NEG_INFINITY, f32::max);
    let mut total = 0.0;
    for ((p, x), &ok) in out.iter_mut().zip(logits).zip(legal) {
        *p = if ok { exp::exp(x / temperature - max) } else { 0.0 };
        total += *p;
    }
    out.iter_mut().for_each(|p| *p /= total);
}

/// A batch of responses packed for the loss: N rows of prompt + response, right-padded to L.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenRows {
    /// Rows N.
    pub rows: usize,
    /// Positions L per row.
    pub length: usize,
    /// Response tokens T per row (the longest response).
    pub response: usize,
    /// Tokens [N, L].
    pub tokens: Vec<i32>,
    /// The position whose logits predict response token j, [N, T] (0 where masked).
    pub positions: Vec<i32>,
    /// Response token j, [N, T] (0 where masked).
    pub targets: Vec<i32>,
    /// 1 for a written token, 0 after the response's end, [N, T].
    pub mask: Vec<f32>,
}

impl TokenRows {
    /// Packs (prompt, response) pairs; `t_max` is the longest a response may be (T).
    pub fn pack(pairs: &[(&[u32], &[u32])], t_max: usize, pad: u32) -> Self {
        let n = pairs.len();
        let length = pairs.iter().map(|(p, r)| p.len() + r.len()).max().unwrap_or(1).max(1);
        let mut rows = TokenRows { rows: n, length, response: t_max, ..Default::default() };
        for (prompt, response) in pairs {
            let start = prompt.len();
            rows.tokens.extend(prompt.iter().chain(response.iter()).copied().chain(std::iter::repeat(pad)).take(length).map(|t| t as i32));
            for j in 0..t_max {
                let written = j < response.len() && start > 0;
                rows.positions.push(if written { (start + j - 1) as i32 } else { 0 });
                rows.targets.push(if written { response[j] as i32 } else { 0 });
                rows.mask.push(if written { 1.0 } else { 0.0 });
            }
        }
        rows
    }
}

/// Draws every parameter from the init stream (see the module's doc), keeping burn's ids.
struct HostInit<'a> {
    rng: &'a mut ChaCha8Rng,
    /// (field, the struct that holds it) of every module entered.
    path: Vec<(String, String)>,
}

impl ModuleMapper for HostInit<'_> {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.path.push((name.to_string(), container_type.to_string()));
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (field, owner) = self.path.last().cloned().unwrap_or_default();
        let rng = &mut *self.rng;
        param.map(|tensor| {
            let shape = tensor.shape();
            let dims = shape.dims::<D>();
            let count: usize = dims.iter().product();
            let values: Vec<f32> = match (owner.as_str(), field.as_str()) {
                ("Struct:LayerNorm", "gamma") => vec![1.0; count],
                ("Struct:LayerNorm", _) | (_, "bias") => vec![0.0; count],
                ("Struct:Embedding", _) => (0..count).map(|_| rng.random_range(-0.5f32..0.5)).collect(),
                _ => {
                    let bound = 1.0 / (dims[0] as f32).sqrt();
                    (0..count).map(|_| rng.random_range(-bound..bound)).collect()
                }
            };
            let fresh = Tensor::<D>::from_data(TensorData::new(values, dims), &tensor.device());
            if tensor.is_require_grad() { fresh.require_grad() } else { fresh }
        })
    }
}

struct Flat(Vec<f32>);

impl ModuleVisitor for Flat {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.extend(param.val().into_data().try_to_vec::<f32>().unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    const SHAPE: TokenShape = TokenShape { vocab: 7, positions: 8, width: 8, blocks: 1, heads: 2 };

    fn model(seed: u64) -> TokenModel {
        TokenModel::new(SHAPE, &Device::flex(), &mut ChaCha8Rng::seed_from_u64(seed))
    }

    #[test]
    fn initialisation_is_drawn_from_the_stream_with_layer_norms_at_identity() {
        let (a, b, c) = (model(1).flat_params(), model(1).flat_params(), model(2).flat_params());
        assert_eq!(a, b, "same stream, same parameters");
        assert_ne!(a, c);
        let ones = a.iter().filter(|&&x| x == 1.0).count();
        // γ of the final norm and the block's two norms: 3 × d ones.
        assert_eq!(ones, 3 * SHAPE.width);
        assert!(a.iter().all(|x| x.abs() <= 1.0));
    }

    #[test]
    fn positions_see_only_the_past() {
        let m = model(3);
        let device = Device::flex();
        let a = Tensor::<2, Int>::from_data(TensorData::new(vec![1, 2, 3, 4], [1, 4]), &device);
        let b = Tensor::<2, Int>::from_data(TensorData::new(vec![1, 2, 5, 6], [1, 4]), &device);
        let la = m.logits(a).into_data().try_to_vec::<f32>().unwrap();
        let lb = m.logits(b).into_data().try_to_vec::<f32>().unwrap();
        let v = SHAPE.vocab;
        assert_eq!(la[..2 * v], lb[..2 * v], "positions 0 and 1 do not see positions 2 and 3");
        assert_ne!(la[2 * v..], lb[2 * v..]);
    }

    #[test]
    fn log_probs_are_masked_after_the_end_and_match_the_host_softmax() {
        let m = model(4);
        let device = Device::flex();
        let legal = [true, true, true, false, true, true, true];
        let end = 6;
        // Response 1 ends after two tokens (…, end); response 2 writes three without ending.
        let (p1, r1, p2, r2) = (vec![1u32, 2], vec![0u32, end], vec![2u32], vec![4u32, 5, 1]);
        let rows = TokenRows::pack(&[(&p1, &r1), (&p2, &r2)], 3, 3);
        let (log_p, entropy) = m.response_log_probs(&rows, &legal, 0.7, &device);
        let log_p = log_p.into_data().try_to_vec::<f32>().unwrap();
        let entropy = entropy.into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(rows.mask, vec![1.0, 1.0, 0.0, 1.0, 1.0, 1.0]);
        assert_eq!((log_p[2], entropy[2]), (0.0, 0.0), "masked after the end token");
        // Each written token's log-prob from the full sequence's logits on the host.
        for (row, (prompt, response)) in [(&p1, &r1), (&p2, &r2)].into_iter().enumerate() {
            let seq: Vec<i32> = prompt.iter().chain(response.iter()).map(|&t| t as i32).collect();
            let len = seq.len();
            let logits = m.logits(Tensor::<2, Int>::from_data(TensorData::new(seq, [1, len]), &device)).into_data().try_to_vec::<f32>().unwrap();
            for (j, &token) in response.iter().enumerate() {
                let at = prompt.len() + j - 1;
                let mut probs = vec![0.0; SHAPE.vocab];
                host_probs(&logits[at * SHAPE.vocab..][..SHAPE.vocab], &legal, 0.7, &mut probs);
                let want = probs[token as usize].ln();
                let got = log_p[row * 3 + j];
                assert!((want - got).abs() < 1e-5, "row {row} token {j}: {got} vs {want}");
                let h: f32 = probs.iter().filter(|&&p| p > 0.0).map(|p| -p * p.ln()).sum();
                assert!((h - entropy[row * 3 + j]).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn sampling_stops_at_the_end_token_and_never_writes_an_illegal_one() {
        let m = model(5);
        let device = Device::flex();
        let legal = [true, false, true, false, true, false, true];
        let prompts = vec![vec![1u32, 2], vec![3u32], vec![1u32, 1, 1]];
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let how = Sampling { legal: &legal, end: 6, pad: 3, max_len: 4, temperature: 1.0 };
        let out = pollster::block_on(m.sample(&prompts, &how, &mut rng, &device)).unwrap();
        let again = pollster::block_on(m.sample(&prompts, &how, &mut ChaCha8Rng::seed_from_u64(9), &device)).unwrap();
        assert_eq!(out, again, "same stream, same responses");
        for r in &out {
            assert!(!r.is_empty() && r.len() <= 4);
            assert!(r.iter().all(|&t| legal[t as usize]));
            assert!(r[..r.len() - 1].iter().all(|&t| t != 6), "nothing after the end token: {r:?}");
        }
    }

    /// The gradient of the sum of a response's log-probs with respect to the output bias,
    /// against central finite differences of the same function.
    #[test]
    fn gradients_match_finite_differences() {
        let device = Device::flex().autodiff();
        let m = TokenModel::new(SHAPE, &device, &mut ChaCha8Rng::seed_from_u64(6));
        let legal = [true; 7];
        let (prompt, response) = (vec![1u32, 2, 3], vec![4u32, 0, 6]);
        let rows = TokenRows::pack(&[(&prompt, &response)], 3, 3);
        let weights = [0.5f32, -1.0, 2.0];
        let objective = |model: &TokenModel| {
            let (log_p, entropy) = model.response_log_probs(&rows, &legal, 1.0, &device);
            let w = Tensor::<2>::from_data(TensorData::new(weights.to_vec(), [1, 3]), &device);
            log_p.mul(w).sum().add(entropy.sum().mul_scalar(0.3))
        };
        let loss = objective(&m);
        let grads = loss.backward();
        // Every parameter tensor's gradient, checked at a few coordinates each.
        let mut checks = GradCheck { grads: &grads, found: Vec::new() };
        m.visit(&mut checks);
        assert!(checks.found.len() >= 10, "every parameter has a gradient");
        let base = m.flat_params();
        let f = |params: &[f32]| -> f64 {
            let probe = TokenModel::new(SHAPE, &Device::flex(), &mut ChaCha8Rng::seed_from_u64(6)).map(&mut Load { values: params, at: 0 });
            let (log_p, entropy) = probe.response_log_probs(&rows, &legal, 1.0, &Device::flex());
            let lp = log_p.into_data().try_to_vec::<f32>().unwrap();
            let h = entropy.into_data().try_to_vec::<f32>().unwrap();
            lp.iter().zip(weights).map(|(l, w)| f64::from(l * w)).sum::<f64>() + 0.3 * h.iter().map(|&x| f64::from(x)).sum::<f64>()
        };
        let analytic: Vec<f32> = checks.found.concat();
        assert_eq!(analytic.len(), base.len());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut worst = 0.0f64;
        for _ in 0..40 {
            let i = rng.random_range(0..base.len());
            let h = 1e-2f32;
            let (mut up, mut down) = (base.clone(), base.clone());
            up[i] += h;
            down[i] -= h;
            let numeric = (f(&up) - f(&down)) / (2.0 * f64::from(h));
            let err = (numeric - f64::from(analytic[i])).abs() / numeric.abs().max(1e-2);
            worst = worst.max(err);
        }
        assert!(worst < 2e-2, "largest relative error {worst}");
    }

    struct GradCheck<'a> {
        grads: &'a burn::tensor::Gradients,
        found: Vec<Vec<f32>>,
    }

    impl ModuleVisitor for GradCheck<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let count: usize = param.val().dims().iter().product();
            let g = param.val().grad(self.grads).map(|g| g.into_data().try_to_vec::<f32>().unwrap()).unwrap_or_else(|| vec![0.0; count]);
            self.found.push(g);
        }
    }

    struct Load<'a> {
        values: &'a [f32],
        at: usize,
    }

    impl ModuleMapper for Load<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (values, at) = (self.values, &mut self.at);
            param.map(|t| {
                let dims = t.dims();
                let count: usize = dims.iter().product();
                let v = values[*at..*at + count].to_vec();
                *at += count;
                Tensor::<D>::from_data(TensorData::new(v, dims), &t.device())
            })
        }
    }
}
