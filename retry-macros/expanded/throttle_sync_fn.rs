fn search(query: &str) -> Result<Hits, SearchError> {
    {
        static __THROTTLE_SITE: ::retry_runtime::__private::ThrottleSite = ::retry_runtime::__private::ThrottleSite::new(
            "search",
            ::retry_runtime::__private::ThrottleConfig::builder().build_const(),
        );
        let throttle_permit = match __THROTTLE_SITE.admit_sync() {
            ::core::result::Result::Ok(throttle_permit) => throttle_permit,
            ::core::result::Result::Err(throttled) => {
                return ::core::result::Result::Err(
                    <_ as ::retry_runtime::__private::FromRejection<
                        _,
                    >>::from_rejection(throttled),
                );
            }
        };
        let throttle_outcome: Result<Hits, SearchError> = {
            #[allow(unused_mut)]
            let mut throttle_call = || {
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
                    let retry_fake_return: Result<Hits, SearchError> = loop {};
                    return retry_fake_return;
                }
                lookup(query)
            };
            throttle_call()
        };
        match &throttle_outcome {
            ::core::result::Result::Ok(_) => throttle_permit.record_accepted(),
            ::core::result::Result::Err(_) => {
                throttle_permit.record_failed();
            }
        }
        throttle_outcome
    }
}
