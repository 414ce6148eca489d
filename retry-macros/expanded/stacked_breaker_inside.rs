async fn query(sql: &str) -> Result<Rows, DbError> {
    #[allow(unused_imports)]
    use circuit_breaker as _;
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
                retry_fake_return; } run(sql). await } . await; match & breaker_outcome {
                ::core::result::Result::Ok(_) => breaker_permit.record_success(),
                ::core::result::Result::Err(breaker_error) => { if true { breaker_permit
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
