//! The assistant's commands beyond `vigil ask` itself: the model an administrator configures,
//! and `vigil eval assistant` (make a question set from a simulated company's data, or score the
//! assistant on one; `vigil_assistant::eval`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The model client a `--model` file configures, if any.
pub fn model_client(file: Option<&Path>) -> Result<Option<vigil_llm::ChatClient>> {
    let Some(file) = file else { return Ok(None) };
    let cfg = vigil_llm::ModelConfig::from_file(file)?;
    Ok(Some(vigil_llm::ChatClient::new(cfg)?))
}

/// `vigil eval assistant`'s options.
pub struct EvalOptions {
    pub generate: bool,
    pub labels: Option<PathBuf>,
    pub report: Option<PathBuf>,
    pub require: Option<f64>,
    pub model: Option<PathBuf>,
}

/// Makes a question set (`generate`), or scores the assistant on one.
pub fn eval(app: &vigil_app::App, questions: &Path, o: &EvalOptions, json: bool) -> Result<()> {
    use vigil_assistant::eval;
    if o.generate {
        let labels = o.labels.as_deref().context("--generate needs --labels")?;
        let text = std::fs::read_to_string(labels).with_context(|| format!("reading {}", labels.display()))?;
        let labels = eval::read_labels(&text).map_err(anyhow::Error::msg)?;
        let set = eval::generate(app, &labels)?;
        let mut out = String::new();
        for q in &set {
            out.push_str(&serde_json::to_string(q)?);
            out.push('\n');
        }
        std::fs::write(questions, out).with_context(|| format!("writing {}", questions.display()))?;
        eprintln!("{} questions written to {}", set.len(), questions.display());
        return Ok(());
    }
    let text = std::fs::read_to_string(questions).with_context(|| format!("reading {}", questions.display()))?;
    let set = eval::read_questions(&text).map_err(|e| anyhow::anyhow!("{}: {e}", questions.display()))?;
    let client = model_client(o.model.as_deref())?;
    let r = match &client {
        Some(c) => {
            let (p, w) = (vigil_assistant::model::ModelPlanner::new(c), vigil_assistant::model::ModelWriter::new(c));
            eval::run(app, &set, &p, &w)?
        }
        None => eval::run(app, &set, &vigil_assistant::RulePlanner, &vigil_assistant::Composer)?,
    };
    if let Some(path) = o.report.as_deref() {
        std::fs::write(path, r.markdown()).with_context(|| format!("writing {}", path.display()))?;
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&r.totals_json())?);
    } else {
        print!("{}", r.markdown());
    }
    if let Some(min) = o.require
        && (r.answered_rate < min || r.declined_correct < r.unanswerable || r.fabricated > 0)
    {
        anyhow::bail!(
            "below the bar: {:.1} % answered correctly (needs {:.1} %), {} of {} unanswerable declined, {} fabricated",
            r.answered_rate * 100.0,
            min * 100.0,
            r.declined_correct,
            r.unanswerable,
            r.fabricated
        );
    }
    Ok(())
}

/// `vigil eval investigations --labels L`.
pub fn eval_investigations(app: &vigil_app::App, who: &vigil_app::Caller, labels: &Path, json: bool) -> Result<()> {
    let labels = crate::hunt::read_labels(labels)?;
    let r = vigil_assistant::investigation_eval::eval_investigations(
        app,
        who,
        &labels,
        &vigil_app::respond::ResponseConfig::default(),
    )?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        let pct =
            |a: usize, b: usize| if b == 0 { "-".to_string() } else { format!("{:.0}%", a as f64 * 100.0 / b as f64) };
        println!(
            "{} incidents investigated for {} labeled attacks in {:.1}s ({} labels became no incident)",
            r.investigated,
            r.labels.len(),
            r.millis as f64 / 1000.0,
            r.not_incidents.len()
        );
        println!(
            "decisive: {}/{} attack events on the timelines ({}); entities named: {}/{} ({}); fabricated summary sentences: {} ({} caught by the verifier)",
            r.decisive(),
            r.held(),
            pct(r.decisive(), r.held()),
            r.named(),
            r.entities(),
            pct(r.named(), r.entities()),
            r.fabricated,
            r.dropped
        );
        println!("  {:<28} {:>6} {:>16} {:>14}", "scenario", "labels", "decisive", "named");
        for (s, [n, held, dec, ent, named]) in r.by_scenario() {
            println!(
                "  {s:<28} {n:>6} {:>16} {:>14}",
                format!("{dec}/{held} {}", pct(dec, held)),
                format!("{named}/{ent} {}", pct(named, ent))
            );
        }
        for l in r.labels.iter().filter(|l| !l.missing.is_empty()) {
            println!("  {} does not name: {}", crate::output::clean(&l.instance), l.missing.join(", "));
        }
    }
    if r.fabricated > 0 {
        anyhow::bail!("{} summary sentence(s) do not hold against their facts", r.fabricated);
    }
    Ok(())
}
