fn query(&self, sql: &str) -> Result<Rows, DbError> {
    {
        static __BULKHEAD_SITE: ::retry_runtime::__private::BulkheadSite = ::retry_runtime::__private::BulkheadSite::new(
            "db",
            ::retry_runtime::__private::BulkheadConfig::new_const(10u32),
        );
        let _bulkhead_permit = match __BULKHEAD_SITE
            .acquire_sync(::retry_runtime::__private::Duration::from_nanos(50000000u64))
        {
            ::core::result::Result::Ok(_bulkhead_permit) => _bulkhead_permit,
            ::core::result::Result::Err(bulkhead_full) => {
                return ::core::result::Result::Err(
                    <_ as ::retry_runtime::__private::FromRejection<
                        _,
                    >>::from_rejection(bulkhead_full),
                );
            }
        };
        self.pool.run(sql)
    }
}
