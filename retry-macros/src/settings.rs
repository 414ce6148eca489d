//! The keys of the settings model (`retry_settings::RETRY_KEYS` and `BREAKER_KEYS`) as both
//! attributes handle them: each value parsed by its key's kind, set on the model's builder
//! through the table, and checked by that builder's own checks, every error put on the key that
//! caused it; then quoted back as the same builder calls, so the expansion builds exactly the
//! value that was validated. A key added to the table needs nothing here.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::parse::ParseStream;
use syn::{Expr, Ident, Lit, LitInt, LitStr};

use retry_settings::{
    BACKOFF_NAMES, Backoff, JITTER_NAMES, Jitter, Key, Kind, Value, backoff_named, duration, find,
    jitter_named,
};

use crate::errors::Errors;
use crate::keys::{
    Arg, example_for, parse_duration_literal, parse_int, parse_path_like, parse_string,
};

/// A model key's value as written.
pub(crate) enum Literal {
    /// A count: `max_attempts = 3`.
    Int(LitInt),
    /// A number, whole or not: `factor = 1.5`.
    Number(Lit),
    /// A duration or a name: `delay = "100ms"`, `jitter = "full"`.
    Text(LitStr),
    /// A custom backoff: `backoff = my_backoff`.
    Path(Expr),
}

impl ToTokens for Literal {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Literal::Int(literal) => literal.to_tokens(tokens),
            Literal::Number(literal) => literal.to_tokens(tokens),
            Literal::Text(literal) => literal.to_tokens(tokens),
            Literal::Path(path) => path.to_tokens(tokens),
        }
    }
}

/// The model keys one attribute writes, in the order written.
#[derive(Default)]
pub(crate) struct Written {
    entries: Vec<Arg<Literal>>,
}

impl Written {
    /// Parses the value of `key`, a key of the model, by its kind.
    pub(crate) fn parse<B>(
        &mut self,
        key: Ident,
        model: &Key<B>,
        input: ParseStream,
    ) -> syn::Result<()> {
        let name = model.name;
        let literal = match model.kind {
            // A name or a duration (`window = "10s"`), or else a path or a count.
            Kind::Backoff { .. } | Kind::CountOrDuration { .. } if input.peek(LitStr) => {
                Literal::Text(input.parse()?)
            }
            Kind::Count { .. } | Kind::CountOrDuration { .. } => {
                Literal::Int(parse_int(input, name)?)
            }
            Kind::Number { .. } => Literal::Number(parse_number(input, model)?),
            Kind::Duration { .. } => Literal::Text(parse_duration_literal(input, name)?),
            Kind::Backoff { .. } => Literal::Path(parse_path_like(input, name)?),
            Kind::Jitter { .. } => Literal::Text(parse_string(input, name)?),
        };
        if self.get(name).is_some() {
            return Err(syn::Error::new(
                key.span(),
                format!("`{key}` is given twice; keep one of them"),
            ));
        }
        self.entries.push(Arg {
            key,
            value: literal,
        });
        Ok(())
    }

    /// The entry of key `name`, if written.
    pub(crate) fn get(&self, name: &str) -> Option<&Arg<Literal>> {
        self.entries.iter().find(|entry| entry.key == name)
    }

    /// The keys written, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &Ident> {
        self.entries.iter().map(|entry| &entry.key)
    }

    /// Where each key was written, for errors about the attribute as a whole.
    fn position(&self, name: &str) -> usize {
        self.entries
            .iter()
            .position(|entry| entry.key == name)
            .unwrap_or(usize::MAX)
    }
}

/// `key = 0.5` or `key = 2`.
fn parse_number<B>(input: ParseStream, model: &Key<B>) -> syn::Result<Lit> {
    let name = model.name;
    match input.parse::<Lit>() {
        Ok(literal @ (Lit::Int(_) | Lit::Float(_))) => Ok(literal),
        // A number in quotes: the fix is to drop them.
        Ok(Lit::Str(text)) if text.value().trim().parse::<f64>().is_ok() => Err(syn::Error::new(
            text.span(),
            format!(
                "`{name}` is a number, not a string: write `{name} = {}`",
                text.value().trim()
            ),
        )),
        found => Err(syn::Error::new(
            found.map_or_else(|_| input.span(), |literal| literal.span()),
            format!("`{name}` is {}: {}", model.kind.rule(), example_for(name)),
        )),
    }
}

