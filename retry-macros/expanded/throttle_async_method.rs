async fn search(&self, query: &str) -> Result<Response, SearchError> {
    #[allow(unused_imports)]
    use bulkhead as _;
    let inner_rejected = &::core::sync::atomic::AtomicBool::new(false);
    {
        static __THROTTLE_SITE: ::retry_runtime::__private::ThrottleSite = ::retry_runtime::__private::ThrottleSite::new(
            "search",
            ::retry_runtime::__private::ThrottleConfig::builder()
                .k(1.5f64)
                .window(::retry_runtime::__private::Duration::from_nanos(60000000000u64))
                .build_const(),
        );
        let throttle_permit = match __THROTTLE_SITE
            .admit::<::retry_runtime::__private::DefaultSleeper>()
        {
            ::core::result::Result::Ok(throttle_permit) => throttle_permit,
            ::core::result::Result::Err(throttled) => {
                return ::core::result::Result::Err(
                    <_ as ::retry_runtime::__private::FromRejection<
                        _,
                    >>::from_rejection(throttled),
                );
            }
        };
        let throttle_outcome: Result<Response, SearchError> = async {
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
                let retry_fake_return: Result<Response, SearchError> = loop {};
                return retry_fake_return;
            }
            {
                static __BULKHEAD_SITE: ::retry_runtime::__private::BulkheadSite = ::retry_runtime::__private::BulkheadSite::new(
                    "search",
                    ::retry_runtime::__private::BulkheadConfig::new_const(10u32),
                );
                let _bulkhead_permit = match __BULKHEAD_SITE.try_acquire() {
                    ::core::option::Option::Some(_bulkhead_permit) => _bulkhead_permit,
                    ::core::option::Option::None => {
                        let bulkhead_full = __BULKHEAD_SITE.full();
                        {
                            inner_rejected
                                .store(true, ::core::sync::atomic::Ordering::Relaxed);
                            return ::core::result::Result::Err(
                                <_ as ::retry_runtime::__private::FromRejection<
                                    _,
                                >>::from_rejection(bulkhead_full),
                            );
                        }
                    }
                };
                self.client.get(query).await
            }
        }
            .await;
        match &throttle_outcome {
            ::core::result::Result::Ok(throttle_value) => {
                if ::retry_runtime::__private::judge_value(
                    throttle_value,
                    is_unavailable,
                ) {
                    throttle_permit.record_failed();
                } else {
                    throttle_permit.record_accepted();
                }
            }
            ::core::result::Result::Err(throttle_error) => {
                if inner_rejected.load(::core::sync::atomic::Ordering::Relaxed) {
                    throttle_permit.record_ignored();
                } else if ::core::matches!(
                    throttle_error, SearchError::Overloaded { .. }
                ) {
                    throttle_permit.record_failed();
                } else {
                    throttle_permit.record_accepted();
                }
            }
        }
        throttle_outcome
    }
}
