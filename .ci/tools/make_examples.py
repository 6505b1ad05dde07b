"""Writes the example run files in public/examples/ (run from the repository root after
`cargo build -p creditlab-cli --release`; the advantages come from the lab's own estimators,
so each file's verdict is what `creditlab inspect` must find, and core/tests/import.rs checks it).

- solver-verifier.jsonl: a solver (1-3 answers per episode, response lengths) and a verifier (one
  verdict per answer) on math prompts, 4 training steps, groups of uneven size (some prompts lost
  episodes to filtering), gradient norms logged per agent and step. Its advantages have a bug:
  agent-wise statistics computed over the whole batch instead of each group (batch-wide).
- agent-wise.json: a JSON array, one step, advantages from agent-wise (Dr. MAS): passes.
- bandit-grpo.csv: CSV, three agents on reward scales x1, x10, x100, two steps, advantages from
  global GRPO: passes, and shows the predicted inflation of the x1 agent.
"""
import csv
import json
import os
import random
import subprocess

CLI = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "creditlab")
OUT = "public/examples"


def advantages(samples, estimator, merged=False):
    batch = [
        {"group": 0 if merged else s["g"], "episode": s["e"], "agent": s["a"], "turn": s["t"], "reward": s["r"]}
        for s in samples
    ]
    out = subprocess.run([CLI, "advantages", "--estimator", estimator], input=json.dumps(batch), capture_output=True, text=True, check=True)
    return [round(v, 6) for v in json.loads(out.stdout)["advantages"]]


def solver_verifier(rng):
    names = ["solver", "verifier"]
    lines = []
    for step in range(1, 5):
        samples = []
        episode = 0
        for g in range(8):
            episodes = rng.choice([5, 5, 5, 4, 3])
            skill = 0.25 + 0.1 * step + 0.05 * g
            for _ in range(episodes):
                turn = 0
                for _round in range(rng.choice([1, 1, 2, 3])):
                    correct = rng.random() < skill
                    judged = correct if rng.random() < 0.8 else not correct
                    samples.append({"g": g, "e": episode, "a": 0, "t": turn, "r": 1.0 if correct else 0.0, "tokens": rng.randint(4, 24)})
                    samples.append({"g": g, "e": episode, "a": 1, "t": turn + 1, "r": 1.0 if judged == correct else 0.0, "tokens": 1})
                    turn += 2
                    if judged:
                        break
                episode += 1
        adv = advantages(samples, "agent-wise", merged=True)
        for s, a in zip(samples, adv):
            lines.append({"global_step": step, "uid": f"q{step}-{s['g']}", "traj_uid": f"s{step}-t{s['e']}", "agent_name": names[s["a"]],
                          "turn": s["t"], "score": s["r"], "response_length": s["tokens"], "advantages": a})
        for k, name in enumerate(names):
            lines.append({"global_step": step, "agent_name": name, "grad_norm": round(rng.uniform(0.4, 0.9) * (3.0 if k == 1 else 1.0), 4)})
    with open(os.path.join(OUT, "solver-verifier.jsonl"), "w") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")


def agent_wise(rng):
    samples = []
    episode = 0
    for g in range(4):
        for _ in range(4):
            samples.append({"g": g, "e": episode, "a": 0, "t": 0, "r": round(rng.gauss(1.0, 0.5), 3)})
            samples.append({"g": g, "e": episode, "a": 1, "t": 1, "r": round(rng.gauss(10.0, 4.0), 3)})
            episode += 1
    adv = advantages(samples, "agent-wise")
    rows = [{"group": f"prompt-{s['g']}", "episode": s["e"], "agent": ["planner", "executor"][s["a"]], "turn": s["t"], "reward": s["r"], "advantage": a}
            for s, a in zip(samples, adv)]
    with open(os.path.join(OUT, "agent-wise.json"), "w") as f:
        f.write("[\n" + ",\n".join("  " + json.dumps(r) for r in rows) + "\n]\n")


def bandit(rng):
    rows = []
    for step in range(2):
        samples = []
        episode = 0
        for g in range(4):
            for _ in range(6):
                for k, (scale, p) in enumerate([(1, 0.7), (10, 0.5), (100, 0.3)]):
                    samples.append({"g": g, "e": episode, "a": k, "t": k, "r": float(scale if rng.random() < p else 0)})
                episode += 1
        adv = advantages(samples, "grpo-global")
        for s, a in zip(samples, adv):
            rows.append([step, g_name(s["g"]), s["e"], f"x{[1, 10, 100][s['a']]}", s["t"], s["r"], a])
    with open(os.path.join(OUT, "bandit-grpo.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", "group", "episode", "agent", "turn", "reward", "advantage"])
        w.writerows(rows)


def g_name(g):
    return f"context-{g}"


if __name__ == "__main__":
    rng = random.Random(7)
    solver_verifier(rng)
    agent_wise(rng)
    bandit(rng)
