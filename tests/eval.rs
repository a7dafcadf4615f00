//! `nmc eval image` and `nmc eval audio`: per-file results, classic codecs in the same run, published anchors, a baseline model.

mod common;

use std::path::Path;
use std::process::Command;

use nmc::eval::rd::RdCurve;

/// Runs `nmc eval image` on one image with one model file plus `extra` arguments; returns the
/// stdout and the curves of its `--json` output.
fn run_eval(image: &nmc::Image, model: Vec<u8>, extra: &[&str]) -> (String, Vec<serde_json::Value>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("a.png"), image.encode(image::ImageFormat::Png).unwrap()).unwrap();
    std::fs::write(dir.path().join("m.nmcm"), model).unwrap();
    let json = dir.path().join("rd.json");
    let out = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["eval", "image", "--data"])
        .arg(&data)
        .arg("--model")
        .arg(dir.path().join("m.nmcm"))
        .arg("--json")
        .arg(&json)
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let curves: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), curves.as_array().unwrap().clone())
}

#[test]
fn eval_writes_curves_and_compares() {
    let (_, curves) = run_eval(&common::test_image(48, 32), common::tiny_model_bytes(3), &["--classic"]);
    assert_eq!(curves[0]["name"], "nmc");
    assert_eq!(curves[0]["results"]["bpp"].as_array().unwrap().len(), 1);
    assert_eq!(curves[0]["images"][0][0]["name"], "a.png");
    let has_cjpeg = Command::new("cjpeg").arg("-version").output().is_ok();
    if has_cjpeg {
        let jpeg = curves.iter().find(|c| c["name"].as_str().unwrap().starts_with("JPEG")).expect("JPEG curve");
        let bpp: Vec<f64> = jpeg["results"]["bpp"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert!(bpp.len() >= 4 && bpp.windows(2).all(|w| w[0] <= w[1]) && bpp[0] < bpp[bpp.len() - 1], "{bpp:?}");
    }
}

#[test]
fn reads_compressai_anchor_files() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/anchors/kodak/jpeg.json");
    let curves = RdCurve::read_json(&path).expect("the shared Kodak anchors are present");
    let [curve] = curves.as_slice() else { panic!("{} curves in jpeg.json", curves.len()) };
    assert!(curve.points.len() >= 4);
    // Published JPEG on Kodak: about 29 dB at 0.5 bpp.
    let psnr = curve.psnr_at(0.5).unwrap();
    assert!((28.0..30.5).contains(&psnr), "{psnr}");
}

#[test]
fn variable_rate_models_give_a_curve_and_bd_rates() {
    let anchors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/anchors/kodak");
    let extra = ["--qualities", "1,3,5,8", "--anchors", anchors.to_str().unwrap()];
    let (stdout, curves) = run_eval(&common::sample(), common::tiny_hyperprior_bytes(2), &extra);
    assert_eq!(curves[0]["results"]["bpp"].as_array().unwrap().len(), 4);
    assert!(stdout.contains("BD-rate of nmc against"));

    // An earlier run's --json (a list of curves) is an anchor too, each curve named by file and curve.
    let dir = tempfile::tempdir().unwrap();
    let mut other = curves[0].clone();
    other["name"] = "other".into();
    std::fs::write(dir.path().join("before.json"), serde_json::to_vec(&[curves[0].clone(), other]).unwrap()).unwrap();
    let extra = ["--qualities", "1,3,5,8", "--anchors", dir.path().to_str().unwrap()];
    let (stdout, _) = run_eval(&common::sample(), common::tiny_hyperprior_bytes(2), &extra);
    assert!(stdout.contains("before: nmc") && stdout.contains("before: other"), "{stdout}");
}

/// `nmc eval audio` on the sample speech with the shipped model: two qualities, Opus in the
/// same run when installed, JSON and plot written.
#[test]
fn eval_audio_writes_curves_and_compares_with_opus() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/speech.wav"), data.join("speech.wav")).unwrap();
    let (json, plot) = (dir.path().join("rd.json"), dir.path().join("rd.svg"));
    let out = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["eval", "audio", "--qualities", "1,8", "--classic", "--data"])
        .arg(&data)
        .arg("--json")
        .arg(&json)
        .arg("--plot")
        .arg(&plot)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let curves: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let nmc = &curves[0]["points"];
    assert_eq!(nmc.as_array().unwrap().len(), 2);
    assert_eq!(nmc[0]["clips"][0]["name"], "speech.wav");
    assert!(nmc[1]["kbps"].as_f64().unwrap() > nmc[0]["kbps"].as_f64().unwrap());
    assert!(nmc[0]["metrics"]["mel"].as_f64().unwrap() > 0.0);
    let opus = Command::new("opusenc").arg("--version").output().is_ok();
    assert_eq!(curves.as_array().unwrap().len(), if opus { 2 } else { 1 });
    if opus {
        // Opus at 6..32 kbps: the real rate rises with the target.
        let kbps: Vec<f64> = curves[1]["points"].as_array().unwrap().iter().map(|p| p["kbps"].as_f64().unwrap()).collect();
        assert!(kbps.len() == 6 && kbps.windows(2).all(|w| w[0] < w[1]), "{kbps:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("BD-rate of nmc against"));
    }
    assert!(std::fs::read_to_string(&plot).unwrap().contains("<svg"));
}

/// `nmc eval audio --baseline`: a second model on the same clips and qualities gets its own
/// curve (named by its id), rows and a BD-rate row; a missing baseline file is named.
#[test]
fn eval_audio_runs_a_baseline_model_beside_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/speech.wav"), data.join("speech.wav")).unwrap();
    let (model, baseline, json) = (dir.path().join("a.nmcm"), dir.path().join("b.nmcm"), dir.path().join("rd.json"));
    std::fs::write(&model, common::tiny_audio_bytes(1)).unwrap();
    std::fs::write(&baseline, common::tiny_audio_bytes(2)).unwrap();
    let eval = |baseline: &Path| {
        Command::new(env!("CARGO_BIN_EXE_nmc"))
            .args(["eval", "audio", "--qualities", "1,3,5,8", "--data"])
            .arg(&data)
            .arg("--model")
            .arg(&model)
            .arg("--baseline")
            .arg(baseline)
            .arg("--json")
            .arg(&json)
            .output()
            .unwrap()
    };
    let out = eval(&baseline);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let curves: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let id = |bytes: Vec<u8>| nmc::Model::from_bytes(&bytes).unwrap().id().to_string()[..8].to_string();
    let names: Vec<&str> = curves.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, [format!("nmc {}", id(common::tiny_audio_bytes(1))), format!("nmc {}", id(common::tiny_audio_bytes(2)))]);
    assert_eq!(curves[1]["points"].as_array().unwrap().len(), 4);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("baseline {} q8", id(common::tiny_audio_bytes(2)))), "{stdout}");
    assert!(stdout.contains(&format!("{} [this run]", names[1])), "{stdout}");

    let out = eval(&dir.path().join("missing.nmcm"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.nmcm"), "{}", String::from_utf8_lossy(&out.stderr));
}
