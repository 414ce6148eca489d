async fn query(sql: &str) -> Result<Rows, DbError> {
    #[allow(unused_imports)]
    use circuit_breaker as _;
    #[allow(unused_imports)]
    use rate_limit as _;
    #[allow(unused_imports)]
    use bulkhead as _;
    #[allow(unused_imports)]
    use hedge as _;
    let inner_rejected = &::core::sync::atomic::AtomicBool::new(false);
    {
        static __RETRY_RUNTIME_SITE: ::retry_runtime::__private::RetrySite = ::retry_runtime::__private::RetrySite::new(
            ::core::concat!(::core::module_path!(), "::", "query"),
            ::retry_runtime::__private::RetryPolicy::builder()
                .max_attempts(3u32)
                .build_const(),
        );
        fn retry_site() -> &'static ::retry_runtime::__private::RetrySite {
            &__RETRY_RUNTIME_SITE
        }
        let mut retry_state = ::retry_runtime::__private::start_async_call::<
            ::retry_runtime::__private::DefaultSleeper,
            ::retry_runtime::__private::InlineStopwatch,
            _,
        >(retry_site, ::core::option::Option::None);
        loop {
            let retry_outcome: Result<Rows, DbError> = ::retry_runtime::__private::overridable_attempt!(
                ::retry_runtime::__private::in_attempt:: <
                ::retry_runtime::__private::DefaultSleeper, _, _, _ > (& retry_state,
                async { #[allow(unknown_lints, unreachable_code,
                clippy::diverging_sub_expression, clippy::empty_loop,
                clippy::let_unit_value, clippy::let_with_type_underscore,
                clippy::needless_return, clippy::unreachable)] if false { let
                retry_fake_return : Result < Rows, DbError > = loop {}; return
                retry_fake_return; } { static __CIRCUIT_BREAKER_SITE :
                ::retry_runtime::__private::BreakerSite =
                ::retry_runtime::__private::BreakerSite::untuned("db"); let
                breaker_permit = match __CIRCUIT_BREAKER_SITE.breaker().try_acquire() {
                ::core::result::Result::Ok(breaker_permit) => breaker_permit,
                ::core::result::Result::Err(breaker_open) => { inner_rejected.store(true,
                ::core::sync::atomic::Ordering::Relaxed); return
                ::core::result::Result::Err(< _ as
                ::retry_runtime::__private::FromRejection < _ >>
                ::from_rejection(breaker_open)); } }; let breaker_outcome : Result <
                Rows, DbError > = async { #[allow(unknown_lints, unreachable_code,
                clippy::diverging_sub_expression, clippy::empty_loop,
                clippy::let_unit_value, clippy::let_with_type_underscore,
                clippy::needless_return, clippy::unreachable)] if false { let
                retry_fake_return : Result < Rows, DbError > = loop {}; return
                retry_fake_return; } { static __RATE_LIMIT_SITE :
                ::retry_runtime::__private::RateLimitSite =
                ::retry_runtime::__private::RateLimitSite::new("db",
                ::retry_runtime::__private::RateLimitConfig::new_const(100u32, 100u32),);
                match __RATE_LIMIT_SITE.reserve:: <
                ::retry_runtime::__private::DefaultSleeper >
                (::retry_runtime::__private::Duration::from_nanos(50000000u64)) {
                ::core::result::Result::Ok(rate_limit_wait) => { if !
                ::retry_runtime::__private::Duration::is_zero(& rate_limit_wait) {
                __RATE_LIMIT_SITE.wait:: < ::retry_runtime::__private::DefaultSleeper >
                (rate_limit_wait). await; } } ::core::result::Result::Err(rate_limited)
                => { inner_rejected.store(true, ::core::sync::atomic::Ordering::Relaxed);
                return ::core::result::Result::Err(< _ as
                ::retry_runtime::__private::FromRejection < _ >>
                ::from_rejection(rate_limited)); } } { static __BULKHEAD_SITE :
                ::retry_runtime::__private::BulkheadSite =
                ::retry_runtime::__private::BulkheadSite::new("db",
                ::retry_runtime::__private::BulkheadConfig::new_const(10u32),); let
                _bulkhead_permit = match __BULKHEAD_SITE.try_acquire() {
                ::core::option::Option::Some(_bulkhead_permit) => _bulkhead_permit,
                ::core::option::Option::None => { match __BULKHEAD_SITE.wait:: <
                ::retry_runtime::__private::DefaultSleeper >
                (::retry_runtime::__private::Duration::from_nanos(50000000u64)). await {
                ::core::result::Result::Ok(_bulkhead_permit) => _bulkhead_permit,
                ::core::result::Result::Err(bulkhead_full) => { inner_rejected
                .store(true, ::core::sync::atomic::Ordering::Relaxed); return
                ::core::result::Result::Err(< _ as
                ::retry_runtime::__private::FromRejection < _ >>
                ::from_rejection(bulkhead_full)); } } } }; { static __HEDGE_SITE :
                ::retry_runtime::__private::HedgeSite =
                ::retry_runtime::__private::HedgeSite::new(::core::concat!(::core::module_path!(),
                "::", "query"),
                ::retry_runtime::__private::HedgeConfig::new_const(::retry_runtime::__private::HedgeDelay::Quantile
                { per_mille : 950u16, floor :
                ::retry_runtime::__private::Duration::from_nanos(10000000u64) }, 2u32),);
                ::retry_runtime::__private::hedged:: <
                ::retry_runtime::__private::DefaultSleeper, _, _, _, _, _, _ > (&
                __HEDGE_SITE, ::core::option::Option::None, ::core::option::Option::None,
                || async { #[allow(unknown_lints, unreachable_code,
                clippy::diverging_sub_expression, clippy::empty_loop,
                clippy::let_unit_value, clippy::let_with_type_underscore,
                clippy::needless_return, clippy::unreachable)] if false { let
                retry_fake_return : Result < Rows, DbError > = loop {}; return
                retry_fake_return; } run(sql). await }, (| _ | true, | _ | false),).
                await } } } } . await; match & breaker_outcome {
                ::core::result::Result::Ok(_) => breaker_permit.record_success(),
                ::core::result::Result::Err(breaker_error) => { if ! inner_rejected
                .load(::core::sync::atomic::Ordering::Relaxed) && true { breaker_permit
                .record_failure(); } else { breaker_permit.record_ignored(); } } }
                breaker_outcome } }), retry_attempt => match
                (::retry_runtime::__private::call_attempt_limit:: <
                ::retry_runtime::__private::DefaultSleeper, _, _ > (&
                __RETRY_RUNTIME_SITE, & retry_state), { #[allow(unused_imports)] use
                ::retry_runtime::__private:: { TimeoutFromError as _, TimeoutUnsupported
                as _ }; (&& ::retry_runtime::__private::TimeoutProbe:: < Result < Rows,
                DbError > > ::new()).converter() },) {
                (::core::option::Option::Some(retry_timeout),
                ::core::option::Option::Some(retry_convert)) => { match
                ::retry_runtime::__private::with_attempt_timeout:: <
                ::retry_runtime::__private::DefaultSleeper, _ > (retry_attempt,
                retry_timeout). await { ::core::result::Result::Ok(retry_outcome) =>
                retry_outcome, ::core::result::Result::Err(retry_timed_out) =>
                retry_convert(retry_timed_out), } } (::core::option::Option::Some(_),
                ::core::option::Option::None) => {
                ::retry_runtime::__private::timeout_unenforced(& __RETRY_RUNTIME_SITE);
                retry_attempt. await } (::core::option::Option::None, _) => retry_attempt
                . await, }
            );
            let retry_delay = match retry_outcome {
                ::core::result::Result::Ok(retry_value) => {
                    return ::retry_runtime::__private::call_succeeded(
                        &__RETRY_RUNTIME_SITE,
                        &mut retry_state,
                        ::core::result::Result::Ok(retry_value),
                    );
                }
                retry_outcome => {
                    let retry_judged = &retry_outcome;
                    let retry_retryable: bool = (match retry_judged {
                        ::core::result::Result::Ok(retry_value) => {
                            ::core::option::Option::None
                        }
                        ::core::result::Result::Err(retry_error) => {
                            ::core::option::Option::Some(
                                !inner_rejected
                                    .load(::core::sync::atomic::Ordering::Relaxed) && true,
                            )
                        }
                    })
                        .unwrap_or(true);
                    let retry_hint = match retry_judged {
                        ::core::result::Result::Ok(retry_value) => {
                            ::retry_runtime::__private::RetryHint::FollowPolicy
                        }
                        ::core::result::Result::Err(retry_error) => {
                            #[allow(unused_imports)]
                            use ::retry_runtime::__private::{
                                HintFromError as _, HintFollowPolicy as _,
                            };
                            (&&::retry_runtime::__private::ErrorProbe(retry_error))
                                .hint()
                        }
                    };
                    let retry_step = ::retry_runtime::__private::call_failed_async::<
                        ::retry_runtime::__private::DefaultSleeper,
                        _,
                        _,
                    >(
                        &__RETRY_RUNTIME_SITE,
                        &mut retry_state,
                        retry_retryable,
                        retry_hint,
                        match retry_judged {
                            ::core::result::Result::Ok(retry_value) => {
                                #[allow(unused_imports)]
                                use ::retry_runtime::__private::{
                                    DescribeWithDisplay as _, DescribeWithDebug as _,
                                    DescribeWithTypeName as _,
                                };
                                (&&&::retry_runtime::__private::ErrorProbe(retry_value))
                                    .describe()
                            }
                            ::core::result::Result::Err(retry_error) => {
                                #[allow(unused_imports)]
                                use ::retry_runtime::__private::{
                                    DescribeWithDisplay as _, DescribeWithDebug as _,
                                    DescribeWithTypeName as _,
                                };
                                (&&&::retry_runtime::__private::ErrorProbe(retry_error))
                                    .describe()
                            }
                        },
                        ::core::option::Option::None,
                    );
                    match retry_step {
                        ::retry_runtime::__private::Step::Retry {
                            attempt: retry_failed_attempt,
                            delay: retry_delay,
                        } => retry_delay,
                        ::retry_runtime::__private::Step::Stop(_) => return retry_outcome,
                    }
                }
            };
            if !::retry_runtime::__private::Duration::is_zero(&{ retry_delay }) {
                <::retry_runtime::__private::DefaultSleeper as ::retry_runtime::__private::AsyncSleeper>::sleep(
                        retry_delay,
                    )
                    .await;
            }
            ::retry_runtime::__private::AsyncCall::slept(&mut retry_state);
        }
    }
}
