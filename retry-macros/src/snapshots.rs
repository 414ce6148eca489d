//! Expansion snapshots: what each attribute generates for each fn shape, pretty-printed and checked
//! in under `retry-macros/expanded/`, so a reviewer can read the generated code and a change to it
//! shows up in the diff. Regenerate with `UPDATE_EXPANDED=1 cargo test -p retry-macros`.

use std::path::PathBuf;

use quote::quote;

use crate::{breaker_attribute, retry_attribute};

fn check(name: &str, args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) {
    check_expansion(name, retry_attribute(args, item));
}

fn check_breaker(name: &str, args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) {
    check_expansion(name, breaker_attribute(args, item));
}

fn check_expansion(name: &str, expanded: proc_macro2::TokenStream) {
    let file: syn::File = syn::parse2(expanded).expect("the expansion parses as Rust");
    let rendered = prettyplease::unparse(&file);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("expanded")
        .join(format!("{name}.rs"));
    if std::env::var_os("UPDATE_EXPANDED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot at {}; run UPDATE_EXPANDED=1 cargo test -p retry-macros",
            path.display()
        )
    });
    assert!(
        expected == rendered,
        "the expansion of `{name}` changed; review it, then run UPDATE_EXPANDED=1 cargo test -p retry-macros\n--- expected\n{expected}\n--- got\n{rendered}"
    );
}

#[test]
fn sync_free_fn_with_defaults() {
    check(
        "sync_free_fn",
        quote!(),
        quote! {
            /// Docs and attributes stay on the fn.
            #[inline]
            pub fn fetch(key: &str) -> Result<String, StoreError> {
                lookup(key)
            }
        },
    );
}

#[test]
fn sync_method_with_on_when_and_budget() {
    check(
        "sync_method",
        quote!(
            max_attempts = 5,
            delay = "50ms",
            max_elapsed = "2s",
            on = [Timeout, Io(_)],
            when = StoreError::is_transient
        ),
        quote! {
            fn fetch(&mut self, key: &str) -> Result<String, StoreError> {
                self.calls += 1;
                self.lookup(key)
            }
        },
    );
}

#[test]
fn async_method_with_timeout_and_hook() {
    check(
        "async_method",
        quote!(
            jitter = "decorrelated",
            attempt_timeout = "1s",
            on_retry = log_retry,
            name = "store.fetch"
        ),
        quote! {
            async fn fetch(&self, key: &str) -> Result<Bytes, StoreError> {
                self.client.get(key).await
            }
        },
    );
}

#[test]
fn async_fn_with_named_policy() {
    check(
        "async_named_policy",
        quote!(policy = crate::policies::NETWORK),
        quote! {
            async fn fetch(key: &str) -> Result<Bytes, StoreError> {
                get(key).await
            }
        },
    );
}

#[test]
fn sync_fn_with_named_policy_and_impl_trait() {
    check(
        "sync_named_policy",
        quote!(policy = NETWORK, crate = my_reexport::retry),
        quote! {
            fn render(value: impl Display) -> Result<impl Display, FormatError> {
                format(value)
            }
        },
    );
}

#[test]
fn async_trait_method() {
    check(
        "async_trait_method",
        quote!(max_attempts = 2),
        quote! {
            fn call<'life0, 'life1, 'async_trait>(
                &'life0 mut self,
                key: &'life1 str,
            ) -> ::core::pin::Pin<Box<dyn ::core::future::Future<Output = Result<String, Flaky>> + ::core::marker::Send + 'async_trait>>
            where
                'life0: 'async_trait,
                'life1: 'async_trait,
                Self: 'async_trait,
            {
                Box::pin(async move {
                    let __self = self;
                    let key = key;
                    let __ret: Result<String, Flaky> = {
                        __self.calls += 1;
                        Ok(key.to_owned())
                    };
                    #[allow(unreachable_code)]
                    __ret
                })
            }
        },
    );
}

#[test]
fn rejected_input_keeps_the_original_item() {
    check(
        "rejected",
        quote!(max_attempts = 0),
        quote! {
            fn fetch() -> Result<(), StoreError> {
                Ok(())
            }
        },
    );
}

#[test]
fn breaker_on_a_sync_method_with_on_and_fallback() {
    check_breaker(
        "breaker_sync_method",
        quote!(
            name = "db",
            failure_threshold = 5,
            open_for = "30s",
            on = [Unavailable],
            fallback = Self::from_cache
        ),
        quote! {
            fn query(&self, sql: &str) -> Result<Rows, DbError> {
                self.pool.run(sql)
            }
        },
    );
}

#[test]
fn breaker_on_an_async_fn_with_rates() {
    check_breaker(
        "breaker_async_rates",
        quote!(
            name = "payments",
            failure_rate = 0.5,
            window = 20,
            min_calls = 10,
            slow_call = "2s"
        ),
        quote! {
            async fn charge(card: &Card) -> Result<Receipt, PaymentError> {
                gateway().charge(card).await
            }
        },
    );
}

#[test]
fn breaker_outside_retry() {
    check_breaker(
        "stacked_breaker_outside",
        quote!(name = "db"),
        quote! {
            #[retry(max_attempts = 3)]
            fn query(sql: &str) -> Result<Rows, DbError> {
                run(sql)
            }
        },
    );
}

#[test]
fn breaker_inside_retry() {
    check(
        "stacked_breaker_inside",
        quote!(max_attempts = 3),
        quote! {
            #[circuit_breaker(name = "db")]
            async fn query(sql: &str) -> Result<Rows, DbError> {
                run(sql).await
            }
        },
    );
}

