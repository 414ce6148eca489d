async fn get(key: &str) -> Result<Value, StoreError> {
    {
        static __CHAOS_SITE: my_reexport::retry_runtime::__private::ChaosSite = my_reexport::retry_runtime::__private::ChaosSite::new(
            "store",
        );
        if my_reexport::retry_runtime::__private::chaos_armed() {
            if let ::core::result::Result::Err(injected_fault) = __CHAOS_SITE
                .inject::<my_reexport::retry_runtime::__private::DefaultSleeper>()
                .await
            {
                return ::core::result::Result::Err(
                    <_ as my_reexport::retry_runtime::__private::FromRejection<
                        _,
                    >>::from_rejection(injected_fault),
                );
            }
        }
        fetch(key).await
    }
}
