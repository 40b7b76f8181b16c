//! Decoding within a memory budget. The budget is checked before any pixel is
//! decoded, from the file's header and what the decoder really holds while it
//! works: a progressive JPEG keeps every DCT coefficient of the whole image,
//! whatever size it is bound for; a baseline JPEG decodes straight to the
//! smallest DCT scale that still covers the stored size; a large PNG is read a
//! band of rows at a time and reduced as it streams, so it never exists whole.
//!
//! What comes out is one pixel buffer in the file's own channels (grey, grey and
//! alpha, RGB, RGB and alpha), resized next without a copy.

use std::io::Cursor;

use fast_image_resize as fr;

use super::process::{PhotoError, PhotoOptions};

/// Decoded pixels in one buffer, `channels` bytes per pixel (1 grey, 2 grey and
/// alpha, 3 RGB, 4 RGB and alpha).
pub(crate) struct Pixels {
    pub(crate) buf: Vec<u8>,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) channels: u8,
}

impl Pixels {
    pub(crate) fn pixel_type(&self) -> fr::PixelType {
        pixel_type(self.channels)
    }
}

pub(crate) fn pixel_type(channels: u8) -> fr::PixelType {
    match channels {
        1 => fr::PixelType::U8,
        2 => fr::PixelType::U8x2,
        4 => fr::PixelType::U8x4,
        _ => fr::PixelType::U8x3,
    }
}

/// Memory the steps after decoding take, bytes: resizing `w`×`h` pixels of
/// `channels` to fit `edge` (a pass image and the result), the alpha
/// premultiplied copy where there is alpha, the RGB conversion, the thumbnail
/// and both encoders' output.
fn after_decode(w: u64, h: u64, channels: u64, edge: u64) -> u64 {
    let long = w.max(h).max(1);
    let (dw, dh) = if long > edge {
        (
            (w * edge).div_ceil(long).max(1),
            (h * edge).div_ceil(long).max(1),
        )
    } else {
        (w, h)
    };
    let pass = (dw * h).max(w * dh) * channels;
    let premultiplied = if channels.is_multiple_of(2) {
        w * h * channels
    } else {
        0
    };
    let result = dw * dh * channels;
    let rgb = dw * dh * 3 * 3; // RGB, turned upright, and its JPEG at most
    pass + premultiplied + result + rgb + SLACK
}

/// Fixed allowance for decoder tables, Huffman and zlib state, thumbnails.
const SLACK: u64 = 8 << 20;

fn over_budget(need: u64, options: &PhotoOptions) -> PhotoError {
    PhotoError(format!(
        "it needs about {} MB of memory to decode, more than the {} MB allowed",
        need.div_ceil(1 << 20),
        options.max_decode_bytes >> 20
    ))
}

fn too_large(options: &PhotoOptions) -> PhotoError {
    PhotoError(format!(
        "it is larger than {0}×{0} pixels",
        options.max_dimension
    ))
}

fn damaged(e: impl std::fmt::Display) -> PhotoError {
    PhotoError(format!("it is damaged or truncated ({e})"))
}

/// A JPEG frame header: size, coding and each component's sampling factors.
struct Frame {
    width: u32,
    height: u32,
    progressive: bool,
    sampling: Vec<(u8, u8)>,
    /// Where an application or comment segment (EXIF, XMP, ICC…) declares a
    /// length too short to hold even itself. libjpeg skips such a marker and
    /// the bytes after it up to the next marker; jpeg-decoder refuses the file.
    broken: Vec<usize>,
}

/// Reads the frame header (SOFn) by walking the marker segments before it.
fn jpeg_frame(bytes: &[u8]) -> Option<Frame> {
    let mut broken = Vec::new();
    let mut i = 2; // after SOI
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            i += 1; // extraneous bytes between segments, as libjpeg tolerates
            continue;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF || marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            i += if marker == 0xFF { 1 } else { 2 };
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let metadata = matches!(marker, 0xE0..=0xEF | 0xFE);
        if len < 2 && metadata {
            broken.push(i);
            i += 4;
            continue;
        }
        let seg = bytes.get(i + 4..i + 2 + len.max(2))?;
        let sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if sof {
            let height = u32::from(u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]));
            let width = u32::from(u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]));
            let n = usize::from(*seg.get(5)?);
            let sampling = (0..n)
                .map(|c| {
                    let hv = *seg.get(6 + 3 * c + 1)?;
                    Some(((hv >> 4).max(1), (hv & 15).max(1)))
                })
                .collect::<Option<Vec<_>>>()?;
            return Some(Frame {
                width,
                height,
                progressive: matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE),
                sampling,
                broken,
            });
        }
        if marker == 0xDA {
            return None; // image data before any frame header
        }
        i += 2 + len;
    }
    None
}

