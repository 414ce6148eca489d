fn query(&self, sql: &str) -> Result<Rows, DbError> {
    {
        static __ADAPTIVE_LIMIT_SITE: ::retry_runtime::__private::AdaptiveLimitSite = ::retry_runtime::__private::AdaptiveLimitSite::new(
            "db",
            ::retry_runtime::__private::AdaptiveLimitConfig::new_const(
                ::retry_runtime::__private::LimitAlgorithm::Gradient2,
                20u32,
                1u32,
                500u32,
            ),
        );
        let adaptive_permit = match __ADAPTIVE_LIMIT_SITE
            .acquire_sync(::retry_runtime::__private::Duration::from_nanos(0u64))
        {
            ::core::result::Result::Ok(adaptive_permit) => adaptive_permit,
            ::core::result::Result::Err(limit_exceeded) => {
                return ::core::result::Result::Err(
                    <_ as ::retry_runtime::__private::FromRejection<
                        _,
                    >>::from_rejection(limit_exceeded),
                );
            }
        };
        let adaptive_outcome: Result<Rows, DbError> = {
            #[allow(unused_mut)]
            let mut adaptive_call = || {
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
                self.pool.run(sql)
            };
            adaptive_call()
        };
        ::retry_runtime::__private::record_sync(adaptive_permit);
        adaptive_outcome
    }
}
