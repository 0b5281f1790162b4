#![allow(dead_code)]
telltale_macros::choreography!(
    r#"
protocol Gossip =
  roles Buyer, Seller, Bank
  choice Buyer at
    | Pay =>
      Buyer -> Seller : Pay
      Bank -> Seller : Paid
    | Quit =>
      Buyer -> Seller : Quit
"#
);

fn main() {}
