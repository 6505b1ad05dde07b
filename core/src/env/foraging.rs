//! Cooperative foraging gridworld: level-based foraging (LBF) in small.
//!
//! ```text
//! grid       size × size cells (default 5 × 5); 2–4 agents with levels; 1–4 food items with levels
//! actions    0 stay · 1 north · 2 south · 3 west · 4 east · 5 load
//!            a move into a wall, a food cell or an occupied cell is illegal; load is legal next to food
//! moves      simultaneous; agents that move into the same cell all stay
//! loading    a food item is collected when the agents next to it (4-neighbourhood) that chose
//!            load have levels summing to at least the food's level
//! reward     each loader gets  level_k · food_level / (Σ loaders' levels · Σ spawned food levels),
//!            so the rewards of an episode sum to 1 when all food is collected
//!            (`shared_reward`, the default: every agent is paid the team's reward instead)
//! end        all food collected, or `max_steps` steps
//! ```
//! A group's task is the layout (agent and food positions, food levels), drawn from the env
//! stream; food is placed away from the border and from other food where the grid allows.
//! The observation (per agent): three size × size planes — the agent's own level at its cell,
//! the other agents' levels at theirs, food levels at theirs — each scaled to 0..1.
//! Anchor states are the full state (positions and remaining food), so GiGPO's step groups form
//! wherever episodes of a group revisit a situation.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::game::{BuildGame, Figure, Game, GameSpec};
use crate::estimator::Estimator;
use crate::fields::{ConfigError, Field, Range};

/// Action indices.
pub const STAY: usize = 0;
/// Load the adjacent food.
pub const LOAD: usize = 5;
const MOVES: [(i32, i32); 5] = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)];

/// The gridworld's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForagingConfig {
    /// Grid side.
    pub size: u32,
    /// One level per agent (2–4 agents).
    pub agent_levels: Vec<u32>,
    /// Food items.
    pub food: u32,
    /// Every food item needs all agents (level = Σ agent levels); otherwise levels are drawn
    /// uniformly from 1..=Σ agent levels.
    pub cooperative: bool,
    /// Steps before the episode ends.
    pub max_steps: u32,
    /// Every agent is paid the team's reward (otherwise its own share).
    pub shared_reward: bool,
}

impl Default for ForagingConfig {
    fn default() -> Self {
        Self { size: 5, agent_levels: vec![1, 2], food: 2, cooperative: false, max_steps: 20, shared_reward: true }
    }
}

const SIZE: Field = Field::new("size", "grid size", "5", Range::whole(3, 8), "grid side");
const AGENT_LEVELS: Field = Field::new("agent_levels", "agents", "[1, 2]", Range::Other, "one level (1..=3) per agent, 2..=4 agents");
const FOOD: Field = Field::new("food", "food", "2", Range::whole(1, 4), "food items");
const COOPERATIVE: Field =
    Field::new("cooperative", "cooperative food", "false", Range::Flag, "every food needs all agents (level = sum of agent levels)");
const MAX_STEPS: Field = Field::new("max_steps", "max steps", "20", Range::whole(1, 100), "steps per episode");
const SHARED_REWARD: Field = Field::new("shared_reward", "shared reward", "true", Range::Flag, "every agent is paid the team's reward");

impl GameSpec for ForagingConfig {
    const KIND: &'static str = "foraging";
    const LABEL: &'static str = "Foraging gridworld";
    const EXPLANATION: &'static str = "Level-based foraging: agents move on a grid and load food together. The credit map shows each agent's mean \
        advantage per cell; GiGPO groups the steps that start from the same situation (anchor states).";
    const FIELDS: &'static [Field] = &[SIZE, AGENT_LEVELS, FOOD, COOPERATIVE, MAX_STEPS, SHARED_REWARD];

    fn default_estimators(&self) -> Vec<Estimator> {
        vec![Estimator::GrpoGlobal, Estimator::AgentWise, Estimator::Gigpo]
    }

    fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        SIZE.check_whole(prefix, self.size)?;
        let levels = AGENT_LEVELS.path(prefix);
        if !(2..=4).contains(&self.agent_levels.len()) {
            return Err(ConfigError::new(levels, "give one level (1..=3) for each of 2 to 4 agents"));
        }
        if let Some(level) = self.agent_levels.iter().find(|l| !(1..=3).contains(*l)) {
            return Err(ConfigError::new(levels, format!("level {level} is out of range 1..=3")));
        }
        FOOD.check_whole(prefix, self.food)?;
        let cells = (self.size * self.size) as usize;
        if self.agent_levels.len() + self.food as usize > cells / 2 {
            return Err(ConfigError::new(FOOD.path(prefix), format!("agents and food must fit in half of the {cells} cells")));
        }
        MAX_STEPS.check_whole(prefix, self.max_steps)
    }

    fn agents(&self) -> usize {
        self.agent_levels.len()
    }

    fn max_decisions(&self) -> usize {
        (self.max_steps as usize) * self.agent_levels.len()
    }
}

impl BuildGame for ForagingConfig {
    type Game = Foraging;

    fn build(&self) -> Result<Self::Game, ConfigError> {
        Ok(Foraging::new(self.clone()))
    }
}

/// One food item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Food {
    /// Cell (row, column).
    pub cell: (i32, i32),
    /// Level.
    pub level: u32,
    /// Still on the grid.
    pub present: bool,
}

/// A layout: where everyone starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Agent cells.
    pub agents: Vec<(i32, i32)>,
    /// Food items.
    pub food: Vec<Food>,
}

/// One episode's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForagingState {
    /// Agent cells.
    pub agents: Vec<(i32, i32)>,
    /// Food items.
    pub food: Vec<Food>,
    /// Steps taken.
    pub steps: u32,
}

/// The gridworld, ready to play.
#[derive(Debug, Clone, PartialEq)]
pub struct Foraging {
    config: ForagingConfig,
}

impl Foraging {
    /// Builds the game from a validated config.
    pub fn new(config: ForagingConfig) -> Self {
        Self { config }
    }

    fn size(&self) -> i32 {
        self.config.size as i32
    }

    fn inside(&self, (r, c): (i32, i32)) -> bool {
        (0..self.size()).contains(&r) && (0..self.size()).contains(&c)
    }

    fn level_sum(&self) -> u32 {
        self.config.agent_levels.iter().sum()
    }

    fn max_level(&self) -> f32 {
        self.config.agent_levels.iter().copied().max().unwrap_or(1) as f32
    }

    fn occupied(&self, state: &ForagingState, cell: (i32, i32)) -> bool {
        state.agents.contains(&cell) || state.food.iter().any(|f| f.present && f.cell == cell)
    }

    fn next_to_food(&self, state: &ForagingState, cell: (i32, i32)) -> bool {
        state.food.iter().any(|f| f.present && adjacent(f.cell, cell))
    }

    /// Whether every food item is gone.
    pub fn all_collected(state: &ForagingState) -> bool {
        state.food.iter().all(|f| !f.present)
    }
}

fn adjacent(a: (i32, i32), b: (i32, i32)) -> bool {
    (a.0 - b.0).abs() + (a.1 - b.1).abs() == 1
}

impl Game for Foraging {
    type Task = Layout;
    type State = ForagingState;

    fn agents(&self) -> usize {
        self.config.agent_levels.len()
    }

    fn actions(&self) -> usize {
        6
    }

    fn observation_size(&self) -> usize {
        3 * (self.config.size * self.config.size) as usize
    }

