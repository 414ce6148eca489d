fn render(value: impl Display) -> Result<impl Display, FormatError> {
    #[allow(unused_mut)]
    let mut retry_attempt = || {
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
    };
    {
        static __RETRY_RUNTIME_SITE: my_reexport::retry::__private::RetrySite = my_reexport::retry::__private::RetrySite::new(
            ::core::concat!(::core::module_path!(), "::", "render"),
            NETWORK,
        );
        const _: () = ::core::assert!(
            (NETWORK).attempt_timeout().is_none(),
            "this policy sets `attempt_timeout`, which only async fns support: a sync attempt cannot be cut off"
        );
        let mut retry_state = my_reexport::retry::__private::start_sync::<
            my_reexport::retry::__private::WithBudget,
        >(&__RETRY_RUNTIME_SITE, ::core::option::Option::None);
        loop {
            let retry_delay = match retry_attempt() {
                ::core::result::Result::Ok(retry_value) => {
                    return my_reexport::retry::__private::succeeded(
                        &__RETRY_RUNTIME_SITE,
                        &retry_state,
                        ::core::result::Result::Ok(retry_value),
                    );
                }
                ::core::result::Result::Err(retry_error) => {
                    let retry_retryable: bool = true;
                    let retry_hint = {
                        #[allow(unused_imports)]
                        use my_reexport::retry::__private::{
                            HintFromError as _, HintFollowPolicy as _,
                        };
                        (&&my_reexport::retry::__private::ErrorProbe(&retry_error))
                            .hint()
                    };
                    let retry_step = {
                        #[allow(unused_imports)]
                        use my_reexport::retry::__private::{
                            DescribeWithDisplay as _, DescribeWithDebug as _,
                            DescribeWithTypeName as _,
                        };
                        my_reexport::retry::__private::failed_sync(
                            &__RETRY_RUNTIME_SITE,
                            &mut retry_state,
                            retry_retryable,
                            retry_hint,
                            (&&&my_reexport::retry::__private::ErrorProbe(&retry_error))
                                .describe(),
                            ::core::option::Option::None,
                        )
                    };
                    match retry_step {
                        my_reexport::retry::__private::Step::Retry {
                            attempt: retry_failed_attempt,
                            delay: retry_delay,
                        } => retry_delay,
                        my_reexport::retry::__private::Step::Stop(_) => {
                            return ::core::result::Result::Err(retry_error);
                        }
                    }
                }
            };
            my_reexport::retry::__private::sleep_sync(retry_delay);
        }
    }
}
