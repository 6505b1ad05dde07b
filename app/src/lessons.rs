//! The guided lessons: each step is a preset experiment (a query string, read like a link), a
//! short text for a student who knows basic policy gradients, what to look at, and a question
//! whose answer is revealed on demand. The claims follow `shared/REFERENCE.md`; the tests below
//! check that every preset is a valid experiment and that each lesson uses what it talks about.

use creditlab::TrainConfig;

use crate::codec;

/// One step of a lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LessonStep {
    /// The experiment, as a link's query string (read against the defaults).
    pub preset: &'static str,
    /// What the step is about.
    pub text: &'static str,
    /// Where to look on the page.
    pub look: &'static str,
    /// The question to think about before revealing the answer.
    pub question: &'static str,
    /// The answer.
    pub answer: &'static str,
}

/// A guided lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lesson {
    /// Id used in links (`?lesson=scales`).
    pub id: &'static str,
    /// Title.
    pub title: &'static str,
    /// The steps, in order.
    pub steps: &'static [LessonStep],
}

/// Every lesson, in course order.
pub const LESSONS: &[Lesson] = &[
    Lesson {
        id: "scales",
        title: "One baseline for agents with different reward scales",
        steps: &[
            LessonStep {
                preset: "game=bandit&estimators=global-step,agent-wise&seeds=1,2,3&updates=150",
                text: "Three agents play the same 4-armed bandit, but their rewards are scaled ×1, ×10 and ×100 \
                    (team reward = their sum). Global step level normalises every sample of a group with one mean μ \
                    and std σ computed over all agents' rewards; agent-wise (Dr. MAS) uses each agent's own μ_k and σ_k.",
                look: "The reward-score chart (0 = worst arm, 1 = best arm, per agent) and the advantage histograms of \
                    both columns. The dashed lines of the gradient-norm chart are √((σ_k² + (μ_k − μ)²)/σ²), the factor one \
                    global baseline would apply to each agent on that column's batches (1 under agent-wise normalisation).",
                question: "Under the global step baseline, which agent's advantages tell it least about its own arm choice?",
                answer: "Agent ×1. Its rewards (around 0.5) sit far below the global mean (dominated by ×100's ≈ 45–50 at the start), so \
                    nearly every one of its samples gets the same negative advantage ≈ (μ_1 − μ)/σ whatever arm it pulled: \
                    the signal of its choice is ~1/100 of σ. In our runs (seeds 1–3) its score after 50 updates was \
                    0.26–0.54 under the global baseline and 0.90–0.93 agent-wise, where normalisation per agent (mean 0, \
                    std 1) lets all three learn at the same pace.",
            },
            LessonStep {
                preset: "game=bandit&game.agents.2.scale=1000&estimators=global-step,agent-wise&seeds=1,2,3&updates=150",
                text: "Now the third agent's rewards are ×1000. Dr. MAS shows that under one global baseline agent k's \
                    gradient second moment grows like (σ_k² + (μ_k − μ)²)/σ².",
                look: "The gradient-norm chart: the solid lines are measured per-agent norms, the dashed lines the factor \
                    one global baseline would apply to each agent on these batches (right axis). In the agent-wise column \
                    the same dashed lines are faint and a grey line marks 1, the factor agent-wise actually applies.",
                question: "Predict before you press Start: under the global baseline, is the ×1000 agent's gradient norm \
                    larger or smaller than the other agents' over the first 50 updates? What happens to the factor under \
                    agent-wise normalisation?",
                answer: "Larger: the ×1000 agent owns most of the group's variance, so its predicted factor is 1.95–2.63 \
                    (the second-moment factor (σ_k² + (μ_k − μ)²)/σ² of the table's “factor” column; the dashed \
                    line is its square root; above 1 in our runs, seeds 1–3, every update) while the ×1 and ×10 agents' are \
                    0.22–0.47 — below 1 but \
                    not near 0: their rewards sit far from the global mean, so the baseline hands them large, nearly equal \
                    advantages that say little about their own arm choices. In our runs the median norms over the first 50 \
                    updates were 0.26, 0.24 and 0.92 under the global baseline. Agent-wise normalisation makes every agent's \
                    advantages mean 0, std 1 (factor 1, the grey line at 1 in its column), so the norms are of the same \
                    order for all agents (0.75, 1.03 and 0.98). Later the ×1000 agent settles on its best arm and its norm \
                    becomes the smallest — mean over the seeds at update 150: 0.16, 0.29 and 0.03: a norm shrinks as an agent \
                    converges, whatever the baseline.",
            },
            LessonStep {
                preset: "game=bandit&estimators=global-step,agent-wise&seeds=1,2,3,4,5&updates=40&theory_check=true",
                text: "Now check the theory itself. With the theory check on, every update puts each run's batch through the \
                    loss twice more at the policy that collected it: once with global step-level advantages, once with \
                    agent-wise ones. Same samples, same policy; only the credit differs. The ratio of agent k's two \
                    gradients is what Dr. MAS's factor (σ_k² + (μ_k − μ)²)/σ² predicts.",
                look: "The theory check's scatter below the columns: one point per agent, update and run, the predicted \
                    factor across and the measured ratio up, with the line y = x and both correlations in its title.",
                question: "Do the points follow the line? And does it matter whether you measure per-sample second \
                    moments (the dots) or the gradient of the whole batch (the rings)?",
                answer: "At first, yes. Over the first 10 updates of our runs (seeds 1–5, both columns) the logs of the \
                    per-sample second moments Σ A²‖∇log π‖² (the dots) and of the predicted factor correlate at 0.99, \
                    and the ×100 agent's median ratio is 2.16 against a predicted 2.46. Later they part: over updates \
                    31–40 the correlation is −0.18, and the ×100 agent's ratio has fallen to 0.16 while the prediction \
                    stays 2.06. The factor assumes that a sample's advantage says nothing about the size of its score \
                    ‖∇log π‖². Once an agent has nearly settled on its best arm, its rare other pulls carry both the \
                    largest scores and, under its own agent-wise statistics, the most extreme advantages, so the \
                    agent-wise second moment grows and the ratio falls. The rings, the whole batch's gradient, sit below \
                    the line from the start for the ×1 and ×10 agents (medians over the first 10 updates 0.03 and 0.04): \
                    their global advantages are nearly equal across samples, so much of their noise cancels in the \
                    batch's sum.",
            },
        ],
    },
    Lesson {
        id: "frequencies",
        title: "Agents that act at different frequencies",
        steps: &[LessonStep {
            preset: "game=pipeline&estimators=grpo-global,global-step,trajectory-per-agent,agent-wise&seeds=1,2&updates=150",
            text: "In the solver–verifier pipeline the solver writes every digit of every proposal (answer length × \
                rounds decisions) and the verifier decides once per round. Trajectory-level GRPO gives every sample of an \
                episode the episode's mean reward; global step level pools all samples of a group, so the solver's many \
                samples dominate μ and σ; agent-wise keeps one key per (group, agent).",
            look: "The advantage ledger (choose an estimator tab): the keys, their counts, μ and σ. The per-agent \
                advantage histograms of each column.",
            question: "Under which estimators does the verifier's advantage have mean 0 in every group?",
            answer: "Agent-wise: its key (group, verifier) is normalised on its own, so its advantages have mean 0 and \
                std 1 in each group. Trajectory-per-agent centres the verifier's per-episode mean. Under global step level \
                its mean advantage is (μ_verifier − μ)/σ, generally not 0 — in our runs (seeds 1 and 2) between +0.30 and +1.67 \
                in every update: a push on every verdict, whatever it was, set by how the verifier's rewards compare with \
                the solver's.",
        }],
    },
    Lesson {
        id: "overgeneralization",
        title: "Relative overgeneralisation in climbing and penalty games",
        steps: &[
            LessonStep {
                preset: "game=matrix&estimators=grpo-global,agent-wise,coma&seeds=1,2,3&updates=200",
                text: "The climbing game pays both players the same: [[11, −30, 0], [−30, 7, 0], [0, 6, 5]]. (A, A) = 11 is \
                    the optimum, but against a partner who still explores uniformly, A earns (11 − 30 + 0)/3 ≈ −6.3 on \
                    average, B ≈ −7.7 and C ≈ +3.7. Independent learners judge an action by its average over the \
                    partner's exploration: relative overgeneralisation.",
                look: "The policy paths on each player's simplex (vertices A, B, C; ■ marks pure equilibria) and the \
                    headline figure.",
                question: "Where do the players end up: at (A, A) = 11?",
                answer: "No. The early pull is towards C, where the partner's mistakes cost least, and the pair settles \
                    lower: in our runs (seeds 1–3, 200 updates) global GRPO and agent-wise ended at (B, B) = 7 on seeds 1 and 3 \
                    and at (C, B) = 6 on seed 2, and COMA at (C, C) = 5 on seeds 2 and 3 and at (C, B) = 6 on seed 1 — never at \
                    (A, A) = 11. COMA's counterfactual baseline changes who gets credit, not the exploration averaging that \
                    hides the optimum. Counterfactual credit is not powerless here, though: in the next lesson's run \
                    Shapley credit reaches (A, A) = 11 on seed 1 — it credits each player with what its action adds to \
                    its partner's, so early on A is not blamed for the partner's miscoordination as much.",
            },
            LessonStep {
                preset: "game=matrix&game.name=penalty&game.k=100&estimators=grpo-global,agent-wise,coma&seeds=1,2,3&updates=200",
                text: "The penalty game [[−k, 0, 10], [0, 2, 0], [10, 0, −k]] has two optimal joint actions worth 10 and a \
                    safe one, (B, B) = 2; miscoordinating on the optimum costs k. Against a uniform partner A earns \
                    (10 − k)/3 on average and B 2/3.",
                look: "The policy paths, then change penalty k in the builder to 0 and compare.",
                question: "For which k do you expect the players to give up the optimum for the safe action B?",
                answer: "When (10 − k)/3 < 2/3, i.e. k > 8. With k = 100, in our runs (seeds 1–3) two of three global \
                    GRPO and agent-wise runs and all three COMA runs ended at the safe (B, B) = 2; one seed reached \
                    (C, A) = 10. With k = 0 the optimum's average is higher than B's and the players can coordinate on 10.",
            },
            LessonStep {
                preset: "game=tiny-hanabi&estimators=grpo-global,agent-wise,gigpo&seeds=1,2,3&updates=150&learning_rate=0.01",
                text: "Tiny Hanabi is a trap made of information, not of payoffs. Each player holds a card only it sees; \
                    player 1 moves first and player 2 sees that move. Both are paid the same. If player 1 signals its card \
                    with its move and player 2 reads the signal, every deal pays 10; the middle move pays 8 whatever the \
                    cards, and tells nothing.",
                look: "The expected-payoff chart with its two lines, optimum 10 and no cooperation 8, and player 1's \
                    probabilities at its reference decision.",
                question: "Can a better baseline teach the players to signal?",
                answer: "Not here. A signal pays only once the partner reads it, and reading pays only once the other \
                    signals, so each player's own advantage points to the safe middle move. In our runs (seeds 1–3, 150 \
                    updates) every global GRPO, agent-wise and GiGPO run ended with an expected payoff of 8.00 \
                    (the no-cooperation value). Normalising the advantages changes their scale and centre, not the fact that the \
                    coordinated move is worth nothing until both make it.",
            },
        ],
    },
    Lesson {
        id: "counterfactual",
        title: "Counterfactual credit: COMA, difference rewards and Shapley on the same batch",
        steps: &[LessonStep {
            preset: "game=matrix&estimators=grpo-global,coma,difference,shapley&seeds=1&updates=60",
            text: "Three ways to ask \"what did agent k's action change?\" with the exact payoff of a one-step game. COMA: \
                A^k = Q(s, u) − Σ_u' π^k(u') Q(s, (u^−k, u')), the payoff against the expectation over agent k's own \
                policy. Difference rewards: D_k = G(z) − G(z_−k) with k's action replaced by a default. Shapley: \
                φ_k averages k's marginal contribution over every coalition of the others.",
            look: "Train a few updates, then in \"Same batch\" press Freeze: one batch under every estimator, sample by \
                sample. Then open \"Step through one update\".",
            question: "In a common-payoff game, global GRPO gives both players of an episode the same advantage. Can the \
                counterfactual estimators give them different credit for the same joint action?",
            answer: "Yes — all three hold the partner fixed and vary only agent k's action, so a player whose action \
                did not matter gets little credit while its partner gets more. With two players Shapley is \
                φ_k = ½[v({k}) − v(∅)] + ½[v(N) − v(N∖{k})], and the players' values add up to v(N) − v(∅). And the credit \
                changes where the players go: in this run (seed 1, 60 updates) global GRPO ends at (C, B) = 6, COMA and \
                difference rewards at (C, C) = 5, and Shapley at the optimum (A, A) = 11.",
        },
        LessonStep {
            preset: "game=matrix&game.name=matching-pennies&estimators=grpo-global,agent-wise,coma,difference,shapley&seeds=1&updates=60",
            text: "Matching pennies: the row player wins 1 when the coins match, the column player when they differ. \
                The counterfactual estimators credit each player with a change in the *team payoff* G — the common payoff \
                in a common-payoff game, the sum of the players' payoffs otherwise.",
            look: "Freeze a batch in \"Same batch\": the counterfactual columns beside global GRPO and agent-wise.",
            question: "What credit do COMA, difference rewards and Shapley give here?",
            answer: "Exactly 0 to every sample. The game is zero-sum, so G = 1 + (−1) = 0 for every joint action: no \
                action changes the team's payoff, because there is no team. Global GRPO at trajectory level gives 0 too, \
                for the same reason: an episode's mean reward is (1 − 1)/2 = 0. Agent-wise normalisation still moves the \
                players — it normalises each player's own ±1 — while the four other columns stay flat and their policies \
                never change.",
        }],
    },
    Lesson {
        id: "turns",
        title: "Turn-level credit in self-play: Kuhn poker with MARS",
        steps: &[LessonStep {
            preset: "game=kuhn&estimators=grpo-global,mars&seeds=1,2&updates=150",
            text: "Kuhn poker: 3 cards, 2 players, up to 3 decisions. Each seat has its own policy network (policy: \
                separate; choose shared in the builder to have one network play both seats), and they train against each \
                other. MARS normalises per (game, player): it centres each player's turn rewards, sums them into a \
                turn-level return and subtracts the mean of that player's unique advantage values. NashConv measures \
                exploitability: 11/12 for uniform play, 0 at an equilibrium (game value −1/18 for player 1). Poker is \
                zero-sum, so there is no team: the column's read-out is player 1's mean payoff per hand.",
            look: "The NashConv chart with its two reference lines, and the policy's probabilities at the reference \
                decision.",
            question: "Does exploitability fall under both estimators?",
            answer: "No. Self-play with one global baseline can chase its own tail: in our runs (seeds 1 and 2, 150 \
                updates) NashConv rose to 1.45 and 1.64 under global GRPO — worse than uniform play — while MARS brought \
                it to 0.27 and 0.38, near the 0.1–0.2 plateau independent policy gradient is known to reach.",
        }],
    },
    Lesson {
        id: "anchors",
        title: "Step-level credit in the foraging gridworld: GiGPO's anchor states",
        steps: &[LessonStep {
            preset: "game=foraging&estimators=grpo-global,gigpo&seeds=1,2&updates=80",
            text: "Agents walk a grid and load food together (a food loads when the adjacent agents' levels add up to its \
                level). Episode-level GRPO gives every step of an episode the same advantage. GiGPO adds a step term: \
                steps of the same group that start from an identical state (an anchor state) form a step group, and \
                A = A^E + ω·A^S compares their discounted returns (γ = 0.95).",
            look: "The credit map, on one colour scale for both columns: per agent and cell, the ground is the mean \
                advantage of the decisions made there and the bars are the moves made from it (a bar on the side moved to; \
                stay and load in the middle). Then the GiGPO tab of the ledger: one key per anchor state, with its size.",
            question: "What step-level credit does a state visited only once in the group get?",
            answer: "None: a singleton step group gives A^S = 0, so only the episode term A^E remains. Step-level credit \
                appears where episodes meet the same state again: always at the first decision (every episode of a group \
                starts from the same state), then near the start and around the food — in our run's last batch (seed 1, \
                the groups the page shows), 57 % of GiGPO's decisions share their state with another decision of the group. Within a step group the \
                step term averages to zero (it ranks the moves made from one state against each other), so on the shared \
                colour scale GiGPO's cells are paler than GRPO's, whose episode-level credit paints every decision of an \
                episode with the same value.",
        }],
    },
    Lesson {
        id: "tokens",
        title: "Dr. MAS at token level: language agents under one baseline",
        steps: &[
            LessonStep {
                preset: "game=arithmetic&estimators=global-step,agent-wise&seeds=1,2,3",
                text: "Two language agents, each a tiny transformer trained from scratch: a solver (width 32, 2 heads) \
                    writes the answer to a question such as 2+3= token by token and ends it with ⏎; a verifier (width 16, \
                    1 head) reads the question and the answer and writes one token, ✓ or ✗. After ✗ the solver answers \
                    again (up to 2 rounds). The solver is paid the outcome (1 if the submitted answer is right), the \
                    verifier 1 per right verdict. A response is one sample: its advantage is broadcast to every token it \
                    wrote. Global step level puts both agents' rewards under one mean and std; agent-wise gives each its own.",
                look: "The token credit map under each column: one row per response, each token coloured by the \
                    advantage of its response (the hatched cells after ⏎ are masked out of the loss). Then the headline \
                    (the solver's first answers right) and the gradient-norm chart with its dashed predicted factors.",
                question: "The two agents' rewards differ only mildly here. Does one global baseline still cost the \
                    solver anything?",
                answer: "Yes, a little. In our runs (seeds 1–3; medians over the first 50 updates) the predicted factor \
                    of the solver is 0.50–0.61 under the global baseline (its advantages are shrunk), the verifier's \
                    1.74–1.93 (its rewards sit further from the pooled mean). The solver's accuracy over updates 91–100 was \
                    0.24–0.43 under the global baseline and 0.54–0.84 agent-wise; over updates 291–300 0.59–0.87 against \
                    0.76–0.90.",
            },
            LessonStep {
                preset: "game=arithmetic&game.verifier_reward=outcome&game.agents.1.reward_scale=10&estimators=global-step,agent-wise&seeds=1,2,3",
                text: "Now the verifier is paid the outcome too, but ×10 (reward_scale 10): the same signal on a \
                    scale ten times larger, as when one agent of a pipeline is scored in other units. Dr. MAS: under one \
                    global baseline agent k's gradient second moment grows like (σ_k² + (μ_k − μ)²)/σ².",
                look: "The gradient-norm chart (solid: measured per agent; dashed: the factor one global baseline \
                    applies) and the headline chart: the solver's accuracy in each column.",
                question: "Predict before you press Start: which agent does the ×10 verifier hurt under the global \
                    baseline, and how much?",
                answer: "The solver. The pooled σ is the verifier's, so the solver's rewards vary by a tenth of it: in \
                    our runs (seeds 1–3; medians over the first 50 updates) its predicted factor falls to 0.05–0.06 (the \
                    second moment of its advantages shrunk ~20×, their size ~4–5×) while the verifier's is 2.67–2.72. The solver's median gradient norm over \
                    the first 50 updates was 0.04–0.05 under the global baseline against 0.30–0.50 agent-wise, and its \
                    accuracy over updates 291–300 was 0.11–0.43 against 0.86–0.88. Agent-wise normalisation gives each \
                    agent advantages of mean 0 and std 1 whatever its scale.",
            },
        ],
    },
    Lesson {
        id: "length-bias",
        title: "The loss aggregation's length bias (language agents)",
        steps: &[
            LessonStep {
                preset: "game=arithmetic&game.answer_length=8&estimators=agent-wise&seeds=1,2,3&updates=100&loss_agg=token-mean",
                text: "The solver may now write up to 8 tokens, and a right answer takes 2 (one digit and ⏎). How the \
                    per-token losses of a batch of N responses are averaged is the aggregation (verl's loss_agg_mode): \
                    token-mean divides the sum over all tokens by the number of tokens, so every token weighs the same.",
                look: "The response-length chart: the solver's mean length, from about 5 tokens at the start.",
                question: "How fast does the solver's response length fall to the 2 tokens of a right answer?",
                answer: "Fast: in our runs (seeds 1–3) the solver's mean length was 2.16–2.39 tokens over updates 41–50 and \
                    1.99–2.12 over updates 91–100, with accuracy 0.43–0.74 there.",
            },
            LessonStep {
                preset: "game=arithmetic&game.answer_length=8&estimators=agent-wise&seeds=1,2,3&updates=100&loss_agg=seq-mean-token-mean",
                text: "seq-mean-token-mean (GRPO's original) averages each response's tokens first, then the responses: \
                    a response of T tokens gives each of its tokens the weight 1/(N·T). Dr. GRPO pointed out the bias: a \
                    long wrong answer (negative advantage) is pushed down less per token than a short one, and a short \
                    right answer is pushed up more.",
                look: "The response-length chart against the step before, and the token credit map: the long rows are \
                    wrong answers.",
                question: "Same seeds, same task: where does the solver's response length go now?",
                answer: "It stays long: 2.83–3.59 tokens over updates 41–50 and 3.07–3.76 over updates 91–100, with \
                    accuracy 0.42–0.75 there, as before — the extra tokens are in the wrong answers, whose per-token \
                    penalty the aggregation divides by their length.",
            },
            LessonStep {
                preset: "game=arithmetic&game.answer_length=8&estimators=agent-wise&seeds=1,2,3&updates=100&loss_agg=seq-mean-token-sum-norm",
                text: "seq-mean-token-sum-norm (Dr. GRPO's fix) divides the sum over all tokens by a constant, N × the \
                    longest a response may be, so no response's tokens are weighted by its own length.",
                look: "The response-length chart once more, against the two steps before.",
                question: "Does the constant normaliser remove the bias?",
                answer: "Yes: 2.13–2.42 tokens over updates 41–50 and 2.05–2.23 over updates 91–100 in our runs, like \
                    token-mean, with accuracy 0.44–0.71 there.",
            },
        ],
    },
];

