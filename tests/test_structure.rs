//! The shape of the crates, checked: the module graph of the runtime (no cycle between its
//! top-level modules, and the core never importing a feature), and the public API.
//!
//! The public API, checked in as a listing (`public-api.txt`): every `pub` item of
//! `retry-runtime` and `retry-settings` with its signature, one line each, sorted, by the module
//! it is declared in. A change to the public surface changes this listing, so it shows up as a
//! reviewed diff rather than slipping through (spec section 1). After a deliberate change:
//!
//! ```text
//! UPDATE_PUBLIC_API=1 cargo test --test test_structure
//! ```
//!
//! and list the change in the README's changelog. `__private` (what expansions call, with no
//! stability promise) and `#[cfg(test)]` code are left out. Read from the source with `syn`
//! (stable Rust, no rustdoc JSON); a re-export is listed as the `pub use` that makes it.

use std::collections::{BTreeMap, BTreeSet};
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
    let listing: String = public_lines(lines)
        .into_iter()
        .map(|line| line + "\n")
        .collect();
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
            "the public API changed; if that is deliberate, run `UPDATE_PUBLIC_API=1 cargo test --test test_structure` and list the change in the README's changelog\nremoved:\n{}\nadded:\n{}",
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

/// Marks a line naming a public type or a private one, and an impl line with its type's and its
/// trait's names: all taken apart by [`public_lines`].
const PUBLIC_TYPE: char = '\u{1}';
const PRIVATE_TYPE: char = '\u{3}';
const IMPL_OF: char = '\u{2}';

/// The listing, impls of private types left out (a private type's `impl Drop` is no API) unless
/// they implement a public trait; impls for types declared elsewhere are kept.
fn public_lines(lines: BTreeSet<String>) -> BTreeSet<String> {
    let names = |mark: char| -> BTreeSet<String> {
        lines
            .iter()
            .filter_map(|line| line.strip_prefix(mark).map(str::to_owned))
            .collect()
    };
    let (public, private) = (names(PUBLIC_TYPE), names(PRIVATE_TYPE));
    lines
        .into_iter()
        .filter(|line| !line.starts_with(PUBLIC_TYPE) && !line.starts_with(PRIVATE_TYPE))
        .filter_map(|line| match line.strip_prefix(IMPL_OF) {
            None => Some(line),
            Some(rest) => {
                let mut parts = rest.splitn(3, IMPL_OF);
                let (name, implemented, line) = (parts.next()?, parts.next()?, parts.next()?);
                let keep = public.contains(name)
                    || public.contains(implemented)
                    || !private.contains(name);
                keep.then(|| line.to_owned())
            }
        })
        .collect()
}

/// The name a type item declares.
fn type_name(item: &Item) -> Option<String> {
    match item {
        Item::Enum(item) => Some(item.ident.to_string()),
        Item::Struct(item) => Some(item.ident.to_string()),
        Item::Trait(item) => Some(item.ident.to_string()),
        Item::Type(item) => Some(item.ident.to_string()),
        Item::Union(item) => Some(item.ident.to_string()),
        _ => None,
    }
}

