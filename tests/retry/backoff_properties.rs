//! Property tests of every backoff and jitter kind: within the formula's bounds, never above the
//! cap, monotone where the kind is, no panic on extreme inputs.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use retry_runtime::{Backoff, Jitter, RetryHint, RetryPolicy, RetryState, Step};

/// Durations from zero to far past any real delay, weighted towards the realistic range.
fn any_duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..10_000_000_000).prop_map(Duration::from_nanos),
        (0u64..u64::MAX).prop_map(Duration::from_nanos),
        Just(Duration::ZERO),
        Just(Duration::MAX),
        (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
    ]
}

fn base_and_cap() -> impl Strategy<Value = (Duration, Duration)> {
    (any_duration(), any_duration()).prop_map(|(a, b)| if a <= b { (a, b) } else { (b, a) })
}

fn any_backoff() -> impl Strategy<Value = Backoff> {
    prop_oneof![
        Just(Backoff::Fixed),
        Just(Backoff::Linear),
        Just(Backoff::Fibonacci),
        (1.0f64..1e6).prop_map(|factor| Backoff::Exponential { factor }),
        Just(Backoff::Exponential { factor: 1.0 }),
        Just(Backoff::Exponential { factor: f64::MAX }),
    ]
}

fn any_jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        Just(Jitter::Full),
        Just(Jitter::Equal),
        Just(Jitter::Decorrelated),
    ]
}

fn unit() -> impl Strategy<Value = f64> {
    prop_oneof![0.0f64..1.0, Just(0.0), Just(1.0 - f64::EPSILON)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn nominal_delay_never_exceeds_the_cap(
        backoff in any_backoff(),
        n in any::<u32>(),
        (base, cap) in base_and_cap(),
    ) {
        prop_assert!(backoff.nominal_delay(n, base, cap) <= cap);
    }

    #[test]
    fn every_kind_but_custom_is_monotone(
        backoff in any_backoff(),
        n in any::<u32>(),
        step in 0u32..1000,
        (base, cap) in base_and_cap(),
    ) {
        let later = n.saturating_add(step);
        prop_assert!(backoff.nominal_delay(n, base, cap) <= backoff.nominal_delay(later, base, cap));
    }

    #[test]
    fn nominal_delay_matches_the_formula_below_the_cap(
        n in 0u32..40,
        base_ms in 0u64..1000,
        factor in 1.0f64..4.0,
    ) {
        let base = Duration::from_millis(base_ms);
        let cap = Duration::MAX;
        prop_assert_eq!(Backoff::Fixed.nominal_delay(n, base, cap), base);
        prop_assert_eq!(Backoff::Linear.nominal_delay(n, base, cap), base * (n + 1));
        let expected = (base.as_secs_f64() * factor.powi(i32::try_from(n).unwrap()))
            .min(Duration::MAX.as_secs_f64());
        let got = Backoff::Exponential { factor }.nominal_delay(n, base, cap).as_secs_f64();
        prop_assert!((got - expected).abs() <= expected * 1e-9 + 1e-9, "{got} vs {expected}");
    }

    #[test]
    fn jitter_stays_within_its_formula_and_under_the_cap(
        jitter in any_jitter(),
        backoff in any_backoff(),
        n in any::<u32>(),
        (base, cap) in base_and_cap(),
        previous_offset in any_duration(),
        u in unit(),
    ) {
        let nominal = backoff.nominal_delay(n, base, cap);
        // Decorrelated's previous delay is never below the base.
        let previous = base.saturating_add(previous_offset).min(cap);
        let delay = jitter.apply(nominal, base, cap, previous, u);
        prop_assert!(delay <= cap);
        match jitter {
            Jitter::None => prop_assert_eq!(delay, nominal),
            Jitter::Full => prop_assert!(delay <= nominal),
            Jitter::Equal => prop_assert!(delay >= nominal / 2 && delay <= nominal),
            Jitter::Decorrelated => {
                prop_assert!(delay >= base);
                prop_assert!(delay <= cap.min(previous.saturating_mul(3)));
            }
        }
    }

    #[test]
    fn jitter_never_panics_on_any_draw(
        jitter in any_jitter(),
        nominal in any_duration(),
        (base, cap) in base_and_cap(),
        previous in any_duration(),
        u in any::<f64>(),
    ) {
        prop_assert!(jitter.apply(nominal, base, cap, previous, u) <= cap);
    }

    #[test]
    fn the_engine_never_exceeds_max_attempts_or_max_delay(
        max_attempts in 1u32..50,
        backoff in any_backoff(),
        jitter in any_jitter(),
        (base, cap) in base_and_cap(),
        seed in any::<u64>(),
    ) {
        let policy = RetryPolicy::builder()
            .max_attempts(max_attempts)
            .backoff(backoff)
            .jitter(jitter)
            .delay(base)
            .max_delay(cap)
            .build()
            .unwrap();
        retry_runtime::testing::seed_jitter(seed);
        let mut state = RetryState::start(&policy, Instant::now);
        let mut retries = 0;
        while let Step::Retry { delay, .. } =
            state.on_failure(&policy, true, RetryHint::FollowPolicy, Instant::now)
        {
            prop_assert!(delay <= cap);
            retries += 1;
        }
        prop_assert_eq!(retries, max_attempts - 1);
    }

    #[test]
    fn the_builder_rejects_invalid_values_without_panicking(
        max_attempts in any::<u32>(),
        factor in any::<f64>(),
        base in any_duration(),
        cap in any_duration(),
    ) {
        let built = RetryPolicy::builder()
            .max_attempts(max_attempts)
            .backoff(Backoff::Exponential { factor })
            .delay(base)
            .max_delay(cap)
            .build();
        let valid = max_attempts >= 1 && factor >= 1.0 && factor.is_finite() && cap >= base;
        prop_assert_eq!(built.is_ok(), valid);
    }
}
