//! The public API, checked in as a listing (`public-api.txt`): every `pub` item of
//! `retry-runtime` and `retry-settings` with its signature, one line each, sorted, by the module
//! it is declared in. A change to the public surface changes this listing, so it shows up as a
//! reviewed diff rather than slipping through (spec section 1). After a deliberate change:
//!
//! ```text
//! UPDATE_PUBLIC_API=1 cargo test --test test_public_api
//! ```
//!
//! and list the change in the README's changelog. `__private` (what expansions call, with no
//! stability promise) and `#[cfg(test)]` code are left out. Read from the source with `syn`
//! (stable Rust, no rustdoc JSON); a re-export is listed as the `pub use` that makes it.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use syn::visit_mut::VisitMut;
use syn::{Attribute, Block, File, ImplItem, Item, Visibility};

const LISTING: &str = "public-api.txt";

#[test]
fn the_public_api_matches_the_checked_in_listing() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut lines = BTreeSet::new();
    for (krate, source) in [
        ("retry_runtime", "retry-runtime/src"),
        ("retry_settings", "retry-settings/src"),
    ] {
        let source = root.join(source);
        list_file(&source.join("lib.rs"), &source, krate, &mut lines);
    }
    let listing: String = lines.into_iter().map(|line| line + "\n").collect();
    let path = root.join(LISTING);
    if std::env::var_os("UPDATE_PUBLIC_API").is_some() {
        fs::write(&path, &listing).unwrap();
        return;
    }
    let checked_in = fs::read_to_string(&path).unwrap_or_default();
    if checked_in != listing {
        let old: BTreeSet<&str> = checked_in.lines().collect();
        let new: BTreeSet<&str> = listing.lines().collect();
        let removed: Vec<&&str> = old.difference(&new).collect();
        let added: Vec<&&str> = new.difference(&old).collect();
        panic!(
            "the public API changed; if that is deliberate, run `UPDATE_PUBLIC_API=1 cargo test --test test_public_api` and list the change in the README's changelog\nremoved:\n{}\nadded:\n{}",
            removed
                .iter()
                .map(|line| format!("  - {line}\n"))
                .collect::<String>(),
            added
                .iter()
                .map(|line| format!("  + {line}\n"))
                .collect::<String>(),
        );
    }
}

/// Lists the file `path`, the module `module` of a crate whose sources are under `source`.
fn list_file(path: &Path, source: &Path, module: &str, lines: &mut BTreeSet<String>) {
    let text =
        fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let file: File =
        syn::parse_file(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let directory = if path
        .file_name()
        .is_some_and(|name| name == "lib.rs" || name == "mod.rs")
    {
        path.parent().unwrap().to_path_buf()
    } else {
        path.with_extension("")
    };
    list_items(&file.items, &directory, source, module, lines);
}

fn list_items(
    items: &[Item],
    directory: &Path,
    source: &Path,
    module: &str,
    lines: &mut BTreeSet<String>,
) {
    for item in items {
        if is_test_only(item_attrs(item)) {
            continue;
        }
        match item {
            Item::Mod(declared) => {
                let name = declared.ident.to_string();
                if name == "__private" {
                    continue;
                }
                let child = format!("{module}::{name}");
                match &declared.content {
                    Some((_, inner)) => {
                        list_items(inner, &directory.join(&name), source, &child, lines);
                    }
                    None => {
                        let file = path_attribute(&declared.attrs)
                            .map(|path| directory.join(path))
                            .or_else(|| {
                                let flat = directory.join(format!("{name}.rs"));
                                flat.exists().then_some(flat)
                            })
                            .unwrap_or_else(|| directory.join(&name).join("mod.rs"));
                        if file.ends_with("private.rs") {
                            continue;
                        }
                        list_file(&file, source, &child, lines);
                    }
                }
            }
            Item::Impl(implementation) => {
                if let Some(line) = impl_line(implementation) {
                    lines.insert(format!("{module}: {line}"));
                }
            }
            Item::Macro(declared) => {
                let exported = declared
                    .attrs
                    .iter()
                    .any(|attr| attr.path().is_ident("macro_export"));
                if exported && !is_hidden(&declared.attrs) {
                    let name = declared
                        .ident
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    lines.insert(format!("{module}: macro_rules! {name}"));
                }
            }
            _ => {
                if !is_public(item) {
                    continue;
                }
                let mut item = item.clone();
                Strip.visit_item_mut(&mut item);
                lines.insert(format!("{module}: {}", render(item)));
            }
        }
    }
}

/// An inherent impl's public fns, or a trait impl's header, for types that are public.
fn impl_line(implementation: &syn::ItemImpl) -> Option<String> {
    let mut implementation = implementation.clone();
    if is_hidden(&implementation.attrs) {
        return None;
    }
    if implementation.trait_.is_none() {
        implementation.items.retain(|item| match item {
            ImplItem::Fn(function) => {
                matches!(function.vis, Visibility::Public(_)) && !is_hidden(&function.attrs)
            }
            ImplItem::Const(constant) => matches!(constant.vis, Visibility::Public(_)),
            _ => false,
        });
        if implementation.items.is_empty() {
            return None;
        }
    } else {
        implementation.items.clear();
    }
    let mut item = Item::Impl(implementation);
    Strip.visit_item_mut(&mut item);
    Some(render(item))
}

fn render(item: Item) -> String {
    let mut file: File = syn::parse_quote!();
    file.items.push(item);
    let text = prettyplease::unparse(&file);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_public(item: &Item) -> bool {
    let visibility = match item {
        Item::Const(item) => &item.vis,
        Item::Enum(item) => &item.vis,
        Item::Fn(item) => &item.vis,
        Item::Static(item) => &item.vis,
        Item::Struct(item) => &item.vis,
        Item::Trait(item) => &item.vis,
        Item::Type(item) => &item.vis,
        Item::Use(item) => &item.vis,
        Item::Union(item) => &item.vis,
        _ => return false,
    };
    matches!(visibility, Visibility::Public(_)) && !is_hidden(item_attrs(item))
}

fn item_attrs(item: &Item) -> &[Attribute] {
    match item {
        Item::Const(item) => &item.attrs,
        Item::Enum(item) => &item.attrs,
        Item::Fn(item) => &item.attrs,
        Item::Impl(item) => &item.attrs,
        Item::Macro(item) => &item.attrs,
        Item::Mod(item) => &item.attrs,
        Item::Static(item) => &item.attrs,
        Item::Struct(item) => &item.attrs,
        Item::Trait(item) => &item.attrs,
        Item::Type(item) => &item.attrs,
        Item::Use(item) => &item.attrs,
        _ => &[],
    }
}

fn is_test_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Meta>()
                .is_ok_and(|meta| meta.path().is_ident("test") || meta.path().is_ident("loom"))
    })
}

