//! A damaged store is refused, never misread and never a panic: a real tenant writes real
//! records, then 200 copies of its `tenant.redb`, each with one bit flipped (seeded, so every
//! run flips the same bits), are served one after another. Each copy either serves exactly what
//! was written, and takes a change, or is refused with an error naming the file. Alone in its
//! test binary: the panic count is the whole process's.

use bypass_lab::auth::Secrets;
use bypass_lab::tenant::{
    ApplianceContact, ApplianceRecord, ApplianceRegistration, TenantArgs, TenantConfiguration, TenantRemote,
};
use bypass_lab::topology::Topology;
use rand::{RngExt, SeedableRng};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

mod support;

const COPIES: usize = 200;
const SEED: u64 = 28;
const URL: &str = "https://hybridvoice.adatum.biz/hybridconfig/v2";

/// What the tenant serves: the whole of what it stores.
#[derive(Debug, PartialEq)]
struct Served {
    configuration: TenantConfiguration,
    appliances: Vec<ApplianceRecord>,
}

async fn served(admin: &TenantRemote) -> Result<Served, String> {
    let configuration = admin.configuration().await.map_err(|e| e.to_string())?;
    let mut appliances = admin.appliances().await.map_err(|e| e.to_string())?;
    appliances.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Served { configuration, appliances })
}

/// A real tenant's store: the URL, the bypass settings, a user's site, every appliance
/// registered and reporting a contact.
async fn written(topology: &Topology, secrets: &Secrets, data: &std::path::Path) -> Served {
    let stop = CancellationToken::new();
    let tenant = support::start_tenant(topology, secrets, data, stop.clone()).await;
    let admin = TenantRemote::new(tenant.url(), &secrets.admin);
    admin.set_internal_url(Some(URL)).await.unwrap();
    admin.set_media_bypass(&support::always_bypass()).await.unwrap();
    admin.set_user_pstn_site("alice", Some("Seattle")).await.unwrap();
    for (site, appliance) in topology.appliances() {
        let remote = TenantRemote::new(tenant.url(), secrets.appliance(&appliance.name).unwrap());
        remote
            .register(&ApplianceRegistration {
                name: appliance.name.clone(),
                site_name: site.name.clone(),
                fqdn: topology.fqdn(appliance),
                address: appliance.address,
                explicit: false,
            })
            .await
            .unwrap();
        remote
            .report_contact(&ApplianceContact {
                name: appliance.name.clone(),
                replicated_version: 4,
                at: Duration::from_secs(3600),
            })
            .await
            .unwrap();
    }
    let before = served(&admin).await.unwrap();
    // What a kill -9 leaves: the acknowledged commits, the file never closed.
    copy(&data.join("tenant.redb"), &data.join("killed.redb"));
    stop.cancel();
    tenant.task.await.unwrap().unwrap();
    before
}

/// Where in `file` the records of `written` are, as JSON (the live copies, and older copies in
/// pages redb has freed): every byte offset.
fn record_bytes(file: &[u8], written: &Served) -> Vec<usize> {
    let mut json = vec![serde_json::to_vec(&written.configuration).unwrap()];
    json.extend(written.appliances.iter().map(|r| serde_json::to_vec(r).unwrap()));
    let mut offsets = Vec::new();
    for record in &json {
        let found: Vec<usize> =
            file.windows(record.len()).enumerate().filter(|(_, w)| w == record).map(|(at, _)| at).collect();
        assert!(!found.is_empty(), "the store holds {}", String::from_utf8_lossy(record));
        offsets.extend(found.into_iter().flat_map(|at| at..at + record.len()));
    }
    offsets
}

/// `from` to `to`, with the attribute that numbers its last commit.
fn copy(from: &std::path::Path, to: &std::path::Path) {
    std::fs::copy(from, to).unwrap();
    let mut value = [0u8; 24];
    let len =
        rustix::fs::getxattr(from, bypass_lab::tenant::COMMIT_ATTRIBUTE, &mut value[..]).expect("the store is stamped");
    rustix::fs::setxattr(to, bypass_lab::tenant::COMMIT_ATTRIBUTE, &value[..len], rustix::fs::XattrFlags::empty())
        .unwrap();
}

/// How one damaged copy fared.
#[derive(Debug, Default)]
struct Tally {
    served_as_written: usize,
    refused: usize,
    altered: Vec<String>,
    unclear: Vec<String>,
}

