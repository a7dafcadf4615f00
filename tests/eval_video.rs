//! `nmc eval video`: nmc and (where ffmpeg is installed) x264/x265 on the same frames.

use std::process::Command;

#[test]
fn eval_video_measures_nmc_and_the_classic_codecs() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("video.json");
    let plot = dir.path().join("video.svg");
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/bunny.y4m");
    let out = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["eval", "video", "--data", sample, "--frames", "3", "--qualities", "2,8", "--steps", "30", "--device", "cpu", "--classic", "--json"])
        .arg(&json)
        .arg("--plot")
        .arg(&plot)
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("240x134, 3 frames, 4:2:0"), "{stdout}");
    let curves: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let nmc = &curves[0]["points"];
    assert_eq!(nmc.as_array().unwrap().len(), 2);
    let (low, high) = (&nmc[0], &nmc[1]);
    assert!(low["bpp"].as_f64().unwrap() < high["bpp"].as_f64().unwrap());
    assert!(low["metrics"]["psnr_yuv"].as_f64().unwrap() > 15.0);
    // Each frame's metrics, whose mean is the clip's.
    for point in [low, high] {
        let frames = point["metrics"]["frames"].as_array().unwrap();
        assert_eq!(frames.len(), 3);
        let mean = frames.iter().map(|f| f["psnr_rgb"].as_f64().unwrap()).sum::<f64>() / 3.0;
        assert!((mean - point["metrics"]["psnr_rgb"].as_f64().unwrap()).abs() < 1e-9);
        assert!(frames.iter().all(|f| f["ms_ssim"].is_null()), "no MS-SSIM below 161 pixels a side");
    }
    assert!(std::fs::read_to_string(&plot).unwrap().contains("<svg"));
    let ffmpeg = Command::new("ffmpeg").arg("-version").output().is_ok();
    if ffmpeg {
        assert_eq!(curves.as_array().unwrap().len(), 5, "x264 and x265, medium and veryslow, expected: {stderr}");
        assert_eq!(curves[1]["points"].as_array().unwrap().len(), nmc::eval::CRFS.len());
        assert!(curves[1]["points"][5]["metrics"]["psnr_yuv"].as_f64().unwrap() > 35.0, "x264 at CRF 18");
        assert!(stdout.contains("BD-rate of nmc against"));
    } else {
        assert!(stderr.contains("skipped"), "{stderr}");
    }
}

#[test]
fn eval_video_refuses_an_unknown_device() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/bunny.y4m");
    let out = Command::new(env!("CARGO_BIN_EXE_nmc")).args(["eval", "video", "--data", sample, "--device", "gpu"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("unknown or unavailable device 'gpu'"), "{stderr}");
}
