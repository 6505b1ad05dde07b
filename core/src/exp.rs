//! e^x for f32, written so that a loop over a slice vectorises (simd128 in wasm, SSE2/AVX
//! natively): no branch, no call, only IEEE multiplies, adds, compares and integer bit work, so it
//! gives the same bits natively and in wasm, and in a vector lane as in scalar code.
//!
//! libm's `expf` (what `f32::exp` and burn-flex's `exp` call) is a scalar call per element: it
//! was the top of the shipped worker's profile (BENCHMARKS.md, "What profiling found"). This is
//! Cephes' `expf`: x = k ln 2 + r with k = round(x / ln 2) and |r| ≤ ln 2 / 2 (ln 2 split in two
//! parts, so k ln 2 is exact enough), e^r by a degree-7 polynomial, 2^k from the exponent bits.
//! Its error against libm is measured and bounded in the tests below (≤ 1 ulp on the normal
//! range).
//!
//! Edges: NaN gives NaN; x > 88.3762626647949 gives +∞ (libm's is finite up to 88.72); x below
//! −87.33654 gives 0 (libm's is subnormal down to −103.97). The lab's uses stay well inside:
//! tanh clamps its argument to ±30 and softmax takes e^(x − max) ≤ 1, where an illegal action's
//! −1e9 must give exactly 0.

/// Above this e^x is +∞ here (k would leave the exponent's range).
const HI: f32 = 88.376_26;
/// Below this e^x is 0 here (2^k would be subnormal).
const LO: f32 = -87.336_54;
const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 = LN2_HI + LN2_LO, LN2_HI with few enough bits that k · LN2_HI is exact.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 · 2^23: adding and subtracting it rounds a float below 2^22 to the nearest integer (ties
/// to even) without a call to `roundf`, which SSE2 lacks.
const ROUND: f32 = 12_582_912.0;

/// e^x (see the module's doc for its accuracy and edges).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let c = x.clamp(LO, HI);
    let shifted = c * LOG2E + ROUND;
    let k = shifted - ROUND;
    let r = (c - k * LN2_HI) - k * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5; // Cephes: 5.0000001201e-1, which is 0.5 in f32
    let y = (p * r) * r + r + 1.0;
    // 2^k from its bits. k is in [−126, 127] after the clamp, and it is also the low bits of
    // `shifted`'s mantissa (ROUND's are 0): integer work only, no float-to-int conversion, which
    // SSE2 cannot do for a vector of saturating casts. NaN gives some scale and y = NaN.
    let k_bits = shifted.to_bits().wrapping_sub(ROUND.to_bits()).wrapping_add(127);
    let scale = f32::from_bits(k_bits << 23);
    let e = y * scale;
    let e = if x > HI { f32::INFINITY } else { e };
    if x < LO {
        0.0
    } else {
        e
    }
}

/// tanh(a) = (e^{2a} − 1) / (e^{2a} + 1), |a| clamped to 15 (tanh(±15) is ±1 in f32): the lab's
/// tanh, on the host (rollouts) and on the CPU device alike.
#[inline(always)]
pub fn tanh(a: f32) -> f32 {
    let z = exp(a.clamp(-15.0, 15.0) * 2.0);
    (z - 1.0) / (z + 1.0)
}

/// [`tanh`] of every element, in place (vectorised).
pub fn tanh_in_place(xs: &mut [f32]) {
    for x in xs.iter_mut() {
        *x = tanh(*x);
    }
}

