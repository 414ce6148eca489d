fn get(&self, key: &str) -> Result<Value, StoreError> {
    {
        static __CHAOS_SITE: ::retry_runtime::__private::ChaosSite = ::retry_runtime::__private::ChaosSite::new(
            "store",
        );
        if ::retry_runtime::__private::chaos_armed() {
            if let ::core::result::Result::Err(injected_fault) = __CHAOS_SITE
                .inject_sync()
            {
                return ::core::result::Result::Err(
                    <_ as ::retry_runtime::__private::FromRejection<
                        _,
                    >>::from_rejection(injected_fault),
                );
            }
        }
        self.map.get(key)
    }
}
