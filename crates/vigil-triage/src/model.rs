//! The supervised triage model: logistic regression (smartcore) over an incident's features,
//! learned from analyst dispositions. Features are standardized with the training set's mean
//! and spread; the model keeps its own coefficients so that every score can be explained as the
//! sum of per-feature contributions (coefficient × standardized value, in log-odds). A model is
//! named by the hash of its parameters, and that version is stamped on every verdict it informs.
//!
//! Constraints, because a few dozen noisy dispositions are easily over-read:
//!
//! - The weights of the features that carry risk by themselves ([`NON_NEGATIVE`]: the highest
//!   alert level, admin and crown-jewel involvement, sensitive data) are never negative: training
//!   fixes a feature whose fitted weight comes out negative at zero and fits the rest again
//!   (until none is negative), and scoring clamps them again for models made elsewhere. The model
//!   may learn that such evidence raises risk, never that it lowers it.
//! - The model records what it was trained on (`trained_on` incidents, `trained_positives` true
//!   positives). A model trained on fewer than [`MIN_POSITIVES_TO_CLOSE`] true positives may
//!   score and rank, and may call an incident malicious, but its probability never closes an
//!   incident as benign (`auto_close` is false; triage falls back to the risk score's rule).

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

/// Features whose weight is never negative: the model may not lower the risk they carry.
pub const NON_NEGATIVE: &[&str] = &["max_level", "admin_entity", "crown_jewel", "sensitive_data"];

