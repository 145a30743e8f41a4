//! Unit tests of `json_pointer.rs`.

use crate::json_pointer::*;
use serde_json::json;

#[test]
fn decodes_escapes_and_percent_encoding() {
    let segments = ref_segments("#/paths/~1companies~1%7BcompanyId%7D~1syncSettings/post").unwrap();
    assert_eq!(
        segments,
        ["paths", "/companies/{companyId}/syncSettings", "post"]
    );
}

#[test]
fn locate_follows_a_chain_to_its_end_and_names_it() {
    let doc = json!({
        "a": {"$ref": "#/b"},
        "b": {"$ref": "#/c~1d"},
        "c/d": {"type": "string"},
        "loop": {"$ref": "#/loop"}
    });
    let (at, node) = locate(&doc, "#/a").unwrap();
    assert_eq!(at, "#/c~1d");
    assert_eq!(node, &json!({"type": "string"}));
    assert!(locate(&doc, "#/loop").unwrap_err().contains("cycle"));
    assert!(locate(&doc, "#/nowhere").is_err());
    assert_eq!(follow_all(&doc, &doc["a"]), &json!({"type": "string"}));
    assert_eq!(follow_all(&doc, &doc["loop"]), &json!({"$ref": "#/loop"}));
}

#[test]
fn resolves_through_arrays() {
    let doc = json!({"a": {"allOf": [{"x": 1}, {"y": 2}]}});
    assert_eq!(resolve(&doc, "#/a/allOf/1/y").unwrap(), &json!(2));
    assert!(resolve(&doc, "#/a/allOf/2").is_err());
    assert!(resolve(&doc, "other.json#/a").is_err());
}

#[test]
fn ref_string_round_trips() {
    let r = ref_string(&["components", "schemas", "a/b~c"]);
    assert_eq!(r, "#/components/schemas/a~1b~0c");
    assert_eq!(
        ref_segments(&r).unwrap(),
        ["components", "schemas", "a/b~c"]
    );
}

#[test]
fn follow_reads_through_one_reference() {
    let doc = json!({"components": {"parameters": {"page": {"name": "page"}}}});
    let by_reference = json!({"$ref": "#/components/parameters/page"});
    assert_eq!(follow(&doc, &by_reference), &json!({"name": "page"}));
    let inline = json!({"name": "size"});
    assert_eq!(follow(&doc, &inline), &inline);
    let dangling = json!({"$ref": "#/components/parameters/gone"});
    assert_eq!(follow(&doc, &dangling), &dangling);
}

#[test]
fn component_names_only_whole_entries() {
    assert_eq!(
        component("#/components/schemas/Connection"),
        Some(("schemas".to_owned(), "Connection".to_owned()))
    );
    assert_eq!(component("#/components/parameters/page/schema"), None);
    assert_eq!(component("#/paths/~1a/get"), None);
}

#[test]
fn refs_under_skips_examples() {
    let node = json!({
        "schema": {"$ref": "#/a"},
        "allOf": [{"$ref": "#/b", "nullable": true}],
        "example": {"$ref": "#/not-a-reference"},
        "examples": {"e": {"value": {"$ref": "#/nor-this"}}}
    });
    let mut refs = refs_under(&node);
    refs.sort();
    assert_eq!(refs, ["#/a", "#/b"]);
}

#[test]
fn uri_reference_encodes_what_a_fragment_cannot_hold_and_reads_back() {
    let reference = ref_string(&["paths", "/companies/{companyId}", "get"]);
    let uri = uri_reference(&reference);
    assert_eq!(uri, "#/paths/~1companies~1%7BcompanyId%7D/get");
    assert_eq!(
        ref_segments(&uri).unwrap(),
        ["paths", "/companies/{companyId}", "get"]
    );
    assert_eq!(uri_reference("#/a b/#"), "#/a%20b/%23");
}

#[test]
fn percent_decode_lossy_keeps_what_is_no_escape() {
    assert_eq!(percent_decode_lossy("a%20b%2Fc"), "a b/c");
    assert_eq!(percent_decode_lossy("a+b"), "a+b");
    assert_eq!(percent_decode_lossy("%zz%4"), "%zz%4");
    assert_eq!(percent_decode_lossy("%+1"), "%+1");
    assert_eq!(percent_decode_lossy("%FF"), "\u{FFFD}");
    assert_eq!(percent_decode_lossy("%C3%A9t%C3%A9"), "été");
}

#[test]
fn a_bad_escape_in_a_reference_is_refused() {
    assert!(
        ref_segments("#/a%zz")
            .unwrap_err()
            .contains("percent-escape")
    );
    assert!(ref_segments("#/a%FF").unwrap_err().contains("UTF-8"));
}
