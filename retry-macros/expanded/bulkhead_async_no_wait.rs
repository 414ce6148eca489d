async fn query(sql: &str) -> Result<Rows, DbError> {
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