/// The last segment of an impl's self type (`Foo` in `impl<T> Trait for a::Foo<T>`); empty for
/// references, tuples and the like, which are then kept.
fn self_type_name(self_ty: &syn::Type) -> String {
    match self_ty {
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .map(|last| last.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
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
                // `__private` and the modules only it re-exports (marked hidden) are what
                // expansions call, with no stability promise.
                if name == "__private" || is_hidden(&declared.attrs) {
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
                // Tagged with its type's and its trait's names: `public_lines` keeps it or not.
                if let Some(line) = impl_line(implementation) {
                    let implemented = implementation
                        .trait_
                        .as_ref()
                        .and_then(|(path, _)| path.segments.last())
                        .map(|last| last.ident.to_string())
                        .unwrap_or_default();
                    let name = self_type_name(&implementation.self_ty);
                    lines.insert(format!(
                        "{IMPL_OF}{name}{IMPL_OF}{implemented}{IMPL_OF}{module}: {line}"
                    ));
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
                    if let Some(name) = type_name(item) {
                        lines.insert(format!("{PRIVATE_TYPE}{name}"));
                    }
                    continue;
                }
                if let Some(name) = type_name(item) {
                    lines.insert(format!("{PUBLIC_TYPE}{name}"));
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

/// The runtime's top-level modules that make up its core: the strategies, their registries,
/// the engine and the event stream. Features register themselves with them; they never import a
/// feature.
const CORE: &[&str] = &[
    "adaptive_limit",
    "breaker",
    "breaker_state",
    "budget",
    "bulkhead",
    "chaos",
    "context",
    "events",
    "failure",
    "hedge",
    "hint",
    "named",
    "rate_limit",
    "retry",
    "rng",
    "scope",
    "sleep",
    "step",
    "throttle",
    "timeout",
];

/// The runtime's optional features, as modules.
const FEATURES: &[&str] = &["config", "persist", "fleet", "tower", "http"];

#[test]
fn the_runtime_modules_form_no_cycle_and_the_core_imports_no_feature() {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("retry-runtime/src");
    let graph = module_graph(&source);
    for module in CORE {
        let imports = &graph[*module];
        let features: Vec<&String> = imports
            .iter()
            .filter(|import| FEATURES.contains(&import.as_str()))
            .collect();
        assert!(
            features.is_empty(),
            "the core module `{module}` imports the features {features:?}"
        );
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the runtime's modules import each other in a cycle: {}",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_settings_files_form_no_cycle_and_the_key_machinery_imports_no_strategy() {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("retry-settings/src");
    let graph = module_graph(&source);
    let strategies = [
        "adaptive_limit",
        "breaker",
        "bulkhead",
        "chaos",
        "hedge",
        "policy",
        "rate_limit",
        "throttle",
    ];
    let named: Vec<&String> = graph["keys"]
        .iter()
        .filter(|import| strategies.contains(&import.as_str()))
        .collect();
    assert!(
        named.is_empty(),
        "`keys` holds the tables' machinery; each strategy's file owns its table, but `keys` imports {named:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the settings crate's files import each other in a cycle: {}",
            cycle.join(" -> ")
        );
    }
}

/// Each top-level module of the runtime and the top-level modules its code names through
/// `crate::` (comments and `#[cfg(test)]` modules left out).
fn module_graph(source: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" {
            continue;
        }
        let module = if name == "private" {
            "__private".to_owned()
        } else {
            name
        };
        files.insert(module, rust_files(&path));
    }
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    files
        .into_iter()
        .map(|(module, paths)| {
            let mut imports = BTreeSet::new();
            for path in paths {
                let text = fs::read_to_string(&path).unwrap();
                let code = text
                    .split("#[cfg(test)]\nmod tests")
                    .next()
                    .unwrap_or_default();
                for line in code
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("//"))
                {
                    for named in crate_paths(line) {
                        if named != module && modules.contains(&named) {
                            imports.insert(named);
                        }
                    }
                }
            }
            (module, imports)
        })
        .collect()
}

fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        fs::read_dir(path)
            .unwrap()
            .flat_map(|entry| rust_files(&entry.unwrap().path()))
            .collect()
    } else if path.extension().is_some_and(|extension| extension == "rs") {
        vec![path.to_path_buf()]
    } else {
        Vec::new()
    }
}

/// The first segment of every `crate::` path on a line, braced groups included.
fn crate_paths(line: &str) -> Vec<String> {
    let word = |text: &str| -> String {
        text.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = Vec::new();
    for (index, _) in line.match_indices("crate::") {
        let rest = &line[index + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            found.extend(group.split(',').map(|part| word(part.trim())));
        } else {
            found.push(word(rest));
        }
    }
    found
}

/// A cycle in `graph`, if it has one, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|seen| seen == module) {
            let mut cycle = path[start..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_cycle_check_finds_a_cycle_and_the_paths_it_reads() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("breaker", &["events", "fleet"][..]),
        ("events", &[]),
        ("fleet", &["breaker"]),
    ]
    .into_iter()
    .map(|(module, imports)| {
        let imports = imports.iter().map(|import| (*import).to_owned()).collect();
        (module.to_owned(), imports)
    })
    .collect();
    assert_eq!(
        find_cycle(&graph),
        Some(vec![
            "breaker".to_owned(),
            "fleet".to_owned(),
            "breaker".to_owned()
        ])
    );
    assert_eq!(
        crate_paths("use crate::{budget::RetryBudget, events}; crate::fleet::x();"),
        ["budget", "events", "fleet"]
    );
}
