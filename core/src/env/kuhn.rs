//! Kuhn poker (2 players, self-play), with exact best responses and NashConv.
//!
//! ```text
//! cards      J < Q < K, one dealt to each player; each antes 1
//! actions    0 = pass (check / fold), 1 = bet (bet / call)
//! P1 acts at ""; P2 at "p" or "b"; P1 again at "pb"
//! terminal   "pp" showdown ±1 · "bp" P1 +1 (P2 folds) · "bb" showdown ±2
//!            "pbp" P2 +1 (P1 folds) · "pbb" showdown ±2
//! infosets   12: P1 (card, "" | "pb"), P2 (card, "p" | "b")
//! ```
//! Known values (REFERENCE.md): the game value for P1 at equilibrium is −1/18; NashConv of the
//! uniform policy is 11/12, of "always the first action (pass)" 2, of any equilibrium 0.
//!
//! As an environment: a group's task is the deal, so a group's G episodes replay one deal
//! (GRPO's prompt); each player is paid its own chips won or lost, at the end of its last turn.
//! The observation is the player's card one-hot (3) and the history one-hot (4).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::game::{BuildGame, Figure, Game, GameSpec, PolicyView};
use crate::estimator::Estimator;
use crate::fields::{ConfigError, Field};

/// Card names, lowest first.
pub const CARDS: [char; 3] = ['J', 'Q', 'K'];
/// The histories at which someone acts: "", "p", "b", "pb".
pub const HISTORIES: [&str; 4] = ["", "p", "b", "pb"];

/// Kuhn poker's (empty) parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KuhnConfig {}

impl GameSpec for KuhnConfig {
    const KIND: &'static str = "kuhn";
    const LABEL: &'static str = "Kuhn poker (self-play)";
    const EXPLANATION: &'static str = "Kuhn poker in self-play. NashConv measures how exploitable the pair of policies is (11/12 for uniform \
        play, 0 at equilibrium); MARS normalises per player and turn.";
    const FIELDS: &'static [Field] = &[];

    fn default_estimators(&self) -> Vec<Estimator> {
        vec![Estimator::GrpoGlobal, Estimator::AgentWise, Estimator::Mars]
    }

    fn validate(&self, _prefix: &str) -> Result<(), ConfigError> {
        Ok(())
    }

    fn agents(&self) -> usize {
        2
    }

    fn max_decisions(&self) -> usize {
        3
    }
}

impl BuildGame for KuhnConfig {
    type Game = Kuhn;

    fn build(&self) -> Result<Self::Game, ConfigError> {
        Ok(Kuhn)
    }
}

/// The game.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kuhn;

/// One hand: the deal and the actions so far.
#[derive(Debug, Clone, PartialEq)]
pub struct KuhnState {
    cards: [usize; 2],
    history: Vec<usize>,
}

fn history_index(history: &[usize]) -> Option<usize> {
    match history {
        [] => Some(0),
        [0] => Some(1),
        [1] => Some(2),
        [0, 1] => Some(3),
        _ => None,
    }
}

/// Player 1's payoff at a terminal history, or `None` if the hand goes on.
fn terminal_payoff(cards: [usize; 2], history: &[usize]) -> Option<f32> {
    let showdown = |stake: f32| if cards[0] > cards[1] { stake } else { -stake };
    match history {
        [0, 0] => Some(showdown(1.0)),
        [1, 0] => Some(1.0),
        [1, 1] => Some(showdown(2.0)),
        [0, 1, 0] => Some(-1.0),
        [0, 1, 1] => Some(showdown(2.0)),
        _ => None,
    }
}

/// A complete policy: `probs[card][history] = [pass, bet]` at the 12 information sets (the
/// entries of histories where the card's holder does not act are unused).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KuhnPolicy {
    /// The table.
    pub probs: [[[f64; 2]; 4]; 3],
}

/// The 12 information sets as (name, card, history index), e.g. ("Jpb", 0, 3).
pub fn infosets() -> Vec<(String, usize, usize)> {
    let mut out = Vec::with_capacity(12);
    for (h, history) in HISTORIES.iter().enumerate() {
        for (c, card) in CARDS.iter().enumerate() {
            out.push((format!("{card}{history}"), c, h));
        }
    }
    out
}

/// The observation of a holder of `card` at history `h`.
pub fn observation(card: usize, h: usize) -> [f32; 7] {
    let mut obs = [0.0; 7];
    obs[card] = 1.0;
    obs[3 + h] = 1.0;
    obs
}

impl KuhnPolicy {
    /// Uniform at every information set.
    pub fn uniform() -> Self {
        Self { probs: [[[0.5; 2]; 4]; 3] }
    }

    /// Always the first action (pass).
    pub fn first_action() -> Self {
        Self { probs: [[[1.0, 0.0]; 4]; 3] }
    }

