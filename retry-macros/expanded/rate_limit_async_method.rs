async fn fetch(&mut self, path: &str) -> Result<Bytes, ApiError> {
    {
        static __RATE_LIMIT_SITE: ::retry_runtime::__private::RateLimitSite = ::retry_runtime::__private::RateLimitSite::new(
            "api",
            ::retry_runtime::__private::RateLimitConfig::new_const(100u32, 20u32),
        );
        match __RATE_LIMIT_SITE
            .reserve::<
                ::retry_runtime::__private::DefaultSleeper,
            >(::retry_runtime::__private::Duration::from_nanos(1000000000u64))
        {
            ::core::result::Result::Ok(rate_limit_wait) => {
                if !::retry_runtime::__private::Duration::is_zero(&rate_limit_wait) {
                    __RATE_LIMIT_SITE
                        .wait::<
                            ::retry_runtime::__private::DefaultSleeper,
                        >(rate_limit_wait)
                        .await;
                }
            }
            ::core::result::Result::Err(rate_limited) => {
                return ::core::result::Result::Err(
                    <_ as ::retry_runtime::__private::FromRejection<
                        _,
                    >>::from_rejection(rate_limited),
                );
            }
        }
        self.client.get(path).await
    }
}
