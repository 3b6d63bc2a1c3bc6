//! Makes the two sample images that `imageview` ships, `assets/images/landscape.png` and
//! `assets/images/still-life.png`, from code alone (no randomness, no input files):
//!
//! ```sh
//! cargo run -p demos --example sample_images
//! ```
//!
//! Run it after changing it, look at the images, and commit them: `imageview` compiles them
//! in. Each is 640x480 RGB, drawn with 3x3 samples per pixel.

use std::path::Path;

use anyhow::Context;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 480;
/// Samples per pixel side (anti-aliasing).
const SAMPLES: u32 = 3;

/// A color with components in 0..=1.
type Rgb = [f32; 3];

fn main() -> anyhow::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/images");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (name, scene) in [
        ("landscape.png", landscape as fn(f32, f32) -> Rgb),
        ("still-life.png", still_life),
    ] {
        let path = dir.join(name);
        write_rgb(&path, &render(scene))?;
        let bytes = std::fs::metadata(&path)?.len();
        println!("{}: {} KB", path.display(), bytes / 1024);
    }
    Ok(())
}

/// Renders a scene given as a color at each point (pixel units, y down).
fn render(scene: fn(f32, f32) -> Rgb) -> Vec<u8> {
    let mut out = Vec::with_capacity((WIDTH * HEIGHT * 3) as usize);
    let n = (SAMPLES * SAMPLES) as f32;
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let mut sum = [0.0f32; 3];
            for sy in 0..SAMPLES {
                for sx in 0..SAMPLES {
                    let px = x as f32 + (sx as f32 + 0.5) / SAMPLES as f32;
                    let py = y as f32 + (sy as f32 + 0.5) / SAMPLES as f32;
                    let c = scene(px, py);
                    (0..3).for_each(|i| sum[i] += c[i]);
                }
            }
            out.extend(sum.map(|v| ((v / n).clamp(0.0, 1.0) * 255.0).round() as u8));
        }
    }
    out
}

fn write_rgb(path: &Path, rgb: &[u8]) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(())
}

fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    [0, 1, 2].map(|i| a[i] + (b[i] - a[i]) * t)
}

fn scale(c: Rgb, k: f32) -> Rgb {
    c.map(|v| v * k)
}