fn is_hidden(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("doc")
            && attr
                .parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "hidden")
    })
}

fn path_attribute(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| match &attr.meta {
        syn::Meta::NameValue(pair) if pair.path.is_ident("path") => match &pair.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(path),
                ..
            }) => Some(path.value()),
            _ => None,
        },
        _ => None,
    })
}

/// Keeps what is API: signatures, public fields, variants, `cfg` and `non_exhaustive`; drops
/// bodies, docs, private fields and other attributes.
struct Strip;

fn keep_attributes(attrs: &mut Vec<Attribute>) {
    attrs.retain(|attr| attr.path().is_ident("cfg") || attr.path().is_ident("non_exhaustive"));
}

/// Each visit of a node that carries attributes keeps only the ones that are API.
macro_rules! strip_attributes {
    ($($visit:ident($node:ty)),* $(,)?) => {
        $(
            fn $visit(&mut self, node: &mut $node) {
                keep_attributes(&mut node.attrs);
                syn::visit_mut::$visit(self, node);
            }
        )*
    };
}

impl VisitMut for Strip {
    strip_attributes!(
        visit_item_const_mut(syn::ItemConst),
        visit_item_enum_mut(syn::ItemEnum),
        visit_item_fn_mut(syn::ItemFn),
        visit_item_impl_mut(syn::ItemImpl),
        visit_item_static_mut(syn::ItemStatic),
        visit_item_trait_mut(syn::ItemTrait),
        visit_item_type_mut(syn::ItemType),
        visit_item_use_mut(syn::ItemUse),
        visit_field_mut(syn::Field),
        visit_variant_mut(syn::Variant),
        visit_impl_item_fn_mut(syn::ImplItemFn),
        visit_impl_item_const_mut(syn::ImplItemConst),
        visit_impl_item_type_mut(syn::ImplItemType),
        visit_trait_item_fn_mut(syn::TraitItemFn),
        visit_trait_item_const_mut(syn::TraitItemConst),
        visit_trait_item_type_mut(syn::TraitItemType),
    );

    fn visit_block_mut(&mut self, block: &mut Block) {
        block.stmts.clear();
    }

    fn visit_item_struct_mut(&mut self, node: &mut syn::ItemStruct) {
        keep_attributes(&mut node.attrs);
        // A struct's private fields are not API; a variant's fields are as public as its enum.
        match &mut node.fields {
            syn::Fields::Named(fields) => {
                fields.named = std::mem::take(&mut fields.named)
                    .into_pairs()
                    .map(syn::punctuated::Pair::into_value)
                    .filter(|field| matches!(field.vis, Visibility::Public(_)))
                    .collect();
            }
            syn::Fields::Unnamed(fields) => {
                for field in &mut fields.unnamed {
                    if !matches!(field.vis, Visibility::Public(_)) {
                        field.ty = syn::parse_quote!(_);
                    }
                }
            }
            syn::Fields::Unit => {}
        }
        syn::visit_mut::visit_item_struct_mut(self, node);
    }
}
