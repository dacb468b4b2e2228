//! The local CRM directory beyond the contract: two handles on one file (two processes, as
//! `switchboard serve` and the CLI are) racing the rules the port says are atomic.

use std::sync::Arc;

use followup::crm::CrmKind;
use followup::ports::CrmDirectory;
use followup::testkit::contract::crm_directory::{random_domain, sample_mapping};
use local::LocalBackend;
use tenant::testkit::random_tenant;

/// Uses counted per handle.
const PER_HANDLE: u32 = 20;

fn two_handles(dir: &std::path::Path) -> [Arc<dyn CrmDirectory>; 2] {
    [
        LocalBackend::open(dir).unwrap().crm_directory(),
        LocalBackend::open(dir).unwrap().crm_directory(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uses_counted_from_two_handles_at_once_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let handles = two_handles(dir.path());
    let (t, d) = (random_tenant(), random_domain());
    let kind = CrmKind::Hubspot;
    assert!(
        handles[0]
            .save_mapping(&t, kind, &sample_mapping(&d, "1", false))
            .await
            .unwrap()
    );
    let mut tasks = Vec::new();
    for store in &handles {
        for _ in 0..PER_HANDLE {
            let (store, t, d) = (store.clone(), t.clone(), d.clone());
            tasks.push(tokio::spawn(async move {
                store.mapping_used(&t, kind, &d).await
            }));
        }
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let m = handles[1].mapping(&t, kind, &d).await.unwrap().unwrap();
    assert_eq!(m.times_used, 2 * PER_HANDLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pick_from_one_handle_survives_guesses_from_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b] = two_handles(dir.path());
    let t = random_tenant();
    let kind = CrmKind::Salesforce;
    let domains: Vec<_> = (0..10).map(|_| random_domain()).collect();
    let mut tasks = Vec::new();
    for (i, d) in domains.iter().enumerate() {
        let pick = sample_mapping(d, &format!("pick{i}"), true);
        let guess = sample_mapping(d, &format!("guess{i}"), false);
        let (a, b, t1, t2) = (a.clone(), b.clone(), t.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            a.save_mapping(&t1, kind, &pick).await
        }));
        tasks.push(tokio::spawn(async move {
            b.save_mapping(&t2, kind, &guess).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    for (i, d) in domains.iter().enumerate() {
        let m = a.mapping(&t, kind, d).await.unwrap().unwrap();
        assert!(m.verified, "{d:?}: the pick was undone");
        assert_eq!(m.account.as_str(), format!("pick{i}"));
    }
}
