//! Job outcomes: the saved reply, the sent flag, pruning.

use crate::support::{Backend, JAN_1_2025_MS as T0};

pub async fn outcomes_save_mark_sent_and_prune(b: Backend) {
    let s = &b.store;
    assert_eq!(s.outcome("job-1").await.unwrap(), None);

    s.save_reply("job-1", "Ahoy!", T0).await.unwrap();
    let o = s.outcome("job-1").await.unwrap().unwrap();
    assert_eq!((o.reply.as_str(), o.sent), ("Ahoy!", false));

    // A second save (a racing re-lease) does not replace the reply every re-lease delivers.
    s.save_reply("job-1", "Something else", T0 + 1)
        .await
        .unwrap();
    assert_eq!(s.outcome("job-1").await.unwrap().unwrap().reply, "Ahoy!");

    s.mark_sent("job-1").await.unwrap();
    let o = s.outcome("job-1").await.unwrap().unwrap();
    assert_eq!((o.reply.as_str(), o.sent), ("Ahoy!", true));

    // Marking an unknown job is harmless and creates nothing.
    s.mark_sent("job-unknown").await.unwrap();
    assert_eq!(s.outcome("job-unknown").await.unwrap(), None);

    s.save_reply("job-2", "", T0 + 10).await.unwrap();
    s.save_reply("job-3", "🦜", T0 + 20).await.unwrap();
    assert_eq!(s.outcome("job-2").await.unwrap().unwrap().reply, "");

    assert_eq!(s.prune_outcomes(T0 + 10).await.unwrap(), 1);
    assert_eq!(s.outcome("job-1").await.unwrap(), None);
    assert!(s.outcome("job-2").await.unwrap().is_some());
    assert_eq!(s.prune_outcomes(T0 + 10).await.unwrap(), 0);
    assert_eq!(s.prune_outcomes(u64::MAX).await.unwrap(), 2);
    assert_eq!(s.outcome("job-3").await.unwrap(), None);
}
