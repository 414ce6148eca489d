fn render(value: impl Display) -> Result<impl Display, FormatError> {
    #[allow(unused_mut)]
    let mut retry_body = my_reexport::retry::__private::attempt_fn(move || {
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
            let retry_fake_return: Result<_, FormatError> = loop {};
            return retry_fake_return;
        }
        format(value)
    });
    {
        static __RETRY_RUNTIME_SITE: my_reexport::retry::__private::RetrySite = my_reexport::retry::__private::RetrySite::new(
            ::core::concat!(::core::module_path!(), "::", "render"),
            NETWORK,
        );
        const _: () = ::core::assert!(
            (NETWORK).attempt_timeout().is_none(),
            "this policy sets `attempt_timeout`, which only async fns support: a sync attempt cannot be cut off"
        );
        let retry_stopwatch = my_reexport::retry::__private::stopwatch_sync::<
            my_reexport::retry::__private::WithBudget,
        >(&__RETRY_RUNTIME_SITE);
        match {
            let retry_scope = my_reexport::retry::__private::enter_first_attempt(
                &__RETRY_RUNTIME_SITE,
                &retry_stopwatch,
                const {
                    my_reexport::retry::__private::RetryPolicy::max_attempts(&NETWORK)
                },
            );
            retry_body()
        } {
            ::core::result::Result::Ok(retry_value) => {
                my_reexport::retry::__private::first_success(
                    &__RETRY_RUNTIME_SITE,
                    ::core::option::Option::None,
                    ::core::result::Result::Ok(retry_value),
                )
            }
            retry_outcome => {
                my_reexport::retry::__private::retry_sync(
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
                            my_reexport::retry::__private::RetryHint::FollowPolicy
                        }
                        ::core::result::Result::Err(retry_error) => {
                            #[allow(unused_imports)]
                            use my_reexport::retry::__private::{
                                HintFromError as _, HintFollowPolicy as _,
                            };
                            (&&my_reexport::retry::__private::ErrorProbe(retry_error))
                                .hint()
                        }
                    },
                    |retry_outcome| match retry_outcome {
                        ::core::result::Result::Ok(retry_value) => {
                            #[allow(unused_imports)]
                            use my_reexport::retry::__private::{
                                DescribeWithDisplay as _, DescribeWithDebug as _,
                                DescribeWithTypeName as _,
                            };
                            (&&&my_reexport::retry::__private::ErrorProbe(retry_value))
                                .describe()
                        }
                        ::core::result::Result::Err(retry_error) => {
                            #[allow(unused_imports)]
                            use my_reexport::retry::__private::{
                                DescribeWithDisplay as _, DescribeWithDebug as _,
                                DescribeWithTypeName as _,
                            };
                            (&&&my_reexport::retry::__private::ErrorProbe(retry_error))
                                .describe()
                        }
                    },
                    |retry_outcome, retry_failed_attempt, retry_delay| {},
                )
            }
        }
    }
}
