//! The canonical bytes of a sort, for content ids.

use super::PayloadSort;

impl PayloadSort {
    /// Appends the canonical bytes of a sort: an explicit tag per case (so no
    /// two sorts encode alike), list lengths, and names, in pre-order. These are
    /// the bytes postcard gives a sort, written without recursion.
    pub(crate) fn write_canonical(&self, out: &mut Vec<u8>) {
        enum Next<'a> {
            Sort(&'a PayloadSort),
            Name(&'a str),
        }
        let mut stack = vec![Next::Sort(self)];
        while let Some(next) = stack.pop() {
            let sort = match next {
                Next::Name(name) => {
                    encode_str(name, out);
                    continue;
                }
                Next::Sort(sort) => sort,
            };
            let tag = match sort {
                PayloadSort::Unit => 0,
                PayloadSort::Bool => 1,
                PayloadSort::Nat => 2,
                PayloadSort::Int => 3,
                PayloadSort::Real => 4,
                PayloadSort::String => 5,
                PayloadSort::Bytes => 6,
                PayloadSort::Named(_) => 7,
                PayloadSort::Product(_) => 8,
                PayloadSort::Record(_) => 9,
            };
            encode_varint(tag, out);
            match sort {
                PayloadSort::Named(path) => encode_str(path, out),
                PayloadSort::Product(items) => {
                    encode_varint(items.len() as u64, out);
                    stack.extend(items.iter().rev().map(Next::Sort));
                }
                PayloadSort::Record(fields) => {
                    encode_varint(fields.len() as u64, out);
                    for (name, sort) in fields.iter().rev() {
                        stack.push(Next::Sort(sort));
                        stack.push(Next::Name(name));
                    }
                }
                _ => {}
            }
        }
    }
}

/// A string as postcard writes it: its length, then its bytes.
fn encode_str(text: &str, out: &mut Vec<u8>) {
    encode_varint(text.len() as u64, out);
    out.extend_from_slice(text.as_bytes());
}

/// An unsigned LEB128 varint, postcard's encoding of lengths and tags.
fn encode_varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_bytes_are_the_postcard_bytes() {
        let sorts = [
            PayloadSort::Unit,
            PayloadSort::Named("a.B".repeat(50)),
            PayloadSort::Product(vec![PayloadSort::Int, PayloadSort::Product(vec![])]),
            PayloadSort::Record(vec![
                ("x".into(), PayloadSort::Bytes),
                (
                    "y".into(),
                    PayloadSort::Record(vec![("z".into(), PayloadSort::Real)]),
                ),
            ]),
            PayloadSort::Product(vec![PayloadSort::Bool; 300]),
        ];
        for sort in sorts {
            let mut bytes = Vec::new();
            sort.write_canonical(&mut bytes);
            assert_eq!(bytes, postcard::to_allocvec(&sort).unwrap(), "{sort}");
        }
    }

    #[test]
    fn canonical_bytes_of_a_sort_a_million_deep() {
        let depth = 1_000_000;
        let mut sort = PayloadSort::Unit;
        for _ in 0..depth {
            sort = PayloadSort::Product(vec![sort]);
        }
        let mut bytes = Vec::new();
        sort.write_canonical(&mut bytes);
        assert_eq!(bytes.len(), 2 * depth + 1);
        assert_eq!(&bytes[..4], &[8, 1, 8, 1]);
    }
}
