//! The `bypass-lab` binary as a new admin uses it: `up` in the foreground, then the other verbs
//! against it from other processes, a crash of `up`, and `down`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_bypass-lab");
const READY_DEADLINE: Duration = Duration::from_secs(60);

fn verb(state: &Path, args: &[&str]) -> Output {
    Command::new(BIN).arg("--state").arg(state).args(args).output().expect("bypass-lab runs")
}

/// A verb that must end by itself within `deadline`; one still running then is killed, and fails.
fn verb_within(state: &Path, args: &[&str], deadline: Duration) -> Output {
    let child = Command::new(BIN)
        .arg("--state")
        .arg(state)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bypass-lab runs");
    let pid = rustix::process::Pid::from_child(&child);
    let (ended, output) = mpsc::channel();
    std::thread::spawn(move || ended.send(child.wait_with_output()));
    match output.recv_timeout(deadline) {
        Ok(out) => out.expect("bypass-lab ends"),
        Err(_) => {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            let out = output.recv().unwrap().unwrap();
            panic!("{args:?} still ran after {deadline:?}; it printed:\n{}", text(&out.stdout));
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Starts `up` and returns once it printed its clock line, with everything it printed.
fn up(state: &Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .arg("--state")
        .arg(state)
        .arg("up")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("bypass-lab up starts");
    let stdout = child.stdout.take().unwrap();
    let (lines, seen) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = String::new();
    loop {
        let Ok(line) = seen.recv_timeout(READY_DEADLINE) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no clock line from up; it printed:\n{printed}");
        };
        printed.push_str(&line);
        printed.push('\n');
        if line.contains("Ctrl-C stops the lab") {
            return (child, printed);
        }
    }
}

fn utf16_le_with_bom(text: &str) -> Vec<u8> {
    [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(|u| u.to_le_bytes())).collect()
}

#[test]
fn a_new_admins_session_with_a_running_lab() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (mut lab, printed) = up(&state);

    // The clock stands still until told, and `up` says how to move it.
    assert!(printed.contains("Lab time stands still: move it with `bypass-lab clock advance 24h`"), "{printed}");
    let tenant_row = printed.lines().find(|l| l.starts_with("tenant ")).unwrap();
    let header = printed.lines().find(|l| l.starts_with("ROLE ")).unwrap();
    assert_eq!(tenant_row.find("http://"), header.find("ENDPOINT"), "columns line up:\n{printed}");
    let first = text(&verb(&state, &["clock", "now"]).stdout);
    let _ = verb(&state, &["status"]);
    assert_eq!(text(&verb(&state, &["clock", "now"]).stdout), first, "lab time moved on its own");

    // A second `up` over the running lab is refused as input is, naming the lab file and the ways on.
    let again = verb(&state, &["up"]);
    let said = text(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{said}");
    assert!(said.contains("a lab is already running") && said.contains("lab.json"), "{said}");
    assert!(said.contains("`bypass-lab down`") && said.contains("--state DIR"), "{said}");

    // Runbooks saved by Windows tools: UTF-8 with a BOM and UTF-16 LE.
    let enable = "Import-Module SkypeOnlineConnector\r\n$cred = Get-Credential\r\n\
        $session = New-CsOnlineSession -Credential $cred\r\nImport-PSSession $session\r\n\
        $mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true\r\n\
        Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass\r\n";
    let bom = dir.path().join("bom.ps1");
    std::fs::write(&bom, [&[0xEF, 0xBB, 0xBF][..], enable.as_bytes()].concat()).unwrap();
    let run = verb(&state, &["run", bom.to_str().unwrap()]);
    assert!(run.status.success(), "{}{}", text(&run.stdout), text(&run.stderr));
    assert!(text(&run.stdout).contains("INFO: Import-Module:"), "{}", text(&run.stdout));
    let utf16 = dir.path().join("utf16.ps1");
    std::fs::write(&utf16, utf16_le_with_bom("Get-CsNetworkConfiguration\r\n")).unwrap();
    let run = verb(&state, &["run", utf16.to_str().unwrap()]);
    assert!(run.status.success(), "{}", text(&run.stderr));

    // Standard input is read the same way; its errors say where as PowerShell does for a paste.
    let piped = |bytes: Vec<u8>| {
        use std::io::Write;
        let mut child = Command::new(BIN)
            .arg("--state")
            .arg(&state)
            .args(["run", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = piped(utf16_le_with_bom("Get-CsNetworkConfiguration\r\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = piped(utf16_le_with_bom("mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $true\r\n"));
    let err = text(&out.stderr);
    assert!(
        err.contains("Hint: a variable is assigned with a $ before its name")
            && err.contains("\nAt line:1 char:1\n+ mediabypass"),
        "{err}"
    );

    // Errors name the file, quote the line and underline the word.
    let bad = dir.path().join("bad.ps1");
    std::fs::write(&bad, "Get-CsNetworkConfiguration\nGet-DnsServerRecursion -ComputerName dns1\n").unwrap();
    let run = verb(&state, &["run", bad.to_str().unwrap()]);
    assert!(!run.status.success());
    let err = text(&run.stderr);
    assert!(
        err.contains(&format!(
            "At {}:2 char:1\n+ Get-DnsServerRecursion -ComputerName dns1\n+ ~~~~~~~~~~~~~~~~~~~~~~\n",
            bad.display()
        )),
        "{err}"
    );
    assert!(err.contains("is a real cmdlet that this lab does not model"), "{err}");

    // A DNS server's refusal names its cmdlet once.
    let zone = dir.path().join("zone.ps1");
    std::fs::write(&zone, "Add-DnsServerPrimaryZone -Name adatum.biz -ReplicationScope Forest\n").unwrap();
    let err = text(&verb(&state, &["run", zone.to_str().unwrap()]).stderr);
    assert!(
        err.starts_with("Add-DnsServerPrimaryZone : ")
            && !err.contains("Add-DnsServerPrimaryZone : Add-DnsServerPrimaryZone"),
        "{err}"
    );

    // Tenant cmdlets are refused on a Mediation Server, and the tenant does not change.
    let on = dir.path().join("on.ps1");
    std::fs::write(&on, "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null\n").unwrap();
    let first_appliance =
        printed.lines().find(|l| l.starts_with("appliance ")).unwrap().split_whitespace().nth(1).unwrap().to_string();
    let run = verb(&state, &["run", "--on", &first_appliance, on.to_str().unwrap()]);
    assert!(
        !run.status.success()
            && text(&run.stderr)
                .contains("runs against Skype for Business Online (the tenant), not on a Mediation Server"),
        "{}",
        text(&run.stderr)
    );

    // status shows the tenant link as it is now, at once after a cut and after a heal.
    let row_of =
        |status: &str| status.lines().find(|l| l.contains(&format!(" {first_appliance} "))).unwrap_or("").to_string();
    let cut = verb(&state, &["fault", "cut", &first_appliance, "tenant"]);
    assert!(cut.status.success(), "{}", text(&cut.stderr));
    let status = text(&verb(&state, &["status"]).stdout);
    assert!(status.lines().nth(1).is_some_and(|h| h.contains("TENANT LINK") && h.contains("NEXT SYNC")), "{status}");
    assert!(row_of(&status).contains(" DOWN "), "{status}");
    let heal = verb(&state, &["fault", "heal", &first_appliance, "tenant"]);
    assert!(heal.status.success(), "{}", text(&heal.stderr));
    let status = text(&verb(&state, &["status"]).stdout);
    assert!(row_of(&status).contains(" up "), "{status}");
    assert!(
        status.starts_with("lab time day 1 00:00") && row_of(&status).contains("(behind the tenant by 1)"),
        "{status}"
    );

    // `resolve` fails when no answer comes because the DNS server is down, and succeeds again
    // once it is back.
    let resolve = || verb(&state, &["resolve", "hybridvoice.adatum.biz", "--from", "Seattle"]);
    assert!(resolve().status.success());
    assert!(verb(&state, &["fault", "stop", "dns"]).status.success());
    let unanswered = resolve();
    assert_eq!(unanswered.status.code(), Some(1), "{}", text(&unanswered.stdout));
    assert!(text(&unanswered.stderr).contains("DNS server"), "{}", text(&unanswered.stderr));
    assert!(verb(&state, &["fault", "restart", "dns"]).status.success());
    assert!(resolve().status.success());

    // A reader that goes away early ends the output quietly.
    let reports = dir.path().join("reports");
    for args in [
        &["status"][..],
        &["cmdlets"][..],
        &["steps"][..],
        &["rehearse", "--tags", "@seed", "--report", reports.to_str().unwrap()][..],
    ] {
        let mut child = Command::new(BIN)
            .arg("--state")
            .arg(&state)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        assert!(out.status.code() != Some(101) && !err.contains("panicked"), "{args:?}: {:?} {err}", out.status);
    }

    // After a crash, the other verbs say so and point at `down`.
    lab.kill().unwrap();
    lab.wait().unwrap();
    for args in [
        &["status"][..],
        &["clock", "now"][..],
        &["resolve", "x.adatum.biz", "--from", "outside"][..],
        &["client", "status"][..],
        &["run", bad.to_str().unwrap()][..],
    ] {
        let out = verb(&state, args);
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded after the crash");
        assert!(err.contains("is not running") && err.contains("bypass-lab down"), "{args:?}: {err}");
        assert!(
            !err.to_lowercase().contains("connection refused") && !err.contains("error sending request"),
            "{args:?}: {err}"
        );
    }
    let down = verb(&state, &["down"]);
    assert!(down.status.success(), "{}", text(&down.stderr));
    assert!(
        !state.join("lab.json").exists() && !state.join("data").exists(),
        "down left {:?}",
        std::fs::read_dir(&state).map(|d| d.count())
    );
}

#[test]
fn down_stops_a_running_lab_and_removes_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (mut lab, _) = up(&state);
    assert!(state.join("data").exists());
    let down = verb(&state, &["down"]);
    assert!(down.status.success(), "{}", text(&down.stderr));
    lab.wait().unwrap();
    assert!(!state.join("lab.json").exists() && !state.join("data").exists(), "down left the lab's files behind");
}

#[test]
fn the_readme_walk_through() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (mut lab, _) = up(&state);
    let ok = |args: &[&str]| {
        let out = verb(&state, args);
        assert!(out.status.success(), "{args:?}: {}{}", text(&out.stdout), text(&out.stderr));
        text(&out.stdout)
    };
    let enable = root.join("examples/seed-enable.ps1");
    ok(&["run", enable.to_str().unwrap()]);
    // One notation for a moment of lab time: the clock reading `status` shows.
    let advanced = ok(&["clock", "advance", "24h"]);
    assert_eq!(advanced, "lab time is now day 2 00:00\n");
    assert_eq!(ok(&["clock", "now"]), "day 2 00:00\n");
    let status = ok(&["status"]);
    assert!(
        status.starts_with("lab time day 2 00:00")
            && status
                .lines()
                .skip(2)
                .filter(|l| !l.starts_with("DNS "))
                .all(|l| l.contains(" Serving ") && !l.contains("behind")),
        "{status}"
    );
    let appliances = dir.path().join("appliances.ps1");
    std::fs::write(&appliances, "Get-CsHybridPSTNAppliance\n").unwrap();
    let records = ok(&["run", appliances.to_str().unwrap()]);
    let field = |name: &str| {
        records
            .lines()
            .filter(|l| l.starts_with(name))
            .map(|l| l.rsplit(':').next().unwrap().trim().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(field("TenantVersion ").len(), 7, "{records}");
    assert_eq!(field("TenantVersion "), field("ReplicatedVersion "), "{records}");
    let check = root.join("examples/check.ps1");
    let local_store = ok(&["run", "--on", "ams-cce1", check.to_str().unwrap()]);
    assert!(
        local_store.lines().any(|l| l.trim_start().starts_with("Enabled") && l.trim_end().ends_with(": True")),
        "{local_store}"
    );
    let resolved = ok(&["resolve", "hybridvoice.adatum.biz", "--from", "Seattle"]);
    assert!(resolved.contains("10.10.1."), "{resolved}");
    ok(&["client", "signin", "--at", "Amsterdam", "--user", "alice"]);
    let clients = ok(&["client", "status"]);
    assert!(clients.lines().next().unwrap().contains(" URL "), "{clients}");
    assert!(clients.contains("http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc"), "{clients}");
    let call = ok(&["client", "call", "--user", "alice"]);
    assert!(call.contains("media: client <-> gateway"), "{call}");
    ok(&["cmdlets"]);
    ok(&["down"]);
    lab.wait().unwrap();
    assert!(!state.exists(), "down left {state:?} behind");
}

/// Control characters in a plan are refused, naming the field; in a runbook's strings they
/// reach the terminal only as visible escapes, in every line that quotes them.
#[test]
fn no_control_character_from_input_reaches_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/topologies/adatum.toml")).unwrap();
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, seed.replacen("name = \"Amsterdam\"", "name = \"Am\\u001b[2Jsterdam\"", 1)).unwrap();
    let refused =
        verb(dir.path(), &["rehearse", "--topology", plan.to_str().unwrap(), "--report", dir.path().to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("site[0].name holds the control character U+001B"),
        "{}",
        text(&refused.stderr)
    );

    let runbook = dir.path().join("runbook.ps1");
    std::fs::write(&runbook, "Get-DnsServerZone -ZoneName \"a\u{1b}]0;owned\u{7}b\"\n").unwrap();
    let reports = dir.path().join("reports");
    let ran =
        verb(dir.path(), &["rehearse", "--runbook", runbook.to_str().unwrap(), "--report", reports.to_str().unwrap()]);
    let (out, err) = (text(&ran.stdout), text(&ran.stderr));
    assert!(out.contains("a\\x1b]0;owned\\x07b"), "the zone name is shown, escaped: {out}");
    for (stream, printed) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
        assert!(!printed.iter().any(|b| *b == 0x1b || *b == 0x07), "{stream} carries a raw control character: {err}");
    }
}

/// `up` where a lab crashed keeps what that lab acknowledged: it refuses, names the lab and says
/// how to go on, and starts afresh only once `down` has discarded the data.
#[test]
fn up_over_a_crashed_lab_refuses_until_down() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let url = "http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc";
    let set = dir.path().join("set.ps1");
    std::fs::write(&set, format!("Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl {url}\n")).unwrap();
    let get = dir.path().join("get.ps1");
    std::fs::write(&get, "Get-CsTenantHybridConfiguration\n").unwrap();

    let (mut lab, _) = up(&state);
    let pid = lab.id();
    let run = verb(&state, &["run", set.to_str().unwrap()]);
    assert!(run.status.success(), "{}{}", text(&run.stdout), text(&run.stderr));
    let read = verb(&state, &["run", get.to_str().unwrap()]);
    assert!(text(&read.stdout).contains(url), "the write was not acknowledged: {}", text(&read.stdout));
    lab.kill().unwrap();
    lab.wait().unwrap();

    // Before, this `up` started a fresh lab and ran in the foreground: a deadline, not a hang.
    let again = verb_within(&state, &["up"], READY_DEADLINE);
    let (out, err) = (text(&again.stdout), text(&again.stderr));
    assert_eq!(again.status.code(), Some(2), "{out}{err}");
    assert!(!out.contains("lab ready"), "{out}");
    let data = state.join("data");
    for said in [
        format!("the lab of process {pid}"),
        " started ".to_string(),
        format!("is kept in {}", data.display()),
        "`bypass-lab down`".to_string(),
        "--state DIR".to_string(),
    ] {
        assert!(err.contains(&said), "the refusal does not say {said:?}: {err}");
    }
    assert!(std::fs::read_dir(&data).is_ok_and(|mut d| d.next().is_some()), "the crashed lab's data is gone");

    let down = verb(&state, &["down"]);
    assert!(down.status.success(), "{}", text(&down.stderr));
    assert!(!data.exists() && !state.join("lab.json").exists(), "down left the crashed lab's files");

    let (mut fresh, printed) = up(&state);
    assert!(printed.contains("lab ready"), "{printed}");
    let read = verb(&state, &["run", get.to_str().unwrap()]);
    assert!(read.status.success(), "{}", text(&read.stderr));
    assert!(!text(&read.stdout).contains(url), "a fresh lab kept the discarded write: {}", text(&read.stdout));
    assert!(verb(&state, &["down"]).status.success());
    fresh.wait().unwrap();
}
