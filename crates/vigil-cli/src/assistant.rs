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
