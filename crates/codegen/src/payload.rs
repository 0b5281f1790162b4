//! Message types: a Rust type per (label, payload sort), with its encoding
//! to and decoding from the runtime's dynamic `Value`.
//!
//! Sorts map to Rust types as unit → `()`, bool → `bool`, nat → `u64`,
//! int → `i64`, real → `f64`, string → `String`, bytes → `Vec<u8>`, product
//! → tuple, record → a generated struct, and a named sort → the user's type
//! at that path (seen from the call site), carried as postcard bytes.

use crate::declared::DeclaredEnums;
use crate::names::{rust_ident, upper_camel};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};
use telltale_types::stack::with_headroom;
use telltale_types::PayloadSort;

/// The Rust shape of a payload sort.
enum Shape {
    /// A primitive sort: its Rust type and its `Value` variant.
    Primitive(TokenStream, Ident),
    /// `()`.
    Unit,
    /// A user type at a path, carried as postcard bytes.
    Named(TokenStream),
    /// An enumeration declared in the protocol source, generated in the
    /// protocol's module and carried as its one-byte constructor index.
    Declared(Ident),
    /// A tuple.
    Product(Vec<Shape>),
    /// A generated struct.
    Record(Ident, Vec<(Ident, String, Shape)>),
}

/// Why a payload sort has no Rust type.
#[derive(Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// A record field name that is no Rust identifier.
    Field(String),
    /// A named sort whose path is no Rust path.
    Path(String),
}

/// One message type of a protocol.
pub struct MessageType {
    /// The label on the wire.
    pub label: String,
    /// The payload sort.
    pub sort: PayloadSort,
    /// The generated type's name.
    pub ident: Ident,
    /// The index of the label in the protocol's label table.
    pub index: usize,
}

/// Builds shapes, naming the structs of nested records after the message.
struct ShapeBuilder<'a> {
    message: &'a Ident,
    parts: usize,
    declared: &'a DeclaredEnums,
}

impl ShapeBuilder<'_> {
    fn shape(&mut self, sort: &PayloadSort) -> Result<Shape, PayloadError> {
        with_headroom(|| {
            let primitive = |ty: TokenStream, variant: &str| {
                Ok(Shape::Primitive(ty, format_ident!("{}", variant)))
            };
            match sort {
                PayloadSort::Unit => Ok(Shape::Unit),
                PayloadSort::Bool => primitive(quote!(bool), "Bool"),
                PayloadSort::Nat => primitive(quote!(u64), "Nat"),
                PayloadSort::Int => primitive(quote!(i64), "Int"),
                PayloadSort::Real => primitive(quote!(f64), "Real"),
                PayloadSort::String => primitive(quote!(::std::string::String), "String"),
                PayloadSort::Bytes => primitive(quote!(::std::vec::Vec<u8>), "Bytes"),
                PayloadSort::Named(path) => match self.declared.ident(path) {
                    Some(ident) => Ok(Shape::Declared(ident)),
                    None => named_path(path).map(Shape::Named),
                },
                PayloadSort::Product(items) => Ok(Shape::Product(
                    items
                        .iter()
                        .map(|s| self.shape(s))
                        .collect::<Result<_, _>>()?,
                )),
                PayloadSort::Record(fields) => {
                    self.parts += 1;
                    let ident = format_ident!("{}Part{}", self.message, self.parts);
                    self.record(ident, fields)
                }
            }
        })
    }

    fn record(
        &mut self,
        ident: Ident,
        fields: &[(String, PayloadSort)],
    ) -> Result<Shape, PayloadError> {
        let fields = fields
            .iter()
            .map(|(name, sort)| {
                let field = rust_ident(name).ok_or_else(|| PayloadError::Field(name.clone()))?;
                Ok((field, name.clone(), self.shape(sort)?))
            })
            .collect::<Result<_, _>>()?;
        Ok(Shape::Record(ident, fields))
    }
}

