//! The supervised triage model: logistic regression (smartcore) over an incident's features,
//! learned from analyst dispositions. Features are standardized with the training set's mean
//! and spread; the model keeps its own coefficients so that every score can be explained as the
//! sum of per-feature contributions (coefficient × standardized value, in log-odds). A model is
//! named by the hash of its parameters, and that version is stamped on every verdict it informs.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};

use crate::TriageError;

/// The features, in order. Documented in the README's triage section.
pub const FEATURES: &[&str] = &[
    "max_level",
    "alerting_items",
    "signal_items",
    "max_confidence",
    "tactics",
    "progression",
    "correlation_or_behavior",
    "admin_entity",
    "crown_jewel",
    "sensitive_data",
    "vendor_entity",
    "log_alerts",
    "users",
    "external_ips",
    "unknown_entities",
    "prior_incidents",
];

/// One labeled example: an incident's features, whether it was a true positive, and when.
#[derive(Debug, Clone)]
pub struct Sample {
    pub features: Vec<f64>,
    pub positive: bool,
    pub time_ms: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Evaluation {
    pub incidents: usize,
    pub positives: usize,
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
    pub roc_auc: f64,
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TriageModel {
    pub version: String,
    pub algorithm: String,
    pub features: Vec<String>,
    pub mean: Vec<f64>,
    pub scale: Vec<f64>,
    pub coef: Vec<f64>,
    pub intercept: f64,
    pub trained_on: usize,
    pub trained_positives: usize,
    /// Examples before this time trained the model; those at or after it evaluated it.
    pub split_ms: i64,
    pub evaluation: Option<Evaluation>,
    /// Where the dispositions came from.
    pub source: String,
}

/// A score and its explanation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelScore {
    pub version: String,
    /// Probability that the incident is a true positive.
    pub probability: f64,
    /// Log-odds contributions, largest magnitude first; with the intercept they add up to the logit.
    pub contributions: Vec<Contribution>,
    pub intercept: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Contribution {
    pub feature: String,
    pub value: f64,
    pub contribution: f64,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl TriageModel {
    /// Trains on the examples before the time split (the earliest `train_fraction` of them) and
    /// evaluates on the rest.
    pub fn train(samples: &[Sample], train_fraction: f64, source: &str) -> Result<TriageModel, TriageError> {
        let mut s: Vec<&Sample> = samples.iter().collect();
        s.sort_by_key(|x| x.time_ms);
        if s.iter().any(|x| x.features.len() != FEATURES.len()) {
            return Err(TriageError::Model(format!("every sample needs {} features", FEATURES.len())));
        }
        let cut = ((s.len() as f64) * train_fraction.clamp(0.1, 1.0)).round() as usize;
        let cut = cut.clamp(1, s.len().max(1));
        let (train, test) = s.split_at(cut.min(s.len()));
        let pos = train.iter().filter(|x| x.positive).count();
        if train.is_empty() || pos == 0 || pos == train.len() {
            return Err(TriageError::Model(format!(
                "the training period needs both true and false positives: {} examples, {} positive",
                train.len(),
                pos
            )));
        }
        let split_ms = test.first().map_or(i64::MAX, |x| x.time_ms);
        let d = FEATURES.len();
        let mut mean = vec![0.0; d];
        let mut scale = vec![0.0; d];
        for x in train {
            for (m, v) in mean.iter_mut().zip(&x.features) {
                *m += v / train.len() as f64;
            }
        }
        for x in train {
            for j in 0..d {
                scale[j] += (x.features[j] - mean[j]).powi(2) / train.len() as f64;
            }
        }
        for sc in scale.iter_mut() {
            *sc = if *sc > 1e-12 { sc.sqrt() } else { 1.0 };
        }
        let rows: Vec<Vec<f64>> =
            train.iter().map(|x| (0..d).map(|j| (x.features[j] - mean[j]) / scale[j]).collect()).collect();
        let y: Vec<i32> = train.iter().map(|x| i32::from(x.positive)).collect();
        let m = DenseMatrix::from_2d_vec(&rows).map_err(|e| TriageError::Model(e.to_string()))?;
        let lr = LogisticRegression::fit(&m, &y, LogisticRegressionParameters::default().with_alpha(1.0))
            .map_err(|e| TriageError::Model(e.to_string()))?;
        let coef: Vec<f64> = (0..d).map(|j| *lr.coefficients().get((0, j))).collect();
        let intercept = *lr.intercept().get((0, 0));
        if coef.iter().any(|c| !c.is_finite()) || !intercept.is_finite() {
            return Err(TriageError::Model("training did not converge to finite coefficients".into()));
        }
        let mut model = TriageModel {
            version: String::new(),
            algorithm: "logistic regression (smartcore), standardized features, L2 alpha 1.0".into(),
            features: FEATURES.iter().map(|s| s.to_string()).collect(),
            mean,
            scale,
            coef,
            intercept,
            trained_on: train.len(),
            trained_positives: pos,
            split_ms,
            evaluation: None,
            source: source.to_string(),
        };
        if !test.is_empty() {
            let owned: Vec<Sample> = test.iter().map(|x| (*x).clone()).collect();
            model.evaluation = Some(model.evaluate(&owned, 0.5));
        }
        let mut h = Sha256::new();
        h.update(serde_json::to_vec(&(&model.mean, &model.scale, &model.coef, model.intercept)).unwrap_or_default());
        model.version = format!("triage-lr-{}", &hex::encode(h.finalize())[..12]);
        Ok(model)
    }

    pub fn score(&self, features: &[f64]) -> ModelScore {
        let mut contributions: Vec<Contribution> = Vec::with_capacity(self.coef.len());
        let mut z = self.intercept;
        for (j, name) in self.features.iter().enumerate() {
            let v = features.get(j).copied().unwrap_or(0.0);
            let c = self.coef[j] * (v - self.mean[j]) / self.scale[j];
            z += c;
            contributions.push(Contribution { feature: name.clone(), value: v, contribution: c });
        }
        contributions.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
        ModelScore { version: self.version.clone(), probability: sigmoid(z), contributions, intercept: self.intercept }
    }

    /// Precision and recall at `threshold`, and ROC AUC, on labeled examples.
    pub fn evaluate(&self, samples: &[Sample], threshold: f64) -> Evaluation {
        let scored: Vec<(f64, bool)> =
            samples.iter().map(|x| (self.score(&x.features).probability, x.positive)).collect();
        let (mut tp, mut fp, mut fneg) = (0, 0, 0);
        for (p, y) in &scored {
            match (*p >= threshold, *y) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, true) => fneg += 1,
                _ => {}
            }
        }
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        Evaluation {
            incidents: samples.len(),
            positives: scored.iter().filter(|x| x.1).count(),
            threshold,
            precision: ratio(tp, tp + fp),
            recall: ratio(tp, tp + fneg),
            roc_auc: roc_auc(&scored),
            true_positives: tp,
            false_positives: fp,
            false_negatives: fneg,
        }
    }
}

/// ROC AUC as the probability that a random positive scores above a random negative (ties count
/// half); 0.5 when one class is absent.
pub fn roc_auc(scored: &[(f64, bool)]) -> f64 {
    let pos: Vec<f64> = scored.iter().filter(|x| x.1).map(|x| x.0).collect();
    let neg: Vec<f64> = scored.iter().filter(|x| !x.1).map(|x| x.0).collect();
    if pos.is_empty() || neg.is_empty() {
        return 0.5;
    }
    let mut wins = 0.0;
    for p in &pos {
        for n in &neg {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (pos.len() * neg.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: usize, positive: bool) -> Sample {
        let mut f = vec![0.0; FEATURES.len()];
        // Positives: high level, several alerting items; negatives: signals only. Some overlap.
        let jitter = ((i * 7919) % 13) as f64 / 13.0;
        if positive {
            f[0] = 3.0 + jitter;
            f[1] = 2.0 + jitter;
        } else {
            f[0] = 1.0 + jitter * 1.5;
            f[2] = 1.0 + jitter;
        }
        f[11] = jitter;
        Sample { features: f, positive, time_ms: i as i64 }
    }

    #[test]
    fn learns_separable_dispositions_and_explains_each_score() {
        let s: Vec<Sample> = (0..200).map(|i| sample(i, i % 4 == 0)).collect();
        let m = TriageModel::train(&s, 0.7, "test").unwrap();
        let e = m.evaluation.clone().unwrap();
        assert_eq!(e.incidents, 60);
        assert!(e.roc_auc > 0.95, "{e:?}");
        assert!(e.recall > 0.9 && e.precision > 0.9, "{e:?}");
        let sc = m.score(&s[0].features);
        let logit: f64 = sc.intercept + sc.contributions.iter().map(|c| c.contribution).sum::<f64>();
        assert!((sigmoid(logit) - sc.probability).abs() < 1e-12);
        assert!(m.version.starts_with("triage-lr-"));
        // Same data, same model, same version.
        assert_eq!(TriageModel::train(&s, 0.7, "test").unwrap().version, m.version);
    }

    #[test]
    fn refuses_one_class_and_bad_shapes() {
        let s: Vec<Sample> = (0..20).map(|i| sample(i, true)).collect();
        assert!(TriageModel::train(&s, 0.7, "t").unwrap_err().to_string().contains("both true and false"));
        let bad = vec![Sample { features: vec![1.0], positive: true, time_ms: 0 }];
        assert!(TriageModel::train(&bad, 0.7, "t").is_err());
        assert!(TriageModel::train(&[], 0.7, "t").is_err());
    }

    #[test]
    fn auc_by_hand() {
        assert_eq!(roc_auc(&[(0.9, true), (0.1, false)]), 1.0);
        assert_eq!(roc_auc(&[(0.1, true), (0.9, false)]), 0.0);
        assert_eq!(roc_auc(&[(0.5, true), (0.5, false)]), 0.5);
        assert!((roc_auc(&[(0.8, true), (0.4, true), (0.6, false), (0.2, false)]) - 0.75).abs() < 1e-12);
    }
}