fn check_strategy(
    name: &str,
    strategy: crate::strategy::Strategy,
    args: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) {
    check_expansion(name, crate::stack::expand(strategy, args, item));
}

#[test]
fn bulkhead_on_a_sync_method() {
    check_strategy(
        "bulkhead_sync_method",
        crate::strategy::Strategy::of::<crate::bulkhead::Bulkhead>(),
        quote!(name = "db", max_concurrent = 10, max_wait = "50ms"),
        quote! {
            fn query(&self, sql: &str) -> Result<Rows, DbError> {
                self.pool.run(sql)
            }
        },
    );
}

#[test]
fn bulkhead_on_an_async_fn_without_waiting() {
    check_strategy(
        "bulkhead_async_no_wait",
        crate::strategy::Strategy::of::<crate::bulkhead::Bulkhead>(),
        quote!(name = "db", max_concurrent = 10),
        quote! {
            async fn query(sql: &str) -> Result<Rows, DbError> {
                run(sql).await
            }
        },
    );
}

#[test]
fn adaptive_limit_on_a_sync_method() {
    check_strategy(
        "adaptive_limit_sync_method",
        crate::strategy::Strategy::of::<crate::adaptive_limit::AdaptiveLimit>(),
        quote!(name = "db", algorithm = "gradient2", max_limit = 500),
        quote! {
            fn query(&self, sql: &str) -> Result<Rows, DbError> {
                self.pool.run(sql)
            }
        },
    );
}

#[test]
fn adaptive_limit_on_an_async_fn_over_a_bulkhead() {
    check_strategy(
        "adaptive_limit_async_over_bulkhead",
        crate::strategy::Strategy::of::<crate::adaptive_limit::AdaptiveLimit>(),
        quote!(name = "db", max_wait = "50ms"),
        quote! {
            #[bulkhead(name = "db", max_concurrent = 10)]
            async fn query(sql: &str) -> Result<Rows, DbError> {
                run(sql).await
            }
        },
    );
}

#[test]
fn rate_limit_on_an_async_method_with_max_wait() {
    check_strategy(
        "rate_limit_async_method",
        crate::strategy::Strategy::of::<crate::rate_limit::RateLimit>(),
        quote!(name = "api", per_second = 100, burst = 20, max_wait = "1s"),
        quote! {
            async fn fetch(&mut self, path: &str) -> Result<Bytes, ApiError> {
                self.client.get(path).await
            }
        },
    );
}

#[test]
fn rate_limit_on_a_sync_fn() {
    check_strategy(
        "rate_limit_sync_fn",
        crate::strategy::Strategy::of::<crate::rate_limit::RateLimit>(),
        quote!(
            name = "api",
            per_second = 100,
            crate = my_reexport::retry_runtime
        ),
        quote! {
            fn fetch(path: &str) -> Result<Bytes, ApiError> {
                get(path)
            }
        },
    );
}

#[test]
fn the_recommended_stack() {
    check(
        "stacked_recommended",
        quote!(max_attempts = 3),
        quote! {
            #[circuit_breaker(name = "db")]
            #[rate_limit(name = "db", per_second = 100, max_wait = "50ms")]
            #[bulkhead(name = "db", max_concurrent = 10, max_wait = "50ms")]
            #[hedge(after = "p95", max_hedges = 2)]
            async fn query(sql: &str) -> Result<Rows, DbError> {
                run(sql).await
            }
        },
    );
}

#[test]
fn hedge_on_an_async_method_with_on_and_budget() {
    check_strategy(
        "hedge_async_method",
        crate::strategy::Strategy::of::<crate::hedge::Hedge>(),
        quote!(
            after = "50ms",
            max_hedges = 2,
            on = [Timeout],
            budget = "api"
        ),
        quote! {
            async fn search(&self, query: &str) -> Result<Hits, SearchError> {
                self.replicas.search(query).await
            }
        },
    );
}

#[test]
fn chaos_on_a_sync_method_and_an_async_fn() {
    check_strategy(
        "chaos_sync_method",
        crate::strategy::Strategy::of::<crate::chaos::Chaos>(),
        quote!(name = "store"),
        quote! {
            fn get(&self, key: &str) -> Result<Value, StoreError> {
                self.map.get(key)
            }
        },
    );
    check_strategy(
        "chaos_async_fn",
        crate::strategy::Strategy::of::<crate::chaos::Chaos>(),
        quote!(name = "store", crate = my_reexport::retry_runtime),
        quote! {
            async fn get(key: &str) -> Result<Value, StoreError> {
                fetch(key).await
            }
        },
    );
}

#[test]
fn throttle_on_a_sync_fn_with_defaults() {
    check_strategy(
        "throttle_sync_fn",
        crate::strategy::Strategy::of::<crate::throttle::Throttle>(),
        quote!(name = "search"),
        quote! {
            fn search(query: &str) -> Result<Hits, SearchError> {
                lookup(query)
            }
        },
    );
}

#[test]
fn throttle_on_an_async_method_with_on_and_on_result_over_a_bulkhead() {
    check_strategy(
        "throttle_async_method",
        crate::strategy::Strategy::of::<crate::throttle::Throttle>(),
        quote!(
            name = "search",
            k = 1.5,
            window = "1m",
            on = [Overloaded],
            on_result = is_unavailable
        ),
        quote! {
            #[bulkhead(name = "search", max_concurrent = 10)]
            async fn search(&self, query: &str) -> Result<Response, SearchError> {
                self.client.get(query).await
            }
        },
    );
}