/// The model keys of one attribute, read into values and set on a builder of type `B`; the
/// errors of each key are kept until [`finish`](Self::finish), which reports them in the order
/// the keys were written.
pub(crate) struct Settings<'a, B: 'static> {
    table: &'static [Key<B>],
    written: &'a Written,
    /// The value of each key read or implied, in table order.
    values: Vec<(&'static Key<B>, Value)>,
    /// Keys with an error of their own: the builder's errors about them are left out, and
    /// they are not set.
    failed: Vec<&'static str>,
    /// Errors, with the position of the key they are about.
    pending: Vec<(usize, syn::Error)>,
}

impl<'a, B: Copy> Settings<'a, B> {
    /// Every written key's value, read by its kind; a value that cannot be read (a duration
    /// without a unit, an unknown jitter) is an error at its literal.
    pub(crate) fn read(table: &'static [Key<B>], written: &'a Written) -> Self {
        let mut settings = Settings {
            table,
            written,
            values: Vec::new(),
            failed: Vec::new(),
            pending: Vec::new(),
        };
        for key in table {
            let Some(entry) = written.get(key.name) else {
                continue;
            };
            match value_of(key, &entry.value) {
                Ok(value) => settings.values.push((key, value)),
                Err(message) => settings.fail_at(key.name, &entry.value, message),
            }
        }
        settings
    }

    /// The value read or implied for `name`.
    pub(crate) fn value(&self, name: &str) -> Option<Value> {
        self.values
            .iter()
            .find(|(key, _)| key.name == name)
            .map(|(_, value)| *value)
    }

    /// The entry of `name`, if written.
    pub(crate) fn written(&self, name: &str) -> Option<&'a Arg<Literal>> {
        self.written.get(name)
    }

    /// Sets a key the user did not write, as a rule of the attribute implies it.
    pub(crate) fn imply(&mut self, name: &str, value: Value) {
        let key = find(self.table, name).expect("a key of the model");
        self.values.retain(|(set, _)| set.name != name);
        let position = self
            .values
            .iter()
            .position(|(set, _)| self.index(set.name) > self.index(name))
            .unwrap_or(self.values.len());
        self.values.insert(position, (key, value));
    }

    /// An error about key `name`, at `tokens`; the key is then left unset.
    pub(crate) fn fail_at(
        &mut self,
        name: &'static str,
        tokens: impl ToTokens,
        message: impl std::fmt::Display,
    ) {
        self.failed.push(name);
        self.error_at(name, tokens, message);
    }

    /// An error about how key `name` is used, at `tokens`; its value is still checked.
    pub(crate) fn error_at(
        &mut self,
        name: &str,
        tokens: impl ToTokens,
        message: impl std::fmt::Display,
    ) {
        self.pending.push((
            self.written.position(name),
            syn::Error::new_spanned(tokens, message),
        ));
    }

    /// `start` with every key set that was read without an error, in table order.
    pub(crate) fn builder(&self, start: B) -> B {
        self.values
            .iter()
            .filter(|(key, _)| !self.failed.contains(&key.name))
            .fold(start, |builder, (key, value)| {
                key.apply(builder, *value)
                    .expect("values are read by their key's kind")
            })
    }