    /// Reads the table from a policy (agent 0 = P1 at "" and "pb", agent 1 = P2 at "p" and "b").
    pub fn from_view(policy: &dyn PolicyView) -> Self {
        let mut probs = [[[0.0; 2]; 4]; 3];
        for (_, card, h) in infosets() {
            let player = if h == 1 || h == 2 { 1 } else { 0 };
            let mut p = [0.0f32; 2];
            policy.probs(player, &observation(card, h), &[true, true], &mut p);
            probs[card][h] = [f64::from(p[0]), f64::from(p[1])];
        }
        Self { probs }
    }

    /// Reads a JSON table `{"J": [pass, bet], "Qpb": [...], ...}` with all 12 information sets.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let map: std::collections::BTreeMap<String, [f64; 2]> =
            serde_json::from_str(text).map_err(|e| format!("a Kuhn policy is a JSON object of 12 [pass, bet] pairs: {e}"))?;
        let names = infosets();
        if let Some(unknown) = map.keys().find(|k| !names.iter().any(|(n, _, _)| n == *k)) {
            return Err(format!("`{unknown}` is not an information set; they are {}", list(&names)));
        }
        let mut probs = [[[0.0; 2]; 4]; 3];
        for (name, card, h) in &names {
            let p = map.get(name).ok_or_else(|| format!("information set `{name}` is missing"))?;
            if p.iter().any(|x| !x.is_finite() || *x < 0.0) || (p[0] + p[1] - 1.0).abs() > 1e-6 {
                return Err(format!("`{name}`: give two non-negative probabilities summing to 1"));
            }
            probs[*card][*h] = *p;
        }
        Ok(Self { probs })
    }

    /// The table as JSON, in [`KuhnPolicy::from_json`]'s format.
    pub fn to_json(&self) -> String {
        let map: std::collections::BTreeMap<String, [f64; 2]> =
            infosets().into_iter().map(|(name, c, h)| (name, self.probs[c][h])).collect();
        serde_json::to_string_pretty(&map).unwrap_or_default()
    }

    fn bet(&self, card: usize, h: usize) -> f64 {
        self.probs[card][h][1]
    }

    fn pass(&self, card: usize, h: usize) -> f64 {
        self.probs[card][h][0]
    }

    /// Player 1's expected payoff under the policy (both seats play it).
    pub fn p1_value(&self) -> f64 {
        let mut total = 0.0;
        for c1 in 0..3 {
            for c2 in (0..3).filter(|&c| c != c1) {
                total += self.deal_value([c1, c2], &mut Vec::new()) / 6.0;
            }
        }
        total
    }

    fn deal_value(&self, cards: [usize; 2], history: &mut Vec<usize>) -> f64 {
        if let Some(payoff) = terminal_payoff(cards, history) {
            return f64::from(payoff);
        }
        let h = history_index(history).unwrap_or(0);
        let card = cards[history.len() % 2];
        let mut value = 0.0;
        for action in 0..2 {
            history.push(action);
            value += self.probs[card][h][action] * self.deal_value(cards, history);
            history.pop();
        }
        value
    }

    /// Player 1's best-response value against this policy's player 2.
    pub fn p1_best_response(&self) -> f64 {
        let showdown = |c1: usize, c2: usize, stake: f64| if c1 > c2 { stake } else { -stake };
        let mut total = 0.0;
        for c1 in 0..3 {
            let others: Vec<usize> = (0..3).filter(|&c| c != c1).collect();
            // After "pb": one decision for both possible opponent cards, weighted by their reach.
            let pb = |action: usize| -> f64 {
                others
                    .iter()
                    .map(|&c2| 0.5 * self.bet(c2, 1) * if action == 0 { -1.0 } else { showdown(c1, c2, 2.0) })
                    .sum()
            };
            let check: f64 = others.iter().map(|&c2| 0.5 * self.pass(c2, 1) * showdown(c1, c2, 1.0)).sum::<f64>()
                + pb(0).max(pb(1));
            let bet: f64 =
                others.iter().map(|&c2| 0.5 * (self.pass(c2, 2) + self.bet(c2, 2) * showdown(c1, c2, 2.0))).sum();
            total += check.max(bet) / 3.0;
        }
        total
    }

    /// Player 2's best-response value against this policy's player 1.
    pub fn p2_best_response(&self) -> f64 {
        let showdown = |c2: usize, c1: usize, stake: f64| if c2 > c1 { stake } else { -stake };
        let mut total = 0.0;
        for c2 in 0..3 {
            let others: Vec<usize> = (0..3).filter(|&c| c != c2).collect();
            // Facing a bet: fold (−1) or call (showdown for 2), weighted by P1's betting.
            let facing_bet = |action: usize| -> f64 {
                others
                    .iter()
                    .map(|&c1| 0.5 * self.bet(c1, 0) * if action == 0 { -1.0 } else { showdown(c2, c1, 2.0) })
                    .sum()
            };
            // After a check: check (showdown for 1) or bet (P1 folds: +1, or calls: showdown for 2).
            let after_check = |action: usize| -> f64 {
                others
                    .iter()
                    .map(|&c1| {
                        let reach = 0.5 * self.pass(c1, 0);
                        reach
                            * if action == 0 {
                                showdown(c2, c1, 1.0)
                            } else {
                                self.pass(c1, 3) + self.bet(c1, 3) * showdown(c2, c1, 2.0)
                            }
                    })
                    .sum()
            };
            total += (facing_bet(0).max(facing_bet(1)) + after_check(0).max(after_check(1))) / 3.0;
        }
        total
    }

    /// NashConv = Σ_i (best-response value_i − value_i); 0 exactly at an equilibrium.
    pub fn nash_conv(&self) -> f64 {
        let v1 = self.p1_value();
        (self.p1_best_response() - v1) + (self.p2_best_response() + v1)
    }
}