/// The lesson with id `id`.
pub fn find(id: &str) -> Option<&'static Lesson> {
    LESSONS.iter().find(|l| l.id == id)
}

/// Step `step` of lesson `id`'s preset experiment.
pub fn preset(id: &str, step: usize) -> Option<TrainConfig> {
    let step = find(id)?.steps.get(step)?;
    Some(read_preset(step.preset).config)
}

/// A preset's query string read against the defaults of its game.
fn read_preset(preset: &str) -> codec::ConfigRead {
    codec::read_config(&codec::parse_query(preset), codec::default_for)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_six_lessons_with_valid_presets() {
        assert!(LESSONS.len() >= 6);
        for lesson in LESSONS {
            assert!(!lesson.steps.is_empty());
            for step in lesson.steps {
                let read = read_preset(step.preset);
                assert!(read.ignored.is_empty(), "{}: {:?}", lesson.id, read.ignored);
                assert!(read.seeds_given, "{}: a preset fixes its seeds", lesson.id);
                read.config.validate().expect("valid");
                for text in [step.text, step.look, step.question, step.answer] {
                    assert!(text.len() > 40, "{}: a step's texts are sentences", lesson.id);
                }
            }
        }
    }

    #[test]
    fn each_lesson_trains_what_it_talks_about() {
        let uses = |id: &str, step: usize| -> Vec<&'static str> {
            preset(id, step).map(|c| c.estimators.iter().map(|e| e.name()).collect()).unwrap_or_default()
        };
        assert!(uses("scales", 0).contains(&"agent-wise") && uses("scales", 0).contains(&"global-step"));
        assert!(uses("frequencies", 0).contains(&"trajectory-per-agent"));
        assert!(uses("turns", 0).contains(&"mars"));
        assert!(uses("anchors", 0).contains(&"gigpo"));
        for e in ["coma", "difference", "shapley"] {
            assert!(uses("counterfactual", 0).contains(&e));
        }
        let games: Vec<&str> = LESSONS.iter().filter_map(|l| preset(l.id, 0)).map(|c| c.game.kind()).collect();
        assert_eq!(games, ["bandit", "pipeline", "matrix", "matrix", "kuhn", "foraging", "arithmetic", "arithmetic"]);
        let aggregations: Vec<creditlab::config::LossAgg> = (0..3).filter_map(|s| preset("length-bias", s)).map(|c| c.loss_agg).collect();
        assert_eq!(aggregations.len(), 3);
        assert!(aggregations.contains(&creditlab::config::LossAgg::SeqMeanTokenMean));
        assert_eq!(preset("overgeneralization", 2).map(|c| c.game.kind()), Some("tiny-hanabi"));
        match preset("overgeneralization", 1).map(|c| c.game) {
            Some(creditlab::GameConfig::Matrix(creditlab::env::matrix::MatrixSpec::Penalty { k })) => assert_eq!(k, 100.0),
            other => panic!("the second step is penalty-100, got {other:?}"),
        }
    }
}
