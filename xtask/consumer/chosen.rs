//! A user's program built from a Codat document of their choosing (the
//! `CODAT_OPENAPI` environment variable): one that adds `ownerUserIds` to a
//! company, as Codat did after the document this crate packages, and an
//! optional `region` parameter to list-companies. `cargo xtask package`
//! builds it against the packaged crate and runs it.

use codat_connections::mock::MockCodat;

fn main() {
    let document = codat_connections::CODAT_DOCUMENT;
    let path = document.path.expect("built from the document CODAT_OPENAPI names");
    assert!(
        document.changes.iter().any(|change| change.contains("ownerUserIds")),
        "the change report lacks the added field: {:?}",
        document.changes
    );
    // The field Codat added, typed, read in the user's own code.
    let company: codat_connections::Company = serde_json::from_str(
        r#"{
            "id": "8a210b68-6988-11ed-a1eb-0242ac120002",
            "name": "Technicalium",
            "redirect": "https://link.codat.io/company/8a210b68-6988-11ed-a1eb-0242ac120002",
            "ownerUserIds": ["5b5a0b6e-4b7c-4f0e-9d2b-1f6e3c2a9d10"]
        }"#,
    )
    .expect("a company of the chosen document");
    let owners: Vec<String> = company.owner_user_ids.iter().map(ToString::to_string).collect();
    assert_eq!(owners, ["5b5a0b6e-4b7c-4f0e-9d2b-1f6e3c2a9d10"]);
    // The mock follows the same document: it answers the parameter the
    // chosen document adds (it refuses a parameter its document lacks).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mock = MockCodat::start().await.expect("the mock starts");
        mock.add_company();
        let client = mock.client().expect("a client of the mock");
        client
            .raw()
            .list_companies()
            .region("uk")
            .send()
            .await
            .expect("the mock accepts the parameter the chosen document adds");
    });
    println!(
        "generated from {path} ({} change(s) against the packaged document), \
         owners {owners:?}; the mock follows it",
        document.changes.len()
    );
}
