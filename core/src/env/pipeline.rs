//! Solver–verifier pipeline: the multi-agent LLM pattern of Dr. MAS and MALT, in miniature.
//!
//! ```text
//! question   L digits q_0 … q_{L−1} in base D (drawn per group from the T training questions);
//!            its answer is L digits, digit s = (q_s·(s+1) + s) mod D
//! solver     (agent 0) writes a proposal digit by digit: L decisions of D digits each; each digit it
//!            writes is replaced by a uniformly random digit with probability `solver_noise`
//!            (the solver's slips, which the verifier is there to catch)
//! verifier   (agent 1) sees the task and the proposal: accept (0) or send back (1)
//! refiner    (agent 2, optional) writes the proposals after a send-back, seeing the rejected one
//! rounds     up to K: an accepted proposal ends the episode; round K's proposal is submitted
//!            without a check (the verifier acts in rounds 1 … K−1 only)
//! reward     outcome = 1 if the submitted proposal is the task's answer, else 0; every agent is paid
//!            the outcome at the end, minus `call_cost` for each of its own decisions. With
//!            `verifier_reward = "judgement"` the verifier is paid instead for each correct verdict
//!            (accepting a right answer, sending back a wrong one).
//! ```
//! The solver decides L times per round and the verifier at most once, so they act different
//! numbers of times, and with judgement rewards (the default) and call costs they see different
//! reward distributions: the two effects Dr. MAS separates.
//!
//! The observation (all roles): the question's digits (L × D one-hots), the question's digit at
//! the position being written (D, zero while verifying), round one-hot (K), digit position
//! one-hot (L), the proposal so far (L × D one-hots) and the previously rejected proposal (L × D).
//! Each answer digit depends only on its position and the question's digit there, so a policy
//! that has learnt the rule from the training questions can answer questions it never saw.
//!
//! **Held-out evaluation** (Dr. MAS reports avg@16 and pass@16): the D^L questions are put in a
//! fixed order, first the D questions whose digits are all equal (so that the training questions
//! show every digit at every position once T ≥ D), then the rest in a fixed shuffle. Training
//! draws from the first T; the next `held_out` are never drawn. After each update the policy
//! answers each held-out question `eval_k` times (its own draws, from a fixed stream, so every
//! update is scored on the same draws): `avg_at_k` is the mean accuracy over those answers,
//! `pass_at_k` the share of held-out questions answered right at least once.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use super::game::VerifierReward;
use super::game::VERIFIER_REWARD;
use super::game::{BuildGame, play_episode, Figure, Game, GameSpec, PolicyView};
use crate::estimator::Estimator;
use crate::fields::{ConfigError, Field, Range};

/// The pipeline's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// Number of training questions T.
    pub tasks: u32,
    /// Digits D per answer position.
    pub digits: u32,
    /// Answer length L: the solver's decisions per proposal.
    pub answer_length: u32,
    /// Rounds K.
    pub rounds: u32,
    /// Probability that a written digit is replaced by a random one.
    pub solver_noise: f32,
    /// Add the refiner, who writes every proposal after the first.
    pub refiner: bool,
    /// Cost charged to an agent for each of its decisions.
    pub call_cost: f32,
    /// What the verifier is paid.
    pub verifier_reward: VerifierReward,
    /// Questions held out of training and answered after each update (0: no evaluation).
    pub held_out: u32,
    /// Answers per held-out question: the k of avg@k and pass@k.
    pub eval_k: u32,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            tasks: 4,
            digits: 3,
            answer_length: 2,
            rounds: 3,
            solver_noise: 0.3,
            refiner: false,
            call_cost: 0.05,
            verifier_reward: VerifierReward::Judgement,
            held_out: 4,
            eval_k: 16,
        }
    }
}

const TASKS: Field =
    Field::new("tasks", "training questions", "4", Range::whole(1, 16), "training questions T; question q's answer digit s is (q_s(s+1)+s) mod D");
