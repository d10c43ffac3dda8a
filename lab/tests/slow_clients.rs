//! Callers who say their body slowly, or many honest ones at once, under a low descriptor limit:
//! a role (and a whole lab in one process) answers every health check through hundreds of
//! slow-body connections, and keep-alive clients up to the limit are served without an error.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// How long the health checks run while the attack holds.
const UNDER_ATTACK: Duration = Duration::from_secs(3);
/// How long a health check may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the attackers saw.
#[derive(Default)]
struct Attack {
    /// Connections that sent their headers.
    connected: AtomicU64,
    /// Connections the server answered (and closed) before their body was complete.
    refused: AtomicU64,
}

/// `count` attackers on `target`, each on its own connection: headers announcing a 100 kB body
/// to one of `paths`, then one byte every 100 ms; once the server closes it, a new connection
/// after 500 ms. They start spread over one second and stop with `stop`.
fn attack(target: SocketAddr, paths: &[&str], count: usize, stop: &CancellationToken) -> Arc<Attack> {
    let seen = Arc::new(Attack::default());
    for n in 0..count {
        let path = paths[n % paths.len()].to_string();
        let (seen, stop) = (seen.clone(), stop.clone());
        let start = Duration::from_secs(1) * n as u32 / count as u32;
        tokio::spawn(async move {
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = async {
                    tokio::time::sleep(start).await;
                    loop {
                        if let Ok(mut stream) = TcpStream::connect(target).await {
                            let headers = format!(
                                "POST {path} HTTP/1.1\r\nHost: lab\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{"
                            );
                            if stream.write_all(headers.as_bytes()).await.is_ok() {
                                seen.connected.fetch_add(1, Ordering::SeqCst);
                                if drip_until_closed(&mut stream).await {
                                    seen.refused.fetch_add(1, Ordering::SeqCst);
                                }
                            }
                        }
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                } => {}
            }
        });
    }
    seen
}

/// Drips the body until the server closes the connection; whether it answered first.
async fn drip_until_closed(stream: &mut TcpStream) -> bool {
    let mut answered = false;
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return answered,
                Ok(_) => answered = true,
            },
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                if stream.write_all(b" ").await.is_err() {
                    return answered;
                }
            }
        }
    }
}

