//! Chart data kept from the worker's `StepReport`s: per estimator (one column of the page), per
//! agent, bands over the seeds. Every series is a bounded buffer: when it fills, neighbouring
//! points are averaged in pairs (downsampled, never dropped), so a 10,000-update run costs the
//! same memory and drawing time as a 1,000-update one.

use creditlab::metrics::TheoryPoint;
use std::collections::BTreeMap;

use creditlab::advantage::Estimator;
use creditlab::{StepReport, TrainConfig};

/// Points a series keeps before it halves its resolution.
pub const CAPACITY: usize = 512;

/// A series of (update, value) points with at most [`CAPACITY`] points.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bounded {
    points: Vec<(f32, f32)>,
    /// Updates averaged into one point.
    stride: u32,
    pending: (f64, f64, u32),
}

impl Bounded {
    /// Adds the value of one update.
    pub fn push(&mut self, update: u32, value: f32) {
        if self.stride == 0 {
            self.stride = 1;
        }
        let (x, y, n) = &mut self.pending;
        *x += f64::from(update);
        *y += f64::from(value);
        *n += 1;
        if *n >= self.stride {
            let point = ((*x / f64::from(*n)) as f32, (*y / f64::from(*n)) as f32);
            self.pending = (0.0, 0.0, 0);
            self.points.push(point);
            if self.points.len() >= CAPACITY {
                self.points = self
                    .points
                    .chunks(2)
                    .map(|c| {
                        let n = c.len() as f32;
                        (c.iter().map(|p| p.0).sum::<f32>() / n, c.iter().map(|p| p.1).sum::<f32>() / n)
                    })
                    .collect();
                self.stride *= 2;
            }
        }
    }

    /// The points, the partial last one included.
    pub fn points(&self) -> Vec<(f32, f32)> {
        let mut points = self.points.clone();
        let (x, y, n) = self.pending;
        if n > 0 {
            points.push(((x / f64::from(n)) as f32, (y / f64::from(n)) as f32));
        }
        points
    }

    /// The latest value.
    pub fn last(&self) -> Option<f32> {
        let (_, y, n) = self.pending;
        if n > 0 { Some((y / f64::from(n)) as f32) } else { self.points.last().map(|p| p.1) }
    }

    /// Number of stored points.
    pub fn len(&self) -> usize {
        self.points.len() + usize::from(self.pending.2 > 0)
    }

    /// Whether nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A value over seeds: its mean and its range (min … max) per update.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Band {
    /// Mean over seeds (geometric mean for log-scale quantities).
    pub mean: Bounded,
    /// Smallest over seeds.
    pub lo: Bounded,
    /// Largest over seeds.
    pub hi: Bounded,
}

impl Band {
    fn push(&mut self, update: u32, values: &[f32], geometric: bool) {
        if values.is_empty() {
            return;
        }
        let n = values.len() as f32;
        let mean = if geometric {
            (values.iter().map(|v| v.max(1e-30).ln()).sum::<f32>() / n).exp()
        } else {
            values.iter().sum::<f32>() / n
        };
        self.mean.push(update, mean);
        self.lo.push(update, values.iter().copied().fold(f32::INFINITY, f32::min));
        self.hi.push(update, values.iter().copied().fold(f32::NEG_INFINITY, f32::max));
    }
}

/// One agent's curves in one estimator's column.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentHistory {
    /// Reward score (0 = worst, 1 = best return for the agent).
    pub reward_score: Band,
    /// Pre-clip gradient norm (finite values only; geometric mean over seeds).
    pub grad_norm: Band,
    /// √ of the predicted second-moment factor of one global baseline (mean over seeds).
    pub predicted_factor: Bounded,
    /// Mean policy entropy (nats) at the agent's decisions.
    pub entropy: Band,
    /// Language agents: mean response length in tokens (empty for the MLP games).
    pub tokens: Band,
    /// Action probabilities at the reference decision: `[seed][action]`.
    pub action_probs: Vec<Vec<Bounded>>,
}

