async fn search(&self, query: &str) -> Result<Hits, SearchError> {
    {
        static __HEDGE_SITE: ::retry_runtime::__private::HedgeSite = ::retry_runtime::__private::HedgeSite::new(
            ::core::concat!(::core::module_path!(), "::", "search"),
            ::retry_runtime::__private::HedgeConfig::new_const(
                ::retry_runtime::__private::HedgeDelay::Fixed(
                    ::retry_runtime::__private::Duration::from_nanos(50000000u64),
                ),
                2u32,
            ),
        );
        static __HEDGE_BUDGET: ::retry_runtime::__private::BudgetSite = ::retry_runtime::__private::BudgetSite::new(
            "api",
        );
        ::retry_runtime::__private::hedged::<
            ::retry_runtime::__private::DefaultSleeper,
            _,
            _,
            _,
            _,
            _,
            _,
        >(
                &__HEDGE_SITE,
                ::core::option::Option::Some(&__HEDGE_BUDGET),
                ::core::option::Option::None,
                || async {
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
                    self.replicas.search(query).await
                },
                (
                    |hedge_error| {
                        ::core::matches!(hedge_error, SearchError::Timeout { .. })
                    },
                    |_| false,
                ),
            )
            .await
    }
}
