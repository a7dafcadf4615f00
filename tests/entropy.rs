//! Integration tests of `nmc::entropy`: round trips, coded size vs. ideal, robustness.

use nmc::entropy::{
    decode, encode, gaussian_scales, gaussian_tables, ideal_bits, CdfTable, TableSet,
    MAX_TABLE_LEN, PRECISION,
};
use nmc::Error;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TOTAL: u64 = 1 << PRECISION;

/// Random probabilities (some zero) of length 2..=max_len.
fn probs(max_len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![3 => 0.0..1.0f64, 1 => Just(0.0), 1 => 0.0..1e-9f64],
        2..=max_len,
    )
    .prop_filter("needs a positive entry", |p| p.iter().any(|&x| x > 0.0))
}

fn offset() -> impl Strategy<Value = i32> {
    prop_oneof![4 => -60..60i32, 1 => i32::MIN..=i32::MAX - MAX_TABLE_LEN as i32, 1 => Just(i32::MIN)]
}

fn table(max_len: usize) -> impl Strategy<Value = CdfTable> {
    (offset(), probs(max_len)).prop_map(|(o, p)| CdfTable::from_probabilities(o, &p).unwrap())
}

fn value() -> impl Strategy<Value = i32> {
    prop_oneof![
        8 => -80..80i32,
        2 => any::<i32>(),
        1 => Just(i32::MIN),
        1 => Just(i32::MAX),
        1 => i32::MIN..i32::MIN + 5000,
        1 => i32::MAX - 5000..=i32::MAX,
    ]
}

/// Tables, values and matching indexes.
fn coding_case() -> impl Strategy<Value = (Vec<CdfTable>, Vec<i32>, Vec<u32>)> {
    prop::collection::vec(table(40), 1..6).prop_flat_map(|tables| {
        let n = tables.len() as u32;
        prop::collection::vec((value(), 0..n), 0..300).prop_map(move |vi| {
            let (values, indexes) = vi.into_iter().unzip();
            (tables.clone(), values, indexes)
        })
    })
}

/// Draws `count` values from `table`'s own distribution (escape excluded).
fn sample(table: &CdfTable, rng: &mut StdRng) -> i32 {
    let pmf = table.pmf();
    let in_range: u32 = pmf[..pmf.len() - 1].iter().sum();
    let mut u = rng.random_range(0..in_range);
    for (i, &p) in pmf.iter().enumerate() {
        if u < p {
            return table.offset() + i as i32;
        }
        u -= p;
    }
    unreachable!()
}