/// One estimator's column: every agent, and the game's figures, over updates.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimatorHistory {
    /// The estimator.
    pub estimator: Estimator,
    /// Per agent.
    pub agents: Vec<AgentHistory>,
    /// Mean team return per episode.
    pub team: Band,
    /// The game's figures (e.g. `nash_conv`), over seeds.
    pub figures: BTreeMap<String, Band>,
    /// The latest report of each seed's run.
    pub latest: Vec<creditlab::RunReport>,
}

/// Every column's history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    /// Per estimator, in config order.
    pub columns: Vec<EstimatorHistory>,
    /// Updates seen.
    pub updates: u32,
    /// Updates the experiment will do (for a stable x axis).
    pub total: u32,
    seeds: usize,
    /// The theory check's points (config `theory_check`), from every `theory_stride`-th update:
    /// when they pass [`THEORY_POINTS`] every other update's are dropped and the stride doubles.
    pub theory: Vec<TheoryPoint>,
    theory_stride: u32,
}

/// The most theory points held.
pub const THEORY_POINTS: usize = 6000;

impl History {
    /// The number of points of the longest series held (at most [`CAPACITY`], whatever the
    /// number of updates): the long-run test reads it.
    pub fn longest_series(&self) -> usize {
        let band = |b: &Band| b.mean.len().max(b.lo.len()).max(b.hi.len());
        self.columns
            .iter()
            .flat_map(|c| {
                let agents = c.agents.iter().map(move |a| {
                    let probs = a.action_probs.iter().flatten().map(Bounded::len).max().unwrap_or(0);
                    band(&a.reward_score).max(band(&a.grad_norm)).max(band(&a.entropy)).max(band(&a.tokens)).max(a.predicted_factor.len()).max(probs)
                });
                agents.chain([band(&c.team)]).chain(c.figures.values().map(band))
            })
            .max()
            .unwrap_or(0)
    }

    /// An empty history for `config`.
    pub fn new(config: &TrainConfig) -> Self {
        let agents = config.game.agents();
        let columns = config
            .estimators
            .iter()
            .map(|&estimator| EstimatorHistory {
                estimator,
                agents: vec![AgentHistory::default(); agents],
                team: Band::default(),
                figures: BTreeMap::new(),
                latest: Vec::new(),
            })
            .collect();
        Self { columns, updates: 0, total: config.updates, seeds: config.seeds.len().max(1), theory: Vec::new(), theory_stride: 1 }
    }

