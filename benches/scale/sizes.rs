//! Partition sizes as customers have them: from 100 MB to 50 GB, skewed (log-uniform: as many
//! partitions between 100 MB and 1 GB as between 5 and 50 GB; median about 2.2 GB, mean about 8 GB).
pub const SMALLEST: u64 = 100_000_000;
pub const LARGEST: u64 = 50_000_000_000;

pub fn skewed_size(rng: &mut fastrand::Rng) -> u64 {
    let (low, high) = ((SMALLEST as f64).ln(), (LARGEST as f64).ln());
    (low + rng.f64() * (high - low)).exp().round() as u64
}