/// Where a copy's bit is flipped, in turn: anywhere (the file is mostly pages redb keeps
/// free, where a flip changes nothing anyone reads), in a record, or in the header (which of
/// redb's two commit slots holds the last commit).
fn damaged_bit(copy: usize, rng: &mut rand::rngs::StdRng, len: usize, records: &[usize]) -> usize {
    match copy % 3 {
        0 => rng.random_range(0..len * 8),
        1 => records[rng.random_range(0..records.len())] * 8 + rng.random_range(0..8),
        _ => rng.random_range(0..HEADER * 8),
    }
}

/// redb's header: the god byte and both commit slots.
const HEADER: usize = 512;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_bit_flipped_stores_give_no_panic_and_no_altered_data() {
    let panics = Arc::new(AtomicUsize::new(0));
    let counted = panics.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        counted.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));

    let topology = Topology::seed();
    let secrets = Secrets::generate(&topology);
    let original = tempfile::tempdir().unwrap();
    let before = written(&topology, &secrets, original.path()).await;
    assert_eq!(before.configuration.version, 4, "three changes after version 1");
    assert_eq!(before.appliances.len(), topology.appliances().count());

    let mut tallies = Vec::new();
    for (store, kept) in [("stopped", "tenant.redb"), ("killed", "killed.redb")] {
        let started = std::time::Instant::now();
        let tally = sweep(&topology, &secrets, &original.path().join(kept), &before).await;
        eprintln!("{store}: {:?}", started.elapsed());
        eprintln!(
            "{COPIES} damaged copies of a {store} tenant's store: {} served as written, {} refused",
            tally.served_as_written, tally.refused
        );
        tallies.push((store, tally));
    }
    let _ = std::panic::take_hook();

    assert_eq!(panics.load(Ordering::SeqCst), 0, "no panic, caught or not");
    for (store, tally) in tallies {
        assert!(tally.altered.is_empty(), "{store}: served altered data:\n{}", tally.altered.join("\n"));
        assert!(
            tally.unclear.is_empty(),
            "{store}: neither served as written nor refused naming the file:\n{}",
            tally.unclear.join("\n")
        );
        assert_eq!(tally.served_as_written + tally.refused, COPIES);
        assert!(tally.refused > 0 && tally.served_as_written > 0, "{store}: the sweep tells the two apart");
    }
}

/// Serves 200 copies of `file`, each with one bit flipped.
async fn sweep(topology: &Topology, secrets: &Secrets, file: &std::path::Path, before: &Served) -> Tally {
    let bytes = std::fs::read(file).unwrap();
    let records = record_bytes(&bytes, before);
    let mut rng = rand::rngs::StdRng::seed_from_u64(SEED);
    let mut tally = Tally::default();
    for copy_number in 0..COPIES {
        let bit = damaged_bit(copy_number, &mut rng, bytes.len(), &records);
        let data = tempfile::tempdir().unwrap();
        let damaged = data.path().join("tenant.redb");
        copy(file, &damaged);
        let mut content = bytes.clone();
        content[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&damaged, &content).unwrap();
        let what = format!("copy {copy_number} (bit {bit} of byte {})", bit / 8);

        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let args = TenantArgs { listen: listener.local_addr().unwrap(), data: data.path().to_path_buf() };
        let stop = CancellationToken::new();
        let serving = match bypass_lab::tenant::start(listener, args.config(topology, secrets), stop.clone()) {
            Ok(serving) => tokio::spawn(serving),
            Err(e) => {
                let e = e.to_string();
                if e.contains(&damaged.display().to_string()) && e.contains("afresh") {
                    tally.refused += 1;
                } else {
                    tally.unclear.push(format!("{what}: {e}"));
                }
                continue;
            }
        };
        let admin = TenantRemote::new(&url, &secrets.admin).with_timeout(Duration::from_secs(10));
        match served(&admin).await {
            Ok(now) if now == *before => {
                // It serves what was written; it must also take a change, or stop.
                let change = admin.set_internal_url(Some("https://hybridvoice.adatum.biz/hybridconfig/v3")).await;
                let healthy = admin.reachable(Duration::from_secs(2)).await.is_ok();
                match change {
                    Ok(c) if c.version == 5 => tally.served_as_written += 1,
                    Ok(c) => tally.altered.push(format!("{what}: the change made version {}", c.version)),
                    Err(e) if healthy => {
                        tally.unclear.push(format!("{what}: a change failed while /healthz answers: {e}"))
                    }
                    Err(_) => tally.refused += 1,
                }
            }
            Ok(now) => tally.altered.push(format!("{what}: served {now:?}")),
            Err(e) => tally.unclear.push(format!("{what}: started, then could not be read: {e}")),
        }
        stop.cancel();
        let _ = serving.await.unwrap();
    }
    tally
}
