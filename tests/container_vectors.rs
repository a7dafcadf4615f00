//! Checks every file of `format-spec/vectors/` against `expected.json`.

use std::path::Path;

use nmc::container::Container;
use nmc::Error;
use serde_json::Value;

/// The name of an error variant, as `expected.json` spells it.
fn variant(e: &Error) -> &'static str {
    match e {
        Error::Io { .. } => "Io",
        Error::File { .. } => "File",
        Error::BadMagic => "BadMagic",
        Error::UnsupportedVersion { .. } => "UnsupportedVersion",
        Error::Truncated(_) => "Truncated",
        Error::CrcMismatch(_) => "CrcMismatch",
        Error::LimitExceeded { .. } => "LimitExceeded",
        Error::UnknownRequiredChunk(_) => "UnknownRequiredChunk",
        Error::Malformed(_) => "Malformed",
        Error::ModelNotFound(_) => "ModelNotFound",
        Error::Model(_) => "Model",
        Error::UnsupportedMedia(_) => "UnsupportedMedia",
        Error::InvalidArgument(_) => "InvalidArgument",
        Error::Diverged { .. } => "Diverged",
    }
}

#[test]
fn vectors_match_expected() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("format-spec/vectors");
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("expected.json"))
            .expect("expected.json is JSON");
    let entries = expected.as_array().expect("expected.json is an array");
    let mut listed = Vec::new();
    for entry in entries {
        let file = entry["file"].as_str().expect("entry has a file");
        listed.push(file.to_string());
        let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let result = Container::parse(&bytes);
        match (entry["outcome"].as_str(), result) {
            (Some("ok"), Ok(container)) => {
                let types: Vec<String> = container
                    .chunks
                    .iter()
                    .map(|c| c.fourcc.to_string())
                    .collect();
                if let Some(want) = entry.get("chunks") {
                    let want: Vec<String> =
                        serde_json::from_value(want.clone()).expect("chunk list");
                    assert_eq!(types, want, "{file}: chunk types");
                }
                // What parses also re-serializes to the same bytes, except for later minors.
                if container.header.minor == nmc::container::MINOR {
                    assert_eq!(
                        container.to_bytes().expect("re-encode"),
                        bytes,
                        "{file}: re-encode"
                    );
                }
            }
            (Some("error"), Err(e)) => {
                assert_eq!(Some(variant(&e)), entry["error"].as_str(), "{file}: {e}");
            }
            (outcome, result) => panic!("{file}: expected {outcome:?}, got {result:?}"),
        }
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("vectors dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".nmc"))
        .collect();
    on_disk.sort();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "every .nmc vector is listed in expected.json, and only those"
    );
}