fn smoothstep(edge0: f32, edge1: f32, x: f32) -> f32 {
    let t = ((x - edge0) / (edge1 - edge0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

// ---- The landscape: sky, sun, clouds, three ranges of mountains, a lake, a shore ----

const HORIZON: f32 = 300.0;

fn landscape(x: f32, y: f32) -> Rgb {
    let shore = 384.0 + 7.0 * (x / 61.0).sin() + 4.0 * (x / 23.0 + 1.0).sin();
    let color = if y < HORIZON {
        above_water(x, y)
    } else if y < shore {
        // The lake mirrors what is above it, rippled and darkened with depth.
        let ripple = 1.6 * (y * 0.85 + (x * 0.03).sin() * 2.0).sin();
        let mirrored = above_water(x, 2.0 * HORIZON - y + ripple);
        let depth = (y - HORIZON) / (shore - HORIZON);
        mix(
            scale(mirrored, 0.78),
            [0.05, 0.16, 0.26],
            0.25 + 0.35 * depth,
        )
    } else {
        // Grass, darker towards the viewer, with soft bands.
        let t = (y - shore) / (HEIGHT as f32 - shore);
        let band = 0.04 * ((x * 0.045 + y * 0.11).sin() + (x * 0.013 - y * 0.05).sin());
        let grass = mix([0.36, 0.55, 0.22], [0.12, 0.28, 0.10], t);
        grass.map(|v| v + band)
    };
    trees(x, y).unwrap_or(color)
}

/// The sky and the mountains.
fn above_water(x: f32, y: f32) -> Rgb {
    // Nearest range first: the first ridge that the point lies below decides.
    let ranges: [(f32, f32, f32, Rgb); 3] = [
        (298.0, 34.0, 2.0, [0.16, 0.27, 0.24]),
        (282.0, 62.0, 1.0, [0.32, 0.40, 0.50]),
        (262.0, 96.0, 0.0, [0.56, 0.60, 0.74]),
    ];
    for (base, amplitude, seed, color) in ranges {
        let ridge = base
            - amplitude
                * (0.55 * (x * 0.011 + seed * 1.7).sin().abs()
                    + 0.30 * (x * 0.027 + seed * 2.9).sin()
                    + 0.15 * (x * 0.071 + seed).sin()
                    + 0.35);
        if y >= ridge {
            let below = (y - ridge) / (HORIZON - ridge).max(1.0);
            // Lit from the sun's side, hazier near the water.
            let light = 1.0 + 0.12 * ((x * 0.011 + seed * 1.7).cos());
            let mut c = mix(scale(color, light), sky(HORIZON - 1.0), 0.35 * below);
            if seed == 0.0 && y < ridge + 14.0 && ridge < 200.0 {
                c = mix(c, [0.95, 0.94, 0.96], 1.0 - (y - ridge) / 14.0);
            }
            return c;
        }
    }
    let mut c = sky(y);
    // The sun and its glow.
    let d = ((x - 452.0).powi(2) + (y - 188.0).powi(2)).sqrt();
    c = mix(
        c,
        [1.0, 0.78, 0.45],
        0.6 * (-(d - 26.0).max(0.0) / 60.0).exp(),
    );
    c = mix(c, [1.0, 0.97, 0.85], 1.0 - smoothstep(24.0, 27.0, d));
    // Clouds: soft, flattened blobs.
    for (cx, cy, rx, ry) in [
        (140.0, 90.0, 90.0, 16.0),
        (190.0, 80.0, 60.0, 20.0),
        (520.0, 60.0, 80.0, 12.0),
        (330.0, 140.0, 70.0, 9.0),
    ] {
        let q: f32 = ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2);
        let a = (1.0 - q).max(0.0).powf(1.4) * 0.75;
        let lit = mix(
            [1.0, 0.86, 0.80],
            [0.80, 0.72, 0.82],
            (y - cy + ry) / (2.0 * ry),
        );
        c = mix(c, lit, a);
    }
    c
}

fn sky(y: f32) -> Rgb {
    let t = y / HORIZON;
    if t < 0.6 {
        mix([0.10, 0.18, 0.42], [0.42, 0.55, 0.82], t / 0.6)
    } else {
        mix([0.42, 0.55, 0.82], [0.98, 0.74, 0.48], (t - 0.6) / 0.4)
    }
}

/// Pines on the near shore.
fn trees(x: f32, y: f32) -> Option<Rgb> {
    for (tx, base, height) in [
        (48.0, 400.0, 92.0),
        (84.0, 396.0, 70.0),
        (560.0, 398.0, 84.0),
        (598.0, 404.0, 108.0),
    ] {
        let top = base - height;
        if y < top || y > base + 6.0 {
            continue;
        }
        if (x - tx).abs() < 3.0 && y > base - 10.0 {
            return Some([0.25, 0.16, 0.10]);
        }
        // Three stacked cones.
        let t = (y - top) / height;
        let tier = (t * 3.0).fract();
        let half = height * 0.24 * (0.35 + 0.65 * t) * (0.45 + 0.55 * tier);
        if y <= base - 8.0 && (x - tx).abs() < half {
            let shade = 0.8 + 0.25 * ((x - tx) / half);
            return Some(scale([0.08, 0.22, 0.14], shade));
        }
    }
    None
}

// ---- The still life: a wall, a checkered table in perspective, shaded balls ----

const VANISH: (f32, f32) = (320.0, 150.0);
const TABLE: f32 = 290.0;
/// Balls: centre, radius and color, far ones first.
const BALLS: [(f32, f32, f32, Rgb); 4] = [
    (470.0, 292.0, 42.0, [0.92, 0.70, 0.16]),
    (300.0, 300.0, 34.0, [0.36, 0.28, 0.62]),
    (385.0, 352.0, 58.0, [0.10, 0.55, 0.55]),
    (190.0, 346.0, 74.0, [0.82, 0.16, 0.12]),
];

fn still_life(x: f32, y: f32) -> Rgb {
    let mut c = if y < TABLE {
        let t = y / TABLE;
        let wall = mix([0.86, 0.79, 0.68], [0.70, 0.60, 0.49], t);
        let vignette = 1.0 - 0.35 * ((x - 320.0) / 420.0).powi(2);
        scale(wall, vignette)
    } else {
        table(x, y)
    };
    // Shadows on the table, then the balls over everything.
    if y >= TABLE {
        for (bx, by, r, _) in BALLS {
            let q: f32 = ((x - bx - r * 0.45) / (r * 1.15)).powi(2)
                + ((y - by - r * 0.88) / (r * 0.26)).powi(2);
            c = scale(c, 1.0 - 0.5 * (1.0 - smoothstep(0.35, 1.0, q)));
        }
    }
    for (bx, by, r, color) in BALLS {
        let (nx, ny) = ((x - bx) / r, (y - by) / r);
        let d2 = nx * nx + ny * ny;
        if d2 >= 1.0 {
            continue;
        }
        let nz = (1.0 - d2).sqrt();
        let light = normalize([-0.55, -0.62, 0.56]);
        let half = normalize([light[0], light[1], light[2] + 1.0]);
        let diffuse = (nx * light[0] + ny * light[1] + nz * light[2]).max(0.0);
        let specular = (nx * half[0] + ny * half[1] + nz * half[2])
            .max(0.0)
            .powi(60);
        let bounce = 0.18 * ny.max(0.0);
        let lit = color.map(|v| v * (0.16 + 0.86 * diffuse) + bounce * 0.5);
        c = mix(lit, [1.0, 1.0, 1.0], 0.85 * specular);
    }
    c
}

/// A checkered tablecloth seen in perspective, fading into the distance.
fn table(x: f32, y: f32) -> Rgb {
    let depth = 240.0 / (y - VANISH.1).max(1.0);
    let across = (x - VANISH.0) * depth / 240.0;
    let (u, v) = (across * 3.2, depth * 2.2);
    let check = (u.floor() + v.floor()) as i32 % 2 == 0;
    let cloth = if check {
        [0.94, 0.91, 0.85]
    } else {
        [0.70, 0.30, 0.23]
    };
    // The table's front edge is lit; the far part fades into the wall's shade.
    let far = smoothstep(1.2, 1.8, depth);
    mix(cloth, [0.62, 0.54, 0.45], 0.55 * far)
}

fn normalize(v: [f32; 3]) -> [f32; 3] {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    v.map(|c| c / n)
}