/// Decodes a JPEG at the smallest DCT scale (1/8, 1/4, 1/2 or 1) that still
/// covers `edge` pixels: a 12 MP photo bound for 1600 px decodes at half size, a
/// quarter of the work. Adobe CMYK and YCCK come out as RGB, in the same buffer.
pub(crate) fn jpeg(bytes: &[u8], edge: u32, options: &PhotoOptions) -> Result<Pixels, PhotoError> {
    let frame = jpeg_frame(bytes).ok_or_else(|| damaged("no frame header"))?;
    let (w, h) = (frame.width, frame.height);
    if w > options.max_dimension || h > options.max_dimension {
        return Err(too_large(options));
    }
    if w == 0 || h == 0 || frame.sampling.is_empty() {
        return Err(damaged("no size in its frame header"));
    }
    // Drop broken metadata markers as libjpeg would; the bytes they leave
    // behind are skipped as extraneous (a copy of the file only when needed).
    let mended: Option<Vec<u8>> = (!frame.broken.is_empty()).then(|| {
        let mut out = Vec::with_capacity(bytes.len());
        let mut from = 0;
        for &at in &frame.broken {
            out.extend_from_slice(&bytes[from..at]);
            from = at + 4;
        }
        out.extend_from_slice(&bytes[from..]);
        out
    });
    let copy = mended.as_ref().map_or(0, |m| m.len() as u64);
    let bytes = mended.as_deref().unwrap_or(bytes);
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(damaged)?;
    let long = w.max(h);
    let (sw, sh) = if long > edge {
        let want = |side: u32| {
            ((u64::from(side) * u64::from(edge)).div_ceil(u64::from(long))).max(1) as u16
        };
        let (sw, sh) = decoder.scale(want(w), want(h)).map_err(damaged)?;
        (u32::from(sw), u32::from(sh))
    } else {
        (w, h)
    };
    let need = jpeg_working_size(&frame, sw, edge) + copy;
    if need > options.max_decode_bytes {
        return Err(over_budget(need, options));
    }
    let mut buf = decoder.decode().map_err(damaged)?;
    let format = decoder.info().map(|i| i.pixel_format);
    drop(decoder); // a progressive decoder's coefficients go here
    let channels = match format {
        Some(jpeg_decoder::PixelFormat::RGB24) => 3,
        Some(jpeg_decoder::PixelFormat::L8) => 1,
        Some(jpeg_decoder::PixelFormat::L16) => {
            // 12-bit and 16-bit grey: keep the high byte, in place.
            for i in 0..buf.len() / 2 {
                buf[i] = buf[2 * i];
            }
            buf.truncate(buf.len() / 2);
            1
        }
        Some(jpeg_decoder::PixelFormat::CMYK32) => {
            cmyk_to_rgb_in_place(&mut buf);
            3
        }
        None => return Err(damaged("no pixel format")),
    };
    if buf.len() < (sw as usize) * (sh as usize) * channels {
        return Err(damaged("fewer pixels than declared"));
    }
    Ok(Pixels {
        buf,
        width: sw,
        height: sh,
        channels: channels as u8,
    })
}

/// jpeg-decoder's CMYK output is ink (0 none, 255 full): it has already undone
/// the inversion Adobe applications write, and turned YCCK into CMYK. Paper
/// white less ink is the colour; the buffer shrinks from 4 to 3 bytes a pixel.
fn cmyk_to_rgb_in_place(buf: &mut Vec<u8>) {
    let pixels = buf.len() / 4;
    for i in 0..pixels {
        let [c, m, y, k] = [buf[4 * i], buf[4 * i + 1], buf[4 * i + 2], buf[4 * i + 3]];
        let white = 255 - u16::from(k);
        for (j, ink) in [c, m, y].into_iter().enumerate() {
            buf[3 * i + j] = ((255 - u16::from(ink)) * white / 255) as u8;
        }
    }
    buf.truncate(pixels * 3);
}

/// What jpeg-decoder holds at most while decoding `frame` to width `sw`, plus
/// the steps after: every coefficient of the whole image when progressive (two
/// bytes each, per component, padded to whole MCUs), each component's plane at
/// the output scale, the interleaved output, and the rest of the pipeline.
fn jpeg_working_size(frame: &Frame, sw: u32, edge: u32) -> u64 {
    let hmax = u64::from(frame.sampling.iter().map(|s| s.0).max().unwrap_or(1));
    let vmax = u64::from(frame.sampling.iter().map(|s| s.1).max().unwrap_or(1));
    let mcux = u64::from(frame.width).div_ceil(8 * hmax);
    let mcuy = u64::from(frame.height).div_ceil(8 * vmax);
    // The DCT scale as a block size: 8 at full size, down to 1 at 1/8.
    let block = (u64::from(sw) * 8)
        .div_ceil(u64::from(frame.width))
        .clamp(1, 8);
    let (mut coefficients, mut planes) = (0, 0);
    for &(hs, vs) in &frame.sampling {
        let blocks = mcux * u64::from(hs) * mcuy * u64::from(vs);
        coefficients += blocks * 64 * 2;
        planes += blocks * block * block;
    }
    let (ow, oh) = (
        u64::from(frame.width).div_ceil(8 / block),
        u64::from(frame.height).div_ceil(8 / block),
    );
    let channels = if frame.sampling.len() == 4 { 4 } else { 3 };
    let output = ow * oh * channels;
    let coefficients = if frame.progressive { coefficients } else { 0 };
    coefficients + planes + output + after_decode(ow, oh, 3, u64::from(edge))
}

