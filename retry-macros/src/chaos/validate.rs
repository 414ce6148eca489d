//! Every semantic check of `#[chaos(...)]`: a name that is not empty.

use syn::{LitStr, Path};

use crate::chaos::args::ChaosArgs;
use crate::errors::Errors;
use crate::limits;

/// What `expand` generates from.
pub(crate) struct ChaosPlan {
    pub krate: Path,
    pub name: LitStr,
}

pub(crate) fn validate(args: &ChaosArgs, errors: &mut Errors) -> Option<ChaosPlan> {
    let name = limits::name(
        args.name.as_ref(),
        args.name_written,
        "chaos",
        "chaos point",
        "store",
        errors,
    );
    Some(ChaosPlan {
        krate: args.krate.as_ref().map_or_else(
            || syn::parse_quote!(::retry_runtime),
            |krate| krate.value.clone(),
        ),
        name: name?,
    })
}