    fn task(&self, env: &mut ChaCha8Rng) -> Layout {
        let n = self.size();
        let mut cells: Vec<(i32, i32)> = (0..n).flat_map(|r| (0..n).map(move |c| (r, c))).collect();
        // Fisher–Yates with the env stream.
        for i in (1..cells.len()).rev() {
            let j = env.random_range(0..=i);
            cells.swap(i, j);
        }
        let interior = |(r, c): (i32, i32)| n < 4 || (r > 0 && c > 0 && r < n - 1 && c < n - 1);
        let mut food: Vec<Food> = Vec::new();
        let want = self.config.food as usize;
        let sum = self.level_sum();
        for strict in [true, false] {
            for &cell in &cells {
                if food.len() == want {
                    break;
                }
                let clear = !food.iter().any(|f| (f.cell.0 - cell.0).abs() <= 1 && (f.cell.1 - cell.1).abs() <= 1);
                let taken = food.iter().any(|f| f.cell == cell);
                if !taken && (!strict || (interior(cell) && clear)) {
                    food.push(Food { cell, level: 0, present: true });
                }
            }
        }
        for f in &mut food {
            f.level = if self.config.cooperative { sum } else { env.random_range(1..=sum) };
        }
        let agents = cells.iter().copied().filter(|c| !food.iter().any(|f| f.cell == *c)).take(self.agents()).collect();
        Layout { agents, food }
    }

    fn start(&self, layout: &Layout, _env: &mut ChaCha8Rng) -> ForagingState {
        ForagingState { agents: layout.agents.clone(), food: layout.food.clone(), steps: 0 }
    }

    fn acting(&self, state: &ForagingState, out: &mut Vec<usize>) {
        if state.steps < self.config.max_steps && !Self::all_collected(state) {
            out.extend(0..self.agents());
        }
    }

    fn legal(&self, state: &ForagingState, agent: usize, mask: &mut [bool]) {
        let here = state.agents[agent];
        mask[STAY] = true;
        for (a, (dr, dc)) in MOVES.iter().enumerate().skip(1) {
            let to = (here.0 + dr, here.1 + dc);
            mask[a] = self.inside(to) && !self.occupied(state, to);
        }
        mask[LOAD] = self.next_to_food(state, here);
    }

    fn observe(&self, state: &ForagingState, agent: usize, obs: &mut [f32]) {
        let cells = (self.config.size * self.config.size) as usize;
        let index = |(r, c): (i32, i32)| (r * self.size() + c) as usize;
        let max_level = self.max_level();
        for (k, &cell) in state.agents.iter().enumerate() {
            let plane = if k == agent { 0 } else { 1 };
            obs[plane * cells + index(cell)] += self.config.agent_levels[k] as f32 / max_level;
        }
        let food_max = self.level_sum() as f32;
        for f in state.food.iter().filter(|f| f.present) {
            obs[2 * cells + index(f.cell)] = f.level as f32 / food_max;
        }
    }

    fn cell(&self, state: &ForagingState, agent: usize) -> Option<[u8; 2]> {
        let (r, c) = state.agents[agent];
        Some([r as u8, c as u8])
    }

    fn anchor(&self, state: &ForagingState, agent: usize) -> String {
        let mut key = format!("a{agent}/");
        for (r, c) in &state.agents {
            key.push_str(&format!("{r}{c}."));
        }
        for f in &state.food {
            key.push(if f.present { '1' } else { '0' });
        }
        key
    }