/// Decodes a PNG (any bit depth, palette, grey, alpha, interlaced or not) to 8
/// bits a channel. An image more than twice `edge` is read a band of rows at a
/// time and each band reduced to one row by a box filter as it streams; text
/// chunks are skipped unread.
pub(crate) fn png(bytes: &[u8], edge: u32, options: &PhotoOptions) -> Result<Pixels, PhotoError> {
    let mut decoder = ::png::Decoder::new_with_limits(
        Cursor::new(bytes),
        ::png::Limits {
            bytes: SLACK as usize,
        },
    );
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    decoder.set_transformations(::png::Transformations::normalize_to_color8());
    let header = decoder.read_header_info().map_err(damaged)?;
    let (w, h) = (header.width, header.height);
    if w > options.max_dimension || h > options.max_dimension {
        return Err(too_large(options));
    }
    if w == 0 || h == 0 {
        return Err(damaged("no size in its header"));
    }
    let interlaced = header.interlaced;
    let raw_line = header.raw_row_length() as u64;
    let mut reader = decoder.read_info().map_err(damaged)?;
    let channels: u8 = match reader.output_color_type().0 {
        ::png::ColorType::Grayscale => 1,
        ::png::ColorType::GrayscaleAlpha => 2,
        ::png::ColorType::Rgba => 4,
        _ => 3,
    };
    let ch = u64::from(channels);
    let (w64, h64) = (u64::from(w), u64::from(h));
    // Reduce by a whole factor that keeps at least `edge` pixels on the long side.
    let factor = (w.max(h) / edge.max(1)).max(1);
    let banded = factor > 1 && !interlaced;
    let (rw, rh) = if banded {
        (w.div_ceil(factor), h.div_ceil(factor))
    } else {
        (w, h)
    };
    let (rw64, rh64) = (u64::from(rw), u64::from(rh));
    let need = if banded {
        let band = (w64 * u64::from(factor) * ch).max(BAND_BYTES as u64);
        let premultiplied = if ch.is_multiple_of(2) { band } else { 0 };
        band + premultiplied + rw64 * ch * 2 + raw_line * 4 + rw64 * rh64 * ch
    } else {
        w64 * h64 * ch + raw_line * 4
    } + after_decode(rw64, rh64, ch, u64::from(edge));
    if need > options.max_decode_bytes {
        return Err(over_budget(need, options));
    }
    let buf = if banded {
        reduce_bands(&mut reader, (w, h), factor, channels, (rw, rh))?
    } else {
        let mut buf = vec![
            0;
            reader
                .output_buffer_size()
                .ok_or_else(|| too_large(options))?
        ];
        reader.next_frame(&mut buf).map_err(damaged)?;
        buf
    };
    Ok(Pixels {
        buf,
        width: rw,
        height: rh,
        channels,
    })
}

/// Rows are reduced this many bytes of band at a time (at least one output row).
const BAND_BYTES: usize = 4 << 20;

/// Reads bands of whole `factor`-row groups and box-filters each group to one
/// row of the reduced image (alpha weighted): an exact average of each
/// `factor`×`factor` block.
fn reduce_bands(
    reader: &mut ::png::Reader<Cursor<&[u8]>>,
    (w, h): (u32, u32),
    factor: u32,
    channels: u8,
    (rw, rh): (u32, u32),
) -> Result<Vec<u8>, PhotoError> {
    let kind = pixel_type(channels);
    let line = w as usize * usize::from(channels);
    let out_line = rw as usize * usize::from(channels);
    let per_band = (BAND_BYTES / (line * factor as usize)).max(1) as u32;
    let mut band = vec![0u8; line * (factor * per_band) as usize];
    let mut reduced = vec![0u8; out_line * rh as usize];
    let mut resizer = fr::Resizer::new();
    let box_filter =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Box));
    let failed = |e: String| PhotoError(format!("it could not be reduced ({e})"));
    let mut out_row = 0;
    while out_row < rh {
        let outs = per_band.min(rh - out_row);
        let rows = (factor * outs).min(h - out_row * factor);
        for r in 0..rows as usize {
            let row = reader
                .next_row()
                .map_err(damaged)?
                .ok_or_else(|| damaged("fewer rows than declared"))?;
            band[r * line..(r + 1) * line].copy_from_slice(&row.data()[..line]);
        }
        let src = fr::images::ImageRef::new(w, rows, &band[..line * rows as usize], kind)
            .map_err(|e| failed(e.to_string()))?;
        let at = out_row as usize * out_line;
        let mut dst = fr::images::Image::from_slice_u8(
            rw,
            outs,
            &mut reduced[at..at + out_line * outs as usize],
            kind,
        )
        .map_err(|e| failed(e.to_string()))?;
        resizer
            .resize(&src, &mut dst, &box_filter)
            .map_err(|e| failed(e.to_string()))?;
        out_row += outs;
    }
    reader.finish().map_err(damaged)?;
    Ok(reduced)
}
