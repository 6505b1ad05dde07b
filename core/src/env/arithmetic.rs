//! Arithmetic: Dr. MAS's math orchestra in miniature, played by language agents that write tokens.
//!
//! ```text
//! question   `a op b =` with a, b drawn uniformly from 0..=operand_max and op from `ops`
//!            (+, −, ×), one question per group (GRPO's prompt)
//! solver     (agent 0) writes its answer token by token: digits and a leading minus, then the
//!            end token ⏎; at most `answer_length` tokens (the end token included; an answer cut
//!            off without ⏎ is read as far as it goes)
//! verifier   (agent 1) reads `a op b = answer ?` and writes one token: ✓ (accept) or ✗ (reject)
//! rounds     up to K: an accepted answer ends the episode; after ✗ the solver answers the same
//!            prompt again (a fresh sample: best-of-K under the verifier's filter); round K's
//!            answer is submitted without a check (the verifier acts in rounds 1 … K−1 only)
//! reward     outcome = 1 if the submitted answer is a op b, else 0, paid to the solver;
//!            the verifier is paid the outcome too (`verifier_reward = "outcome"`) or 1 for each
//!            correct verdict — accepting a right answer, rejecting a wrong one
//!            (`"judgement"`, the default)
//! ```
//! Every response is one sample, credited with its agent's episode return; its tokens share its
//! advantage (REFERENCE.md, "Token-level policy gradient"). The solver writes several tokens per
//! response and may answer K times, the verifier writes one token at most K − 1 times: agents
//! with different response lengths, call counts and reward distributions, the setting of
//! Dr. MAS. Figures: `accuracy` (the share of the solver's first answers that are right: its own
//! skill, before the verifier filters), `outcome` (the share of episodes whose submitted answer
//! is right) and `verifier_accuracy` (the share of verdicts that are right).
//!
//! The task is a state machine over a batch of episodes ([`Episodes`]): it says which responses
//! it needs next ([`Episodes::requests`]: agent and prompt), the trainer samples them from the
//! agents' token policies and hands them back ([`Episodes::respond`]), until every episode has
//! ended. It knows nothing of the models.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::game::{GameSpec, VerifierReward, VERIFIER_REWARD};
use crate::estimator::Estimator;
use crate::fields::{ConfigError, Field, Range};

/// The vocabulary: token id = index.
pub const VOCAB: [&str; 19] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "−", "×", "=", "?", "✓", "✗", "⏎", "·"];
/// Vocabulary size V.
pub const VOCAB_SIZE: usize = VOCAB.len();
/// The minus sign (operator and an answer's sign).
pub const MINUS: u32 = 11;
/// `=`: ends the question.
pub const EQUALS: u32 = 13;
/// `?`: ends the verifier's prompt.
pub const QUERY: u32 = 14;
/// ✓: the verifier accepts.
pub const ACCEPT: u32 = 15;
/// ✗: the verifier rejects.
pub const REJECT: u32 = 16;
/// ⏎: the end of a response; the tokens after it are masked.
pub const END: u32 = 17;
/// Padding (never sampled, never attended to by a real token).
pub const PAD: u32 = 18;

/// The solver's agent index.
pub const SOLVER: usize = 0;
/// The verifier's agent index.
pub const VERIFIER: usize = 1;

/// An operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// a + b.
    #[serde(rename = "+")]
    Add,
    /// a − b (may be negative).
    #[serde(rename = "-")]
    Sub,
    /// a × b.
    #[serde(rename = "*")]
    Mul,
}

impl Op {
    /// Its token.
    pub fn token(self) -> u32 {
        match self {
            Op::Add => 10,
            Op::Sub => MINUS,
            Op::Mul => 12,
        }
    }

    /// a op b.
    pub fn apply(self, a: i64, b: i64) -> i64 {
        match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
        }
    }
}