    fn step(&self, state: &mut ForagingState, joint: &[(usize, usize)], _env: &mut ChaCha8Rng, rewards: &mut [f32]) {
        // Moves: simultaneous; agents targeting the same cell stay.
        let mut targets = state.agents.clone();
        let mut loading = vec![false; self.agents()];
        for &(k, a) in joint {
            if a == LOAD {
                loading[k] = true;
            } else if let Some((dr, dc)) = MOVES.get(a) {
                let to = (state.agents[k].0 + dr, state.agents[k].1 + dc);
                if self.inside(to) && !self.occupied(state, to) {
                    targets[k] = to;
                }
            }
        }
        for k in 0..targets.len() {
            let clash = (0..targets.len()).any(|j| j != k && targets[j] == targets[k]);
            if !clash {
                state.agents[k] = targets[k];
            }
        }
        // Loading.
        let spawned: u32 = state.food.iter().map(|f| f.level).sum();
        let mut team = 0.0;
        let mut own = vec![0.0f32; self.agents()];
        for f in state.food.iter_mut().filter(|f| f.present) {
            let loaders: Vec<usize> = (0..loading.len()).filter(|&k| loading[k] && adjacent(state.agents[k], f.cell)).collect();
            let level: u32 = loaders.iter().map(|&k| self.config.agent_levels[k]).sum();
            if !loaders.is_empty() && level >= f.level {
                f.present = false;
                for &k in &loaders {
                    let share = (self.config.agent_levels[k] * f.level) as f32 / (level * spawned) as f32;
                    own[k] += share;
                    team += share;
                }
            }
        }
        for (k, r) in rewards.iter_mut().enumerate() {
            *r += if self.config.shared_reward { team } else { own[k] };
        }
        state.steps += 1;
    }

    fn return_range(&self, _task: &Layout, _agent: usize) -> (f32, f32) {
        (0.0, 1.0)
    }

    fn team_return(&self, _state: &ForagingState, returns: &[f32]) -> f32 {
        if self.config.shared_reward { returns[0] } else { returns.iter().sum() }
    }

