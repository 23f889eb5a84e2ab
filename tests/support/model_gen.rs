//! Random models for property tests and the fuzz target: the YAML text of a model whose every
//! field may hold an arbitrary string, grown from a byte string.
//!
//! Bytes in, model out (as `arbitrary`'s `Unstructured` does), so the same generator serves
//! proptest (which shrinks the bytes, and so the model) and libFuzzer (which mutates them). An
//! exhausted byte string reads as zeros, and zero always picks the simplest choice: a valid
//! value from a field's small vocabulary. So short inputs give mostly valid models that plan and
//! emit, and longer ones reach the odd corners: control characters, newlines, escape sequences,
//! `${{ … }}`, shell metacharacters, long lines, raw bytes in any YAML quoting style.

#![allow(dead_code)]

/// Randomness read from a byte string.
pub struct Entropy<'a> {
    bytes: &'a [u8],
    at: usize,
    /// How often (in %) a field gets anything rather than a value of its vocabulary.
    wild: u8,
}

impl<'a> Entropy<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let mut entropy = Entropy { bytes, at: 0, wild: 0 };
        entropy.wild = [0, 2, 10, 30][entropy.below(4)];
        entropy
    }

    fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    /// A number below `n` (0 when the bytes run out).
    fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let wide = (usize::from(self.byte()) << 8) | usize::from(self.byte());
        wide % n
    }

    /// True with about `percent` % chance (never once the bytes run out).
    fn chance(&mut self, percent: u8) -> bool {
        let b = self.byte();
        b != 0 && (u16::from(b) * 100 / 256) < u16::from(percent)
    }

    fn pick<'v, T>(&mut self, items: &'v [T]) -> &'v T {
        &items[self.below(items.len())]
    }
}

/// What kind of value a field takes; each has a vocabulary of valid values.
#[derive(Clone, Copy)]
enum Kind {
    Name,
    JobName,
    Axis,
    AxisValue,
    Registry,
    Path,
    Glob,
    Target,
    Duration,
    EnvName,
    EnvValue,
    Script,
    ImageRef,
    HttpPath,
    Command,
}

fn vocabulary(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Name => &["base", "app", "tools", "db"],
        Kind::JobName => &["test", "lint", "e2e"],
        Kind::Axis => &["ruby", "pg"],
        Kind::AxisValue => &["3.2", "3.3", "16", "17"],
        Kind::Registry => &["registry.example.com/t", "localhost:5000/x"],
        Kind::Path => &["images/base", "Dockerfile", "app/Dockerfile", "vendor", "Gemfile.lock", "ci.yml"],
        Kind::Glob => &["src/**", "*.lock", "lib"],
        Kind::Target => &["runtime", "build"],
        Kind::Duration => &["30s", "5m", "1h30m"],
        Kind::EnvName => &["RUBY_VERSION", "LANG", "FLAVOR"],
        Kind::EnvValue => &["${ruby}", "C.UTF-8", "1", "a b"],
        Kind::Script => &["make test", "echo \"$ruby\"", "bundle exec rspec"],
        Kind::ImageRef => &["app", "base", "postgres:16.4", "ruby:3.3"],
        Kind::HttpPath => &["/health", "/-/readiness"],
        Kind::Command => &["pg_isready", "true"],
    }
}

/// Characters that matter somewhere: to YAML, shells, GitHub expressions, terminals, paths.
const SPECIAL: &[char] = &[
    '\0', '\n', '\r', '\t', '\u{1b}', '\u{7}', '\u{7f}', '\u{85}', '\u{9b}', '\u{2028}', '\u{2029}', '\u{202e}',
    '\u{feff}', '$', '{', '}', '(', ')', '`', '"', '\'', '\\', ':', '#', '&', '*', '!', '|', '>', '<', '-', '[', ']',
    ',', '%', '@', ' ', '/', '.', '~', '?', ';', '=', 'é', '→', '🦀',
];

/// Pieces that mean something as a whole.
const PIECES: &[&str] = &[
    "${{ github.event.issue.title }}",
    "${{ secrets.TOKEN }}",
    "$(touch /tmp/pwned)",
    "`id`",
    "${HOME}",
    "$CI_JOB_TOKEN",
    "../",
    "\n/../../",
    "\u{1b}[2J",
    "\u{1b}]0;title\u{7}",
    "1_000",
    "2024-01-01",
    "1:20",
    "yes",
    "~",
    "<<",
    "*a",
    "&a",
    "!!str",
    "- ",
    "? ",
    "---",
    "...",
    "#",
    "PIPEGEN_",
    "GITHUB_",
];