/// A dotted type path of the protocol as a Rust path seen from inside the
/// generated module (one level below the call site).
fn named_path(path: &str) -> Result<TokenStream, PayloadError> {
    let segments: Vec<&str> = path.split('.').collect();
    let mut idents = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        let special = matches!(*segment, "crate" | "self" | "super") && i == 0;
        if special {
            continue;
        }
        idents.push(rust_ident(segment).ok_or_else(|| PayloadError::Path(path.to_string()))?);
    }
    if idents.is_empty() {
        return Err(PayloadError::Path(path.to_string()));
    }
    Ok(match segments[0] {
        "crate" => quote!(crate #(:: #idents)*),
        "super" => quote!(super::super #(:: #idents)*),
        "std" | "core" | "alloc" => quote!(#(:: #idents)*),
        _ => quote!(super #(:: #idents)*),
    })
}

fn value_path() -> TokenStream {
    quote!(::telltale_choreography::Value)
}

impl Shape {
    fn is_named_anywhere(&self) -> bool {
        with_headroom(|| match self {
            Shape::Named(_) => true,
            Shape::Primitive(..) | Shape::Unit | Shape::Declared(_) => false,
            Shape::Product(items) => items.iter().any(Shape::is_named_anywhere),
            Shape::Record(_, fields) => fields.iter().any(|(_, _, s)| s.is_named_anywhere()),
        })
    }

    fn rust_type(&self) -> TokenStream {
        with_headroom(|| match self {
            Shape::Unit => quote!(()),
            Shape::Primitive(ty, _) | Shape::Named(ty) => ty.clone(),
            Shape::Declared(ident) => quote!(#ident),
            Shape::Product(items) => {
                let items = items.iter().map(Shape::rust_type);
                quote!((#(#items,)*))
            }
            Shape::Record(ident, _) => quote!(#ident),
        })
    }

    /// The structs this shape needs, innermost first.
    fn structs(&self, derives: &TokenStream, out: &mut Vec<TokenStream>) {
        with_headroom(|| match self {
            Shape::Unit | Shape::Primitive(..) | Shape::Named(_) | Shape::Declared(_) => {}
            Shape::Product(items) => items.iter().for_each(|s| s.structs(derives, out)),
            Shape::Record(ident, fields) => {
                fields.iter().for_each(|(_, _, s)| s.structs(derives, out));
                let names = fields.iter().map(|(f, _, _)| f);
                let types = fields.iter().map(|(_, _, s)| s.rust_type());
                out.push(quote! {
                    #[doc = "A record inside a message payload."]
                    #derives
                    pub struct #ident { #(#[doc = "A record field."] pub #names: #types,)* }
                });
            }
        })
    }

    /// An expression turning `expr` (of this shape's type) into a `Value`;
    /// it may use `?` on a `ChoreoResult`.
    fn encode(&self, expr: TokenStream, depth: usize) -> TokenStream {
        with_headroom(|| {
            let value = value_path();
            match self {
                Shape::Unit => quote!({ let () = #expr; #value::Unit }),
                Shape::Primitive(_, variant) => {
                    quote!(#value::#variant(::core::convert::Into::into(#expr)))
                }
                Shape::Named(_) => quote!(#value::encode(&#expr)?),
                Shape::Declared(_) => quote!(#value::bytes(::std::vec![(#expr).wire_index()])),
                Shape::Product(items) => {
                    let vars: Vec<Ident> = (0..items.len())
                        .map(|i| format_ident!("item_{}_{}", depth, i))
                        .collect();
                    let encoded = items
                        .iter()
                        .zip(&vars)
                        .map(|(s, v)| s.encode(quote!(#v), depth + 1));
                    quote!({ let (#(#vars,)*) = #expr; #value::product([#(#encoded),*]) })
                }
                Shape::Record(_, fields) => {
                    let record = format_ident!("record_{}", depth);
                    let encoded = fields.iter().map(|(field, name, s)| {
                        let e = s.encode(quote!(#record.#field), depth + 1);
                        quote!((#name, #e))
                    });
                    quote!({ let #record = #expr; #value::record([#(#encoded),*]) })
                }
            }
        })
    }

    /// An expression decoding the `&Value` in variable `var` into this
    /// shape's type; it returns `None` from the enclosing function on a
    /// mismatch.
    fn decode(&self, var: &Ident, depth: usize) -> TokenStream {
        with_headroom(|| {
            let value = value_path();
            match self {
                Shape::Unit => quote!(match #var { #value::Unit => (), _ => return None }),
                Shape::Primitive(_, variant) => {
                    // `x` is a reference: copy numbers, own text and bytes.
                    let owned = match variant.to_string().as_str() {
                        "String" => quote!(::std::string::ToString::to_string(&**x)),
                        "Bytes" => quote!(x.to_vec()),
                        _ => quote!(*x),
                    };
                    quote!(match #var { #value::#variant(x) => #owned, _ => return None })
                }
                Shape::Named(ty) => quote!(#var.decode::<#ty>().ok()?),
                Shape::Declared(ident) => quote!(match #var {
                    #value::Bytes(bytes) if bytes.len() == 1 => #ident::from_wire_index(bytes[0])?,
                    _ => return None,
                }),
                Shape::Product(items) => {
                    let list = format_ident!("items_{}", depth);
                    let n = items.len();
                    let decoded = items.iter().map(|s| {
                        let item = format_ident!("item_{}", depth);
                        let d = s.decode(&item, depth + 1);
                        quote!({ let #item = #list.next()?; #d })
                    });
                    quote!(match #var {
                        #value::Product(#list) if #list.len() == #n => {
                            let mut #list = #list.iter();
                            (#(#decoded,)*)
                        }
                        _ => return None,
                    })
                }
                Shape::Record(ident, fields) => {
                    let body = record_decode(quote!(#ident), fields, var, depth);
                    quote!(#body)
                }
            }
        })
    }
}

/// Decodes a record value in `var` into the struct at `path`.
fn record_decode(
    path: TokenStream,
    fields: &[(Ident, String, Shape)],
    var: &Ident,
    depth: usize,
) -> TokenStream {
    let value = value_path();
    let list = format_ident!("fields_{}", depth);
    let n = fields.len();
    let entries = fields.iter().map(|(field, name, s)| {
        let item = format_ident!("field_{}", depth);
        let d = s.decode(&item, depth + 1);
        quote! {
            #field: {
                let (name, #item) = #list.next()?;
                if name != #name { return None; }
                #d
            }
        }
    });
    quote!(match #var {
        #value::Record(#list) if #list.len() == #n => {
            let mut #list = #list.iter();
            #path { #(#entries,)* }
        }
        _ => return None,
    })
}

/// A message type's signature as printed in errors, e.g. `Ping(nat)`.
pub fn signature(label: &str, sort: &PayloadSort) -> String {
    if sort.is_unit() {
        label.to_string()
    } else {
        format!("{label}({sort})")
    }
}

/// The struct of a message and its `ProtocolMessage` implementation.
pub fn message_items(
    message: &MessageType,
    declared: &DeclaredEnums,
) -> Result<TokenStream, PayloadError> {
    let ident = &message.ident;
    let mut builder = ShapeBuilder {
        message: ident,
        parts: 0,
        declared,
    };
    let value = value_path();
    let var = format_ident!("value");
    let (top, shape) = match &message.sort {
        PayloadSort::Record(fields) => {
            let shape = builder.record(ident.clone(), fields)?;
            (None, shape)
        }
        sort => {
            let shape = builder.shape(sort)?;
            (Some(()), shape)
        }
    };
    let derives = if shape.is_named_anywhere() {
        quote!()
    } else {
        quote!(#[derive(Clone, Debug, PartialEq)])
    };
    let mut structs = Vec::new();
    let (definition, encode, decode) = match (&top, &shape) {
        (None, Shape::Record(_, fields)) => {
            // The message itself is the record struct.
            for (_, _, s) in fields {
                s.structs(&derives, &mut structs);
            }
            let names = fields.iter().map(|(f, _, _)| f);
            let types = fields.iter().map(|(_, _, s)| s.rust_type());
            let definition =
                quote!(pub struct #ident { #(#[doc = "A payload field."] pub #names: #types,)* });
            let encode = shape.encode(quote!(self), 0);
            let decode = record_decode(quote!(#ident), fields, &var, 0);
            (definition, encode, decode)
        }
        (_, Shape::Unit) => (
            quote!(pub struct #ident;),
            quote!(#value::Unit),
            quote!(match #var { #value::Unit => #ident, _ => return None }),
        ),
        (_, Shape::Product(items)) => {
            shape.structs(&derives, &mut structs);
            let types = items.iter().map(Shape::rust_type);
            let indices = (0..items.len()).map(proc_macro2::Literal::usize_unsuffixed);
            let definition = quote!(pub struct #ident(#(#[doc = "A payload item."] pub #types),*););
            let encode = shape.encode(quote!((#(self.#indices,)*)), 0);
            let decoded = shape.decode(&var, 0);
            let vars: Vec<Ident> = (0..items.len())
                .map(|i| format_ident!("part_{}", i))
                .collect();
            let decode = quote!({ let (#(#vars,)*) = #decoded; #ident(#(#vars),*) });
            (definition, encode, decode)
        }
        (_, shape) => {
            shape.structs(&derives, &mut structs);
            let ty = shape.rust_type();
            let definition = quote!(pub struct #ident(#[doc = "The payload."] pub #ty););
            let encode = shape.encode(quote!(self.0), 0);
            let decoded = shape.decode(&var, 0);
            (definition, encode, quote!(#ident(#decoded)))
        }
    };
    let label = &message.label;
    let index = message.index;
    let signature = signature(label, &message.sort);
    let doc = format!("The message `{signature}`.");
    Ok(quote! {
        #(#structs)*
        #[doc = #doc]
        #derives
        #definition
        impl session::ProtocolMessage for #ident {
            const LABEL: &'static str = #label;
            const SIGNATURE: &'static str = #signature;
            const INDEX: usize = #index;
            #[inline]
            fn into_value(self) -> ::telltale_choreography::ChoreoResult<#value> {
                ::std::result::Result::Ok(#encode)
            }
            #[inline]
            fn from_value(#var: #value) -> ::std::option::Option<Self> {
                let #var = &#var;
                ::std::option::Option::Some(#decode)
            }
        }
    })
}

/// The default name of the message type of `label`.
pub fn message_name(label: &str) -> String {
    upper_camel(label)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check_type(sort: PayloadSort, expected: &str) {
        let ident = format_ident!("M");
        let declared = DeclaredEnums::default();
        let mut builder = ShapeBuilder {
            message: &ident,
            parts: 0,
            declared: &declared,
        };
        let shape = builder.shape(&sort).unwrap();
        assert_eq!(shape.rust_type().to_string(), expected, "{sort}");
    }

    #[test]
    fn sorts_map_to_rust_types() {
        check_type(PayloadSort::Nat, "u64");
        check_type(PayloadSort::Int, "i64");
        check_type(PayloadSort::Bytes, ":: std :: vec :: Vec < u8 >");
        check_type(
            PayloadSort::Product(vec![PayloadSort::Bool, PayloadSort::Real]),
            "(bool , f64 ,)",
        );
        check_type(
            PayloadSort::Named("shop.Order".into()),
            "super :: shop :: Order",
        );
        check_type(PayloadSort::Named("crate.Order".into()), "crate :: Order");
        check_type(
            PayloadSort::Record(vec![("a".into(), PayloadSort::Unit)]),
            "MPart1",
        );
    }

    #[test]
    fn bad_names_are_errors() {
        assert_eq!(
            named_path("a.type").err(),
            Some(PayloadError::Path("a.type".into()))
        );
        let ident = format_ident!("M");
        let message = MessageType {
            label: "m".into(),
            sort: PayloadSort::Record(vec![("fn".into(), PayloadSort::Nat)]),
            ident,
            index: 0,
        };
        assert_eq!(
            message_items(&message, &DeclaredEnums::default()).err(),
            Some(PayloadError::Field("fn".into()))
        );
    }

    #[test]
    fn signatures_print_the_sort() {
        assert_eq!(signature("Ping", &PayloadSort::Nat), "Ping(nat)");
        assert_eq!(signature("Stop", &PayloadSort::Unit), "Stop");
    }
}