fn list(names: &[(String, usize, usize)]) -> String {
    names.iter().map(|(n, _, _)| n.as_str()).collect::<Vec<_>>().join(", ")
}

impl Game for Kuhn {
    /// The deal: (P1's card, P2's card).
    type Task = [usize; 2];
    type State = KuhnState;

    fn agents(&self) -> usize {
        2
    }

    fn actions(&self) -> usize {
        2
    }

    fn observation_size(&self) -> usize {
        7
    }

    fn task(&self, env: &mut ChaCha8Rng) -> [usize; 2] {
        let first = env.random_range(0..3);
        let second = (first + env.random_range(1..3)) % 3;
        [first, second]
    }

    fn start(&self, &cards: &[usize; 2], _env: &mut ChaCha8Rng) -> KuhnState {
        KuhnState { cards, history: Vec::with_capacity(3) }
    }

    fn acting(&self, state: &KuhnState, out: &mut Vec<usize>) {
        if terminal_payoff(state.cards, &state.history).is_none() {
            out.push(state.history.len() % 2);
        }
    }

    fn legal(&self, _state: &KuhnState, _agent: usize, mask: &mut [bool]) {
        mask.fill(true);
    }

    fn observe(&self, state: &KuhnState, agent: usize, obs: &mut [f32]) {
        let h = history_index(&state.history).unwrap_or(0);
        obs.copy_from_slice(&observation(state.cards[agent], h));
    }

    fn anchor(&self, state: &KuhnState, agent: usize) -> String {
        let h = history_index(&state.history).unwrap_or(0);
        format!("a{agent}/{}{}", CARDS[state.cards[agent]], HISTORIES[h])
    }

    fn step(&self, state: &mut KuhnState, joint: &[(usize, usize)], _env: &mut ChaCha8Rng, rewards: &mut [f32]) {
        for &(_, action) in joint {
            state.history.push(action);
        }
        if let Some(p1) = terminal_payoff(state.cards, &state.history) {
            rewards[0] += p1;
            rewards[1] -= p1;
        }
    }

    fn return_range(&self, _task: &[usize; 2], _agent: usize) -> (f32, f32) {
        (-2.0, 2.0)
    }

    fn team_return(&self, _state: &KuhnState, returns: &[f32]) -> f32 {
        // Zero sum: report player 1's payoff, the figure a poker player reads.
        returns[0]
    }

    /// `nash_conv` and `p1_value` (player 1's expected payoff) of the policy, exactly.
    fn policy_figures(&self, policy: &dyn PolicyView) -> Vec<Figure> {
        let table = KuhnPolicy::from_view(policy);
        vec![("nash_conv", table.nash_conv() as f32), ("p1_value", table.p1_value() as f32)]
    }

