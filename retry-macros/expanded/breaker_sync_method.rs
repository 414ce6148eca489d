fn query(&self, sql: &str) -> Result<Rows, DbError> {
    {
        static __CIRCUIT_BREAKER_SITE: ::retry_runtime::__private::BreakerSite = ::retry_runtime::__private::BreakerSite::new(
            "db",
            ::retry_runtime::__private::BreakerConfig::builder()
                .failure_threshold(5u32)
                .open_for(
                    ::retry_runtime::__private::Duration::from_nanos(30000000000u64),
                )
                .build_const(),
        );
        let breaker_permit = match __CIRCUIT_BREAKER_SITE.breaker().try_acquire() {
            ::core::result::Result::Ok(breaker_permit) => breaker_permit,
            ::core::result::Result::Err(breaker_open) => {
                return (Self::from_cache)(self, sql);
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
                self.pool.run(sql)
            };
            breaker_call()
        };
        match &breaker_outcome {
            ::core::result::Result::Ok(_) => breaker_permit.record_success(),
            ::core::result::Result::Err(breaker_error) => {
                if ::core::matches!(breaker_error, DbError::Unavailable { .. }) {
                    breaker_permit.record_failure();
                } else {
                    breaker_permit.record_ignored();
                }
            }
        }
        breaker_outcome
    }
}
