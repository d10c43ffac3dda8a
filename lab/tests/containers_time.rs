//! Lab time keeps its order on every backend: after media bypass is disabled, twenty hours in
//! one jump leave clients with the same decisions, at the same lab times, as twenty one-hour
//! steps, on the embedded lab and in containers alike. Needs a Docker engine and root (the
//! blackhole routes that keep topology addresses off the host's default route).

mod support;

use support::Shield;

use bypass_lab::backend::BackendKind;
use bypass_lab::lab::{Lab, LabOptions, RunOn};
use bypass_lab::topology::Topology;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// Disabling media bypass temporarily: the URL stays.
const DISABLE_LINES: &str = "$mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false\n\
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass\n";

/// (user, bypass, lab time of the last fetch, its outcome without the lab's own bypass ID, lab
/// time of the next one) per client.
type Decisions = Vec<(String, bool, Option<u64>, String, Option<u64>)>;

fn outcome_text(fetch: &Option<bypass_lab::client::FetchRecord>) -> String {
    let Some(fetch) = fetch else { return "no fetch".into() };
    let mut value = serde_json::to_value(&fetch.outcome).expect("an outcome serializes");
    if let Some(fields) = value.as_object_mut() {
        fields.remove("bypass_id");
        for nested in fields.values_mut().filter_map(|v| v.as_object_mut()) {
            nested.remove("bypass_id");
        }
    }
    value.to_string()
}

async fn decisions_after(backend: BackendKind, moves: &[Duration]) -> Decisions {
    let topology = Topology::seed();
    let lab =
        Lab::start(topology.clone(), LabOptions { backend, ..LabOptions::default() }).await.expect("the lab starts");
    let result = async {
        lab.run_runbook(&support::enable_lines(&topology), &RunOn::AdminSession)
            .await
            .expect("enable")
            .into_result()
            .expect("enable");
        lab.pass_replication_window().await.expect("replication");
        for (n, site) in topology.sites.iter().enumerate() {
            for k in 0..2 {
                let at = topology.client_address(site, k).expect("a client address");
                lab.sign_in(&format!("user{n}-{k}"), at).await.expect("sign in");
            }
        }
        lab.run_runbook(DISABLE_LINES, &RunOn::AdminSession).await.expect("disable").into_result().expect("disable");
        for by in moves {
            lab.advance(*by).await.expect("every role takes the move");
        }
        let mut seen: Decisions = lab
            .clients()
            .await
            .expect("client statuses")
            .into_iter()
            .map(|c| {
                (c.user, c.bypass, c.last_fetch.as_ref().map(|f| f.at_ms), outcome_text(&c.last_fetch), c.next_fetch_ms)
            })
            .collect();
        seen.sort();
        seen
    }
    .await;
    lab.stop().await.expect("stop");
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_jump_and_many_steps_decide_the_same_on_both_backends() {
    let _shield = Shield::up(&Topology::seed());
    let _turn = support::turn(&Topology::seed()).await;
    let jump = [20 * HOUR];
    let steps = [HOUR; 20];
    let embedded_jump = decisions_after(BackendKind::Embedded, &jump).await;
    let embedded_steps = decisions_after(BackendKind::Embedded, &steps).await;
    assert_eq!(embedded_jump, embedded_steps, "embedded: one 20 h jump versus twenty 1 h steps");
    let containers_jump = decisions_after(BackendKind::Containers, &jump).await;
    assert_eq!(containers_jump, embedded_jump, "containers versus embedded after one 20 h jump");
    let containers_steps = decisions_after(BackendKind::Containers, &steps).await;
    assert_eq!(containers_steps, embedded_steps, "containers versus embedded after twenty 1 h steps");
}