proptest! {
    // Failing cases are saved next to this file (tests/entropy.proptest-regressions).
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn round_trip((tables, values, indexes) in coding_case()) {
        let set = TableSet::new(tables).unwrap();
        let data = encode(&values, &indexes, &set).unwrap();
        prop_assert_eq!(data.len() % 4, 0);
        prop_assert_eq!(decode(&data, &indexes, &set).unwrap(), values.clone());
        // The coded size is close to the ideal one (a few words of flush overhead).
        let bits = ideal_bits(&values, &indexes, &set).unwrap();
        prop_assert!((data.len() * 8) as f64 <= bits * 1.01 + 96.0, "{} bytes for {} bits", data.len(), bits);
    }

    #[test]
    fn from_probabilities_is_valid_and_deterministic(o in offset(), p in probs(MAX_TABLE_LEN)) {
        let t = CdfTable::from_probabilities(o, &p).unwrap();
        prop_assert_eq!(t.len(), p.len());
        prop_assert_eq!(t.offset(), o);
        prop_assert!(t.pmf().iter().all(|&q| q >= 1));
        prop_assert_eq!(t.pmf().iter().map(|&q| u64::from(q)).sum::<u64>(), TOTAL);
        prop_assert_eq!(&CdfTable::from_probabilities(o, &p).unwrap(), &t);
        // Close to the targets: within 1% for every entry of at least 2^-14.
        let sum: f64 = p.iter().sum();
        for (q, x) in t.pmf().iter().zip(&p) {
            let target = x / sum * TOTAL as f64;
            if target >= 1024.0 {
                prop_assert!((f64::from(*q) - target).abs() <= 0.01 * target, "{} vs {}", q, target);
            }
        }
        // Serialization round trip.
        let mut bytes = Vec::new();
        t.write(&mut bytes);
        prop_assert_eq!(bytes.len(), 6 + 4 * t.len());
        let mut s = &bytes[..];
        prop_assert_eq!(CdfTable::read(&mut s).unwrap(), t);
        prop_assert!(s.is_empty());
    }

    #[test]
    fn decode_garbage_never_panics(
        tables in prop::collection::vec(table(40), 1..4),
        data in prop::collection::vec(any::<u8>(), 0..200),
        count in 0usize..400,
        seed in any::<u64>(),
    ) {
        let set = TableSet::new(tables).unwrap();
        let mut rng = StdRng::seed_from_u64(seed);
        let indexes: Vec<u32> = (0..count).map(|_| rng.random_range(0..set.len() as u32)).collect();
        match decode(&data, &indexes, &set) {
            Ok(v) => prop_assert_eq!(v.len(), count),
            Err(e) => prop_assert!(matches!(e, Error::Malformed(_)), "{:?}", e),
        }
    }

    #[test]
    fn decode_truncated_or_flipped_never_panics((tables, values, indexes) in coding_case(), cut in any::<prop::sample::Index>(), flip in any::<u32>()) {
        let set = TableSet::new(tables).unwrap();
        let data = encode(&values, &indexes, &set).unwrap();
        let keep = cut.index(data.len() + 1);
        let _ = decode(&data[..keep], &indexes, &set);
        let _ = decode(&data[..keep & !3], &indexes, &set);
        if !data.is_empty() {
            let mut bad = data.clone();
            let i = flip as usize % bad.len();
            bad[i] ^= 1 << (flip % 8);
            let _ = decode(&bad, &indexes, &set);
        }
    }

    #[test]
    fn table_read_garbage_never_panics(data in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut s = &data[..];
        let _ = CdfTable::read(&mut s);
        let mut s = &data[..];
        let _ = TableSet::read(&mut s);
    }
}

#[test]
fn coded_size_within_one_percent_of_ideal() {
    let mut rng = StdRng::seed_from_u64(1);
    let n = 100_000;

    // One Gaussian-ish table.
    let set = gaussian_tables(&[3.0]).unwrap();
    let values: Vec<i32> = (0..n).map(|_| sample(&set.tables()[0], &mut rng)).collect();
    let indexes = vec![0u32; n];
    let data = encode(&values, &indexes, &set).unwrap();
    assert_eq!(decode(&data, &indexes, &set).unwrap(), values);
    let ideal = ideal_bits(&values, &indexes, &set).unwrap();
    let overhead = ((data.len() * 8) as f64 / ideal - 1.0) * 100.0;
    eprintln!(
        "single table (sigma 3): {n} symbols, ideal {ideal:.0} bits, coded {} bits, overhead {overhead:.4} %",
        data.len() * 8
    );
    assert!(overhead < 1.0);

    // 64 scale tables, random index per symbol (low-entropy ones included), a few escapes.
    let set = gaussian_tables(&gaussian_scales(64, 0.11, 256.0)).unwrap();
    let indexes: Vec<u32> = (0..n).map(|_| rng.random_range(0..64)).collect();
    let mut values: Vec<i32> = indexes
        .iter()
        .map(|&k| sample(&set.tables()[k as usize], &mut rng))
        .collect();
    for v in values.iter_mut().step_by(10_000) {
        *v = 1_000_000;
    }
    let data = encode(&values, &indexes, &set).unwrap();
    assert_eq!(decode(&data, &indexes, &set).unwrap(), values);
    let ideal = ideal_bits(&values, &indexes, &set).unwrap();
    let overhead = ((data.len() * 8) as f64 / ideal - 1.0) * 100.0;
    eprintln!(
        "64 Gaussian tables: {n} symbols, ideal {ideal:.0} bits, coded {} bits, overhead {overhead:.4} %",
        data.len() * 8
    );
    assert!(overhead < 1.0);
}