/// One language agent: the size of its token model (a tiny causal transformer) and the scale of
/// its pay.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LanguageAgent {
    /// Embedding width d.
    pub width: u32,
    /// Transformer blocks (attention + MLP, each with a layer norm before it).
    pub blocks: u32,
    /// Attention heads (must divide `width`).
    pub heads: u32,
    /// Every reward the agent is paid is multiplied by it (Dr. MAS's agents with different
    /// reward scales).
    pub reward_scale: f32,
}

impl Default for LanguageAgent {
    fn default() -> Self {
        Self { width: 32, blocks: 1, heads: 2, reward_scale: 1.0 }
    }
}

/// The arithmetic task's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArithmeticConfig {
    /// Operands are drawn from 0..=operand_max.
    pub operand_max: u32,
    /// The operators a question may use.
    pub ops: Vec<Op>,
    /// Rounds K of answer-and-verify.
    pub rounds: u32,
    /// Most tokens in one of the solver's answers, the end token included.
    pub answer_length: u32,
    /// What the verifier is paid.
    pub verifier_reward: VerifierReward,
    /// Sampling temperature τ (logits / τ).
    pub temperature: f32,
    /// Each agent's model size and pay scale: solver, verifier.
    pub agents: Vec<LanguageAgent>,
}

impl Default for ArithmeticConfig {
    fn default() -> Self {
        Self {
            operand_max: 3,
            ops: vec![Op::Add],
            rounds: 2,
            answer_length: 3,
            verifier_reward: VerifierReward::Judgement,
            temperature: 1.0,
            agents: vec![LanguageAgent { width: 32, blocks: 1, heads: 2, reward_scale: 1.0 }, LanguageAgent { width: 16, blocks: 1, heads: 1, reward_scale: 1.0 }],
        }
    }
}

const OPERAND_MAX: Field = Field::new("operand_max", "largest operand", "3", Range::whole(1, 99), "operands are drawn from 0..=operand_max");
const OPS: Field = Field::new("ops", "operators", "[\"+\"]", Range::Choice(&["+", "-", "*"]), "the operators a question may use").list();
const ROUNDS: Field = Field::new("rounds", "rounds", "2", Range::whole(1, 4), "rounds K of answer-and-verify");
const ANSWER_LENGTH: Field =
    Field::new("answer_length", "answer length", "3", Range::whole(1, 8), "most tokens in a solver's answer, the end token included");
const TEMPERATURE: Field =
    Field::new("temperature", "sampling temperature", "1", Range::Real { min: 0.0, max: 10.0, above_min: true }, "logits are divided by it before sampling");
const WIDTH: Field = Field::new("agents[k].width", "model width", "32, 16", Range::whole(4, 256), "agent k's embedding width d (a multiple of its heads)");
const BLOCKS: Field = Field::new("agents[k].blocks", "blocks", "1", Range::whole(1, 4), "agent k's transformer blocks");
const HEADS: Field = Field::new("agents[k].heads", "attention heads", "2, 1", Range::whole(1, 8), "agent k's attention heads (divide its width)");
const REWARD_SCALE: Field =
    Field::new("agents[k].reward_scale", "reward scale ×", "1", Range::above(0.0, 1e6), "every reward agent k is paid is multiplied by it").slider(0.1, 100.0);

/// The task's fields, for validation and the builder.
pub const FIELDS: &[Field] = &[OPERAND_MAX, OPS, ROUNDS, ANSWER_LENGTH, VERIFIER_REWARD, TEMPERATURE, WIDTH, BLOCKS, HEADS, REWARD_SCALE];

impl GameSpec for ArithmeticConfig {
    const KIND: &'static str = "arithmetic";
    const LABEL: &'static str = "Arithmetic (language agents)";
    const EXPLANATION: &'static str = "Two language agents, each a tiny transformer: a solver writes the answer to a + b = token by token, \
        a verifier reads it and writes ✓ or ✗; after ✗ the solver answers again. Every token of a response shares \
        the response's advantage. The solver writes longer responses, more often, for a different reward than the \
        verifier: one baseline over both mixes their reward distributions.";
    const FIELDS: &'static [Field] = FIELDS;

    fn default_estimators(&self) -> Vec<Estimator> {
        vec![Estimator::GlobalStep, Estimator::AgentWise]
    }

    fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        ArithmeticConfig::validate(self, prefix)
    }

    fn agents(&self) -> usize {
        2
    }

    fn max_decisions(&self) -> usize {
        2 * self.rounds as usize - 1
    }
}

impl ArithmeticConfig {
    /// Checks every field against its range, naming it under `prefix` (`game.agents[1].heads`).
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        OPERAND_MAX.check_whole(prefix, self.operand_max)?;
        if self.ops.is_empty() {
            return Err(ConfigError::new(OPS.path(prefix), "name at least one operator"));
        }
        ROUNDS.check_whole(prefix, self.rounds)?;
        ANSWER_LENGTH.check_whole(prefix, self.answer_length)?;
        TEMPERATURE.check_real(prefix, self.temperature)?;
        if self.agents.len() != 2 {
            return Err(ConfigError::new(
                format!("{prefix}.agents"),
                format!("the task has two agents (solver, verifier): give 2 model sizes, got {}", self.agents.len()),
            ));
        }
        for (k, size) in self.agents.iter().enumerate() {
            let agent_prefix = format!("{prefix}.agents[{k}]");
            let name = |f: &Field| format!("{agent_prefix}.{}", f.name.trim_start_matches("agents[k]."));
            let check = |f: &Field, v: u32| match f.range {
                Range::Whole { min, max } if u64::from(v) < min || u64::from(v) > max => {
                    Err(ConfigError::new(name(f), format!("{v} is out of range {}", f.range.text())))
                }
                _ => Ok(()),
            };
            check(&WIDTH, size.width)?;
            check(&BLOCKS, size.blocks)?;
            check(&HEADS, size.heads)?;
            REWARD_SCALE.check_real_at(&name(&REWARD_SCALE), size.reward_scale)?;
            if size.width % size.heads != 0 {
                return Err(ConfigError::new(name(&HEADS), format!("{} heads do not divide the width {}", size.heads, size.width)));
            }
        }
        let longest = self.ops.iter().map(|op| self.longest_answer(*op)).max().unwrap_or(1);
        if longest + 1 > self.answer_length as usize {
            return Err(ConfigError::new(
                ANSWER_LENGTH.path(prefix),
                format!(
                    "{} tokens cannot hold the longest right answer ({longest} characters and the end token): raise it to {}",
                    self.answer_length,
                    longest + 1
                ),
            ));
        }
        Ok(())
    }

    /// Characters of the longest right answer under `op`.
    fn longest_answer(&self, op: Op) -> usize {
        let m = i64::from(self.operand_max);
        [op.apply(m, m), op.apply(0, m), op.apply(m, 0)].iter().map(|v| v.to_string().len()).max().unwrap_or(1)
    }

    /// The most positions any prompt plus response takes (the models' position table).
    pub fn max_positions(&self) -> usize {
        let question = 2 * self.operand_max.to_string().len() + 2;
        let answer = self.answer_length as usize;
        // The verifier's is the longest: question, answer, ?, its verdict (the solver's is the
        // question and its answer).
        question + answer + 2
    }

    /// Draws a group's question from the env stream.
    pub fn question(&self, env: &mut ChaCha8Rng) -> Question {
        let a = env.random_range(0..=self.operand_max);
        let b = env.random_range(0..=self.operand_max);
        let op = self.ops[env.random_range(0..self.ops.len())];
        Question { a, b, op }
    }
}

/// One question `a op b =`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    /// Left operand.
    pub a: u32,
    /// Right operand.
    pub b: u32,
    /// Operator.
    pub op: Op,
}

impl Question {
    /// The right answer.
    pub fn answer(&self) -> i64 {
        self.op.apply(i64::from(self.a), i64::from(self.b))
    }

    /// Its tokens, `=` included.
    pub fn tokens(&self) -> Vec<u32> {
        let mut out = number_tokens(i64::from(self.a));
        out.push(self.op.token());
        out.extend(number_tokens(i64::from(self.b)));
        out.push(EQUALS);
        out
    }
}