const DIGITS: Field = Field::new("digits", "digits", "3", Range::whole(2, 8), "digits D per answer position");
const ANSWER_LENGTH: Field =
    Field::new("answer_length", "answer length", "2", Range::whole(1, 4), "digits per proposal = the solver's decisions per round");
const ROUNDS: Field = Field::new("rounds", "rounds", "3", Range::whole(1, 6), "rounds K of propose-and-verify");
const SOLVER_NOISE: Field = Field::new(
    "solver_noise",
    "solver noise",
    "0.3",
    Range::real(0.0, 1.0),
    "probability that a written digit is replaced by a random one",
)
.slider(0.0, 1.0);
const REFINER_FIELD: Field = Field::new("refiner", "refiner (third agent)", "false", Range::Flag, "a third agent writes the proposals after a send-back");
const CALL_COST: Field = Field::new("call_cost", "call cost", "0.05", Range::real(0.0, 1.0), "cost charged to an agent per decision").slider(0.0, 1.0);
const HELD_OUT: Field = Field::new(
    "held_out",
    "held-out questions",
    "4",
    Range::whole(0, 16),
    "questions never drawn in training, answered eval_k times after each update (avg@k, pass@k); 0 = no evaluation",
);
const EVAL_K: Field = Field::new("eval_k", "answers per held-out question k", "16", Range::whole(1, 64), "the k of avg@k and pass@k");

impl GameSpec for PipelineConfig {
    const KIND: &'static str = "pipeline";
    const LABEL: &'static str = "Solver–verifier pipeline";
    const EXPLANATION: &'static str = "A solver writes an answer digit by digit, a verifier accepts it or sends it back. The solver acts many \
        times per episode, the verifier once per round: one baseline over all their samples mixes very different \
        reward distributions.";
    const FIELDS: &'static [Field] =
        &[TASKS, DIGITS, ANSWER_LENGTH, ROUNDS, SOLVER_NOISE, REFINER_FIELD, CALL_COST, VERIFIER_REWARD, HELD_OUT, EVAL_K];

    fn default_estimators(&self) -> Vec<Estimator> {
        vec![Estimator::GrpoGlobal, Estimator::GlobalStep, Estimator::AgentWise]
    }

    fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        TASKS.check_whole(prefix, self.tasks)?;
        DIGITS.check_whole(prefix, self.digits)?;
        ANSWER_LENGTH.check_whole(prefix, self.answer_length)?;
        ROUNDS.check_whole(prefix, self.rounds)?;
        SOLVER_NOISE.check_real(prefix, self.solver_noise)?;
        CALL_COST.check_real(prefix, self.call_cost)?;
        HELD_OUT.check_whole(prefix, self.held_out)?;
        EVAL_K.check_whole(prefix, self.eval_k)?;
        let pool = u64::from(self.digits).pow(self.answer_length);
        if u64::from(self.tasks) > pool {
            return Err(ConfigError::new(TASKS.path(prefix), format!("at most digits^answer_length = {pool} distinct questions exist")));
        }
        if u64::from(self.tasks + self.held_out) > pool {
            return Err(ConfigError::new(
                HELD_OUT.path(prefix),
                format!("tasks + held_out = {} questions, but digits^answer_length = {pool} exist", self.tasks + self.held_out),
            ));
        }
        Ok(())
    }

    fn agents(&self) -> usize {
        if self.refiner { 3 } else { 2 }
    }

    fn max_decisions(&self) -> usize {
        (self.rounds * (self.answer_length + 1)) as usize
    }
}

impl BuildGame for PipelineConfig {
    type Game = Pipeline;

    fn build(&self) -> Result<Self::Game, ConfigError> {
        Ok(Pipeline::new(self.clone()))
    }
}

/// The pipeline, ready to play.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    config: PipelineConfig,
    /// Every question in the fixed order: the T training questions first, then the held-out.
    questions: Vec<usize>,
}

/// The seed of the questions' fixed order and of the held-out evaluation's draws.
const ORDER_SEED: u64 = 0x0051_7E55;
const EVAL_SEED: u64 = 0x0000_E7A1;

