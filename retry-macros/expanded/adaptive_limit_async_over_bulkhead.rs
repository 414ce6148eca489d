async fn query(sql: &str) -> Result<Rows, DbError> {
    #[allow(unused_imports)]
    use bulkhead as _;
    let inner_rejected = &::core::sync::atomic::AtomicBool::new(false);
    {
        static __ADAPTIVE_LIMIT_SITE: ::retry_runtime::__private::AdaptiveLimitSite = ::retry_runtime::__private::AdaptiveLimitSite::new(
            "db",
            ::retry_runtime::__private::AdaptiveLimitConfig::new_const(
                ::retry_runtime::__private::LimitAlgorithm::Vegas,
                20u32,
                1u32,
                200u32,
            ),
        );
        let adaptive_permit = match __ADAPTIVE_LIMIT_SITE.try_acquire() {
            ::core::option::Option::Some(adaptive_permit) => adaptive_permit,
            ::core::option::Option::None => {
                match __ADAPTIVE_LIMIT_SITE
                    .wait::<
                        ::retry_runtime::__private::DefaultSleeper,
                    >(::retry_runtime::__private::Duration::from_nanos(50000000u64))
                    .await
                {
                    ::core::result::Result::Ok(adaptive_permit) => adaptive_permit,
                    ::core::result::Result::Err(limit_exceeded) => {
                        return ::core::result::Result::Err(
                            <_ as ::retry_runtime::__private::FromRejection<
                                _,
                            >>::from_rejection(limit_exceeded),
                        );
                    }
                }
            }
        };
        let adaptive_outcome: Result<Rows, DbError> = async {
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
            {
                static __BULKHEAD_SITE: ::retry_runtime::__private::BulkheadSite = ::retry_runtime::__private::BulkheadSite::new(
                    "db",
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
                run(sql).await
            }
        }
            .await;
        if inner_rejected.load(::core::sync::atomic::Ordering::Relaxed) {
            ::core::mem::drop(adaptive_permit);
        } else {
            ::retry_runtime::__private::record_async(adaptive_permit);
        }
        adaptive_outcome
    }
}
