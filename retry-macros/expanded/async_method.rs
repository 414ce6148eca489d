async fn fetch(&self, key: &str) -> Result<Bytes, StoreError> {
    {
        static __RETRY_RUNTIME_SITE: ::retry_runtime::__private::RetrySite = ::retry_runtime::__private::RetrySite::new(
            "store.fetch",
            ::retry_runtime::__private::RetryPolicy::builder()
                .jitter(::retry_runtime::__private::Jitter::Decorrelated)
                .attempt_timeout(
                    ::retry_runtime::__private::Duration::from_nanos(1000000000u64),
                )
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
            let retry_outcome: Result<Bytes, StoreError> = match ::retry_runtime::__private::with_attempt_timeout::<
                ::retry_runtime::__private::DefaultSleeper,
                _,
            >(
                    ::core::pin::pin!(
                        ::retry_runtime::__private::in_attempt:: <
                        ::retry_runtime::__private::DefaultSleeper, _, _, _ > (&
                        retry_state, async { #[allow(unknown_lints, unreachable_code,
                        clippy::diverging_sub_expression, clippy::empty_loop,
                        clippy::let_unit_value, clippy::let_with_type_underscore,
                        clippy::needless_return, clippy::unreachable)] if false { let
                        retry_fake_return : Result < Bytes, StoreError > = loop {};
                        return retry_fake_return; } self.client.get(key). await })
                    ),
                    ::retry_runtime::__private::call_attempt_limit::<
                        ::retry_runtime::__private::DefaultSleeper,
                        _,
                        _,
                    >(&__RETRY_RUNTIME_SITE, &retry_state)
                        .unwrap_or(::retry_runtime::__private::Duration::MAX),
                )
                .await
            {
                ::core::result::Result::Ok(retry_outcome) => retry_outcome,
                ::core::result::Result::Err(retry_timed_out) => {
                    ::core::result::Result::Err(
                        <_ as ::retry_runtime::__private::FromRejection<
                            _,
                        >>::from_rejection(retry_timed_out),
                    )
                }
            };
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
                            ::core::option::Option::Some(true)
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
                        } => {
                            if let ::core::result::Result::Err(retry_error) = retry_judged {
                                (log_retry)(retry_error, retry_failed_attempt, retry_delay);
                            }
                            retry_delay
                        }
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