/// One episode of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineState {
    task: usize,
    round: usize,
    proposal: Vec<usize>,
    previous: Option<Vec<usize>>,
    verifying: bool,
    done: bool,
    outcome: f32,
    calls: usize,
}

/// Solver, verifier and refiner agent indices.
pub const SOLVER: usize = 0;
/// The verifier.
pub const VERIFIER: usize = 1;
/// The refiner (when enabled).
pub const REFINER: usize = 2;

impl Pipeline {
    /// Builds the game from a validated config.
    pub fn new(config: PipelineConfig) -> Self {
        let (d, l) = (config.digits as usize, config.answer_length as usize);
        let pool = d.pow(l as u32);
        // Questions whose digits are all j: j·(1 + D + … + D^(L−1)).
        let repunit: usize = (0..l).map(|s| d.pow(s as u32)).sum();
        let mut questions: Vec<usize> = (0..d).map(|j| j * repunit).collect();
        let mut rest: Vec<usize> = (0..pool).filter(|q| !questions.contains(q)).collect();
        rest.shuffle(&mut ChaCha8Rng::seed_from_u64(ORDER_SEED));
        questions.extend(rest);
        Self { config, questions }
    }

    /// Question `question`'s digits q_0 … q_{L−1} (q = Σ q_s D^s).
    pub fn digits_of(&self, question: usize) -> Vec<usize> {
        let d = self.config.digits as usize;
        (0..self.config.answer_length as usize).map(|s| (question / d.pow(s as u32)) % d).collect()
    }

    /// Question `question`'s answer: digit s = (q_s·(s+1) + s) mod D.
    pub fn answer(&self, question: usize) -> Vec<usize> {
        let d = self.config.digits as usize;
        self.digits_of(question).iter().enumerate().map(|(s, q)| (q * (s + 1) + s) % d).collect()
    }

    /// The training questions, in the fixed order.
    pub fn training_questions(&self) -> &[usize] {
        &self.questions[..self.config.tasks as usize]
    }

    /// The held-out questions: never drawn in training.
    pub fn held_out_questions(&self) -> &[usize] {
        let t = self.config.tasks as usize;
        &self.questions[t..t + self.config.held_out as usize]
    }

    /// avg@k and pass@k of `policy` on the held-out questions (k = `eval_k`), each question
    /// answered k times with draws from the fixed evaluation stream.
    pub fn held_out_scores(&self, policy: &dyn PolicyView) -> Option<(f32, f32)> {
        let questions = self.held_out_questions();
        if questions.is_empty() {
            return None;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(EVAL_SEED);
        let k = self.config.eval_k as usize;
        let (mut right, mut passed) = (0usize, 0usize);
        for &question in questions {
            let correct = (0..k).filter(|_| play_episode(self, &question, policy, &mut rng).outcome > 0.0).count();
            right += correct;
            passed += usize::from(correct > 0);
        }
        Some((right as f32 / (k * questions.len()) as f32, passed as f32 / questions.len() as f32))
    }

    fn length(&self) -> usize {
        self.config.answer_length as usize
    }

    fn proposer(&self, round: usize) -> usize {
        if self.config.refiner && round > 0 { REFINER } else { SOLVER }
    }

    fn observation(&self, state: &PipelineState, obs: &mut [f32]) {
        let (k, l, d) = (self.config.rounds as usize, self.length(), self.config.digits as usize);
        let t = l * d + d;
        let question = self.digits_of(state.task);
        for (s, q) in question.iter().enumerate() {
            obs[s * d + q] = 1.0;
        }
        obs[t + state.round] = 1.0;
        if !state.verifying {
            let position = state.proposal.len().min(l - 1);
            obs[l * d + question[position]] = 1.0;
            obs[t + k + position] = 1.0;
        }
        let base = t + k + l;
        for (s, &digit) in state.proposal.iter().enumerate() {
            obs[base + s * d + digit] = 1.0;
        }
        if let Some(previous) = &state.previous {
            for (s, &digit) in previous.iter().enumerate() {
                obs[base + l * d + s * d + digit] = 1.0;
            }
        }
    }
}

impl Pipeline {
    /// The state at the start of an episode of `task`.
    fn fresh(&self, task: usize) -> PipelineState {
        PipelineState {
            task,
            round: 0,
            proposal: Vec::with_capacity(self.length()),
            previous: None,
            verifying: false,
            done: false,
            outcome: 0.0,
            calls: 0,
        }
    }