/// A number's tokens (a leading minus, then its digits).
pub fn number_tokens(n: i64) -> Vec<u32> {
    let mut out = Vec::new();
    if n < 0 {
        out.push(MINUS);
    }
    out.extend(n.unsigned_abs().to_string().bytes().map(|d| u32::from(d - b'0')));
    out
}

/// Reads an answer: an optional minus then at least one digit, without leading zeros (`0`, not
/// `03` or `−0`), up to the end token (or the end of the response); anything else is no answer.
pub fn parse_answer(tokens: &[u32]) -> Option<i64> {
    let body: Vec<u32> = tokens.iter().copied().take_while(|&t| t != END).collect();
    let (negative, digits) = match body.split_first() {
        Some((&MINUS, rest)) => (true, rest),
        _ => (false, &body[..]),
    };
    if digits.is_empty() || digits.len() > 12 || digits.iter().any(|&d| d > 9) {
        return None;
    }
    if (digits.len() > 1 || negative) && digits[0] == 0 {
        return None;
    }
    let value = digits.iter().fold(0i64, |acc, &d| acc * 10 + i64::from(d));
    Some(if negative { -value } else { value })
}

/// Tokens as text (`12⏎`).
pub fn text(tokens: &[u32]) -> String {
    tokens.iter().map(|&t| VOCAB.get(t as usize).copied().unwrap_or("�")).collect()
}

/// The tokens agent `agent` may write: the solver digits, − and ⏎; the verifier ✓ and ✗.
pub fn legal(agent: usize) -> [bool; VOCAB_SIZE] {
    let mut mask = [false; VOCAB_SIZE];
    if agent == SOLVER {
        mask[..10].iter_mut().for_each(|m| *m = true);
        mask[MINUS as usize] = true;
        mask[END as usize] = true;
    } else {
        mask[ACCEPT as usize] = true;
        mask[REJECT as usize] = true;
    }
    mask
}

/// Most tokens agent `agent` writes in one response.
pub fn response_length(config: &ArithmeticConfig, agent: usize) -> usize {
    if agent == SOLVER { config.answer_length as usize } else { 1 }
}

/// A response the task needs: which episode, which agent, and the prompt it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Episode index in the batch.
    pub episode: usize,
    /// The agent to answer.
    pub agent: usize,
    /// Its prompt's tokens.
    pub prompt: Vec<u32>,
}

/// One response of one agent, as played.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// Group and episode index.
    pub group: u32,
    /// Episode index in the batch.
    pub episode: u32,
    /// The agent that wrote it.
    pub agent: u32,
    /// Its order in the episode (0-based, all agents).
    pub turn: u32,
    /// Round (0-based).
    pub round: u32,
    /// The prompt it read.
    pub prompt: Vec<u32>,
    /// The tokens it wrote (up to and including ⏎ where it wrote one).
    pub tokens: Vec<u32>,
    /// For the solver: whether the answer is right; for the verifier: whether the verdict is.
    pub correct: bool,
}

#[derive(Debug, Clone)]
struct Episode {
    group: u32,
    question: Question,
    round: u32,
    /// The last answer and whether it is right, waiting for the verdict.
    pending: Option<(Vec<u32>, bool)>,
    /// Judgements the verifier got right.
    verdicts_right: u32,
    /// The submitted answer's correctness, once the episode has ended.
    outcome: Option<bool>,
    turns: u32,
}

/// A batch of episodes in play: `groups × group_size` episodes, one question per group.
#[derive(Debug, Clone)]
pub struct Episodes {
    config: ArithmeticConfig,
    episodes: Vec<Episode>,
    /// Every response, in the order played.
    pub responses: Vec<Response>,
}

impl Episodes {
    /// Starts `groups × group_size` episodes, drawing each group's question from `env`.
    pub fn new(config: &ArithmeticConfig, groups: usize, group_size: usize, env: &mut ChaCha8Rng) -> Self {
        let mut episodes = Vec::with_capacity(groups * group_size);
        for g in 0..groups {
            let question = config.question(env);
            for _ in 0..group_size {
                episodes.push(Episode { group: g as u32, question, round: 0, pending: None, verdicts_right: 0, outcome: None, turns: 0 });
            }
        }
        Self { config: config.clone(), episodes, responses: Vec::new() }
    }

