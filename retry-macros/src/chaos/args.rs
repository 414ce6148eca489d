//! The arguments of `#[chaos(...)]`, parsed into typed values.

use proc_macro2::TokenStream;
use syn::parse::ParseStream;
use syn::{Ident, LitStr, Path};

use crate::errors::Errors;
use crate::keys::{Arg, parse_entries, parse_key, parse_string, set};

/// Every key of `#[chaos(...)]`, each at most once. What a site injects is not among them: it is
/// configured at run time, by name.
#[derive(Default)]
pub(crate) struct ChaosArgs {
    pub name: Option<Arg<LitStr>>,
    pub krate: Option<Arg<Path>>,
    /// `name` was written, even if its value did not parse (so "needs a name" is not said too).
    pub name_written: bool,
}

const CHAOS_KEYS: &[&str] = &["name", "crate"];

impl ChaosArgs {
    /// Parses every `key = value`, recording each error and resuming at the next comma.
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> ChaosArgs {
        let mut args = ChaosArgs::default();
        parse_entries(tokens, errors, |input| args.parse_entry(input));
        args
    }

    fn parse_entry(&mut self, input: ParseStream) -> syn::Result<()> {
        if let Ok(key) = input.fork().call(<Ident as syn::ext::IdentExt>::parse_any)
            && retry_settings::CHAOS_KEYS.contains(&key.to_string().as_str())
        {
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "`{key}` is not a key of `#[chaos]`: what a site injects is configured by its name, so that it can be switched on without recompiling; set it at run time with `retry_runtime::chaos(\"NAME\").unwrap().configure(..)`, or in a `[chaos.NAME]` config section"
                ),
            ));
        }
        let (key, name) = parse_key(input, CHAOS_KEYS)?;
        match name.as_str() {
            "name" => {
                self.name_written = true;
                set(&mut self.name, key, parse_string(input, "name")?)
            }
            "crate" => set(&mut self.krate, key, input.call(Path::parse_mod_style)?),
            _ => unreachable!("every key of CHAOS_KEYS has an arm"),
        }
    }
}