    /// Ends the episode: everyone but a judgement-paid verifier gets the outcome.
    fn finish(&self, state: &mut PipelineState, correct: bool, rewards: &mut [f32]) {
        state.done = true;
        state.outcome = if correct { 1.0 } else { 0.0 };
        let judgement = self.config.verifier_reward == VerifierReward::Judgement;
        for (k, r) in rewards.iter_mut().enumerate() {
            if !(judgement && k == VERIFIER) {
                *r += state.outcome;
            }
        }
    }
}

impl Game for Pipeline {
    type Task = usize;
    type State = PipelineState;

    fn agents(&self) -> usize {
        if self.config.refiner { 3 } else { 2 }
    }

    fn actions(&self) -> usize {
        (self.config.digits as usize).max(2)
    }

    fn observation_size(&self) -> usize {
        let c = &self.config;
        (c.rounds + c.answer_length + 3 * c.answer_length * c.digits + c.digits) as usize
    }

    fn task(&self, env: &mut ChaCha8Rng) -> usize {
        self.questions[env.random_range(0..self.config.tasks as usize)]
    }

    fn start(&self, &task: &usize, _env: &mut ChaCha8Rng) -> PipelineState {
        self.fresh(task)
    }

    fn acting(&self, state: &PipelineState, out: &mut Vec<usize>) {
        if !state.done {
            out.push(if state.verifying { VERIFIER } else { self.proposer(state.round) });
        }
    }

    fn legal(&self, _state: &PipelineState, agent: usize, mask: &mut [bool]) {
        let n = if agent == VERIFIER { 2 } else { self.config.digits as usize };
        mask[..n].fill(true);
    }

    fn observe(&self, state: &PipelineState, _agent: usize, obs: &mut [f32]) {
        self.observation(state, obs);
    }

    fn anchor(&self, state: &PipelineState, agent: usize) -> String {
        let digits = |p: &[usize]| p.iter().map(|d| d.to_string()).collect::<String>();
        let previous = state.previous.as_deref().map(digits).unwrap_or_default();
        format!("a{agent}/q{}r{}/{}/{}", state.task, state.round, digits(&state.proposal), previous)
    }

    fn step(&self, state: &mut PipelineState, joint: &[(usize, usize)], env: &mut ChaCha8Rng, rewards: &mut [f32]) {
        let Some(&(agent, action)) = joint.first() else { return };
        let cost = self.config.call_cost;
        rewards[agent] -= cost;
        state.calls += 1;
        if !state.verifying {
            let digits = self.config.digits as usize;
            let mut digit = action.min(digits - 1);
            if env.random::<f32>() < self.config.solver_noise {
                digit = env.random_range(0..digits);
            }
            state.proposal.push(digit);
            if state.proposal.len() == self.length() {
                if state.round + 1 == self.config.rounds as usize {
                    // The last round's proposal is submitted unchecked.
                    let correct = state.proposal == self.answer(state.task);
                    self.finish(state, correct, rewards);
                } else {
                    state.verifying = true;
                }
            }
            return;
        }
        let correct = state.proposal == self.answer(state.task);
        let accept = action == 0;
        let judgement = self.config.verifier_reward == VerifierReward::Judgement;
        if judgement && accept == correct {
            rewards[VERIFIER] += 1.0;
        }
        if accept {
            self.finish(state, correct, rewards);
        } else {
            state.round += 1;
            state.previous = Some(std::mem::take(&mut state.proposal));
            state.verifying = false;
        }
    }

