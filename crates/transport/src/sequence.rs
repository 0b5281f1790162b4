//! Per-edge sequence numbers: every data frame on an edge is numbered.

use std::fmt;

/// Why a frame's sequence number was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceError {
    /// A frame with this number was already received.
    Duplicate {
        /// The number that was expected next.
        expected: u64,
        /// The number that arrived.
        got: u64,
    },
    /// Frames between `expected` and `got` are missing.
    Gap {
        /// The number that was expected next.
        expected: u64,
        /// The number that arrived.
        got: u64,
    },
}

impl fmt::Display for SequenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SequenceError::Duplicate { expected, got } => {
                write!(f, "duplicate frame {got} (expected {expected})")
            }
            SequenceError::Gap { expected, got } => {
                write!(f, "gap: frame {got} arrived while {expected} was expected")
            }
        }
    }
}

/// The next sequence number of one direction of one edge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EdgeSequence {
    next: u64,
}

impl EdgeSequence {
    /// The number the next frame gets (sending side), advancing the counter.
    pub fn issue(&mut self) -> u64 {
        let n = self.next;
        self.next += 1;
        n
    }

    /// The number the next frame will get, without advancing.
    pub fn peek(&self) -> u64 {
        self.next
    }

    /// Accepts `got` if it is exactly the next number (receiving side).
    pub fn accept(&mut self, got: u64) -> Result<(), SequenceError> {
        let expected = self.next;
        match got.cmp(&expected) {
            std::cmp::Ordering::Equal => {
                self.next += 1;
                Ok(())
            }
            std::cmp::Ordering::Less => Err(SequenceError::Duplicate { expected, got }),
            std::cmp::Ordering::Greater => Err(SequenceError::Gap { expected, got }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(arrivals: &[u64], expected: &[Result<(), SequenceError>]) {
        let mut seq = EdgeSequence::default();
        let got: Vec<_> = arrivals.iter().map(|n| seq.accept(*n)).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn only_the_next_number_is_accepted() {
        check(&[0, 1, 2], &[Ok(()), Ok(()), Ok(())]);
        check(
            &[0, 0, 1],
            &[
                Ok(()),
                Err(SequenceError::Duplicate {
                    expected: 1,
                    got: 0,
                }),
                Ok(()),
            ],
        );
        check(
            &[0, 2],
            &[
                Ok(()),
                Err(SequenceError::Gap {
                    expected: 1,
                    got: 2,
                }),
            ],
        );
    }

    #[test]
    fn issued_numbers_count_up() {
        let mut seq = EdgeSequence::default();
        assert_eq!((seq.issue(), seq.issue(), seq.peek()), (0, 1, 2));
    }
}