    /// P1 holding J at the start (bluffing), P2 holding J after a check (bluffing).
    fn reference_decision(&self, agent: usize) -> Option<(Vec<f32>, Vec<bool>)> {
        Some((observation(0, agent).to_vec(), vec![true; 2]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::test_support::{FirstLegal, Uniform};
    use crate::rollout::play_with;
    use rand::SeedableRng;

    /// The equilibrium family of Kuhn poker with P1's bluffing parameter α ∈ [0, 1/3].
    fn equilibrium(alpha: f64) -> KuhnPolicy {
        let mut p = KuhnPolicy::uniform();
        let mut set = |card: usize, h: usize, bet: f64| p.probs[card][h] = [1.0 - bet, bet];
        // P1 at "": J bets α, Q checks, K bets 3α. At "pb": J folds, Q calls α + 1/3, K calls.
        set(0, 0, alpha);
        set(1, 0, 0.0);
        set(2, 0, 3.0 * alpha);
        set(0, 3, 0.0);
        set(1, 3, alpha + 1.0 / 3.0);
        set(2, 3, 1.0);
        // P2 after "p": J bets 1/3, Q checks, K bets. After "b": J folds, Q calls 1/3, K calls.
        set(0, 1, 1.0 / 3.0);
        set(1, 1, 0.0);
        set(2, 1, 1.0);
        set(0, 2, 0.0);
        set(1, 2, 1.0 / 3.0);
        set(2, 2, 1.0);
        p
    }

    #[test]
    fn known_nash_conv_values() {
        assert!((KuhnPolicy::uniform().nash_conv() - 11.0 / 12.0).abs() < 1e-12);
        assert!((KuhnPolicy::first_action().nash_conv() - 2.0).abs() < 1e-12);
        for alpha in [0.0, 0.1, 0.25, 1.0 / 3.0] {
            let eq = equilibrium(alpha);
            assert!(eq.nash_conv().abs() < 1e-12, "α = {alpha}: {}", eq.nash_conv());
            assert!((eq.p1_value() + 1.0 / 18.0).abs() < 1e-12, "α = {alpha}: value {}", eq.p1_value());
        }
        // Through the PolicyView path the game's figures agree.
        let figures = Kuhn.policy_figures(&Uniform);
        assert!((figures[0].1 - 11.0 / 12.0).abs() < 1e-6);
        assert!((Kuhn.policy_figures(&FirstLegal)[0].1 - 2.0).abs() < 1e-6);
    }

    #[test]
    fn json_tables_round_trip_and_are_checked() {
        let eq = equilibrium(0.2);
        let back = KuhnPolicy::from_json(&eq.to_json()).expect("round trip");
        assert!((back.nash_conv()).abs() < 1e-9);
        assert!(KuhnPolicy::from_json(r#"{"J": [0.5, 0.5]}"#).expect_err("incomplete").contains("missing"));
        assert!(KuhnPolicy::from_json(r#"{"X": [0.5, 0.5]}"#).expect_err("unknown").contains("`X`"));
        let mut bad: serde_json::Value = serde_json::from_str(&eq.to_json()).expect("json");
        bad["Q"] = serde_json::json!([0.7, 0.7]);
        assert!(KuhnPolicy::from_json(&bad.to_string()).expect_err("not a distribution").contains("`Q`"));
    }

    #[test]
    fn hands_follow_the_rules() {
        let mut env = ChaCha8Rng::seed_from_u64(0);
        let play = |cards: [usize; 2], actions: &[usize], env: &mut ChaCha8Rng| {
            let mut state = Kuhn.start(&cards, env);
            let mut rewards = [0.0f32; 2];
            let mut acting = Vec::new();
            for &a in actions {
                acting.clear();
                Kuhn.acting(&state, &mut acting);
                assert_eq!(acting.len(), 1, "someone acts");
                Kuhn.step(&mut state, &[(acting[0], a)], env, &mut rewards);
            }
            acting.clear();
            Kuhn.acting(&state, &mut acting);
            assert!(acting.is_empty(), "the hand is over after {actions:?}");
            rewards
        };
        assert_eq!(play([2, 0], &[0, 0], &mut env), [1.0, -1.0]);
        assert_eq!(play([0, 2], &[1, 0], &mut env), [1.0, -1.0]);
        assert_eq!(play([0, 2], &[1, 1], &mut env), [-2.0, 2.0]);
        assert_eq!(play([2, 1], &[0, 1, 0], &mut env), [-1.0, 1.0]);
        assert_eq!(play([2, 1], &[0, 1, 1], &mut env), [2.0, -2.0]);
    }

    #[test]
    fn self_play_rollouts_credit_each_player_its_payoff() {
        let rollout = play_with(&Kuhn, &Uniform, 6, 8, ChaCha8Rng::seed_from_u64(3), ChaCha8Rng::seed_from_u64(4));
        // Every hand has 2 or 3 decisions, alternating players, and is zero sum.
        let mut by_episode = std::collections::BTreeMap::<u32, Vec<&crate::rollout::Sample>>::new();
        for s in &rollout.batch.samples {
            by_episode.entry(s.episode).or_default().push(s);
        }
        assert_eq!(by_episode.len(), 48);
        for samples in by_episode.values() {
            assert!((2..=3).contains(&samples.len()));
            for (t, s) in samples.iter().enumerate() {
                assert_eq!(s.agent as usize, t % 2);
            }
            let p1 = samples.iter().find(|s| s.agent == 0).map(|s| s.reward);
            let p2 = samples.iter().find(|s| s.agent == 1).map(|s| s.reward);
            assert_eq!(p1.map(|r| -r), p2);
        }
        // Step rewards: only each player's last decision carries its payoff.
        let total_step: f32 = rollout.step_rewards.iter().sum();
        assert!(total_step.abs() < 1e-5, "zero sum");
    }
}