    fn return_range(&self, _task: &usize, agent: usize) -> (f32, f32) {
        let c = &self.config;
        let rounds = c.rounds as f32;
        let most_calls = if agent == VERIFIER { rounds - 1.0 } else { rounds * c.answer_length as f32 };
        let best = if agent == VERIFIER && c.verifier_reward == VerifierReward::Judgement { (rounds - 1.0).max(1.0) } else { 1.0 };
        (-c.call_cost * most_calls, best - c.call_cost)
    }

    fn team_return(&self, state: &PipelineState, _returns: &[f32]) -> f32 {
        state.outcome - self.config.call_cost * state.calls as f32
    }

    fn episode_figures(&self, state: &PipelineState, figures: &mut Vec<Figure>) {
        figures.push(("accuracy", state.outcome));
        figures.push(("rounds", (state.round + 1) as f32));
    }

    /// `avg_at_k` and `pass_at_k` on the held-out questions (see the module's doc).
    fn policy_figures(&self, policy: &dyn PolicyView) -> Vec<Figure> {
        self.held_out_scores(policy).map(|(avg, pass)| vec![("avg_at_k", avg), ("pass_at_k", pass)]).unwrap_or_default()
    }

    /// Solver: question 0 (all digits 0), first digit. Verifier: question 0 with the right
    /// answer proposed (its probability of accepting). Refiner: question 0 after a rejection of a
    /// wrong first proposal.
    fn reference_decision(&self, agent: usize) -> Option<(Vec<f32>, Vec<bool>)> {
        let mut state = self.fresh(0);
        if agent == VERIFIER {
            state.proposal = self.answer(0);
            state.verifying = true;
        } else if agent == REFINER {
            state.round = 1;
            state.previous = Some(self.answer(0).iter().map(|d| (d + 1) % self.config.digits as usize).collect());
        }
        let mut obs = vec![0.0; self.observation_size()];
        self.observation(&state, &mut obs);
        let mut legal = vec![false; self.actions()];
        self.legal(&state, agent, &mut legal);
        Some((obs, legal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::test_support::Uniform;
    use crate::env::PolicyView;
    use crate::rollout::play_with;
    use rand::SeedableRng;

    /// A perfect solver (writes the answer, read from the question's digits) and a verifier
    /// that accepts exactly the right answers.
    struct Oracle<'a>(&'a Pipeline);

    impl PolicyView for Oracle<'_> {
        fn probs(&self, agent: usize, obs: &[f32], _legal: &[bool], out: &mut [f32]) {
            let c = &self.0.config;
            let (k, l, d) = (c.rounds as usize, c.answer_length as usize, c.digits as usize);
            let t = l * d + d;
            let question: usize =
                (0..l).map(|s| obs[s * d..(s + 1) * d].iter().position(|x| *x == 1.0).unwrap_or(0) * d.pow(s as u32)).sum();
            let answer = self.0.answer(question);
            out.fill(0.0);
            let base = t + k + l;
            let proposal: Vec<usize> =
                (0..l).filter_map(|s| obs[base + s * d..base + (s + 1) * d].iter().position(|x| *x == 1.0)).collect();
            if agent == VERIFIER {
                out[usize::from(proposal != answer)] = 1.0;
            } else {
                out[answer[proposal.len()]] = 1.0;
            }
        }
    }

    fn episodes(rollout: &crate::rollout::Rollout) -> std::collections::BTreeMap<u32, Vec<usize>> {
        let mut map = std::collections::BTreeMap::<u32, Vec<usize>>::new();
        for (i, s) in rollout.batch.samples.iter().enumerate() {
            map.entry(s.episode).or_default().push(i);
        }
        map
    }

    #[test]
    fn roles_act_in_order_and_at_different_frequencies() {
        let game = Pipeline::new(PipelineConfig { call_cost: 0.0, ..PipelineConfig::default() });
        let rollout = play_with(&game, &Uniform, 4, 16, ChaCha8Rng::seed_from_u64(1), ChaCha8Rng::seed_from_u64(2));
        for indices in episodes(&rollout).values() {
            let agents: Vec<u32> = indices.iter().map(|&i| rollout.batch.samples[i].agent).collect();
            // Each round: two solver digits, then one verdict; the third round has no verdict.
            for (j, a) in agents.iter().enumerate() {
                assert_eq!(*a, if j % 3 == 2 { 1 } else { 0 }, "{agents:?}");
            }
            assert!([3, 6, 8].contains(&agents.len()), "{agents:?}");
            let solver = agents.iter().filter(|a| **a == 0).count();
            let verifier = agents.len() - solver;
            assert!(solver == 2 * verifier || solver == 2 * verifier + 2, "the solver acts at least twice as often");
        }
    }

    #[test]
    fn noise_free_oracle_is_always_right_and_noise_is_caught() {
        let outcome = PipelineConfig { verifier_reward: VerifierReward::Outcome, ..PipelineConfig::default() };
        let perfect = Pipeline::new(PipelineConfig { solver_noise: 0.0, call_cost: 0.0, ..outcome.clone() });
        let rollout = play_with(&perfect, &Oracle(&perfect), 4, 8, ChaCha8Rng::seed_from_u64(3), ChaCha8Rng::seed_from_u64(4));
        assert_eq!(rollout.figures["accuracy"], 1.0);
        // The verifier's one verdict costs nothing here; everyone is paid the outcome.
        assert_eq!(rollout.figures["rounds"], 1.0);
        assert!(rollout.batch.samples.iter().all(|s| s.reward == 1.0));
        // With slips, the verifier sends wrong proposals back: more rounds, still mostly right.
        let noisy = Pipeline::new(PipelineConfig { solver_noise: 0.5, call_cost: 0.0, ..outcome });
        let rollout = play_with(&noisy, &Oracle(&noisy), 16, 16, ChaCha8Rng::seed_from_u64(5), ChaCha8Rng::seed_from_u64(6));
        assert!(rollout.figures["rounds"] > 1.2, "{:?}", rollout.figures);
        // A wrong proposal is never accepted by this verifier and the third is submitted as it is,
        // so accuracy = P(right within 3 rounds).
        let p = (0.5f32 + 0.5 / 3.0).powi(2);
        let expected = 1.0 - (1.0 - p).powi(3);
        assert!((rollout.figures["accuracy"] - expected).abs() < 0.1, "{:?} vs {expected}", rollout.figures);
    }

    #[test]
    fn costs_judgement_and_the_refiner() {
        let config = PipelineConfig {
            refiner: true,
            call_cost: 0.1,
            verifier_reward: VerifierReward::Judgement,
            ..PipelineConfig::default()
        };
        let game = Pipeline::new(config);
        let rollout = play_with(&game, &Uniform, 4, 16, ChaCha8Rng::seed_from_u64(7), ChaCha8Rng::seed_from_u64(8));
        for indices in episodes(&rollout).values() {
            let samples: Vec<&crate::rollout::Sample> = indices.iter().map(|&i| &rollout.batch.samples[i]).collect();
            // The solver writes only the first proposal; the refiner writes the later ones.
            assert_eq!(samples.iter().filter(|s| s.agent == 0).count(), 2);
            let proposals = 1 + samples.iter().filter(|s| s.agent == 2).count() / 2;
            let rounds = samples.iter().filter(|s| s.agent == 1).count();
            assert!(rounds == proposals || (rounds == 2 && proposals == 3), "{rounds} verdicts, {proposals} proposals");
            // The solver's return is the outcome minus its two calls.
            let solver = samples[0].reward;
            assert!((solver + 0.2).abs() < 1e-6 || (solver - 0.8).abs() < 1e-6, "{solver}");
            // The verifier's return counts its correct verdicts minus its calls.
            let verdicts = samples.iter().find(|s| s.agent == 1).map(|s| s.reward).unwrap_or_default();
            let correct = (verdicts + 0.1 * rounds as f32).round();
            assert!((0.0..=rounds as f32).contains(&correct));
        }
        assert_eq!(Pipeline::new(PipelineConfig::default()).agents(), 2);
        assert_eq!(game.agents(), 3);
    }

    #[test]
    fn questions_split_into_training_and_held_out() {
        let game = Pipeline::new(PipelineConfig::default());
        let (train, held) = (game.training_questions(), game.held_out_questions());
        assert_eq!((train.len(), held.len()), (4, 4));
        assert!(held.iter().all(|q| !train.contains(q)), "held-out questions are never trained on");
        // The training questions show every digit at every position (the all-equal questions).
        for s in 0..2 {
            let seen: std::collections::BTreeSet<usize> = train.iter().map(|&q| game.digits_of(q)[s]).collect();
            assert_eq!(seen.len(), 3, "position {s}");
        }
        // Training draws only the training questions.
        let rollout = play_with(&game, &Uniform, 64, 1, ChaCha8Rng::seed_from_u64(9), ChaCha8Rng::seed_from_u64(10));
        for s in &rollout.batch.samples {
            let anchor = s.anchor.as_deref().unwrap_or("");
            let q: usize = anchor.split("/q").nth(1).and_then(|r| r.split('r').next()).and_then(|v| v.parse().ok()).expect("question");
            assert!(train.contains(&q), "{anchor}");
        }
        // Answers follow the rule digit by digit: q = 5 in base 3 is digits (2, 1).
        assert_eq!(game.digits_of(5), vec![2, 1]);
        assert_eq!(game.answer(5), vec![2, 0]); // (2·1 + 0) mod 3, (1·2 + 1) mod 3
    }

    /// avg@k and pass@k against hand-computed cases: a perfect noise-free pair gets 1 and 1; a
    /// solver that always writes digit 0 is right exactly on the held-out questions whose answer
    /// is all zeros; with the last round's proposal submitted unchecked, pass@k counts them.
    #[test]
    fn held_out_avg_and_pass_at_k() {
        let config = PipelineConfig { solver_noise: 0.0, ..PipelineConfig::default() };
        let game = Pipeline::new(config.clone());
        assert_eq!(game.held_out_scores(&Oracle(&game)), Some((1.0, 1.0)));
        let figures = game.policy_figures(&Oracle(&game));
        assert_eq!(figures, vec![("avg_at_k", 1.0), ("pass_at_k", 1.0)]);
        struct Zeros;
        impl PolicyView for Zeros {
            fn probs(&self, _agent: usize, _obs: &[f32], _legal: &[bool], out: &mut [f32]) {
                out.fill(0.0);
                out[0] = 1.0; // digit 0; the verifier accepts
            }
        }
        let zero_answers = game.held_out_questions().iter().filter(|&&q| game.answer(q).iter().all(|d| *d == 0)).count() as f32;
        let share = zero_answers / game.held_out_questions().len() as f32;
        assert_eq!(game.held_out_scores(&Zeros), Some((share, share)));
        // Uniform play: avg@k is the chance of being right, pass@k the chance of at least once.
        let (avg, pass) = game.held_out_scores(&Uniform).expect("scores");
        assert!(avg < pass && pass <= 1.0 && avg > 0.0, "{avg} {pass}");
        let none = Pipeline::new(PipelineConfig { held_out: 0, ..config });
        assert_eq!(none.held_out_scores(&Uniform), None);
        assert!(none.policy_figures(&Uniform).is_empty());
    }

    #[test]
    fn config_is_checked() {
        let bad = PipelineConfig { tasks: 8, held_out: 4, ..PipelineConfig::default() };
        let err = bad.validate("game").expect_err("refused");
        assert_eq!(err.field, "game.held_out");
        assert!(err.message.contains("9 exist"), "{err}");
        let bad = PipelineConfig { tasks: 10, ..PipelineConfig::default() };
        assert_eq!(bad.validate("game").expect_err("refused").field, "game.tasks");
        let bad = PipelineConfig { rounds: 0, ..PipelineConfig::default() };
        assert_eq!(bad.validate("game").expect_err("refused").field, "game.rounds");
        let bad = PipelineConfig { solver_noise: 1.5, ..PipelineConfig::default() };
        assert_eq!(bad.validate("game").expect_err("refused").field, "game.solver_noise");
    }
}