/// The fewest true positives a model must be trained on before its probability may close an
/// incident as benign.
pub const MIN_POSITIVES_TO_CLOSE: usize = 20;

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
    /// Features whose weight was constrained to be non-negative.
    #[serde(default)]
    pub non_negative: Vec<String>,
    /// Whether the model's probability may close an incident as benign: trained on at least
    /// [`MIN_POSITIVES_TO_CLOSE`] true positives (recorded for display; [`TriageModel::may_auto_close`]
    /// decides from `trained_positives`).
    #[serde(default)]
    pub auto_close: bool,
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
        // Fit; any constrained feature whose weight comes out negative is fixed at zero (its
        // column zeroed, so the L2 penalty keeps it at zero) and the rest fitted again.
        let constrained: Vec<usize> = (0..d).filter(|j| NON_NEGATIVE.contains(&FEATURES[*j])).collect();
        let mut fixed: Vec<usize> = Vec::new();
        let (coef, intercept) = loop {
            let x: Vec<Vec<f64>> = rows
                .iter()
                .map(|r| r.iter().enumerate().map(|(j, v)| if fixed.contains(&j) { 0.0 } else { *v }).collect())
                .collect();
            let m = DenseMatrix::from_2d_vec(&x).map_err(|e| TriageError::Model(e.to_string()))?;
            let lr = LogisticRegression::fit(&m, &y, LogisticRegressionParameters::default().with_alpha(1.0))
                .map_err(|e| TriageError::Model(e.to_string()))?;
            let mut coef: Vec<f64> = (0..d).map(|j| *lr.coefficients().get((0, j))).collect();
            let intercept = *lr.intercept().get((0, 0));
            for j in &fixed {
                coef[*j] = 0.0;
            }
            let negative: Vec<usize> = constrained.iter().copied().filter(|j| coef[*j] < 0.0).collect();
            if negative.is_empty() || fixed.len() >= constrained.len() {
                for j in &constrained {
                    coef[*j] = coef[*j].max(0.0);
                }
                break (coef, intercept);
            }
            fixed.extend(negative);
        };
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
            non_negative: NON_NEGATIVE.iter().map(|s| s.to_string()).collect(),
            auto_close: pos >= MIN_POSITIVES_TO_CLOSE,
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

    /// Whether the model's probability may close an incident as benign: it was trained on at
    /// least [`MIN_POSITIVES_TO_CLOSE`] true positives.
    pub fn may_auto_close(&self) -> bool {
        self.trained_positives >= MIN_POSITIVES_TO_CLOSE
    }

    /// A feature's weight as scoring uses it: constrained features never weigh negative, even in
    /// a model trained elsewhere.
    pub fn weight(&self, j: usize) -> f64 {
        let w = <[f64]>::get(&self.coef, j).copied().unwrap_or(0.0);
        if self.features.get(j).is_some_and(|f| NON_NEGATIVE.contains(&f.as_str())) { w.max(0.0) } else { w }
    }

    pub fn score(&self, features: &[f64]) -> ModelScore {
        let mut contributions: Vec<Contribution> = Vec::with_capacity(self.coef.len());
        let mut z = self.intercept;
        for (j, name) in self.features.iter().enumerate() {
            let v = features.get(j).copied().unwrap_or(0.0);
            let mean = <[f64]>::get(&self.mean, j).copied().unwrap_or(0.0);
            let scale = <[f64]>::get(&self.scale, j).copied().filter(|s| *s > 0.0).unwrap_or(1.0);
            let c = self.weight(j) * (v - mean) / scale;
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

    fn idx(name: &str) -> usize {
        FEATURES.iter().position(|f| *f == name).unwrap()
    }

    #[test]
    fn admin_crown_jewel_and_severity_never_lower_the_score() {
        // A small, noisy history where admin and crown-jewel involvement and the level happen to
        // go with benign incidents: unconstrained, the fit would weigh them negatively.
        let s: Vec<Sample> = (0..38)
            .map(|i| {
                let positive = i % 6 == 0;
                let mut f = vec![0.0; FEATURES.len()];
                f[idx("alerting_items")] = if positive { 3.0 } else { 0.0 };
                f[idx("correlation_or_behavior")] = if positive { 1.0 } else { 0.0 };
                f[idx("admin_entity")] = if positive { 0.0 } else { 1.0 };
                f[idx("crown_jewel")] = if positive || i % 2 == 0 { 0.0 } else { 1.0 };
                f[idx("max_level")] = if positive { 1.0 } else { 2.0 };
                f[idx("log_alerts")] = (i % 5) as f64 / 5.0;
                Sample { features: f, positive, time_ms: i as i64 }
            })
            .collect();
        let m = TriageModel::train(&s, 1.0, "test").unwrap();
        for name in NON_NEGATIVE {
            assert!(m.coef[idx(name)] >= 0.0, "{name} weighs {}", m.coef[idx(name)]);
        }
        assert!(m.coef[idx("alerting_items")] > 0.0, "the rest is still learned: {:?}", m.coef);
        assert_eq!(m.non_negative, NON_NEGATIVE.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        // Admin involvement adds to an incident's score, never takes away.
        let mut plain = s[1].features.clone();
        plain[idx("admin_entity")] = 0.0;
        let mut admin = plain.clone();
        admin[idx("admin_entity")] = 1.0;
        assert!(m.score(&admin).probability >= m.score(&plain).probability);

        // A model made elsewhere with a negative weight is clamped when it scores.
        let mut bad = m.clone();
        bad.coef[idx("crown_jewel")] = -3.0;
        let mut jewel = plain.clone();
        jewel[idx("crown_jewel")] = 1.0;
        let sc = bad.score(&jewel);
        assert!(sc.contributions.iter().all(|c| c.feature != "crown_jewel" || c.contribution >= 0.0));
        assert!(sc.probability >= bad.score(&plain).probability);
    }

    #[test]
    fn training_size_is_recorded_and_few_positives_may_not_close() {
        let few: Vec<Sample> = (0..38).map(|i| sample(i, i % 6 == 0)).collect();
        let m = TriageModel::train(&few, 1.0, "test").unwrap();
        assert_eq!((m.trained_on, m.trained_positives), (38, 7));
        assert!(!m.auto_close && !m.may_auto_close());
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["trained_on"], 38);
        assert_eq!(json["trained_positives"], 7);
        assert_eq!(json["auto_close"], false);
        let many: Vec<Sample> = (0..200).map(|i| sample(i, i % 4 == 0)).collect();
        let m = TriageModel::train(&many, 1.0, "test").unwrap();
        assert!(m.trained_positives >= MIN_POSITIVES_TO_CLOSE);
        assert!(m.auto_close && m.may_auto_close());
        // A stored model from before these fields reads with auto-close off, and decides by its
        // recorded positives.
        let mut v = serde_json::to_value(&m).unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("auto_close");
        o.remove("non_negative");
        let old: TriageModel = serde_json::from_value(v).unwrap();
        assert!(!old.auto_close && old.may_auto_close());
    }
}
