//! QR codes of sign-up links, for posters and notices (the workforce platform's department QR codes):
//! SVG for print, PNG for everything else. Pure computation, no I/O.

use std::fmt::Write as _;

use qrcodegen::{QrCode as Matrix, QrCodeEcc};

/// The quiet zone around the code, in modules (the QR standard asks for four).
pub const QUIET_ZONE: usize = 4;

/// The largest PNG scale accepted, in pixels per module: a version-40 code (the largest)
/// is then 7,400 pixels wide, under 7 MB at one bit per pixel.
pub const MAX_PNG_SCALE: u32 = 40;

/// Why a QR code could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The text does not fit in a QR code (about 1,660 characters at this error correction).
    #[error("the text is too long for a QR code ({len} bytes)")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The PNG scale is 0 or above [`MAX_PNG_SCALE`].
    #[error("a PNG scale must be 1 to {MAX_PNG_SCALE} pixels per module, not {0}")]
    Scale(u32),
    /// Encoding the PNG failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// A QR code of a text, with error correction level Q (a quarter of the code may be
/// damaged or covered — posters get scratched and stapled).
#[derive(Clone, PartialEq, Eq)]
pub struct QrCode {
    matrix: Matrix,
}

impl std::fmt::Debug for QrCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QrCode")
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

impl QrCode {
    /// Encodes `text` (a URL, say) in the smallest QR code that holds it.
    pub fn encode(text: &str) -> Result<Self, QrError> {
        Matrix::encode_text(text, QrCodeEcc::Quartile)
            .map(|matrix| Self { matrix })
            .map_err(|_| QrError::TooLong { len: text.len() })
    }

    /// The width of the code in modules, without the quiet zone.
    pub fn size(&self) -> usize {
        usize::try_from(self.matrix.size()).unwrap_or(0)
    }

    /// Whether the module at column `x`, row `y` is dark; outside the code (the quiet zone
    /// and beyond) nothing is.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        match (i32::try_from(x), i32::try_from(y)) {
            (Ok(x), Ok(y)) => self.matrix.get_module(x, y),
            _ => false,
        }
    }

    /// The code as an SVG document: one path of unit squares on a white background, with
    /// the quiet zone, scaling to any size (`width`/`height` are left to the page).
    pub fn to_svg(&self) -> String {
        let size = self.size();
        let full = size + 2 * QUIET_ZONE;
        let mut path = String::new();
        for y in 0..size {
            for x in 0..size {
                if self.is_dark(x, y) {
                    // Writing to a String cannot fail.
                    let _ = write!(path, "M{},{}h1v1h-1z", x + QUIET_ZONE, y + QUIET_ZONE);
                }
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {full} {full}\" \
             shape-rendering=\"crispEdges\"><rect width=\"{full}\" height=\"{full}\" \
             fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>\n"
        )
    }

    /// The code as a black-and-white PNG, `scale` pixels per module, with the quiet zone.
    pub fn to_png(&self, scale: u32) -> Result<Vec<u8>, QrError> {
        if scale == 0 || scale > MAX_PNG_SCALE {
            return Err(QrError::Scale(scale));
        }
        let scale = scale as usize;
        let full = (self.size() + 2 * QUIET_ZONE) * scale;
        let width = u32::try_from(full).map_err(|_| QrError::Scale(scale as u32))?;
        // One bit per pixel, rows padded to whole bytes; 1 is white.
        let stride = full.div_ceil(8);
        let mut pixels = vec![0xFF_u8; stride * full];
        for y in 0..self.size() {
            for x in 0..self.size() {
                if !self.is_dark(x, y) {
                    continue;
                }
                for py in 0..scale {
                    let row = (y + QUIET_ZONE) * scale + py;
                    for px in 0..scale {
                        let col = (x + QUIET_ZONE) * scale + px;
                        if let Some(byte) = pixels.get_mut(row * stride + col / 8) {
                            *byte &= !(0x80 >> (col % 8));
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        let png_error = |e: png::EncodingError| QrError::Png(e.to_string());
        {
            let mut encoder = png::Encoder::new(&mut out, width, width);
            encoder.set_color(png::ColorType::Grayscale);
            encoder.set_depth(png::BitDepth::One);
            let mut writer = encoder.write_header().map_err(png_error)?;
            writer.write_image_data(&pixels).map_err(png_error)?;
            writer.finish().map_err(png_error)?;
        }
        Ok(out)
    }
}