    /// One of the builder's errors, about the keys `fields` (the one to change first): put on
    /// the first of them that was written, at its value (or at the key itself when `at_key`),
    /// unless one of them has an error already, which this one would only repeat.
    pub(crate) fn report(
        &mut self,
        fields: &[&'static str],
        message: impl std::fmt::Display,
        at_key: bool,
    ) {
        if fields.iter().any(|field| self.failed.contains(field)) {
            return;
        }
        let Some((name, entry)) = fields
            .iter()
            .find_map(|field| self.written.get(field).map(|entry| (*field, entry)))
        else {
            // Only defaults and implied values are involved, which are valid together.
            self.pending
                .push((usize::MAX, syn::Error::new(Span::call_site(), message)));
            return;
        };
        if at_key {
            self.fail_at(name, &entry.key, message);
        } else {
            self.fail_at(name, &entry.value, message);
        }
    }

    /// The table's bounds that a builder does not check itself (a zero `slow_call`), for the
    /// keys without an error yet.
    pub(crate) fn check_bounds(&mut self) {
        let outside: Vec<(&'static Key<B>, Value)> = self
            .values
            .iter()
            .filter(|(key, value)| !self.failed.contains(&key.name) && !key.kind.admits(*value))
            .copied()
            .collect();
        for (key, value) in outside {
            let Some(entry) = self.written.get(key.name) else {
                continue;
            };
            let message = match value {
                Value::Duration(duration) if duration.is_zero() => format!(
                    "`{}` is zero; give a positive duration such as {}",
                    key.name,
                    example_for(key.name)
                ),
                value => format!(
                    "`{} = {value}` is out of range: {}",
                    key.name,
                    key.kind.rule()
                ),
            };
            self.fail_at(key.name, &entry.value, message);
        }
    }

    /// Reports every error, in the order the keys were written; the keys set, in table order,
    /// when there was none.
    pub(crate) fn finish(mut self, errors: &mut Errors) -> Option<Vec<(&'static str, Value)>> {
        self.pending.sort_by_key(|(position, _)| *position);
        let clean = self.pending.is_empty();
        for (_, error) in self.pending {
            errors.push(error);
        }
        clean.then(|| {
            self.values
                .into_iter()
                .map(|(key, value)| (key.name, value))
                .collect()
        })
    }

    fn index(&self, name: &str) -> usize {
        self.table
            .iter()
            .position(|key| key.name == name)
            .unwrap_or(usize::MAX)
    }
}

/// The value `literal` writes for `key`, or what is wrong with it.
fn value_of<B>(key: &Key<B>, literal: &Literal) -> Result<Value, String> {
    let name = key.name;
    match (&key.kind, literal) {
        (Kind::Count { .. } | Kind::CountOrDuration { .. }, Literal::Int(int)) => {
            int.base10_parse::<u32>().map_or_else(
                |_| {
                    Err(format!(
                        "`{name} = {}` is out of range: {}",
                        int.base10_digits(),
                        key.kind.rule()
                    ))
                },
                |count| Ok(Value::Count(count)),
            )
        }
        (Kind::Number { .. }, Literal::Number(number)) => {
            let parsed = match number {
                Lit::Int(int) => int.base10_parse::<f64>(),
                Lit::Float(float) => float.base10_parse::<f64>(),
                _ => unreachable!("only number literals are parsed for numbers"),
            };
            parsed
                .map(Value::Number)
                .map_err(|error| format!("invalid `{name}`: {error}"))
        }
        (Kind::Duration { .. } | Kind::CountOrDuration { .. }, Literal::Text(text)) => {
            duration::parse(&text.value())
                .map(Value::Duration)
                .map_err(|reason| format!("invalid `{name}`: {reason}"))
        }
        (Kind::Backoff { .. }, Literal::Text(text)) => {
            let written = text.value();
            backoff_named(&written).map(Value::Backoff).ok_or_else(|| {
                format!(
                    "unknown backoff \"{written}\"{}; use one of {}, or a path to a `fn(u32, Duration) -> Duration`",
                    suggestion(&written, BACKOFF_NAMES),
                    quoted_names(BACKOFF_NAMES)
                )
            })
        }
        // Its fn is only known to rustc: the model checks the rest of the policy with a stand-in.
        (Kind::Backoff { .. }, Literal::Path(_)) => Ok(Value::Backoff(Backoff::Custom(stand_in))),
        (Kind::Jitter { .. }, Literal::Text(text)) => {
            let written = text.value();
            jitter_named(&written).map(Value::Jitter).ok_or_else(|| {
                format!(
                    "unknown jitter \"{written}\"{}; use one of {}",
                    suggestion(&written, JITTER_NAMES),
                    quoted_names(JITTER_NAMES)
                )
            })
        }
        _ => unreachable!("`Written::parse` reads each key by its kind"),
    }
}

/// The stand-in for a custom backoff's fn while validating.
fn stand_in(_: u32, delay: std::time::Duration) -> std::time::Duration {
    delay
}

fn quoted_names<T>(table: &[(&str, T)]) -> String {
    table
        .iter()
        .map(|(name, _)| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` (did you mean "full"?)` for a name that starts like a known one.
fn suggestion<T>(written: &str, table: &[(&str, T)]) -> String {
    let lowered = written.to_lowercase();
    table
        .iter()
        .map(|(name, _)| *name)
        .find(|candidate| {
            lowered.starts_with(&candidate[..3.min(candidate.len())])
                || candidate.starts_with(&lowered)
        })
        .map(|candidate| format!(" (did you mean \"{candidate}\"?)"))
        .unwrap_or_default()
}

/// The builder calls that set `values` on `builder` (a `const` expression), then `build_const`;
/// a custom backoff is `custom_backoff`.
pub(crate) fn builder_calls(
    private: &TokenStream,
    builder: &TokenStream,
    values: &[(&'static str, Value)],
    custom_backoff: Option<&Expr>,
) -> TokenStream {
    let calls = values.iter().map(|(name, value)| {
        let method = Ident::new(name, Span::call_site());
        let value = value_tokens(private, *value, custom_backoff);
        quote!(.#method(#value))
    });
    quote! {
        #builder
            #(#calls)*
            .build_const()
    }
}

/// `value` as a constant expression of the runtime's types.
fn value_tokens(private: &TokenStream, value: Value, custom_backoff: Option<&Expr>) -> TokenStream {
    match value {
        Value::Count(count) => quote!(#count),
        Value::Number(number) => quote!(#number),
        // Durations are bounded to u64 nanoseconds by the grammar.
        Value::Duration(duration) => {
            let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
            quote!(#private::Duration::from_nanos(#nanos))
        }
        Value::Backoff(backoff) => {
            let variant = match backoff {
                Backoff::Fixed => quote!(Fixed),
                Backoff::Linear => quote!(Linear),
                Backoff::Fibonacci => quote!(Fibonacci),
                Backoff::Exponential { factor } => quote!(Exponential { factor: #factor }),
                Backoff::Custom(_) => {
                    let path = custom_backoff.expect("a custom backoff is written as a path");
                    quote!(Custom(#path))
                }
            };
            quote!(#private::Backoff::#variant)
        }
        Value::Jitter(jitter) => {
            let variant = match jitter {
                Jitter::None => quote!(None),
                Jitter::Full => quote!(Full),
                Jitter::Equal => quote!(Equal),
                Jitter::Decorrelated => quote!(Decorrelated),
            };
            quote!(#private::Jitter::#variant)
        }
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;
    use retry_settings::{BREAKER_KEYS, RETRY_KEYS};

    use crate::{breaker_attribute, retry_attribute};

    fn expanded(output: &TokenStream) -> String {
        let text = output.to_string();
        assert!(!text.contains("compile_error"), "{text}");
        text
    }

    /// A key added to the model's table is parsed, validated and quoted by both attributes
    /// with no code of its own here: each example expands to a call of its builder method.
    #[test]
    fn every_key_of_the_model_reaches_the_runtimes_builder() {
        let item = quote!(
            fn fetch() -> Result<(), String> {
                Ok(())
            }
        );
        for key in RETRY_KEYS {
            let example: TokenStream = key.example.parse().unwrap();
            let text = expanded(&retry_attribute(quote!(#example), quote!(async #item)));
            let method = if key.name == "factor" {
                "backoff"
            } else {
                key.name
            };
            assert!(
                text.contains(&format!(". {method} (")),
                "{}: {text}",
                key.name
            );
        }
        for key in BREAKER_KEYS {
            // Rates, so that every key applies; the key itself as its example says.
            let arguments: TokenStream =
                ["name = \"db\"", "failure_rate = 0.5", "slow_call = \"1s\""]
                    .into_iter()
                    .filter(|other| !other.starts_with(&format!("{} ", key.name)))
                    .chain([key.example])
                    .collect::<Vec<_>>()
                    .join(", ")
                    .parse()
                    .unwrap();
            let text = expanded(&breaker_attribute(arguments, item.clone()));
            assert!(
                text.contains(&format!(". {} (", key.name)),
                "{}: {text}",
                key.name
            );
        }
    }

    /// The messages of the `compile_error!`s in `output`, in order.
    fn messages(output: &TokenStream) -> Vec<String> {
        let text = output.to_string();
        text.split("compile_error ! {")
            .skip(1)
            .map(|rest| {
                let quoted = &rest[rest.find('"').unwrap() + 1..];
                quoted[..quoted.find("\" }").unwrap()].replace("\\\"", "\"")
            })
            .collect()
    }

    fn breaker(arguments: TokenStream) -> Vec<String> {
        messages(&breaker_attribute(
            arguments,
            quote!(
                fn query() -> Result<(), String> {
                    Ok(())
                }
            ),
        ))
    }

    fn retry(arguments: TokenStream) -> Vec<String> {
        messages(&retry_attribute(
            arguments,
            quote!(
                fn fetch() -> Result<(), String> {
                    Ok(())
                }
            ),
        ))
    }

    #[test]
    fn a_bound_only_the_table_sets_is_checked_too() {
        assert_eq!(
            breaker(quote!(name = "db", slow_call = "0s")),
            ["`slow_call` is zero; give a positive duration such as `slow_call = \"2s\"`"]
        );
    }

    #[test]
    fn a_check_across_keys_meets_the_default_of_the_other() {
        assert_eq!(
            breaker(quote!(name = "db", failure_rate = 0.5, min_calls = 200)),
            [
                "`min_calls = 200` is above `window = 100`, so rates would never be evaluated; lower `min_calls`"
            ]
        );
        assert_eq!(
            retry(quote!(max_delay = "50ms")),
            ["`max_delay` (50ms) is below `delay` (100ms); raise `max_delay` or lower `delay`"]
        );
    }

    #[test]
    fn a_bad_value_is_reported_once_not_again_by_the_checks_it_breaks() {
        // `window = 0` also leaves `min_calls` no valid value: one error, at `window`.
        assert_eq!(
            breaker(quote!(name = "db", failure_rate = 0.5, window = 0)),
            ["`window = 0` is out of range: a whole number from 1 to 1048576"]
        );
        // An unreadable `delay` is not compared with `max_delay`.
        assert_eq!(
            retry(quote!(delay = "soon", max_delay = "1ms")),
            [
                "invalid `delay`: expected a number at `soon` in \"soon\"; write durations like \"250ms\" or \"1m30s\""
            ]
        );
    }

    #[test]
    fn errors_come_in_the_order_the_keys_are_written() {
        assert_eq!(
            retry(quote!(jitter = "random", max_attempts = 0, factor = 0.5)),
            [
                "unknown jitter \"random\"; use one of \"full\", \"equal\", \"decorrelated\", \"none\"",
                "`max_attempts = 0` would never run the fn: it counts the first attempt; use `max_attempts = 1` to never retry",
                "`factor = 0.5` would make delays shrink; use a factor of at least 1 (`factor = 2` doubles each delay)",
            ]
        );
    }

    #[test]
    fn counts_beyond_a_u32_name_the_value_and_the_range() {
        assert_eq!(
            breaker(quote!(name = "db", failure_rate = 0.5, window = 5000000000)),
            [
                "`window = 5000000000` is out of range: a whole number from 1 to 1048576, or a duration of at least 10ns"
            ]
        );
    }
}
