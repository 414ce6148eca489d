fn fetch(path: &str) -> Result<Bytes, ApiError> {
    {
        static __RATE_LIMIT_SITE: my_reexport::retry_runtime::__private::RateLimitSite = my_reexport::retry_runtime::__private::RateLimitSite::new(
            "api",
            my_reexport::retry_runtime::__private::RateLimitConfig::new_const(
                100u32,
                100u32,
            ),
        );
        if let ::core::result::Result::Err(rate_limited) = __RATE_LIMIT_SITE
            .acquire_sync(
                my_reexport::retry_runtime::__private::Duration::from_nanos(0u64),
            )
        {
            return ::core::result::Result::Err(
                <_ as my_reexport::retry_runtime::__private::FromRejection<
                    _,
                >>::from_rejection(rate_limited),
            );
        }
        get(path)
    }
}