    /// Starts one episode per question given (the held-out evaluation and the tests).
    pub fn with_questions(config: &ArithmeticConfig, questions: &[Question], group_size: usize) -> Self {
        let mut episodes = Vec::new();
        for (g, &question) in questions.iter().enumerate() {
            for _ in 0..group_size {
                episodes.push(Episode { group: g as u32, question, round: 0, pending: None, verdicts_right: 0, outcome: None, turns: 0 });
            }
        }
        Self { config: config.clone(), episodes, responses: Vec::new() }
    }

    /// Number of episodes.
    pub fn len(&self) -> usize {
        self.episodes.len()
    }

    /// Whether there is no episode.
    pub fn is_empty(&self) -> bool {
        self.episodes.is_empty()
    }

    /// Episode `episode`'s question.
    pub fn question(&self, episode: usize) -> Question {
        self.episodes[episode].question
    }

    /// The responses needed next, all from one agent (empty once every episode has ended): the
    /// solver's answers of this round, or the verifier's verdicts on them.
    pub fn requests(&self) -> Vec<Request> {
        let verdicts: Vec<Request> = self
            .episodes
            .iter()
            .enumerate()
            .filter(|(_, e)| e.outcome.is_none())
            .filter_map(|(i, e)| {
                let (answer, _) = e.pending.as_ref()?;
                let mut prompt = e.question.tokens();
                prompt.extend(answer.iter().copied().take_while(|&t| t != END));
                prompt.push(QUERY);
                Some(Request { episode: i, agent: VERIFIER, prompt })
            })
            .collect();
        if !verdicts.is_empty() {
            return verdicts;
        }
        self.episodes
            .iter()
            .enumerate()
            .filter(|(_, e)| e.outcome.is_none())
            .map(|(i, e)| Request { episode: i, agent: SOLVER, prompt: e.question.tokens() })
            .collect()
    }

    /// Hands back the responses to `requests` (same order): the tokens written, cut after ⏎.
    pub fn respond(&mut self, requests: &[Request], responses: Vec<Vec<u32>>) {
        let rounds = self.config.rounds;
        for (request, mut tokens) in requests.iter().zip(responses) {
            if let Some(end) = tokens.iter().position(|&t| t == END) {
                tokens.truncate(end + 1);
            }
            let episode = &mut self.episodes[request.episode];
            let (turn, round) = (episode.turns, episode.round);
            episode.turns += 1;
            let correct = if request.agent == SOLVER {
                let right = parse_answer(&tokens) == Some(episode.question.answer());
                if episode.round + 1 >= rounds {
                    episode.outcome = Some(right);
                } else {
                    episode.pending = Some((tokens.clone(), right));
                }
                right
            } else {
                let (_, right) = episode.pending.take().unwrap_or_default();
                let accept = tokens.first() == Some(&ACCEPT);
                let judged_right = accept == right;
                episode.verdicts_right += u32::from(judged_right);
                if accept {
                    episode.outcome = Some(right);
                } else {
                    episode.round += 1;
                }
                judged_right
            };
            self.responses.push(Response {
                group: episode.group,
                episode: request.episode as u32,
                agent: request.agent as u32,
                turn,
                round,
                prompt: request.prompt.clone(),
                tokens,
                correct,
            });
        }
    }

    /// Whether every episode has ended.
    pub fn finished(&self) -> bool {
        self.episodes.iter().all(|e| e.outcome.is_some())
    }

    /// Agent `agent`'s return in episode `episode` (after it has ended), its reward scale
    /// applied (0 for a verifier that never acts: one round).
    pub fn episode_return(&self, episode: usize, agent: usize) -> f32 {
        let e = &self.episodes[episode];
        if agent == VERIFIER && self.config.rounds < 2 {
            // With one round the verifier never acts: nothing to pay it for.
            return 0.0;
        }
        let unscaled = if self.judged(agent) { e.verdicts_right as f32 } else { f32::from(u8::from(e.outcome.unwrap_or(false))) };
        unscaled * self.scale(agent)
    }