#[test]
fn gaussian_tables_are_sane() {
    let scales = gaussian_scales(64, 0.11, 256.0);
    let set = gaussian_tables(&scales).unwrap();
    assert_eq!(set.len(), 64);
    let mut last_len = 0;
    for (k, t) in set.tables().iter().enumerate() {
        assert!(
            t.len() >= last_len,
            "table {k} narrower than table {}",
            k.max(1) - 1
        );
        last_len = t.len();
        assert!(t.len() <= MAX_TABLE_LEN);
        assert_eq!(t.pmf().iter().map(|&q| u64::from(q)).sum::<u64>(), TOTAL);
        assert!(t.pmf().iter().all(|&q| q >= 1));
        // Symmetric support -r..=r, most likely symbol 0.
        let r = (t.len() as i32 - 2) / 2;
        assert_eq!(t.offset(), -r);
        assert_eq!(t.len() as i32, 2 * r + 2);
        let in_range = &t.pmf()[..t.len() - 1];
        // (Symbol 0 is the most likely one, up to one unit of rounding for very wide tables.)
        let max = *in_range.iter().max().unwrap();
        assert!(in_range[r as usize] + 1 >= max, "table {k}");
        let mean: f64 = in_range
            .iter()
            .enumerate()
            .map(|(i, &p)| (t.offset() + i as i32) as f64 * p as f64 / TOTAL as f64)
            .sum();
        assert!(mean.abs() < 1e-3, "table {k}: mean {mean}");
        // Roughly symmetric.
        for i in 0..in_range.len() / 2 {
            let (a, b) = (in_range[i], in_range[in_range.len() - 1 - i]);
            assert!(a.abs_diff(b) <= 1, "table {k}: {a} vs {b}");
        }
        // Escape: about 2e-9 of mass, so at least 1 and tiny unless the support was capped.
        let esc = *t.pmf().last().unwrap();
        if t.len() < MAX_TABLE_LEN {
            assert!(esc <= 2, "table {k}: escape {esc}");
        }
    }
    // Widths follow the scale: about ±6 sigma.
    let t = &set.tables()[40];
    let r = -t.offset() as f64;
    assert!(
        (r / scales[40] - 6.0).abs() < 0.5,
        "r = {r}, scale {}",
        scales[40]
    );
    // Entropy of a wide table is about log2(sigma sqrt(2 pi e)).
    let s = 20.0;
    let wide = gaussian_tables(&[s]).unwrap();
    let h: f64 = wide.tables()[0]
        .pmf()
        .iter()
        .map(|&q| {
            let p = q as f64 / TOTAL as f64;
            -p * p.log2()
        })
        .sum();
    let want = (s * (2.0 * std::f64::consts::PI * std::f64::consts::E).sqrt()).log2();
    assert!((h - want).abs() < 1e-3, "{h} vs {want}");
    // Invalid scales.
    assert!(gaussian_tables(&[1.0, 0.0]).is_err());
    assert!(gaussian_tables(&[-1.0]).is_err());
    assert!(gaussian_tables(&gaussian_scales(3, 0.0, 1.0)).is_err());
}

#[test]
fn table_set_serialization_round_trip() {
    let set = gaussian_tables(&gaussian_scales(16, 0.2, 50.0)).unwrap();
    let mut bytes = Vec::new();
    set.write(&mut bytes);
    let mut s = &bytes[..];
    let back = TableSet::read(&mut s).unwrap();
    assert!(s.is_empty());
    assert_eq!(back.tables(), set.tables());
    // Truncation anywhere is an error.
    for cut in (0..bytes.len()).step_by(97) {
        assert!(TableSet::read(&mut &bytes[..cut]).is_err());
    }
    // Coding with the read-back set gives the same bytes.
    let values: Vec<i32> = (0..1000).map(|i| (i % 17) - 8).collect();
    let indexes: Vec<u32> = (0..1000).map(|i| (i % 16) as u32).collect();
    assert_eq!(
        encode(&values, &indexes, &set).unwrap(),
        encode(&values, &indexes, &back).unwrap()
    );
}
