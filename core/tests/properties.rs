//! Property tests of the batch estimators (proptest): invariances, equivariance, conventions,
//! finiteness.

use creditlab::advantage::{Estimator, EstimatorOptions};
use creditlab::{Batch, Sample};
use proptest::prelude::*;

/// Estimators normalised by (σ + ε): shift- and positive-scale-invariant (with ε = 0).
const STD_NORMALISED: [Estimator; 4] =
    [Estimator::GrpoGlobal, Estimator::AgentWise, Estimator::GlobalStep, Estimator::TrajectoryPerAgent];

/// Batches with uneven groups, agents acting 0, 1 or many times, ties (rewards from a small
/// set half the time) and anchors from a small set.
fn batch() -> impl Strategy<Value = Batch> {
    // Rewards on a 1/64 grid: exact in f32 under the integer shifts and power-of-two scales.
    let reward = prop_oneof![(-3i32..3).prop_map(|v| v as f32), (-3200i32..3200).prop_map(|v| v as f32 / 64.0)];
    let sample = (0u32..3, 0u32..4, 0u32..3, reward, proptest::option::of(0u8..3));
    proptest::collection::vec(sample, 1..40).prop_map(|raw| {
        let mut turns = std::collections::BTreeMap::new();
        let samples = raw
            .into_iter()
            .map(|(group, episode_in_group, agent, reward, anchor)| {
                let episode = group * 10 + episode_in_group;
                let turn = turns.entry(episode).or_insert(0u32);
                *turn += 1;
                Sample { group, episode, agent, turn: *turn - 1, reward, anchor: anchor.map(|a| format!("s{a}")), action: None }
            })
            .collect();
        Batch { samples }
    })
}

fn with_rewards(batch: &Batch, f: impl Fn(f32) -> f32) -> Batch {
    Batch { samples: batch.samples.iter().map(|s| Sample { reward: f(s.reward), ..s.clone() }).collect() }
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-3 * (1.0 + a.abs().max(b.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Shifting every reward by c leaves the advantages of keys with ≥ 2 members unchanged
    /// (a singleton passes its raw value through, so it shifts with it, by convention).
    ///
    /// Shifts and scales are exactly representable (integers, powers of two) so that the f32
    /// rewards stay ties where they were ties: a tie that rounding breaks is a different batch
    /// (an all-equal key, A = 0, becomes one with a tiny σ).
    #[test]
    fn std_normalised_estimators_are_shift_invariant(batch in batch(), shift in (-100i32..100).prop_map(|c| c as f32)) {
        let options = EstimatorOptions { eps: 0.0, ..Default::default() };
        let shifted = with_rewards(&batch, |r| r + shift);
        for kind in STD_NORMALISED {
            let (a, b) = (kind.compute(&batch, &options, None).expect("a batch estimator"), kind.compute(&shifted, &options, None).expect("a batch estimator"));
            for i in 0..batch.len() {
                if a.ledger[i].key_size >= 2 {
                    prop_assert!(close(a.values[i], b.values[i]), "{kind}: sample {i}: {} vs {}", a.values[i], b.values[i]);
                } else {
                    prop_assert!(close(b.values[i] - a.values[i], shift), "{kind}: singleton shifts with the reward");
                }
            }
        }
    }

    /// Scaling every reward by c > 0 leaves the advantages of keys with ≥ 2 members unchanged.
    #[test]
    fn std_normalised_estimators_are_scale_invariant(batch in batch(), scale in (-6i32..7).prop_map(|k| 2f32.powi(k))) {
        let options = EstimatorOptions { eps: 0.0, ..Default::default() };
        let scaled = with_rewards(&batch, |r| r * scale);
        for kind in STD_NORMALISED {
            let (a, b) = (kind.compute(&batch, &options, None).expect("a batch estimator"), kind.compute(&scaled, &options, None).expect("a batch estimator"));
            for i in 0..batch.len() {
                if a.ledger[i].key_size >= 2 {
                    prop_assert!(close(a.values[i], b.values[i]), "{kind}: sample {i}: {} vs {}", a.values[i], b.values[i]);
                }
            }
        }
    }

    /// Reordering the samples reorders the advantages the same way: no estimator depends on
    /// the order samples arrive in.
    #[test]
    fn every_batch_estimator_is_permutation_equivariant(batch in batch(), seed in any::<u64>()) {
        let n = batch.len();
        let mut order: Vec<usize> = (0..n).collect();
        let mut state = seed;
        for i in (1..n).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (state >> 33) as usize % (i + 1));
        }
        let permuted = Batch { samples: order.iter().map(|&i| batch.samples[i].clone()).collect() };
        let options = EstimatorOptions::default();
        for kind in Estimator::ALL.into_iter().filter(|e| !e.needs_game()) {
            let (a, b) = (kind.compute(&batch, &options, None).expect("a batch estimator"), kind.compute(&permuted, &options, None).expect("a batch estimator"));
            for (j, &i) in order.iter().enumerate() {
                prop_assert!(close(a.values[i], b.values[j]), "{kind}: sample {i}: {} vs {}", a.values[i], b.values[j]);
            }
        }
    }

    /// Zero-variance keys give exactly 0; singleton keys give the raw value (mean-only: exactly).
    #[test]
    fn zero_variance_and_singleton_conventions(batch in batch(), constant in -10.0f32..10.0) {
        let options = EstimatorOptions { mean_only: true, ..Default::default() };
        let flat = with_rewards(&batch, |_| constant);
        for kind in [Estimator::AgentWise, Estimator::GlobalStep] {
            let out = kind.compute(&flat, &options, None).expect("a batch estimator");
            for i in 0..flat.len() {
                let expected = if out.ledger[i].key_size == 1 { constant } else { 0.0 };
                prop_assert_eq!(out.values[i], expected, "{}: sample {}", kind, i);
            }
        }
    }

    /// Finite rewards give finite advantages, for every estimator and option set.
    #[test]
    fn advantages_are_finite(batch in batch(), mean_only in any::<bool>(), eps in 0.0f32..0.1) {
        for options in [
            EstimatorOptions { mean_only, eps, ..Default::default() },
            EstimatorOptions { gigpo_mean_std: true, gigpo_agent_wise: true, eps, ..Default::default() },
        ] {
            for kind in Estimator::ALL.into_iter().filter(|e| !e.needs_game()) {
                let out = kind.compute(&batch, &options, None).expect("a batch estimator");
                prop_assert_eq!(out.values.len(), batch.len());
                prop_assert!(out.values.iter().all(|v| v.is_finite()), "{}: {:?}", kind, out.values);
            }
        }
    }
}
