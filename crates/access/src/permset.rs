//! A fixed-size bit set of permissions: the currency of the compiled resolver.

use serde::{Deserialize, Serialize};

/// A set of up to 256 permissions of one catalog, as four 64-bit words. `Copy`, and every
/// operation is a few bit instructions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PermSet([u64; 4]);

impl PermSet {
    /// How many permissions fit.
    pub const CAPACITY: usize = 256;
    /// No permission.
    pub const EMPTY: PermSet = PermSet([0; 4]);

    /// The first `n` permissions.
    pub fn first(n: usize) -> Self {
        let mut s = Self::EMPTY;
        for i in 0..n.min(Self::CAPACITY) {
            s.insert(i);
        }
        s
    }

    /// Adds index `i` (ignored beyond the capacity).
    pub fn insert(&mut self, i: usize) {
        if i < Self::CAPACITY {
            self.0[i / 64] |= 1 << (i % 64);
        }
    }

    /// Removes index `i`.
    pub fn remove(&mut self, i: usize) {
        if i < Self::CAPACITY {
            self.0[i / 64] &= !(1 << (i % 64));
        }
    }

    /// Whether index `i` is in.
    #[inline]
    pub fn contains(self, i: usize) -> bool {
        i < Self::CAPACITY && self.0[i / 64] & (1 << (i % 64)) != 0
    }

    /// Union.
    #[inline]
    pub fn union(self, o: Self) -> Self {
        Self([
            self.0[0] | o.0[0],
            self.0[1] | o.0[1],
            self.0[2] | o.0[2],
            self.0[3] | o.0[3],
        ])
    }

    /// Intersection.
    #[inline]
    pub fn intersect(self, o: Self) -> Self {
        Self([
            self.0[0] & o.0[0],
            self.0[1] & o.0[1],
            self.0[2] & o.0[2],
            self.0[3] & o.0[3],
        ])
    }

    /// `self` without `o`.
    #[inline]
    pub fn difference(self, o: Self) -> Self {
        Self([
            self.0[0] & !o.0[0],
            self.0[1] & !o.0[1],
            self.0[2] & !o.0[2],
            self.0[3] & !o.0[3],
        ])
    }

    /// Whether every element of `self` is in `o`.
    #[inline]
    pub fn is_subset(self, o: Self) -> bool {
        self.difference(o).is_empty()
    }

    /// Whether it is empty.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == [0; 4]
    }

    /// How many elements.
    pub fn len(self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The indices, ascending.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..4).flat_map(move |w| {
            let mut word = self.0[w];
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                Some(w * 64 + bit)
            })
        })
    }
}

impl FromIterator<usize> for PermSet {
    fn from_iter<T: IntoIterator<Item = usize>>(iter: T) -> Self {
        let mut s = Self::EMPTY;
        for i in iter {
            s.insert(i);
        }
        s
    }
}
