fn query(sql: &str) -> Result<Rows, DbError> {
    #[allow(unused_imports)]
    use retry as _;
    {
        static __CIRCUIT_BREAKER_SITE: ::retry_runtime::__private::BreakerSite = ::retry_runtime::__private::BreakerSite::untuned(
            "db",
        );
        let breaker_permit = match __CIRCUIT_BREAKER_SITE.breaker().try_acquire() {
            ::core::result::Result::Ok(breaker_permit) => breaker_permit,
            ::core::result::Result::Err(breaker_open) => {
                return ::core::result::Result::Err(
                    <_ as ::retry_runtime::__private::FromRejection<
                        _,
                    >>::from_rejection(breaker_open),
                );
            }
        };
        let breaker_outcome: Result<Rows, DbError> = {
            #[allow(unused_mut)]
            let mut breaker_call = || {
                #[allow(
                    unknown_lints,
                    unreachable_code,
                    clippy::diverging_sub_expression,
                    clippy::empty_loop,
                    clippy::let_unit_value,
                    clippy::let_with_type_underscore,
                    clippy::needless_return,
                    clippy::unreachable
                )]
                if false {
                    let retry_fake_return: Result<Rows, DbError> = loop {};
                    return retry_fake_return;
                }
                #[allow(unused_mut)]
                let mut retry_body = ::retry_runtime::__private::attempt_fn(move || {
                    #[allow(
                        unknown_lints,
                        unreachable_code,
                        clippy::diverging_sub_expression,
                        clippy::empty_loop,
                        clippy::let_unit_value,
                        clippy::let_with_type_underscore,
                        clippy::needless_return,
                        clippy::unreachable
                    )]
                    if false {
                        let retry_fake_return: Result<Rows, DbError> = loop {};
                        return retry_fake_return;
                    }
                    run(sql)
                });
                {
                    static __RETRY_RUNTIME_SITE: ::retry_runtime::__private::RetrySite = ::retry_runtime::__private::RetrySite::new(
                        ::core::concat!(::core::module_path!(), "::", "query"),
                        ::retry_runtime::__private::RetryPolicy::builder()
                            .max_attempts(3u32)
                            .build_const(),
                    );
                    let retry_stopwatch = ::retry_runtime::__private::stopwatch_sync::<
                        ::retry_runtime::__private::InlineStopwatch,
                    >(&__RETRY_RUNTIME_SITE);
                    match {
                        let retry_scope = ::retry_runtime::__private::enter_first_attempt(
                            &__RETRY_RUNTIME_SITE,
                            &retry_stopwatch,
                            const {
                                ::retry_runtime::__private::RetryPolicy::max_attempts(
                                    &::retry_runtime::__private::RetryPolicy::builder()
                                        .max_attempts(3u32)
                                        .build_const(),
                                )
                            },
                        );
                        retry_body()
                    } {
                        ::core::result::Result::Ok(retry_value) => {
                            ::retry_runtime::__private::first_success(
                                &__RETRY_RUNTIME_SITE,
                                ::core::option::Option::None,
                                ::core::result::Result::Ok(retry_value),
                            )
                        }
                        retry_outcome => {
                            ::retry_runtime::__private::retry_sync(
                                &__RETRY_RUNTIME_SITE,
                                ::core::option::Option::None,
                                retry_stopwatch,
                                retry_outcome,
                                retry_body,
                                false,
                                |retry_outcome| match retry_outcome {
                                    ::core::result::Result::Ok(retry_value) => {
                                        ::core::option::Option::None
                                    }
                                    ::core::result::Result::Err(retry_error) => {
                                        ::core::option::Option::Some(true)
                                    }
                                },
                                |retry_outcome| match retry_outcome {
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
                                },
                                |retry_outcome| match retry_outcome {
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
                                |retry_outcome, retry_failed_attempt, retry_delay| {},
                            )
                        }
                    }
                }
            };
            breaker_call()
        };
        match &breaker_outcome {
            ::core::result::Result::Ok(_) => breaker_permit.record_success(),
            ::core::result::Result::Err(breaker_error) => {
                if true {
                    breaker_permit.record_failure();
                } else {
                    breaker_permit.record_ignored();
                }
            }
        }
        breaker_outcome
    }
}
