//! The analysis as text, for people at a terminal (`creditlab inspect`).

use std::fmt::Write;

use super::{Analysis, StepAnalysis, Verdict};

fn opt(value: Option<f32>, digits: usize) -> String {
    value.map_or("—".to_string(), |v| format!("{v:.digits$}"))
}

fn step_table(out: &mut String, step: &StepAnalysis) {
    let _ = writeln!(
        out,
        "step {}: {} samples, {} groups, {} episodes ({}–{} per group)",
        step.step, step.samples, step.groups, step.episodes, step.group_sizes[0], step.group_sizes[1]
    );
    let _ = writeln!(
        out,
        "  {:<16} {:>8} {:>9} {:>8} {:>10} {:>9} {:>8} {:>10} {:>10} {:>14}",
        "agent", "samples", "episodes", "acts/ep", "reward μ", "reward σ", "tokens", "predicted", "logged ‖g‖", "file A μ ± σ"
    );
    for a in &step.agents {
        let file = a.file_advantage.map_or("—".to_string(), |m| format!("{:.3} ± {:.3}", m.mean, m.std));
        let _ = writeln!(
            out,
            "  {:<16} {:>8} {:>9} {:>8.2} {:>10.4} {:>9.4} {:>8} {:>10} {:>10} {:>14}",
            a.agent,
            a.samples,
            a.episodes_acting,
            a.acts_per_episode,
            a.reward.mean,
            a.reward.std,
            opt(a.tokens.map(|t| t.mean), 1),
            opt(a.predicted_inflation, 3),
            opt(a.logged_grad_norm, 3),
            file
        );
    }
    let _ = writeln!(out, "  advantages per estimator and agent (mean ± std, largest |A|):");
    for e in &step.estimators {
        let agents: Vec<String> = e
            .agents
            .iter()
            .zip(&step.agents)
            .filter(|(m, _)| m.count > 0)
            .map(|(m, a)| format!("{} {:.3} ± {:.3} ({:.3})", a.agent, m.mean, m.std, m.max_abs))
            .collect();
        let _ = writeln!(out, "    {:<22} {}", e.estimator, agents.join("  "));
    }
}

/// The analysis of file `name` as text: each step's table (the first and the verdict's when
/// there are many), then the verdict with the samples where the file differs.
pub fn text(analysis: &Analysis, name: &str, steps: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{name}: {} samples, {} step{}, agents {}",
        analysis.samples,
        steps,
        if steps == 1 { "" } else { "s" },
        analysis.agents.join(", ")
    );
    if !analysis.ignored_fields.is_empty() {
        let _ = writeln!(out, "ignored fields: {}", analysis.ignored_fields.join(", "));
    }
    if analysis.steps.len() > 3 {
        let _ = writeln!(out, "\nper step: step, samples, groups, verdict");
        for step in &analysis.steps {
            let _ = writeln!(out, "  {:>6} {:>8} {:>6}  {}", step.step, step.samples, step.groups, short(&step.verdict));
        }
    }
    let shown: Vec<&StepAnalysis> = if analysis.steps.len() <= 3 {
        analysis.steps.iter().collect()
    } else {
        analysis.steps.iter().filter(|s| s.step == analysis.verdict_step || s.step == analysis.steps[0].step).collect()
    };
    for step in shown {
        out.push('\n');
        step_table(&mut out, step);
    }
    let _ = writeln!(out, "\nverdict (step {}): {}", analysis.verdict_step, analysis.verdict.summary());
    if let Verdict::Deviates { differing, .. } | Verdict::Unrecognised { differing, .. } = &analysis.verdict {
        if let Some(first) = differing.first() {
            let _ = writeln!(out, "first group that differs: {} — its samples that differ:", first.group);
            for d in differing.iter().take(12) {
                let _ = writeln!(
                    out,
                    "  line {:>7}  episode {:<10} agent {:<12} turn {:>3}  reward {:>9.4}  file {:>9.4}  reference {:>9.4}",
                    d.line, d.episode, d.agent, d.turn, d.reward, d.file, d.reference
                );
            }
            if differing.len() > 12 {
                let _ = writeln!(out, "  … {} more in this group", differing.len() - 12);
            }
        }
    }
    out.trim_end().to_string()
}

fn short(verdict: &Verdict) -> String {
    match verdict {
        Verdict::NoAdvantages => "no advantages".into(),
        Verdict::Matches { reference, .. } => format!("matches {}", reference.describe()),
        Verdict::Deviates { deviation, reference, .. } => {
            format!("{} (from {})", serde_json::to_value(deviation).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(), reference.describe())
        }
        Verdict::Unrecognised { closest, .. } => format!("unrecognised (closest {})", closest.describe()),
    }
}