/// Log-softmax of every row of `width` values, in place, and the probabilities (its e^) into
/// `probs`: y = x − max − ln Σ e^(x − max). A row whose values are not all finite gives NaN
/// (the trainer's divergence checks see it).
pub fn log_softmax_rows(xs: &mut [f32], width: usize, probs: &mut [f32]) {
    debug_assert_eq!(xs.len(), probs.len());
    // Rows are short (a game's actions): the exponentials run over the whole slice at once, so
    // that they vectorise, between two passes per row.
    for row in xs.chunks_exact_mut(width) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for x in row.iter_mut() {
            *x -= max;
        }
    }
    for (x, q) in xs.iter().zip(probs.iter_mut()) {
        *q = exp(*x);
    }
    for (row, p) in xs.chunks_exact_mut(width).zip(probs.chunks_exact_mut(width)) {
        let total: f32 = p.iter().sum();
        let log_total = libm::logf(total);
        let inv = 1.0 / total;
        for (x, q) in row.iter_mut().zip(p.iter_mut()) {
            *x -= log_total;
            *q *= inv;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two finite floats of the same sign.
    fn ulps(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    #[test]
    fn exp_is_within_two_ulp_of_libm_on_its_whole_normal_range() {
        // Every 13th float from LO to HI: negative ones (bits from −0 up to LO's), then positive
        // ones (bits from +0 up to HI's); about 170 million in all.
        let negative = (0x8000_0000u32..=LO.to_bits()).step_by(13);
        let positive = (0u32..=HI.to_bits()).step_by(13);
        let (mut worst, mut at, mut n) = (0u32, 0.0f32, 0u64);
        for bits in negative.chain(positive) {
            let x = f32::from_bits(bits);
            let d = ulps(exp(x), libm::expf(x));
            if d > worst {
                (worst, at) = (d, x);
            }
            n += 1;
        }
        assert!(n > 150_000_000, "{n} floats checked");
        eprintln!("exp: worst {worst} ulp from libm at {at} over {n} floats");
        assert!(worst <= 1, "exp({at}) is {worst} ulp from libm's {} (ours {})", libm::expf(at), exp(at));
    }

    #[test]
    fn exp_edges_nan_infinity_and_underflow_to_exact_zero() {
        assert!(exp(f32::NAN).is_nan());
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(89.0), f32::INFINITY);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        // An illegal action's logit: exactly 0, so it never gets probability.
        assert_eq!(exp(-1e9), 0.0);
        assert_eq!(exp(-88.0), 0.0);
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(HI).is_finite() && exp(HI) > 2.4e38);
        assert!(exp(LO) > 0.0 && exp(LO).is_normal());
    }

    #[test]
    fn slices_give_the_same_bits_as_the_scalar_function() {
        // The vectorised loop and the scalar call are the same operations lane by lane.
        let xs: Vec<f32> = (0..4099).map(|i| (i as f32 - 2049.0) * 0.0173).collect();
        let mut v = xs.clone();
        tanh_in_place(&mut v);
        for (x, t) in xs.iter().zip(&v) {
            assert_eq!(t.to_bits(), tanh(*x).to_bits(), "tanh({x})");
        }
    }

    #[test]
    fn tanh_is_close_to_libm_and_saturates() {
        for i in -3000..=3000 {
            let a = i as f32 * 0.01;
            assert!((tanh(a) - libm::tanhf(a)).abs() <= 4.0 * f32::EPSILON, "tanh({a})");
        }
        assert_eq!(tanh(100.0), 1.0);
        assert_eq!(tanh(-100.0), -1.0);
        assert!(tanh(f32::NAN).is_nan());
    }

    #[test]
    fn log_softmax_rows_match_a_float64_reference_and_mask_with_exact_zeros() {
        let width = 4;
        let mut xs = vec![0.5f32, -1.0, 2.0, -1e9, 3.0, 3.0, 3.0, 3.0, -20.0, 10.0, 0.0, 1.0];
        let orig = xs.clone();
        let mut probs = vec![0.0f32; xs.len()];
        log_softmax_rows(&mut xs, width, &mut probs);
        for (r, row) in orig.chunks(width).enumerate() {
            let max = row.iter().copied().fold(f64::NEG_INFINITY, |m, v| m.max(f64::from(v)));
            let total: f64 = row.iter().map(|&v| (f64::from(v) - max).exp()).sum();
            for (j, &v) in row.iter().enumerate() {
                let want = f64::from(v) - max - total.ln();
                let i = r * width + j;
                if v < -1e8 {
                    assert_eq!(probs[i], 0.0, "a masked action has probability exactly 0");
                    continue;
                }
                assert!((f64::from(xs[i]) - want).abs() < 1e-5, "row {r} col {j}: {} vs {want}", xs[i]);
                assert!((f64::from(probs[i]) - want.exp()).abs() < 1e-6);
            }
        }
        let mut bad = vec![1.0f32, f32::NAN, 0.0, 0.0];
        let mut p = vec![0.0f32; 4];
        log_softmax_rows(&mut bad, 4, &mut p);
        assert!(bad.iter().all(|v| v.is_nan()));
    }
}