/// Waits until `count` attackers have sent their headers.
async fn attack_under_way(seen: &Attack, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while seen.connected.load(Ordering::SeqCst) < count as u64 {
        assert!(
            Instant::now() < deadline,
            "only {} of {count} attackers connected",
            seen.connected.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One health check: `GET /healthz` on a new connection.
async fn health(base: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let reply = bypass_lab::http::client(PROBE_TIMEOUT)
        .get(format!("{base}/healthz"))
        .send()
        .await
        .map_err(|e| bypass_lab::http::error_chain(&e))?;
    if !reply.status().is_success() {
        return Err(format!("answered {}", reply.status()));
    }
    Ok(started.elapsed())
}

/// Every `probe` in turn, every 200 ms for [`UNDER_ATTACK`]; panics naming each that failed.
async fn every_probe_answers<F, Fut>(names: &[String], probe: F)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<Duration, String>>,
{
    let until = Instant::now() + UNDER_ATTACK;
    let mut failures = Vec::new();
    let mut slowest = Duration::ZERO;
    let mut rounds = 0;
    while Instant::now() < until {
        let answers = futures::future::join_all((0..names.len()).map(&probe)).await;
        for (name, answer) in names.iter().zip(answers) {
            match answer {
                Ok(took) => slowest = slowest.max(took),
                Err(e) => failures.push(format!("{name}: {e}")),
            }
        }
        rounds += 1;
        // The probes' pace, not a wait for anything.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(failures.is_empty(), "{} of {} health checks failed: {failures:#?}", failures.len(), rounds * names.len());
    eprintln!("{rounds} rounds of {} health checks, slowest {slowest:?}", names.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_under_256_descriptors_answers_its_health_check_through_300_slow_bodies() {
    let dir = tempfile::tempdir().unwrap();
    // Bodies to routes that take none, and to routes behind a credential the attackers lack.
    let paths = |role: &str| match role {
        "tenant" => ["/healthz", "/appliance/contact"],
        "client" => ["/healthz", "/lab/clock"],
        _ => ["/healthz", "/lab/cmdlet"],
    };
    let mut roles = Vec::new();
    for (role, args) in support::every_http_role(dir.path()) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (child, address) = support::serve_limited(&args, 256).await;
        roles.push((role, child, address));
    }
    let stop = CancellationToken::new();
    let _stop = stop.clone().drop_guard();
    let attacks: Vec<_> = roles.iter().map(|(role, _, address)| attack(*address, &paths(role), 300, &stop)).collect();
    for seen in &attacks {
        attack_under_way(seen, 300).await;
    }
    let names: Vec<String> = roles.iter().map(|(role, _, address)| format!("{role} at {address}")).collect();
    let bases: Vec<String> = roles.iter().map(|(_, _, address)| format!("http://{address}")).collect();
    every_probe_answers(&names, |n| health(&bases[n])).await;
    for ((role, _, _), seen) in roles.iter().zip(&attacks) {
        let refused = seen.refused.load(Ordering::SeqCst);
        assert!(refused >= 300, "{role}: only {refused} slow bodies were refused before they were sent");
    }
}

/// The endpoints of `bypass-lab up`'s ready table: every role's HTTP base URL by name, and the
/// DNS server's address.
async fn up_endpoints(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
) -> (Vec<(String, String)>, SocketAddr) {
    let mut http = Vec::new();
    let mut dns = None;
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.starts_with("Lab time") {
                return;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            for (n, field) in fields.iter().enumerate() {
                let field = field.trim_end_matches(')');
                if let Some(base) = field.strip_prefix("http://") {
                    http.push((format!("{} {}", fields[0], fields.get(1).unwrap_or(&"")), format!("http://{base}")));
                } else if fields[0] == "dns" && n > 0 && dns.is_none() {
                    dns = field.parse::<SocketAddr>().ok();
                }
            }
        }
        panic!("`bypass-lab up` ended before it was ready");
    })
    .await;
    read.expect("`bypass-lab up` is ready within 60 s");
    (http, dns.expect("the ready table names the DNS server's address"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_lab_under_1024_descriptors_answers_health_and_dns_through_1100_slow_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_bypass-lab"));
    command
        .args(["up", "--state"])
        .arg(dir.path().join("state"))
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    support::limit_descriptors(&mut command, 1024);
    let mut up = command.spawn().expect("the bypass-lab binary starts");
    let mut lines = BufReader::new(up.stdout.take().unwrap()).lines();
    let (mut http, dns) = up_endpoints(&mut lines).await;
    let state = std::fs::read_to_string(dir.path().join("state").join("lab.json")).expect("the lab is described");
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    let control = state["endpoints"]["control"].as_str().expect("the lab.json names the control API");
    http.push(("the control API".into(), control.to_string()));
    let target = http.iter().find(|(name, _)| name.starts_with("appliance")).expect("the seed has appliances");
    let target: SocketAddr = target.1.trim_start_matches("http://").parse().unwrap();

    let stop = CancellationToken::new();
    let _stop = stop.clone().drop_guard();
    let seen = attack(target, &["/healthz", "/lab/cmdlet"], 1100, &stop);
    attack_under_way(&seen, 1100).await;
    let mut names: Vec<String> = http.iter().map(|(name, base)| format!("{name} at {base}")).collect();
    names.push(format!("DNS over TCP at {dns}"));
    every_probe_answers(&names, |n| {
        let base = http.get(n).map(|(_, base)| base.clone());
        async move {
            match base {
                Some(base) => health(&base).await,
                None => {
                    let started = Instant::now();
                    let client = Some("192.168.1.20".parse().unwrap());
                    let lookup =
                        bypass_lab::dns::lookup(dns, "hybridvoice.adatum.biz", client, bypass_lab::dns::Transport::Tcp);
                    match tokio::time::timeout(PROBE_TIMEOUT, lookup).await {
                        Ok(Ok(_)) => Ok(started.elapsed()),
                        Ok(Err(e)) => Err(e.to_string()),
                        Err(_) => Err(format!("no answer within {PROBE_TIMEOUT:?}")),
                    }
                }
            }
        }
    })
    .await;
    let refused = seen.refused.load(Ordering::SeqCst);
    assert!(refused >= 1100, "only {refused} slow bodies were refused before they were sent");
    up.kill().await.unwrap();
}

/// Keep-alive clients asking for `/healthz` again as soon as they have the answer, for 2 s;
/// returns (answers, errors, the first error).
async fn keep_alive_load(target: SocketAddr, clients: usize) -> (u64, u64, Option<String>) {
    let until = Instant::now() + Duration::from_secs(2);
    let tasks = (0..clients).map(|_| {
        tokio::spawn(async move {
            let (mut answers, mut errors, mut first) = (0u64, 0u64, None);
            let mut connection: Option<BufReader<TcpStream>> = None;
            while Instant::now() < until {
                if connection.is_none() {
                    match TcpStream::connect(target).await {
                        Ok(stream) => connection = Some(BufReader::new(stream)),
                        Err(e) => {
                            errors += 1;
                            first.get_or_insert(format!("connect: {e}"));
                            continue;
                        }
                    }
                }
                let stream = connection.as_mut().unwrap();
                match one_get(stream).await {
                    Ok(()) => answers += 1,
                    Err(e) => {
                        errors += 1;
                        first.get_or_insert(e);
                        connection = None;
                    }
                }
            }
            (answers, errors, first)
        })
    });
    let mut total = (0, 0, None);
    for tally in futures::future::join_all(tasks).await {
        let (answers, errors, first) = tally.unwrap();
        total.0 += answers;
        total.1 += errors;
        total.2 = total.2.or(first);
    }
    total
}

/// `GET /healthz` on a kept-alive connection, reading the whole answer.
async fn one_get(stream: &mut BufReader<TcpStream>) -> Result<(), String> {
    stream.get_mut().write_all(b"GET /healthz HTTP/1.1\r\nHost: lab\r\n\r\n").await.map_err(|e| e.to_string())?;
    let mut line = String::new();
    stream.read_line(&mut line).await.map_err(|e| e.to_string())?;
    if !line.starts_with("HTTP/1.1 200") {
        return Err(format!("status line {line:?}"));
    }
    let mut length = 0;
    loop {
        line.clear();
        if stream.read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
            return Err("closed in the headers".into());
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.map_err(|e| e.to_string())?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_clients_up_to_the_descriptor_limit_are_served_without_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (_, args) = support::every_http_role(dir.path()).into_iter().find(|(role, _)| *role == "mediation").unwrap();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_child, address) = support::serve_limited(&args, 256).await;
    let (answers, errors, first) = keep_alive_load(address, 200).await;
    assert_eq!(errors, 0, "{errors} errors beside {answers} answers; first: {first:?}");
    assert!(answers >= 200, "{answers} answers");
}
