#![allow(dead_code)]
telltale_macros::choreography!(
    r#"
protocol Broken =
  roles Buyer, Seller
  Buyer -> Carol : Order
"#
);

fn main() {}