    fn episode_figures(&self, state: &ForagingState, figures: &mut Vec<Figure>) {
        let collected = state.food.iter().filter(|f| !f.present).count();
        figures.push(("food_collected", collected as f32 / state.food.len().max(1) as f32));
        figures.push(("steps", state.steps as f32));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::test_support::Uniform;
    use crate::rollout::play_with;
    use rand::SeedableRng;

    fn state(agents: Vec<(i32, i32)>, food: Vec<((i32, i32), u32)>) -> ForagingState {
        ForagingState {
            agents,
            food: food.into_iter().map(|(cell, level)| Food { cell, level, present: true }).collect(),
            steps: 0,
        }
    }

    #[test]
    fn loading_needs_enough_adjacent_levels() {
        let game = Foraging::new(ForagingConfig { shared_reward: false, ..ForagingConfig::default() });
        let mut env = ChaCha8Rng::seed_from_u64(0);
        // Food of level 3 at (2, 2); agent 0 (level 1) west of it, agent 1 (level 2) east.
        let start = state(vec![(2, 1), (2, 3)], vec![((2, 2), 3), ((0, 4), 1)]);
        let mut alone = start.clone();
        let mut rewards = [0.0f32; 2];
        game.step(&mut alone, &[(0, LOAD), (1, STAY)], &mut env, &mut rewards);
        assert!(alone.food[0].present, "level 1 < 3: not loaded");
        assert_eq!(rewards, [0.0, 0.0]);
        let mut together = start.clone();
        game.step(&mut together, &[(0, LOAD), (1, LOAD)], &mut env, &mut rewards);
        assert!(!together.food[0].present, "1 + 2 >= 3: loaded");
        // Shares: level_k · 3 / (3 · 4) with 4 = Σ spawned food levels.
        assert!((rewards[0] - 1.0 * 3.0 / 12.0).abs() < 1e-6 && (rewards[1] - 2.0 * 3.0 / 12.0).abs() < 1e-6, "{rewards:?}");
        // A non-adjacent loader does not count.
        let mut far = state(vec![(1, 1), (2, 3)], vec![((2, 2), 2)]);
        let mut rewards = [0.0f32; 2];
        game.step(&mut far, &[(0, LOAD), (1, STAY)], &mut env, &mut rewards);
        assert!(far.food[0].present);
        let mut mask = [false; 6];
        game.legal(&far, 0, &mut mask);
        assert!(!mask[LOAD], "load is illegal away from food");
        game.legal(&far, 1, &mut mask);
        assert!(mask[LOAD]);
        assert!(!mask[3], "moving west into the food is illegal");
    }

    #[test]
    fn moves_collide_and_walls_block() {
        let game = Foraging::new(ForagingConfig::default());
        let mut env = ChaCha8Rng::seed_from_u64(0);
        // Both agents step into (1, 1): neither moves.
        let mut s = state(vec![(0, 1), (2, 1)], vec![((4, 4), 1)]);
        let mut rewards = [0.0f32; 2];
        game.step(&mut s, &[(0, 2), (1, 1)], &mut env, &mut rewards);
        assert_eq!(s.agents, vec![(0, 1), (2, 1)]);
        let mut mask = [false; 6];
        game.legal(&s, 0, &mut mask);
        assert!(!mask[1], "north of row 0 is a wall");
        game.step(&mut s, &[(0, 4), (1, STAY)], &mut env, &mut rewards);
        assert_eq!(s.agents[0], (0, 2));
    }

    #[test]
    fn rewards_sum_to_one_when_all_food_is_collected_and_episodes_end() {
        let game = Foraging::new(ForagingConfig { shared_reward: false, ..ForagingConfig::default() });
        let mut env = ChaCha8Rng::seed_from_u64(0);
        let mut s = state(vec![(1, 1), (1, 3)], vec![((1, 2), 3), ((3, 2), 1)]);
        let mut total = [0.0f32; 2];
        game.step(&mut s, &[(0, LOAD), (1, LOAD)], &mut env, &mut total);
        // Agent 1 walks to (3, 3) and loads the level-1 food at (3, 2).
        for action in [2, 2] {
            game.step(&mut s, &[(0, STAY), (1, action)], &mut env, &mut total);
        }
        game.step(&mut s, &[(0, STAY), (1, LOAD)], &mut env, &mut total);
        assert!(Foraging::all_collected(&s));
        assert!((total.iter().sum::<f32>() - 1.0).abs() < 1e-6, "{total:?}");
        let mut acting = Vec::new();
        game.acting(&s, &mut acting);
        assert!(acting.is_empty(), "all food collected ends the episode");
        // Random play ends by the step limit at the latest.
        let rollout = play_with(&game, &Uniform, 3, 4, ChaCha8Rng::seed_from_u64(1), ChaCha8Rng::seed_from_u64(2));
        assert!(rollout.figures["steps"] <= 20.0);
        assert!(rollout.team_returns.iter().all(|r| (0.0..=1.0 + 1e-6).contains(r)));
        // Episodes of a group start from the same layout, so their first anchors coincide.
        let first: Vec<&Option<String>> =
            rollout.batch.samples.iter().filter(|s| s.group == 0 && s.turn == 0).map(|s| &s.anchor).collect();
        assert_eq!(first.len(), 4);
        assert!(first.iter().all(|a| *a == first[0]));
    }

    #[test]
    fn layouts_are_legal() {
        let game = Foraging::new(ForagingConfig { agent_levels: vec![1, 1, 2], food: 3, ..ForagingConfig::default() });
        let mut env = ChaCha8Rng::seed_from_u64(9);
        for _ in 0..50 {
            let layout = game.task(&mut env);
            assert_eq!(layout.agents.len(), 3);
            assert_eq!(layout.food.len(), 3);
            let mut cells: Vec<(i32, i32)> = layout.agents.clone();
            cells.extend(layout.food.iter().map(|f| f.cell));
            let n = cells.len();
            cells.sort_unstable();
            cells.dedup();
            assert_eq!(cells.len(), n, "no two things share a cell");
            assert!(layout.food.iter().all(|f| (1..=4).contains(&f.level)));
        }
        let bad = ForagingConfig { agent_levels: vec![1], ..ForagingConfig::default() };
        assert_eq!(bad.validate("game").expect_err("refused").field, "game.agent_levels");
    }
}
