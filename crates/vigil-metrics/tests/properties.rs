//! Properties of the nearest-rank statistics.

use proptest::prelude::*;
use vigil_metrics::{Stat, percentile_nearest_rank};

proptest! {
    #[test]
    fn median_and_p90_are_members_within_range(samples in prop::collection::vec(-1_000_000_000_000i64..1_000_000_000_000, 1..200)) {
        let stat = Stat::from_samples(&samples);
        let min = *samples.iter().min().expect("non-empty") as f64;
        let max = *samples.iter().max().expect("non-empty") as f64;
        let median = stat.median.expect("n > 0");
        let p90 = stat.p90.expect("n > 0");
        let mean = stat.mean.expect("n > 0");
        prop_assert_eq!(stat.n, samples.len() as u64);
        prop_assert!(min <= median && median <= max);
        prop_assert!(min <= p90 && p90 <= max);
        prop_assert!(p90 >= median);
        prop_assert!(samples.iter().any(|&s| s as f64 == median));
        prop_assert!(samples.iter().any(|&s| s as f64 == p90));
        prop_assert!(min <= mean && mean <= max);
    }

    #[test]
    fn nearest_rank_matches_its_definition(mut samples in prop::collection::vec(any::<i64>(), 1..100), p in 1u32..=100) {
        samples.sort_unstable();
        let n = samples.len();
        // The smallest sample with at least p% of the samples at or below it.
        let rank = (1..=n).find(|r| r * 100 >= p as usize * n).expect("rank n always qualifies");
        prop_assert_eq!(percentile_nearest_rank(&samples, p), Some(samples[rank - 1]));
    }
}

#[test]
fn no_samples_is_null() {
    assert_eq!(Stat::from_samples(&[]), Stat { n: 0, median: None, p90: None, mean: None });
}
