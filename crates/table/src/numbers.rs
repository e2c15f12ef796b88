//! The values of a numeric column: f64 with NaN for missing, either owned or an immutable Arrow
//! buffer shared with whoever handed the data over (a pyarrow, polars or pandas frame through
//! the Arrow C interfaces), so reading such a frame need not copy its float columns.

use arrow_buffer::ScalarBuffer;
use std::ops::Deref;

/// A numeric column's values: read as a slice, cloned cheaply when shared; never changed in
/// place (a new column is made instead).
#[derive(Clone)]
pub struct Numbers(Repr);

#[derive(Clone)]
enum Repr {
    Owned(Vec<f64>),
    Shared(ScalarBuffer<f64>),
}

impl Numbers {
    /// Values held in an Arrow buffer, shared, not copied.
    pub fn shared(buffer: ScalarBuffer<f64>) -> Numbers {
        Numbers(Repr::Shared(buffer))
    }

    /// True when the values live in a shared Arrow buffer.
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared(_))
    }

    /// Makes the values shared (owned values move into a buffer without copying), so every
    /// later clone is a reference count, not a copy.
    pub fn share(&mut self) {
        if let Repr::Owned(v) = &mut self.0 {
            self.0 = Repr::Shared(ScalarBuffer::from(std::mem::take(v)));
        }
    }

    /// The values by value; shared values are copied.
    pub fn into_vec(self) -> Vec<f64> {
        match self.0 {
            Repr::Owned(v) => v,
            Repr::Shared(b) => b.to_vec(),
        }
    }
}

impl Deref for Numbers {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        match &self.0 {
            Repr::Owned(v) => v,
            Repr::Shared(b) => b,
        }
    }
}

impl From<Vec<f64>> for Numbers {
    fn from(v: Vec<f64>) -> Numbers {
        Numbers(Repr::Owned(v))
    }
}

impl FromIterator<f64> for Numbers {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Numbers {
        Numbers(Repr::Owned(iter.into_iter().collect()))
    }
}

impl<'a> IntoIterator for &'a Numbers {
    type Item = &'a f64;
    type IntoIter = std::slice::Iter<'a, f64>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

// Printed as the plain list of values, whichever way they are held.
impl std::fmt::Debug for Numbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl PartialEq for Numbers {
    fn eq(&self, other: &Numbers) -> bool {
        **self == **other
    }
}

impl PartialEq<[f64]> for Numbers {
    fn eq(&self, other: &[f64]) -> bool {
        **self == *other
    }
}

impl PartialEq<Vec<f64>> for Numbers {
    fn eq(&self, other: &Vec<f64>) -> bool {
        **self == **other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_values_are_the_buffer_and_clone_without_copying() {
        let buffer = ScalarBuffer::from(vec![1.5, f64::NAN, -2.0]);
        let n = Numbers::shared(buffer.clone());
        assert!(n.is_shared());
        assert_eq!(n.as_ptr(), buffer.as_ptr());
        assert_eq!(n.clone().as_ptr(), buffer.as_ptr());
        assert_eq!(n.len(), 3);
        assert_eq!(n[0], 1.5);
        assert!(n[1].is_nan());
    }

    #[test]
    fn owned_values_become_shared_without_moving() {
        let v = vec![3.0, 4.0];
        let p = v.as_ptr();
        let mut n = Numbers::from(v);
        n.share();
        assert!(n.is_shared());
        assert_eq!(n.as_ptr(), p);
        assert_eq!(n.clone().as_ptr(), p);
        assert_eq!(n.into_vec(), vec![3.0, 4.0]);
    }

    #[test]
    fn prints_as_the_list_of_values() {
        let a = Numbers::from(vec![1.0, 2.5]);
        let b = Numbers::shared(ScalarBuffer::from(vec![1.0, 2.5]));
        assert_eq!(format!("{a:?}"), "[1.0, 2.5]");
        assert_eq!(format!("{b:?}"), format!("{a:?}"));
        assert_eq!(a, b);
    }
}
