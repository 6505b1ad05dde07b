//! Device loss: with checkpointing on (the page's worker), each read-back also brings Adam's
//! state home, and the random streams are kept as they were after the last finished update;
//! when the device fails, `Trainer::recover` rebuilds the trainer on another backend from that
//! state ([`Recovery::restore`]) and training goes on from the last report, as if nothing had
//! happened. Fault injection makes a read-back fail on purpose, for the tests.

use burn::tensor::{Device, Tensor, TensorData};

use super::adam::StackedAdam;
use super::error::TrainError;
use crate::policy::{PolicyShape, StackedMlp};
use crate::rng::RunStreams;

/// The state after the last finished update that the device holds, read back to the host.
#[derive(Debug, Clone)]
struct Checkpoint {
    /// Adam's moments, (W1, b1, W2, b2) each flattened as on the device.
    first: [Vec<f32>; 4],
    second: [Vec<f32>; 4],
    steps: Vec<f32>,
    /// Every run's random streams as they were after that update.
    streams: Vec<RunStreams>,
}

/// The state before the first update: host parameters, parameter models, every run's streams.
pub(super) type Start<'a> = (&'a [Vec<f32>; 4], usize, Vec<RunStreams>);

/// Checkpointing and fault injection: off by default.
#[derive(Debug, Clone, Default)]
pub(super) struct Recovery {
    /// Whether each read-back brings the Adam state home.
    pub checkpointing: bool,
    checkpoint: Option<Checkpoint>,
    /// A simulated device failure at this update.
    fault: Option<u32>,
}

/// A trainer's device state rebuilt from a checkpoint.
#[derive(Debug)]
pub(super) struct Restored {
    pub params: [Tensor<3>; 4],
    pub init_params: [Tensor<3>; 4],
    pub adam: StackedAdam,
    pub streams: Vec<RunStreams>,
    /// Checkpointing stays on, from the same checkpoint.
    pub recovery: Recovery,
}

impl Recovery {
    /// Turns checkpointing on or off; `start` is the state before the first update (host
    /// parameters, parameter models, streams) when no update has been done yet.
    pub fn set(&mut self, on: bool, start: Option<Start<'_>>) {
        self.checkpointing = on;
        self.checkpoint = None;
        if let (true, Some((params, models, streams))) = (on, start) {
            let zeros = params.clone().map(|p| vec![0.0; p.len()]);
            self.checkpoint = Some(Checkpoint { first: zeros.clone(), second: zeros, steps: vec![0.0; models], streams });
        }
    }

    /// Whether there is a checkpoint to recover from.
    pub fn can_recover(&self) -> bool {
        self.checkpoint.is_some()
    }

    /// The read-back of update `update` will fail as a lost device would.
    pub fn inject(&mut self, update: u32) {
        self.fault = Some(update);
    }

    /// Fails update `next` if a fault was injected there.
    pub fn check_fault(&mut self, next: u32) -> Result<(), TrainError> {
        if self.fault == Some(next) {
            self.fault = None;
            return Err(TrainError::Device(format!("device lost (simulated at update {next})")));
        }
        Ok(())
    }

    /// Keeps the state a read-back brought home (Adam's moments and steps) with the streams.
    pub fn keep(&mut self, shape: &PolicyShape, (first, second, steps): (&[f32], &[f32], &[f32]), streams: Vec<RunStreams>) {
        self.checkpoint =
            Some(Checkpoint { first: shape.split_flat(first), second: shape.split_flat(second), steps: steps.to_vec(), streams });
    }

    /// The device state of the last checkpoint on `device`: the parameters from the host copy,
    /// the initial parameters again from the runs' seeds (for the KL penalty), Adam with its
    /// moments, steps and learning rates, and the streams as they were.
    pub fn restore(
        &self,
        shape: PolicyShape,
        host_params: &[Vec<f32>; 4],
        seeds: &[u64],
        learning_rates: &[f32],
        device: &Device,
    ) -> Result<Restored, TrainError> {
        let checkpoint = self.checkpoint.clone().ok_or_else(|| TrainError::Device("no checkpoint to recover from".into()))?;
        let shapes = shape.param_shapes();
        let params: [Tensor<3>; 4] = std::array::from_fn(|i| Tensor::from_data(TensorData::new(host_params[i].clone(), shapes[i]), device));
        let per_run = shape.models / seeds.len();
        let mut init_rngs: Vec<_> = seeds.iter().map(|&seed| RunStreams::from_seed(seed).init).collect();
        let init_params = StackedMlp::init(shape, per_run, &mut init_rngs, device).params;
        let moments = (&checkpoint.first, &checkpoint.second, checkpoint.steps.as_slice());
        let adam = StackedAdam::from_host(shapes, moments, learning_rates.to_vec(), device);
        let streams = checkpoint.streams.clone();
        Ok(Restored { params, init_params, adam, streams, recovery: Recovery { checkpointing: true, checkpoint: Some(checkpoint), fault: None } })
    }
}
