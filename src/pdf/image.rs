//! PNG images for signature and seal appearances: colour samples as an image XObject, the alpha
//! channel as its /SMask, and the real size from the pHYs chunk.

use super::font::deflate_level;
use super::PdfError;
use lopdf::{Dictionary, Object, Stream};

/// Images wider or taller than this are refused: a seal scanned at 1200 dpi is ~2000 px wide;
/// 8192 px bounds decoding memory (8192² RGBA = 256 MiB is the ceiling set below as well).
const MAX_SIDE: u32 = 8192;
/// Decoder memory ceiling (bytes), the same bound expressed for the png crate.
const MAX_DECODE_BYTES: usize = 256 * 1024 * 1024;

/// A decoded PNG.
pub(crate) struct Png {
    pub width: u32,
    pub height: u32,
    /// 8-bit samples, `channels` per pixel, without alpha.
    pub color: Vec<u8>,
    pub gray: bool,
    /// 8-bit alpha, one per pixel, when any pixel is not opaque.
    pub alpha: Option<Vec<u8>>,
    /// Physical size in millimetres, from pHYs (unit metre), if given.
    pub size_mm: Option<(f64, f64)>,
}

impl Png {
    pub fn decode(bytes: &[u8]) -> Result<Png, PdfError> {
        let bad = |e: String| PdfError::Image(e);
        let limits = png::Limits { bytes: MAX_DECODE_BYTES };
        let mut dec = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), limits);
        dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = dec.read_info().map_err(|e| bad(format!("not a readable PNG: {e}")))?;
        let info = reader.info();
        let (width, height) = (info.width, info.height);
        if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
            return Err(bad(format!("image of {width}×{height} pixels; at most {MAX_SIDE}×{MAX_SIDE}")));
        }
        let size_mm = info.pixel_dims.and_then(|d| {
            (d.unit == png::Unit::Meter && d.xppu > 0 && d.yppu > 0)
                .then(|| (f64::from(width) * 1000.0 / f64::from(d.xppu), f64::from(height) * 1000.0 / f64::from(d.yppu)))
        });
        let size = reader.output_buffer_size().ok_or_else(|| bad("image too large".into()))?;
        let mut buf = vec![0u8; size];
        let frame = reader.next_frame(&mut buf).map_err(|e| bad(format!("cannot decode the PNG: {e}")))?;
        buf.truncate(frame.buffer_size());
        let px = (width as usize) * (height as usize);
        let (channels, has_alpha, gray) = match frame.color_type {
            png::ColorType::Grayscale => (1, false, true),
            png::ColorType::GrayscaleAlpha => (2, true, true),
            png::ColorType::Rgb => (3, false, false),
            png::ColorType::Rgba => (4, true, false),
            png::ColorType::Indexed => return Err(bad("palette image was not expanded".into())),
        };
        if frame.bit_depth != png::BitDepth::Eight || buf.len() < px * channels || frame.line_size != width as usize * channels {
            return Err(bad("unexpected sample layout".into()));
        }
        let (color, alpha) = if has_alpha {
            let cc = channels - 1;
            let mut color = Vec::with_capacity(px * cc);
            let mut alpha = Vec::with_capacity(px);
            for p in buf.chunks_exact(channels).take(px) {
                color.extend_from_slice(&p[..cc]);
                alpha.push(p[cc]);
            }
            let alpha = alpha.iter().any(|&a| a != 255).then_some(alpha);
            (color, alpha)
        } else {
            buf.truncate(px * channels);
            (buf, None)
        };
        Ok(Png { width, height, color, gray, alpha, size_mm })
    }

    /// The image XObject and, when the image has transparency, its soft mask.
    pub fn objects(&self, smask_id: lopdf::ObjectId) -> (Object, Option<Object>) {
        let image = |data: &[u8], gray: bool| {
            let mut d = Dictionary::new();
            d.set("Type", Object::Name(b"XObject".to_vec()));
            d.set("Subtype", Object::Name(b"Image".to_vec()));
            d.set("Width", Object::Integer(i64::from(self.width)));
            d.set("Height", Object::Integer(i64::from(self.height)));
            d.set("ColorSpace", Object::Name(if gray { b"DeviceGray".to_vec() } else { b"DeviceRGB".to_vec() }));
            d.set("BitsPerComponent", Object::Integer(8));
            d.set("Filter", Object::Name(b"FlateDecode".to_vec()));
            Stream::new(d, deflate_level(data, flate2::Compression::fast()))
        };
        let mut main = image(&self.color, self.gray);
        let smask = self.alpha.as_ref().map(|a| {
            main.dict.set("SMask", Object::Reference(smask_id));
            Object::Stream(image(a, true))
        });
        (Object::Stream(main), smask)
    }
}
