use indexmap::IndexMap;
use serde::Serialize;

use super::*;

fn yaml(text: &str) -> Value {
    from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn lays_out_blocks_as_serde_yaml_did() {
    let value = yaml(
        "a: [[1, [2, 3]], [], {}, {x: [], w: {}}, null, {p: [a, b], q: {r: s}}]\nb: {}\nc: []\n\
         d: {e: [{f: 1, g: [h]}]}\nz: 1.5\nt: true\n",
    );
    let text = to_string(&value).unwrap();
    assert_eq!(
        text,
        "a:\n- - 1\n  - - 2\n    - 3\n- []\n- {}\n- x: []\n  w: {}\n- null\n- p:\n  - a\n  - b\n  q:\n    r: s\n\
         b: {}\nc: []\nd:\n  e:\n  - f: 1\n    g:\n    - h\nz: 1.5\nt: true\n"
    );
    assert_eq!(text, serde_yaml::to_string(&value).unwrap());
}

#[test]
fn writes_roots_of_every_kind() {
    assert_eq!(to_string("ab").unwrap(), "ab\n");
    assert_eq!(to_string("a\nb").unwrap(), "|-\n  a\n  b\n");
    assert_eq!(to_string(&["a\nb"]).unwrap(), "- |-\n  a\n  b\n");
    assert_eq!(to_string(&Vec::<u8>::new()).unwrap(), "[]\n");
    assert_eq!(to_string(&IndexMap::<String, u8>::new()).unwrap(), "{}\n");
    assert_eq!(to_string(&()).unwrap(), "null\n");
    assert_eq!(to_string(&Some(3)).unwrap(), "3\n");
}

#[test]
fn literal_blocks_keep_every_line_break_and_indentation() {
    let mut map = IndexMap::new();
    map.insert("clip", "echo a\necho b\n");
    map.insert("strip", "echo a\necho b");
    map.insert("keep", "a\n\n");
    map.insert("indented", "  a\nb\n");
    map.insert("empty-lines", "a\n\n\nb\n");
    let text = to_string(&vec![map.clone()]).unwrap();
    assert_eq!(
        text,
        "- clip: |\n    echo a\n    echo b\n  strip: |-\n    echo a\n    echo b\n  keep: |+\n    a\n\n  \
         indented: |2\n      a\n    b\n  empty-lines: |\n    a\n\n\n    b\n"
    );
    let back: Vec<IndexMap<String, String>> = from_str(&text).unwrap();
    assert_eq!(back[0].values().collect::<Vec<_>>(), map.values().collect::<Vec<_>>());
}

#[test]
fn long_keys_are_explicit_as_libyaml_wrote_them() {
    let mut map = IndexMap::new();
    map.insert("k".repeat(129), yaml("{a: 1, b: [1]}"));
    map.insert("x".repeat(128), yaml("[1]"));
    let text = to_string(&map).unwrap();
    assert_eq!(text, serde_yaml::to_string(&map).unwrap());
    let back: IndexMap<String, Value> = from_str(&text).unwrap();
    assert_eq!(back, map);
}

#[test]
fn floats_read_back_as_floats_in_yaml_1_1_too() {
    let values = vec![1.0, 1e20, 1.5e-10, -0.0, f64::INFINITY, f64::NEG_INFINITY];
    assert_eq!(to_string(&values).unwrap(), "- 1.0\n- 1.0e+20\n- 1.5e-10\n- -0.0\n- .inf\n- -.inf\n");
    assert_eq!(to_string(&f64::NAN).unwrap(), ".nan\n");
}

/// Strings that a careless writer changes the meaning of, and how they are written.
const TRICKY: &[(&str, &str)] = &[
    ("yes", "'yes'"),
    ("No", "'No'"),
    ("ON", "'ON'"),
    ("off", "'off'"),
    ("y", "'y'"),
    ("N", "'N'"),
    ("True", "'True'"),
    ("nULL", "'nULL'"),
    ("~", "'~'"),
    ("", "''"),
    ("1_000", "'1_000'"),
    ("1,000", "'1,000'"),
    ("0o17", "'0o17'"),
    ("017", "'017'"),
    ("0x1F", "'0x1F'"),
    ("0b101", "'0b101'"),
    ("+1", "'+1'"),
    ("1:20", "'1:20'"),
    ("190:20:30", "'190:20:30'"),
    (".5", "'.5'"),
    ("1e3", "'1e3'"),
    (".inf", "'.inf'"),
    ("-.Inf", "'-.Inf'"),
    (".NaN", "'.NaN'"),
    ("2024-01-01", "'2024-01-01'"),
    ("2001-12-14t21:59:43.10-05:00", "'2001-12-14t21:59:43.10-05:00'"),
    ("=", "'='"),
    ("<<", "'<<'"),
    (":symbol", "':symbol'"),
    ("- item", "'- item'"),
    ("? key", "'? key'"),
    ("*alias", "'*alias'"),
    ("&anchor", "'&anchor'"),
    ("!tag", "'!tag'"),
    ("#comment", "'#comment'"),
    ("|", "'|'"),
    (">", "'>'"),
    ("@at", "'@at'"),
    ("`tick", "'`tick'"),
    ("%directive", "'%directive'"),
    ("[flow]", "'[flow]'"),
    ("{flow}", "'{flow}'"),
    ("'quoted'", "'''quoted'''"),
    ("\"quoted\"", "'\"quoted\"'"),
    ("a: b", "'a: b'"),
    ("a:", "'a:'"),
    ("a #b", "'a #b'"),
    ("---", "'---'"),
    ("...", "'...'"),
    (" lead", "' lead'"),
    ("trail ", "'trail '"),
    ("tab\there", "\"tab\\there\""),
    ("bell\u{7}", "\"bell\\a\""),
    ("nul\0", "\"nul\\0\""),
    ("cr\rlf", "\"cr\\rlf\""),
    ("nel\u{85}", "\"nel\\N\""),
    ("ls\u{2028}", "\"ls\\L\""),
    ("ps\u{2029}", "\"ps\\P\""),
    ("\u{FEFF}bom", "\"\\uFEFFbom\""),
    ("space \nbreak", "\"space \\nbreak\""),
    ("line\ntrail ", "\"line\\ntrail \""),
    // Safe as they are.
    ("1.2.3", "1.2.3"),
    (".", "."),
    ("a:b", "a:b"),
    ("a#b", "a#b"),
    ("-a", "-a"),
    ("on_success", "on_success"),
    ("yes-please", "yes-please"),
    ("v1.0", "v1.0"),
    ("${{ github.sha }}", "${{ github.sha }}"),
    ("naïve 🚀", "naïve 🚀"),
];

#[test]
fn tricky_strings_as_values_and_keys() {
    for (text, written) in TRICKY {
        let value = to_string(&IndexMap::from([("k", *text)])).unwrap();
        assert_eq!(value, format!("k: {written}\n"), "{text:?} as a value");
        let key = to_string(&IndexMap::from([(*text, 1)])).unwrap();
        assert_eq!(key, format!("{written}: 1\n"), "{text:?} as a key");
        let back: IndexMap<String, String> = from_str(&value).unwrap();
        assert_eq!(back["k"], *text);
        let back: IndexMap<String, u8> = from_str(&key).unwrap();
        assert_eq!(back.keys().next().unwrap(), text);
    }
}

#[test]
fn multi_line_keys_are_double_quoted() {
    let text = to_string(&IndexMap::from([("a\nb", 1)])).unwrap();
    assert_eq!(text, "\"a\\nb\": 1\n");
}

#[derive(Serialize)]
struct Workflow {
    on: IndexMap<&'static str, IndexMap<String, String>>,
    env: IndexMap<String, String>,
}

#[test]
fn only_the_struct_field_on_stays_plain() {
    let workflow = Workflow {
        on: IndexMap::from([("push", IndexMap::new())]),
        env: IndexMap::from([("on".to_string(), "off".to_string())]),
    };
    assert_eq!(to_string(&workflow).unwrap(), "on:\n  push: {}\nenv:\n  'on': 'off'\n");
}

#[derive(Serialize)]
struct Step {
    name: &'static str,
    uses: Commented<&'static str>,
    with: IndexMap<&'static str, Commented<&'static str>>,
}

#[test]
fn comments_above_keys_and_after_scalars() {
    let steps = vec![Step {
        name: "Check out",
        uses: Commented::new("actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8")
            .above("why: pinned by SHA")
            .above("")
            .after("v5.0.0"),
        with: IndexMap::from([("fetch-depth", Commented::new("0").above("the whole history").after("all"))]),
    }];
    let text = to_string(&IndexMap::from([("steps", steps)])).unwrap();
    assert_eq!(
        text,
        "steps:\n- name: Check out\n  # why: pinned by SHA\n  #\n  \
         uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0\n  with:\n    \
         # the whole history\n    fetch-depth: '0' # all\n"
    );
    let back: IndexMap<String, Vec<IndexMap<String, Value>>> = from_str(&text).unwrap();
    assert_eq!(
        back["steps"][0]["uses"],
        Value::String("actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8".into())
    );
}

#[test]
fn comments_above_the_first_key_of_an_item_go_above_its_dash() {
    let items = vec![IndexMap::from([("image", Commented::new("postgres:16").above("pinned by tag"))])];
    assert_eq!(to_string(&items).unwrap(), "# pinned by tag\n- image: postgres:16\n");
    let nested = IndexMap::from([("services", items)]);
    assert_eq!(to_string(&nested).unwrap(), "services:\n# pinned by tag\n- image: postgres:16\n");
}

#[test]
fn comments_on_literal_blocks_and_empty_collections() {
    let mut map = IndexMap::new();
    map.insert("run", Commented::new(Value::String("a\nb\n".into())).after("two lines"));
    map.insert("with", Commented::new(Value::Mapping(Default::default())).above("nothing").after("empty"));
    let text = to_string(&map).unwrap();
    assert_eq!(text, "run: | # two lines\n  a\n  b\n# nothing\nwith: {} # empty\n");
    let back: IndexMap<String, Value> = from_str(&text).unwrap();
    assert_eq!(back["run"], Value::String("a\nb\n".into()));
}

#[test]
fn comments_on_long_keys_and_nested_comments() {
    let long = "k".repeat(129);
    let map = IndexMap::from([(
        long.clone(),
        Commented::new(Commented::new("v").after("inner")).above("about").after("outer"),
    )]);
    let text = to_string(&map).unwrap();
    assert_eq!(text, format!("# about\n? {long}\n: v # outer # inner\n"));
    let back: IndexMap<String, String> = from_str(&text).unwrap();
    assert_eq!(back[&long], "v");
}

#[test]
fn comments_cannot_escape_their_line() {
    for bad in ["a\nb: injected", "a\rb", "a\u{2028}b", "a\u{85}b"] {
        let above = to_string(&IndexMap::from([("k", Commented::new("v").above(bad))]));
        assert!(above.is_err(), "{bad:?} above");
        let after = to_string(&IndexMap::from([("k", Commented::new("v").after(bad))]));
        assert!(after.is_err(), "{bad:?} after");
    }
}

#[test]
fn a_trailing_comment_needs_a_scalar() {
    let value = Commented::new(IndexMap::from([("a", 1)])).after("where would it go");
    let error = to_string(&IndexMap::from([("k", value)])).unwrap_err();
    assert!(error.to_string().contains("trailing comment"), "{error}");
}

#[test]
fn refuses_what_yaml_keys_cannot_be() {
    let map = IndexMap::from([(vec![1], 1)]);
    assert!(to_string(&map).unwrap_err().to_string().contains("mapping key"));
}

#[test]
fn writing_stops_once_the_text_passes_its_limit() {
    let value =
        yaml("env: {A: '1'}\njobs:\n  a: {x: [1, 2], y: text}\n  b: {x: [3, 4], y: more}\n  c: {x: [5], y: end}\n");
    let whole = to_string_limited(&value, None).unwrap();
    assert!(whole.complete && whole.open_entries.is_empty());
    assert_eq!(whole.text, to_string(&value).unwrap());
    let tree = whole.tree_size;

    // At or over the whole size: written to the end, the same text.
    for limit in [SizeLimit::Bytes(whole.text.len()), SizeLimit::Tree(tree)] {
        let written = to_string_limited(&value, Some(limit)).unwrap();
        assert!(written.complete, "{limit:?}");
        assert_eq!(written.text, whole.text);
    }
    // Under it: the beginning of the text, stopped soon after the limit.
    let at_b = whole.text.find("  b:").unwrap();
    let written = to_string_limited(&value, Some(SizeLimit::Bytes(at_b + 3))).unwrap();
    assert!(!written.complete);
    assert!(whole.text.starts_with(&written.text) && written.text.len() > at_b + 3, "{}", written.text);
    assert!(written.text.len() < whole.text.find("  c:").unwrap(), "{}", written.text);
    // The jobs mapping's open entry is `b`: what comes before it holds whole entries only.
    assert_eq!(written.open_entries[1], at_b);
    assert_eq!(&written.text[..at_b], &whole.text[..at_b]);

    let written = to_string_limited(&value, Some(SizeLimit::Tree(tree / 2))).unwrap();
    assert!(!written.complete && written.tree_size > tree / 2 && written.tree_size < tree, "{written:?}");
    assert!(whole.text.starts_with(&written.text));
}

/// A raised budget writes on where the text stopped, to the same text; `extend` is asked each
/// time the text passes its budget, with what was written so far, and `None` stops there.
#[test]
fn an_extended_budget_writes_on_without_starting_again() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let value =
        yaml("env: {A: '1'}\njobs:\n  a: {x: [1, 2], y: text}\n  b: {x: [3, 4], y: more}\n  c: {x: [5], y: end}\n");
    let whole = to_string(&value).unwrap();
    let asked: Rc<RefCell<Vec<usize>>> = Rc::default();
    let seen = Rc::clone(&asked);
    let step = Box::new(move |text: &str, open: &[usize]| {
        assert!(whole_prefix(text, open));
        seen.borrow_mut().push(text.len());
        Some(text.len() + 10)
    });
    let written = to_string_extending(&value, 5, step).unwrap();
    assert!(written.complete);
    assert_eq!(written.text, whole);
    let asked = asked.borrow();
    assert!(asked.len() >= 3 && asked.windows(2).all(|w| w[0] < w[1]), "{asked:?}");

    // `None` stops at the first time the text passes its budget.
    let at_b = whole.find("  b:").unwrap();
    let written = to_string_extending(&value, at_b + 3, Box::new(|_: &str, _: &[usize]| None)).unwrap();
    assert!(!written.complete && whole.starts_with(&written.text));
    assert!(written.text.len() < whole.find("  c:").unwrap(), "{}", written.text);
}

/// Whether the text up to the jobs' open entry is whole entries (ends with a line break).
fn whole_prefix(text: &str, open: &[usize]) -> bool {
    open.get(1).is_none_or(|&at| at == 0 || text[..at].ends_with('\n'))
}