    /// Whether agent `agent` is paid per correct verdict.
    pub fn judged(&self, agent: usize) -> bool {
        agent == VERIFIER && self.config.verifier_reward == VerifierReward::Judgement
    }

    /// Agent `agent`'s reward scale.
    pub fn scale(&self, agent: usize) -> f32 {
        self.config.agents.get(agent).map_or(1.0, |a| a.reward_scale)
    }

    /// The best return agent `agent` can get (for the reward score 0..1): its scale times 1, or
    /// times K − 1 verdicts.
    pub fn best_return(&self, agent: usize) -> f32 {
        let unscaled = if self.judged(agent) { (self.config.rounds.saturating_sub(1)).max(1) as f32 } else { 1.0 };
        unscaled * self.scale(agent)
    }

    /// The figures: `accuracy` (the solver's first answers), `outcome` (submitted answers) and
    /// `verifier_accuracy` (verdicts; 0 verdicts → absent).
    pub fn figures(&self) -> Vec<(&'static str, f32)> {
        let first: Vec<bool> = self.responses.iter().filter(|r| r.agent == SOLVER as u32 && r.round == 0).map(|r| r.correct).collect();
        let share = |v: &[bool]| v.iter().filter(|&&c| c).count() as f32 / v.len().max(1) as f32;
        let outcomes: Vec<bool> = self.episodes.iter().map(|e| e.outcome.unwrap_or(false)).collect();
        let mut out = vec![("accuracy", share(&first)), ("outcome", share(&outcomes))];
        let verdicts: Vec<bool> = self.responses.iter().filter(|r| r.agent == VERIFIER as u32).map(|r| r.correct).collect();
        if !verdicts.is_empty() {
            out.push(("verifier_accuracy", share(&verdicts)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn questions_and_answers_round_trip_through_tokens() {
        let q = Question { a: 7, b: 9, op: Op::Sub };
        assert_eq!(text(&q.tokens()), "7−9=");
        assert_eq!(q.answer(), -2);
        assert_eq!(parse_answer(&number_tokens(-2)), Some(-2));
        assert_eq!(parse_answer(&[1, 2, END, 5]), Some(12));
        assert_eq!(parse_answer(&[1, 2]), Some(12), "an answer cut off without ⏎ is read as far as it goes");
        assert_eq!(parse_answer(&[MINUS, END]), None);
        assert_eq!(parse_answer(&[END]), None);
        assert_eq!(parse_answer(&[1, MINUS, 2]), None);
        assert_eq!(parse_answer(&[0, 3, END]), None, "no leading zeros");
        assert_eq!(parse_answer(&[MINUS, 0]), None);
        assert_eq!(parse_answer(&[0, END]), Some(0));
    }

    /// Plays a batch with scripted agents: the solver answers `answers[round]` for every
    /// question, the verifier accepts iff `accept`.
    fn play(config: &ArithmeticConfig, answer: impl Fn(Question, u32) -> i64, accept: impl Fn(bool) -> bool) -> Episodes {
        let mut env = ChaCha8Rng::seed_from_u64(3);
        let mut episodes = Episodes::new(config, 2, 3, &mut env);
        while !episodes.finished() {
            let requests = episodes.requests();
            assert!(!requests.is_empty());
            let responses = requests
                .iter()
                .map(|r| {
                    let q = episodes.question(r.episode);
                    if r.agent == SOLVER {
                        let round = episodes.responses.iter().filter(|x| x.episode as usize == r.episode && x.agent == 0).count() as u32;
                        let mut t = number_tokens(answer(q, round));
                        t.push(END);
                        t
                    } else {
                        let right = parse_answer(&r.prompt[q.tokens().len()..r.prompt.len() - 1]) == Some(q.answer());
                        vec![if accept(right) { ACCEPT } else { REJECT }]
                    }
                })
                .collect();
            episodes.respond(&requests, responses);
        }
        episodes
    }

    #[test]
    fn a_perfect_verifier_sends_a_wrong_answer_back_and_pays_each_verdict() {
        let config = ArithmeticConfig { rounds: 3, ..ArithmeticConfig::default() };
        // Wrong in round 0, right in round 1.
        let episodes = play(&config, |q, round| if round == 0 { q.answer() + 1 } else { q.answer() }, |right| right);
        for e in 0..episodes.len() {
            let mine: Vec<&Response> = episodes.responses.iter().filter(|r| r.episode as usize == e).collect();
            let texts: Vec<String> = mine.iter().map(|r| text(&r.tokens)).collect();
            assert_eq!(mine.len(), 4, "answer, ✗, answer, ✓: {texts:?}");
            assert_eq!(mine.iter().map(|r| r.turn).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
            assert_eq!(mine.iter().map(|r| r.round).collect::<Vec<_>>(), vec![0, 0, 1, 1]);
            assert_eq!((texts[1].as_str(), texts[3].as_str()), ("✗", "✓"));
            // The second answer reads the same prompt; the verifier reads the answer.
            let q = episodes.question(e);
            assert_eq!(mine[2].prompt, q.tokens());
            let mut verifier_prompt = q.tokens();
            verifier_prompt.extend(number_tokens(q.answer() + 1));
            verifier_prompt.push(QUERY);
            assert_eq!(mine[1].prompt, verifier_prompt);
            assert_eq!(episodes.episode_return(e, SOLVER), 1.0);
            assert_eq!(episodes.episode_return(e, VERIFIER), 2.0, "two right verdicts");
        }
        let figures = episodes.figures();
        assert_eq!(figures, vec![("accuracy", 0.0), ("outcome", 1.0), ("verifier_accuracy", 1.0)]);
    }

    #[test]
    fn the_last_round_is_submitted_unchecked_and_outcome_pay_is_shared() {
        let config = ArithmeticConfig { rounds: 2, verifier_reward: VerifierReward::Outcome, ..ArithmeticConfig::default() };
        // Always wrong, always rejected: round 0 answer, ✗, round 1 answer submitted.
        let episodes = play(&config, |q, _| q.answer() + 1, |_| false);
        for e in 0..episodes.len() {
            let agents: Vec<u32> = episodes.responses.iter().filter(|r| r.episode as usize == e).map(|r| r.agent).collect();
            assert_eq!(agents, vec![0, 1, 0]);
            assert_eq!(episodes.episode_return(e, SOLVER), 0.0);
            assert_eq!(episodes.episode_return(e, VERIFIER), 0.0);
        }
        // A verifier that accepts a wrong answer ends the episode with outcome 0.
        let episodes = play(&config, |q, _| q.answer() + 1, |_| true);
        assert!(episodes.responses.iter().all(|r| r.round == 0));
        assert_eq!(episodes.figures()[2], ("verifier_accuracy", 0.0));
    }

    #[test]
    fn validation_names_the_field() {
        let bad = ArithmeticConfig { agents: vec![LanguageAgent { width: 30, heads: 4, ..LanguageAgent::default() }, LanguageAgent::default()], ..Default::default() };
        assert!(bad.validate("game").unwrap_err().to_string().contains("game.agents[0].heads"));
        let bad = ArithmeticConfig { operand_max: 99, ops: vec![Op::Mul], answer_length: 4, ..Default::default() };
        let err = bad.validate("game").unwrap_err().to_string();
        assert!(err.contains("game.answer_length") && err.contains("raise it to 5"), "{err}");
        let bad = ArithmeticConfig { agents: vec![LanguageAgent::default()], ..Default::default() };
        assert!(bad.validate("game").unwrap_err().to_string().contains("game.agents"));
        assert!(ArithmeticConfig::default().validate("game").is_ok());
        let long = ArithmeticConfig { operand_max: 99, ops: vec![Op::Sub, Op::Mul], answer_length: 6, ..Default::default() };
        assert!(long.validate("game").is_ok());
        assert_eq!(long.max_positions(), 6 + 6 + 2, "question, answer, ?, verdict");
    }
}