/// A value for a field: usually from its vocabulary, sometimes anything.
fn text(e: &mut Entropy, kind: Kind) -> String {
    let wild = e.wild;
    if !e.chance(wild) {
        return (*e.pick(vocabulary(kind))).to_string();
    }
    let mut out = String::new();
    if e.chance(20) {
        let start = e.pick(vocabulary(kind));
        out.push_str(start);
    }
    let length = if e.chance(5) { 100 + e.below(3000) } else { e.below(12) };
    while out.chars().count() < length {
        match e.below(4) {
            0 => out.push(*e.pick(SPECIAL)),
            1 => {
                let piece = e.pick(PIECES);
                out.push_str(piece);
            }
            2 => out.push(char::from_u32(e.below(0x11_0000) as u32).unwrap_or('x')),
            _ => out.push((b'a' + (e.below(26) as u8)) as char),
        }
    }
    out
}

/// How a scalar is written: escaped (so any character arrives intact), or raw in one of YAML's
/// styles (so the text may be broken YAML, or hold raw control characters).
fn scalar(e: &mut Entropy, value: &str) -> String {
    let styles = if e.chance(15) { 3 } else { 1 };
    match e.below(styles) {
        0 => escaped(value),
        1 => format!("'{value}'"),
        _ => value.to_string(),
    }
}

