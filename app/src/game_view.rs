//! What the views need to know about the game being trained: names of agents and actions, the
//! reference decision each policy chart shows, the game's headline figure and its reference
//! lines, the payoff table of matrix games and the grid of the gridworld.

use creditlab::env::matrix::MatrixGame;
use creditlab::GameConfig;

/// The game's headline figure: which report figure, its label and reference lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// Key in `RunReport::figures`.
    pub figure: &'static str,
    /// Axis label.
    pub label: &'static str,
    /// Reference lines (value, label).
    pub references: Vec<(f32, &'static str)>,
    /// The chart's `data-testid`.
    pub test_id: &'static str,
    /// Further figures drawn on the same chart: (key in `RunReport::figures`, label).
    pub also: Vec<(&'static str, String)>,
}

/// The page's description of a game.
#[derive(Debug, Clone, PartialEq)]
pub struct GameView {
    /// The config's `kind`.
    pub kind: &'static str,
    /// One name per agent.
    pub agents: Vec<String>,
    /// Per agent, the names of its actions at the reference decision.
    pub actions: Vec<Vec<String>>,
    /// What the policy chart's reference decision is.
    pub reference: &'static str,
    /// What the column's "team reward" read-out is for this game (`RunReport::team_reward_mean`),
    /// and why: in a zero-sum game there is no team, so it is one player's payoff.
    pub team: (&'static str, &'static str),
    /// The headline figure.
    pub headline: Headline,
    /// The payoff table of a matrix game (or of a one-context bandit, as a game).
    pub matrix: Option<MatrixGame>,
    /// The gridworld's side.
    pub grid: Option<u32>,
    /// Language agents: the most tokens a response may hold (the token views replace the
    /// policy chart and the credit map); `None` for the MLP games.
    pub tokens: Option<u32>,
}

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

/// What most games' team reward is.
const TEAM: (&str, &str) = ("team reward", "mean team return per episode: the agents' returns summed (the common payoff in a common-payoff game)");

impl GameView {
    /// The view of `game`.
    pub fn of(game: &GameConfig) -> Self {
        let agents = game.agents();
        let headline = |figure, label, references, test_id| Headline { figure, label, references, test_id, also: Vec::new() };
        match game {
            GameConfig::Bandit(c) => GameView {
                kind: game.kind(),
                agents: c.agents.iter().enumerate().map(|(k, a)| format!("agent {k} ({})", crate::format::scale(a.scale))).collect(),
                actions: vec![names("arm ", c.arms as usize); agents],
                reference: "context 0",
                team: TEAM,
                headline: headline("optimal_action_rate", "best-arm rate", vec![(1.0, "all best arms")], "chart-figure"),
                matrix: None,
                grid: None,
                tokens: None,
            },
            GameConfig::Matrix(spec) => {
                let matrix = MatrixGame::new(spec).ok();
                let best = matrix.as_ref().map_or(1.0, MatrixGame::best_team_payoff);
                let letters = |n: usize| (0..n).map(|a| ((b'A' + a as u8) as char).to_string()).collect::<Vec<_>>();
                GameView {
                    kind: game.kind(),
                    agents: (1..=agents).map(|i| format!("player {i}")).collect(),
                    actions: matrix.as_ref().map_or_else(Vec::new, |m| m.actions.iter().map(|&n| letters(n)).collect()),
                    reference: "the one simultaneous move",
                    team: TEAM,
                headline: headline(
                        "expected_team_payoff",
                        "expected team payoff",
                        vec![(best, "best joint action")],
                        "chart-figure",
                    ),
                    matrix,
                    grid: None,
                    tokens: None,
                }
            }
            GameConfig::Pipeline(c) => {
                let mut agent_names = vec!["solver".to_string(), "verifier".to_string()];
                let digits = names("digit ", c.digits as usize);
                let mut actions = vec![digits.clone(), vec!["accept".into(), "send back".into()]];
                if c.refiner {
                    agent_names.push("refiner".into());
                    actions.push(digits);
                }
                GameView {
                    kind: game.kind(),
                    agents: agent_names,
                    actions,
                    reference: "question 0's first digit / a right proposal / a refinement",
                    team: TEAM,
                headline: Headline {
                    also: if c.held_out > 0 {
                        vec![
                            ("avg_at_k", format!("avg@{} held-out", c.eval_k)),
                            ("pass_at_k", format!("pass@{} held-out", c.eval_k)),
                        ]
                    } else {
                        Vec::new()
                    },
                    ..headline("accuracy", "accuracy", vec![(1.0, "always right")], "chart-figure")
                },
                    matrix: None,
                    grid: None,
                    tokens: None,
                }
            }
            GameConfig::Kuhn(_) => GameView {
                kind: game.kind(),
                agents: vec!["player 1".into(), "player 2".into()],
                actions: vec![vec!["pass".into(), "bet".into()]; 2],
                reference: "holding a jack, first decision",
                team: ("player 1's payoff", "Kuhn poker is zero-sum (player 2 wins what player 1 loses), so there is no team: this is player 1's mean payoff per hand; at equilibrium it is −1/18"),
                headline: headline(
                    "nash_conv",
                    "NashConv",
                    vec![(11.0 / 12.0, "uniform 11/12"), (0.0, "equilibrium")],
                    "chart-nashconv",
                ),
                matrix: None,
                grid: None,
                tokens: None,
            },
            GameConfig::TicTacToe(_) => GameView {
                kind: game.kind(),
                agents: vec!["X".into(), "O".into()],
                actions: vec![names("cell ", 9); 2],
                reference: "X on the empty board, O after X takes the centre",
                team: ("X's result", "tic-tac-toe is zero-sum, so there is no team: this is X's mean result per game (+1 win, 0 draw, −1 loss)"),
                headline: headline("win_vs_random", "win rate vs random", vec![(1.0, "always wins")], "chart-figure"),
                matrix: None,
                grid: None,
                tokens: None,
            },
            GameConfig::Foraging(c) => GameView {
                kind: game.kind(),
                agents: c.agent_levels.iter().enumerate().map(|(k, l)| format!("agent {k} (level {l})")).collect(),
                actions: vec![
                    ["stay", "north", "south", "west", "east", "load"].iter().map(|s| s.to_string()).collect();
                    agents
                ],
                reference: "its first decision",
                team: TEAM,
                headline: headline("food_collected", "food collected", vec![(1.0, "all food")], "chart-figure"),
                matrix: None,
                grid: Some(c.size),
                tokens: None,
            },
            GameConfig::TinyHanabi(_) => GameView {
                kind: game.kind(),
                agents: vec!["player 1".into(), "player 2".into()],
                actions: vec![names("move ", 3); 2],
                reference: "card 0 (player 2: after move 2)",
                team: ("common payoff", "both players are paid the same payoff: the team's return is that one payoff"),
                headline: headline(
                    "expected_team_payoff",
                    "expected payoff",
                    vec![(10.0, "optimum 10 (signalling)"), (8.0, "no cooperation 8")],
                    "chart-figure",
                ),
                matrix: None,
                grid: None,
                tokens: None,
            },
            GameConfig::Arithmetic(c) => GameView {
                kind: game.kind(),
                agents: c
                    .agents
                    .iter()
                    .zip(["solver", "verifier"])
                    .map(|(a, role)| format!("{role} (d={}, {} block{})", a.width, a.blocks, if a.blocks == 1 { "" } else { "s" }))
                    .collect(),
                actions: Vec::new(),
                reference: "none: a response is a sequence of tokens",
                team: TEAM,
                headline: Headline {
                    also: vec![("outcome", "submitted answers right".into())],
                    ..headline("accuracy", "first answers right (solver)", vec![(1.0, "always right")], "chart-figure")
                },
                matrix: None,
                grid: None,
                tokens: Some(c.answer_length),
            },
        }
    }

    /// The name of agent `k`.
    pub fn agent(&self, k: usize) -> String {
        self.agents.get(k).cloned().unwrap_or_else(|| format!("agent {k}"))
    }

    /// The name of agent `k`'s action `a` (its index where the game has no name for it).
    pub fn action(&self, k: usize, a: usize) -> String {
        self.actions.get(k).and_then(|names| names.get(a)).cloned().unwrap_or_else(|| a.to_string())
    }
}
