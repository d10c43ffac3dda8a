//! The decoders of what the lab stores and reads back, fed the seeds of `fuzz/corpus/<target>/`
//! mutated: the LocalStore file and the tenant store's records. Half the inputs are mutated as
//! stored (the checksum then refuses almost all of them), half have their content mutated and
//! sealed again, so the JSON decoding behind the checksum is fuzzed too. The property: an input
//! decodes or is refused with a typed error, never a panic; what decodes encodes back to itself.

use bypass_lab::mediation::LocalStore;
use bypass_lab::seal::{self, Separator};
use bypass_lab::tenant::{decode_appliance, decode_configuration};
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

mod support;
use support::fuzz_corpus;

/// A seed mutated as stored, or its content mutated and sealed again as `context`.
fn stored(target: &'static str, context: fn(&str) -> String) -> impl Strategy<Value = (String, Vec<u8>)> {
    let resealed = fuzz_corpus::mutated(target, 6).prop_map(move |(name, bytes)| {
        let separator = if target == "localstore" { Separator::Newline } else { Separator::Space };
        // The content after the seed's checksum: the mutations that hit the checksum's line
        // are dropped with it.
        let content = bytes.splitn(2, |b| *b == separator_byte(separator)).nth(1).unwrap_or_default().to_vec();
        let sealed = seal::seal(&context(&name), separator, &content);
        (name, sealed)
    });
    prop_oneof![fuzz_corpus::mutated(target, 6), resealed]
}

fn separator_byte(separator: Separator) -> u8 {
    match separator {
        Separator::Space => b' ',
        Separator::Newline => b'\n',
    }
}

#[test]
fn the_localstore_decoder_answers_any_bytes_with_a_store_or_a_typed_error() {
    let decoded = AtomicUsize::new(0);
    proptest!(fuzz_corpus::config("localstore", 500), |((seed, bytes) in stored("localstore", |_| "localstore".into()))| {
        if let Ok(store) = LocalStore::decode(&bytes) {
            decoded.fetch_add(1, Ordering::Relaxed);
            prop_assert_eq!(LocalStore::decode(&store.encode()).ok(), Some(store), "{}", seed);
        }
    });
    assert!(decoded.into_inner() > 0, "nothing decoded: the harness tests the checksum alone");
}

/// The record's name in the store, from the seed's file name (`configuration`, `appliance-<key>`).
fn record_context(seed: &str) -> String {
    match seed.strip_prefix("appliance-") {
        Some(key) => format!("appliances/{key}"),
        None => "configuration/current".into(),
    }
}

#[test]
fn the_tenant_record_decoders_answer_any_bytes_with_a_record_or_a_typed_error() {
    let decoded = AtomicUsize::new(0);
    proptest!(fuzz_corpus::config("tenant_record", 500), |((seed, bytes) in stored("tenant_record", record_context))| {
        match seed.strip_prefix("appliance-") {
            Some(key) => {
                if let Ok(record) = decode_appliance(key, &bytes) {
                    decoded.fetch_add(1, Ordering::Relaxed);
                    let again = seal::seal(&record_context(&seed), Separator::Space, &serde_json::to_vec(&record).unwrap());
                    prop_assert_eq!(decode_appliance(key, &again).ok(), Some(record), "{}", seed);
                }
                // Another key's record never decodes as this one's.
                let other = format!("{}x", key);
                prop_assert!(decode_appliance(&other, &bytes).is_err());
            }
            None => {
                if let Ok(configuration) = decode_configuration(&bytes) {
                    decoded.fetch_add(1, Ordering::Relaxed);
                    let again = seal::seal("configuration/current", Separator::Space, &serde_json::to_vec(&configuration).unwrap());
                    prop_assert_eq!(decode_configuration(&again).ok(), Some(configuration), "{}", seed);
                }
            }
        }
    });
    assert!(decoded.into_inner() > 0, "nothing decoded: the harness tests the checksum alone");
}