/// A double-quoted YAML scalar that reads back as `value` exactly.
pub fn escaped(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Up to `most` names of `kind`, without repeats (a repeated key is a different error).
fn names(e: &mut Entropy, kind: Kind, least: usize, most: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for _ in 0..least + e.below(most - least + 1) {
        let name = text(e, kind);
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// A model as YAML text.
pub fn model(bytes: &[u8]) -> String {
    let e = &mut Entropy::new(bytes);
    let mut y = String::new();
    y.push_str("pipegen: 1\n");
    y.push_str(&format!("name: {}\n", scalar_of(e, Kind::Name)));
    y.push_str(&format!("registry: {}\n", scalar_of(e, Kind::Registry)));
    if e.chance(40) {
        y.push_str("outputs:\n");
        y.push_str(&format!("  gitlab: {}\n", scalar_of(e, Kind::Path)));
        if e.chance(50) {
            y.push_str(&format!("  github: {}\n", scalar_of(e, Kind::Path)));
        }
    }
    let axes = names(e, Kind::Axis, 0, 2);
    if !axes.is_empty() {
        y.push_str("axes:\n");
        for axis in &axes {
            let values: Vec<String> = names(e, Kind::AxisValue, 1, 3).iter().map(|v| scalar(e, v)).collect();
            y.push_str(&format!("  {}: [{}]\n", scalar(e, axis), values.join(", ")));
        }
    }
    let caches = names(e, Kind::Name, 0, 1);
    if !caches.is_empty() {
        y.push_str("caches:\n");
        for cache in &caches {
            y.push_str(&format!(
                "  {}: {{ key: [{}], paths: [{}] }}\n",
                scalar(e, cache),
                scalar_of(e, Kind::Path),
                scalar_of(e, Kind::Path)
            ));
        }
    }
    let images = names(e, Kind::Name, 1, 4);
    y.push_str("images:\n");
    for (i, image) in images.iter().enumerate() {
        y.push_str(&format!("  {}:\n", scalar(e, image)));
        y.push_str("    tag: content\n");
        if e.chance(50) {
            y.push_str(&format!("    context: {}\n", scalar_of(e, Kind::Path)));
        }
        if e.chance(30) {
            y.push_str(&format!("    dockerfile: {}\n", scalar_of(e, Kind::Path)));
        }
        if e.chance(30) {
            y.push_str(&format!("    inputs: [{}]\n", scalar_of(e, Kind::Glob)));
        }
        if e.chance(30) {
            y.push_str(&format!("    target: {}\n", scalar_of(e, Kind::Target)));
        }
        if i > 0 && e.chance(50) {
            let parent = images[e.below(i)].clone();
            let parent = scalar(e, &parent);
            if e.chance(30) {
                y.push_str(&format!("    from: [{{ image: {parent}, arg: {} }}]\n", scalar_of(e, Kind::EnvName)));
            } else {
                y.push_str(&format!("    from: {parent}\n"));
            }
        }
        if !axes.is_empty() && e.chance(40) {
            let axis = axes[e.below(axes.len())].clone();
            y.push_str(&format!("    axes: [{}]\n", scalar(e, &axis)));
        }
        if e.chance(50) {
            y.push_str(&format!("    args: {{ {}: {} }}\n", scalar_of(e, Kind::EnvName), scalar_of(e, Kind::EnvValue)));
        }
    }
    let services = names(e, Kind::Name, 0, 1);
    if !services.is_empty() {
        y.push_str("services:\n");
        for service in &services {
            y.push_str(&format!("  {}:\n", scalar(e, service)));
            y.push_str(&format!("    image: {}\n", scalar_of(e, Kind::ImageRef)));
            y.push_str(&format!("    port: {}\n", if e.chance(10) { e.below(100_000) } else { 5432 }));
            let probe = match e.below(3) {
                0 => format!("http: {}", scalar_of(e, Kind::HttpPath)),
                1 => "tcp: true".to_string(),
                _ => format!("cmd: {}", scalar_of(e, Kind::Command)),
            };
            y.push_str(&format!("    health: {{ {probe}, timeout: {} }}\n", scalar_of(e, Kind::Duration)));
            if e.chance(50) {
                y.push_str(&format!(
                    "    env: {{ {}: {} }}\n",
                    scalar_of(e, Kind::EnvName),
                    scalar_of(e, Kind::EnvValue)
                ));
            }
        }
    }
    let jobs = names(e, Kind::JobName, 0, 2);
    if !jobs.is_empty() {
        y.push_str("jobs:\n");
        for job in &jobs {
            y.push_str(&format!("  {}:\n", scalar(e, job)));
            let image = if e.chance(70) {
                let own = images[e.below(images.len())].clone();
                scalar(e, &own)
            } else {
                scalar_of(e, Kind::ImageRef)
            };
            y.push_str(&format!("    image: {image}\n"));
            let script: Vec<String> = (0..1 + e.below(3)).map(|_| scalar_of(e, Kind::Script)).collect();
            y.push_str(&format!("    script: [{}]\n", script.join(", ")));
            if !services.is_empty() && e.chance(40) {
                let service = services[e.below(services.len())].clone();
                y.push_str(&format!("    services: [{}]\n", scalar(e, &service)));
            }
            if !caches.is_empty() && e.chance(40) {
                let cache = caches[e.below(caches.len())].clone();
                y.push_str(&format!("    caches: [{}]\n", scalar(e, &cache)));
            }
            if !axes.is_empty() && e.chance(30) {
                let axis = axes[e.below(axes.len())].clone();
                y.push_str(&format!("    axes: [{}]\n", scalar(e, &axis)));
            }
            if e.chance(30) {
                let most = if e.chance(10) { 1000 } else { 4 };
                y.push_str(&format!("    parallel: {}\n", 1 + e.below(most)));
            }
            if e.chance(30) {
                y.push_str(&format!("    retry: {}\n", e.below(3)));
            }
            if e.chance(30) {
                y.push_str(&format!("    timeout: {}\n", scalar_of(e, Kind::Duration)));
            }
            if e.chance(30) {
                y.push_str(&format!(
                    "    env: {{ {}: {} }}\n",
                    scalar_of(e, Kind::EnvName),
                    scalar_of(e, Kind::EnvValue)
                ));
            }
            if e.chance(20) {
                let when = *e.pick(&["on_success", "on_failure", "always"]);
                y.push_str(&format!("    artifacts: {{ paths: [{}], when: {when} }}\n", scalar_of(e, Kind::Path)));
            }
            if e.chance(10) {
                y.push_str(&format!("    submodules: {}\n", e.pick(&["true", "false", "yes", "1"])));
            }
        }
    }
    // Now and then, a line of anything: broken YAML must be located as well as a bad value.
    if e.chance(5) {
        y.push_str(&text(e, Kind::Script));
        y.push('\n');
    }
    y
}

fn scalar_of(e: &mut Entropy, kind: Kind) -> String {
    let value = text(e, kind);
    scalar(e, &value)
}
