async fn charge(card: &Card) -> Result<Receipt, PaymentError> {
    {
        static __CIRCUIT_BREAKER_SITE: ::retry_runtime::__private::BreakerSite = ::retry_runtime::__private::BreakerSite::new(
            "payments",
            ::retry_runtime::__private::BreakerConfig::builder()
                .failure_threshold(0u32)
                .failure_rate(0.5f64)
                .window(20u32)
                .min_calls(10u32)
                .slow_call(
                    ::retry_runtime::__private::Duration::from_nanos(2000000000u64),
                )
                .build_const(),
        );
        let breaker_permit = match __CIRCUIT_BREAKER_SITE.breaker().try_acquire() {
            ::core::result::Result::Ok(breaker_permit) => breaker_permit,
            ::core::result::Result::Err(breaker_open) => {
                return ::core::result::Result::Err(
                    <_ as ::retry_runtime::__private::FromRejection<
                        _,
                    >>::from_rejection(breaker_open),
                );
            }
        };
        let breaker_outcome: Result<Receipt, PaymentError> = async {
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
                let retry_fake_return: Result<Receipt, PaymentError> = loop {};
                return retry_fake_return;
            }
            gateway().charge(card).await
        }
            .await;
        match &breaker_outcome {
            ::core::result::Result::Ok(_) => breaker_permit.record_success(),
            ::core::result::Result::Err(breaker_error) => {
                if true {
                    breaker_permit.record_failure();
                } else {
                    breaker_permit.record_ignored();
                }
            }
        }
        breaker_outcome
    }
}
