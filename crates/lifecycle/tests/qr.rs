//! QR codes of sign-up links scan back to the link, as PNG and as SVG.

#![cfg(feature = "qr")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use tenantry_identity::SignUpCode;
use tenantry_lifecycle::{MAX_PNG_SCALE, QUIET_ZONE, QrCode, QrError, sign_up_url};

/// Decodes the one QR code in a greyscale image (`dark(x, y)`), as a phone would.
fn scan(width: usize, dark: impl Fn(usize, usize) -> bool) -> String {
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(
            width,
            width,
            |x, y| {
                if dark(x, y) { 0 } else { 255 }
            },
        );
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one code in the image");
    grids[0].decode().unwrap().1
}

fn url() -> String {
    let code = SignUpCode::parse("RURH-ROBluHEzVgieS5hND").unwrap();
    sign_up_url("https://app.example/", &code)
}

#[test]
fn png_scans_back_to_the_url() {
    let url = url();
    assert_eq!(url, "https://app.example/signup/RURH-ROBluHEzVgieS5hND");
    let qr = QrCode::encode(&url).unwrap();
    for scale in [2, 5] {
        let png = qr.to_png(scale).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let width = info.width as usize;
        assert_eq!(width, (qr.size() + 2 * QUIET_ZONE) * scale as usize);
        assert_eq!(info.height as usize, width);
        assert_eq!(info.bit_depth, png::BitDepth::One);
        let stride = info.line_size;
        let dark = |x: usize, y: usize| buf[y * stride + x / 8] & (0x80 >> (x % 8)) == 0;
        // The quiet zone is white all round.
        for i in 0..width {
            for j in 0..QUIET_ZONE * scale as usize {
                assert!(!dark(i, j) && !dark(j, i) && !dark(i, width - 1 - j));
            }
        }
        assert_eq!(scan(width, dark), url, "scale {scale}");
    }
}

#[test]
fn svg_scans_back_to_the_url() {
    let url = url();
    let qr = QrCode::encode(&url).unwrap();
    let svg = qr.to_svg();
    let full = qr.size() + 2 * QUIET_ZONE;
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains(&format!("viewBox=\"0 0 {full} {full}\"")));
    // Read the squares back from the path and draw them 4 pixels per module.
    let path = svg
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let mut grid = vec![vec![false; full]; full];
    for square in path.split('M').filter(|s| !s.is_empty()) {
        let xy = square.strip_suffix("h1v1h-1z").unwrap();
        let (x, y) = xy.split_once(',').unwrap();
        grid[y.parse::<usize>().unwrap()][x.parse::<usize>().unwrap()] = true;
    }
    for (y, row) in grid.iter().enumerate() {
        for (x, &d) in row.iter().enumerate() {
            let inside = (QUIET_ZONE..QUIET_ZONE + qr.size()).contains(&x)
                && (QUIET_ZONE..QUIET_ZONE + qr.size()).contains(&y);
            let expected = inside && qr.is_dark(x - QUIET_ZONE, y - QUIET_ZONE);
            assert_eq!(d, expected, "module {x},{y}");
        }
    }
    assert_eq!(scan(full * 4, |x, y| grid[y / 4][x / 4]), url);
}

#[test]
fn bad_input_is_a_typed_error() {
    let long = "x".repeat(5000);
    assert_eq!(QrCode::encode(&long), Err(QrError::TooLong { len: 5000 }));
    let qr = QrCode::encode("https://app.example/signup/x").unwrap();
    assert_eq!(qr.to_png(0), Err(QrError::Scale(0)));
    assert_eq!(
        qr.to_png(MAX_PNG_SCALE + 1),
        Err(QrError::Scale(MAX_PNG_SCALE + 1))
    );
    // The largest code at the largest scale still renders.
    let biggest = QrCode::encode(&"7".repeat(3900)).unwrap();
    assert_eq!(biggest.size(), 177);
    assert!(biggest.to_png(MAX_PNG_SCALE).is_ok());
    assert!(!qr.is_dark(usize::MAX, 0));
}
