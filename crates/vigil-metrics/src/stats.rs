//! Summary statistics by the nearest-rank method, and ratios that keep their counts.

use serde::{Deserialize, Serialize};

/// A distribution of samples (durations in milliseconds): n, median and p90 by the
/// nearest-rank method, and the arithmetic mean. With n = 0 every value is `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub n: u64,
    pub median: Option<f64>,
    pub p90: Option<f64>,
    pub mean: Option<f64>,
}

impl Stat {
    /// The statistic of no samples.
    pub const EMPTY: Stat = Stat { n: 0, median: None, p90: None, mean: None };

    /// Summarizes `samples` (any order).
    pub fn from_samples(samples: &[i64]) -> Stat {
        if samples.is_empty() {
            return Stat::EMPTY;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let sum: i128 = sorted.iter().map(|&v| i128::from(v)).sum();
        let n = sorted.len();
        Stat {
            n: n as u64,
            median: percentile_nearest_rank(&sorted, 50).map(|v| v as f64),
            p90: percentile_nearest_rank(&sorted, 90).map(|v| v as f64),
            mean: Some(sum as f64 / n as f64),
        }
    }
}

/// The `p`-th percentile (1..=100) of ascending `sorted` by the nearest-rank method: the
/// sample at 1-based rank ⌈p/100 × n⌉. `None` for no samples; `p` above 100 is read as 100
/// and 0 as the smallest sample.
pub fn percentile_nearest_rank(sorted: &[i64], p: u32) -> Option<i64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let p = p.min(100) as usize;
    let rank = (p * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// A ratio with its counts; `value` is `None` when the denominator is 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    pub numerator: u64,
    pub denominator: u64,
    pub value: Option<f64>,
}

impl Ratio {
    pub fn new(numerator: u64, denominator: u64) -> Ratio {
        let value = (denominator > 0).then(|| numerator as f64 / denominator as f64);
        Ratio { numerator, denominator, value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_by_hand() {
        // n = 5: median rank ⌈2.5⌉ = 3, p90 rank ⌈4.5⌉ = 5.
        assert_eq!(percentile_nearest_rank(&[1, 2, 3, 4, 5], 50), Some(3));
        assert_eq!(percentile_nearest_rank(&[1, 2, 3, 4, 5], 90), Some(5));
        // n = 4: median rank 2 (the lower middle), p90 rank ⌈3.6⌉ = 4.
        assert_eq!(percentile_nearest_rank(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile_nearest_rank(&[1, 2, 3, 4], 90), Some(4));
        // n = 10: p90 rank 9.
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile_nearest_rank(&ten, 90), Some(9));
        assert_eq!(percentile_nearest_rank(&[7], 90), Some(7));
        assert_eq!(percentile_nearest_rank(&[], 50), None);
    }

    #[test]
    fn empty_is_null() {
        assert_eq!(Stat::from_samples(&[]), Stat::EMPTY);
        assert_eq!(Ratio::new(0, 0).value, None);
        assert_eq!(Ratio::new(0, 3).value, Some(0.0));
    }
}
