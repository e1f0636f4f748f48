//! Notes: what a user asked to be remembered, kept in order, bounded, and only ever theirs.

use switchboard::store::{NOTE_MAX_CHARS, NOTES_KEPT, StoreError};

use crate::support::{Backend, JAN_1_2025_MS as T0, user};

pub async fn notes_add_list_and_clear_in_order(b: Backend) {
    let s = b.store.as_ref();
    let ann = user("acme", "telegram:ann");
    let bea = user("acme", "telegram:bea");
    assert!(s.notes(&ann).await.unwrap().is_empty());
    assert_eq!(s.clear_notes(&ann).await.unwrap(), 0);

    assert_eq!(s.add_note(&ann, "I'm vegetarian", T0).await.unwrap(), 1);
    assert_eq!(
        s.add_note(&ann, "Mon chat s'appelle Léon 🐈", T0 + 5)
            .await
            .unwrap(),
        2
    );
    s.add_note(&bea, "bea's secret", T0 + 1).await.unwrap();
    let notes = s.notes(&ann).await.unwrap();
    assert_eq!(
        notes.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
        ["I'm vegetarian", "Mon chat s'appelle Léon 🐈"]
    );
    assert_eq!(notes[1].at_ms, T0 + 5);

    // The same user id in another tenant is another person.
    assert!(
        s.notes(&user("other", "telegram:ann"))
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(s.clear_notes(&ann).await.unwrap(), 2);
    assert!(s.notes(&ann).await.unwrap().is_empty());
    assert_eq!(s.notes(&bea).await.unwrap().len(), 1, "bea's notes survive");
}

pub async fn notes_are_bounded_dropping_the_oldest(b: Backend) {
    let s = b.store.as_ref();
    let ann = user("acme", "telegram:ann");
    for i in 0..NOTES_KEPT + 3 {
        let n = s
            .add_note(&ann, &format!("note {i}"), T0 + i as u64)
            .await
            .unwrap();
        assert_eq!(n, (i + 1).min(NOTES_KEPT));
    }
    let notes = s.notes(&ann).await.unwrap();
    assert_eq!(notes.len(), NOTES_KEPT);
    assert_eq!(notes[0].text, "note 3");
    assert_eq!(
        notes[NOTES_KEPT - 1].text,
        format!("note {}", NOTES_KEPT + 2)
    );
}

pub async fn bad_notes_are_refused(b: Backend) {
    let s = b.store.as_ref();
    let ann = user("acme", "telegram:ann");
    for bad in [
        String::new(),
        "   \n".into(),
        "x".repeat(NOTE_MAX_CHARS + 1),
    ] {
        let err = s.add_note(&ann, &bad, T0).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    }
    // The limit is in characters, not bytes.
    let long = "é".repeat(NOTE_MAX_CHARS);
    assert_eq!(s.add_note(&ann, &long, T0).await.unwrap(), 1);
    assert_eq!(s.notes(&ann).await.unwrap()[0].text, long);
}