    /// Adds one update's report.
    pub fn push(&mut self, report: &StepReport) {
        self.updates = report.update;
        self.theory_stride = self.theory_stride.max(1);
        if report.update.is_multiple_of(self.theory_stride) {
            self.theory.extend(creditlab::metrics::theory_points(std::slice::from_ref(report)));
            while self.theory.len() > THEORY_POINTS {
                self.theory_stride *= 2;
                let stride = self.theory_stride;
                self.theory.retain(|p| p.update.is_multiple_of(stride));
            }
        }
        let u = report.update;
        for (e, column) in self.columns.iter_mut().enumerate() {
            // A diverged run's figures are copies, not measurements: its curves end where it
            // stopped (and its seed's policy path with them).
            let seeds: Vec<(usize, &creditlab::RunReport)> =
                report.runs.iter().skip(e * self.seeds).take(self.seeds).enumerate().filter(|(_, r)| r.is_measured()).collect();
            let runs: Vec<&creditlab::RunReport> = seeds.iter().map(|(_, r)| *r).collect();
            if runs.is_empty() {
                column.latest.clear();
                continue;
            }
            column.team.push(u, &runs.iter().map(|r| r.team_reward_mean).collect::<Vec<_>>(), false);
            let names: Vec<String> = runs[0].figures.keys().cloned().collect();
            for name in names {
                let values: Vec<f32> = runs.iter().filter_map(|r| r.figures.get(&name).copied()).collect();
                column.figures.entry(name).or_default().push(u, &values, false);
            }
            for (k, agent) in column.agents.iter_mut().enumerate() {
                let of = |f: &dyn Fn(&creditlab::AgentReport) -> Option<f32>| -> Vec<f32> {
                    runs.iter().filter_map(|r| r.agents.get(k)).filter_map(f).filter(|v| v.is_finite()).collect()
                };
                agent.reward_score.push(u, &of(&|a| Some(a.reward_score)), false);
                agent.grad_norm.push(u, &of(&|a| a.grad_norm.filter(|n| *n > 0.0)), true);
                agent.entropy.push(u, &of(&|a| Some(a.entropy)), false);
                let tokens = of(&|a| a.tokens);
                if !tokens.is_empty() {
                    agent.tokens.push(u, &tokens, false);
                }
                let factors = of(&|a| a.predicted_inflation.map(f32::sqrt));
                if !factors.is_empty() {
                    agent.predicted_factor.push(u, factors.iter().sum::<f32>() / factors.len() as f32);
                }
                for &(s, run) in &seeds {
                    let Some(probs) = run.agents.get(k).map(|a| &a.action_probs) else { continue };
                    if agent.action_probs.len() <= s {
                        agent.action_probs.resize(s + 1, Vec::new());
                    }
                    let seed = &mut agent.action_probs[s];
                    seed.resize(probs.len(), Bounded::default());
                    for (series, &p) in seed.iter_mut().zip(probs) {
                        series.push(u, p);
                    }
                }
            }
            column.latest = runs.into_iter().cloned().collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_series_downsample_instead_of_dropping() {
        let mut s = Bounded::default();
        for u in 1..=10_000u32 {
            s.push(u, u as f32);
        }
        assert!(s.len() <= CAPACITY, "{} points", s.len());
        let points = s.points();
        // The whole range is still covered, and averaging keeps x and y together.
        assert!(points[0].0 < 20.0 && points[points.len() - 1].0 > 9_900.0);
        assert!(points.iter().all(|(x, y)| (x - y).abs() < 1e-2));
        assert_eq!(s.last(), points.last().map(|p| p.1));
    }

    #[test]
    fn a_diverged_runs_copied_figures_stay_out_of_the_curves() {
        use creditlab::env::bandit::{BanditAgent, BanditConfig};
        // Agent 2's scale of 4e19 makes some difference-reward runs diverge (core/tests/divergence.rs).
        let agents = [1.0, 10.0, 4e19].map(|scale| BanditAgent { scale, ..BanditAgent::default() }).to_vec();
        let config = TrainConfig {
            game: creditlab::GameConfig::Bandit(BanditConfig { agents, ..BanditConfig::default() }),
            estimators: vec![creditlab::advantage::Estimator::AgentWise, creditlab::advantage::Estimator::Difference],
            seeds: vec![1, 2, 3, 4],
            updates: 12,
            ..TrainConfig::default()
        };
        let reports = pollster::block_on(async {
            let mut trainer = creditlab::Trainer::new(config.clone(), creditlab::backend::cpu("test")).await.expect("valid");
            let mut reports = Vec::new();
            while !trainer.is_finished() {
                reports.push(trainer.step().await.expect("step"));
            }
            reports
        });
        let mut history = History::new(&config);
        for report in &reports {
            history.push(report);
        }
        let last = reports.last().expect("reports");
        let measured = |e: usize| last.runs[e * 4..(e + 1) * 4].iter().filter(|r| r.is_measured()).count();
        assert_eq!(measured(0), 4);
        assert!(measured(1) < 4, "some difference run diverged");
        assert_eq!(history.columns[1].latest.len(), measured(1));
        assert!(history.columns[1].latest.iter().all(creditlab::RunReport::is_measured));
        // A stopped seed's policy path ends at its last measured update; a healthy one runs on.
        let paths = &history.columns[1].agents[0].action_probs;
        let stopped = (0..4).find(|&s| !last.runs[4 + s].is_measured()).expect("a stopped seed");
        let measured_updates = reports.iter().filter(|r| r.runs[4 + stopped].is_measured()).count();
        assert_eq!(paths.get(stopped).map_or(0, |p| p.first().map_or(0, Bounded::len)), measured_updates);
        assert_eq!(history.columns[0].agents[0].action_probs[0][0].len(), reports.len());
    }
}
