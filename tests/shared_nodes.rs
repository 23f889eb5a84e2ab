//! Issue 8: writing each repeated node of a pipeline once (YAML anchors and aliases) never
//! changes what the pipeline says. Over generated documents written by pipegen's own YAML
//! writer (nested mappings and sequences from a small vocabulary, so that nodes repeat, with
//! multi-line strings whose lines look like YAML), the shared text reads back as exactly the
//! same data, every anchor is used, no merge key is written, and sharing twice changes nothing.
//! And every committed output reads back as the data its model plans.

use pipegen::yaml::{Mapping, Value, share_repeated_nodes};
use proptest::prelude::*;

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "a",
            "b",
            "run: x",
            "- item",
            "k: v",
            "yes",
            "1",
            "",
            "x\ny: z\n- w",
            "  indented\nkey:",
            "head:\n  one: 1\n  two: 2\n",
            "- k: 1\n  l: 2\n- k: 1\n  l: 2"
        ])
        .prop_map(|s| Value::String(s.to_string())),
        (0u8..3).prop_map(|n| Value::Number(n.into())),
        any::<bool>().prop_map(Value::Bool),
    ]
}

fn keys() -> Vec<String> {
    let mut keys: Vec<String> = ["steps", "env", "with", "name", "on", "- x", "k"].map(String::from).to_vec();
    keys.push("long-".repeat(30));
    keys
}

fn document() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(5, 64, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
            // A key over 128 bytes is written as an explicit key (`? key` then `: value`).
            prop::collection::vec((prop::sample::select(keys()), inner), 0..4).prop_map(|entries| {
                let mut map = Mapping::new();
                for (k, v) in entries {
                    map.insert(Value::String(k), v);
                }
                Value::Mapping(map)
            }),
        ]
    })
}

fn read(text: &str) -> Value {
    pipegen::yaml::from_str(text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn sharing_keeps_the_data(docs in prop::collection::vec(document(), 1..4)) {
        // Several copies of similar subtrees side by side, as jobs are.
        let mut root = Mapping::new();
        for (i, doc) in docs.iter().enumerate() {
            // Each document as a sequence item and as a key's value, in siblings that differ,
            // so that the document itself (not only its parent) is written once.
            for (n, last) in ["a", "b"].iter().enumerate() {
                let item = Value::Sequence(vec![doc.clone(), Value::String(last.to_string())]);
                root.insert(Value::String(format!("items{i}-{n}")), item);
                let mut value = Mapping::new();
                value.insert(Value::String("x".to_string()), doc.clone());
                value.insert(Value::String("y".to_string()), Value::String(last.to_string()));
                root.insert(Value::String(format!("values{i}-{n}")), Value::Mapping(value));
            }
        }
        let root = Value::Mapping(root);
        let text = pipegen::yaml::to_string(&root).expect("writes");
        let shared = share_repeated_nodes(&text, 1);
        prop_assert_eq!(read(&shared), root, "{}", shared);
        prop_assert!(!shared.contains("<<:"));
        for anchor in shared.split(['&']).skip(1) {
            let name: String = anchor.chars().take_while(|c| !c.is_whitespace()).collect();
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') && shared.contains(&format!("&{name}\n")) {
                prop_assert!(shared.contains(&format!("*{name}\n")), "anchor {} is never used:\n{}", name, shared);
            }
        }
        prop_assert_eq!(share_repeated_nodes(&shared, 1), shared.clone());
    }
}
