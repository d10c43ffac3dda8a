//! The HTML reports in a real browser: headless Chromium (Debian's `chromium`) loads each page
//! from a file and dumps the DOM it built, and the tests look for the matrix cells, the findings,
//! the marked runbook line and the topology picture in what the browser saw.
//!
//! The reviewer's page is also laid out at a phone's, a laptop's and a wide screen's width, as
//! the DevTools' device mode lays it out (`browser/devtools.rs`): a small script measures what
//! the browser laid out (tables against their containers, names on one line, where the findings
//! are). Screenshots at each width are kept under `reports/browser/` for a person (and CI's
//! artefacts).
//!
//! The browser gets a fresh profile, a proxy on a closed loopback port and a resolver that finds
//! no name, so even a page that tried to load something could not reach the network.

use bypass_lab::mediation::MediaPath;
use bypass_lab::report::features_page;
use bypass_lab::report::rollout_page::{render, RunbookFailure};
use bypass_lab::report::Provenance;
use bypass_lab::rollout::model::{
    ApplianceRow, Decision, Finding, PhaseVerdict, RehearsalReport, Severity, SubnetRow, WebServiceVerdict,
};
use bypass_lab::topology::{Site, Topology};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[path = "browser/devtools.rs"]
mod devtools;

/// How long one page may take to load and dump before the browser is killed.
const BROWSER_DEADLINE: Duration = Duration::from_secs(90);

fn chromium() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let candidates = std::env::var_os("CHROMIUM").map(PathBuf::from).into_iter().chain(
        std::env::split_paths(&path).flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name))),
    );
    for candidate in candidates {
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "headless Chromium is needed to check the HTML reports and none was found on PATH: \
         install Debian's package with `apt-get install -y chromium` (or set CHROMIUM to its binary)"
    );
}

/// `REPORT_PAGES=DIR` keeps a copy of every page rendered here, for a person to look at.
fn keep(page: &Path) {
    if let Some(dir) = std::env::var_os("REPORT_PAGES") {
        let name =
            format!("{}-{}", std::thread::current().name().unwrap_or("page").replace("::", "-"), "rehearsal.html");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(page, Path::new(&dir).join(name)).unwrap();
    }
}

/// How every browser here starts: headless, with the fresh `profile`, and unable to reach the
/// network.
fn browser_args(profile: &Path) -> Vec<String> {
    let fixed = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ];
    fixed.map(String::from).into_iter().chain([format!("--user-data-dir={}", profile.display())]).collect()
}

/// What Chromium printed for `page` with `extra` arguments, killing the browser (its whole
/// process group) if it has not finished by the deadline.
fn run_chromium(page: &Path, extra: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium())
        .args(browser_args(profile.path()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("chromium starts");
    let group = rustix::process::Pid::from_child(&child);
    let mut stdout = child.stdout.take().unwrap();
    let (done, dumped) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = String::new();
        let read = stdout.read_to_string(&mut out).map(|_| out);
        let _ = done.send(read);
    });
    let result = dumped.recv_timeout(BROWSER_DEADLINE);
    // The browser's helpers share its process group; none may outlive the test.
    let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    let _ = child.wait();
    match result {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => panic!("reading chromium's output failed: {e}"),
        Err(_) => panic!("chromium did not finish {} within {BROWSER_DEADLINE:?}", page.display()),
    }
}

/// The DOM Chromium built for `page`.
fn dump_dom(page: &Path) -> String {
    keep(page);
    let dom = run_chromium(page, &["--dump-dom".to_string()]);
    assert!(
        dom.contains("</html>") || dom.contains("</svg>"),
        "chromium dumped no document for {}: {dom:.400}",
        page.display()
    );
    dom
}

/// A screenshot of `page` as a person sees it in a window `width` × `height` pixels, as PNG
/// bytes; with `keep_as`, also kept as `reports/browser/NAME.png` (git-ignored; CI keeps the
/// folder as an artefact).
fn screenshot(page: &Path, width: u32, height: u32, keep_as: Option<&str>) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("page.png");
    run_chromium(page, &[format!("--screenshot={}", png.display()), format!("--window-size={width},{height}")]);
    let bytes =
        std::fs::read(&png).unwrap_or_else(|e| panic!("chromium took no screenshot of {}: {e}", page.display()));
    if let Some(name) = keep_as {
        kept(name, &bytes);
    }
    bytes
}

/// Keeps a screenshot as `reports/browser/NAME.png` (git-ignored; CI keeps the folder as an
/// artefact).
fn kept(name: &str, png: &[u8]) {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/browser");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(format!("{name}.png")), png).unwrap();
}

/// The width and height a PNG's header gives.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 24 && png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR", "not a PNG");
    let at = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (at(16), at(20))
}

/// The opening tags named `name` in `dom` whose attributes include every `key="value"` pair.
fn tags_with<'a>(dom: &'a str, name: &str, attrs: &[(&str, &str)]) -> Vec<&'a str> {
    let open = format!("<{name} ");
    dom.match_indices(&open)
        .map(|(at, _)| &dom[at..at + dom[at..].find('>').unwrap() + 1])
        .filter(|tag| attrs.iter().all(|(k, v)| tag.contains(&format!(" {k}=\"{v}\""))))
        .collect()
}

/// A three-site plan of another company, with a second subnet in one site and an awkward name.
const PLAN: &str = r#"
[tenant]
domain = "northwind.example"
sip_domains = ["northwind.example"]
service_name = "mbws.northwind.example"

[[site]]
name = "Oslo"
subnets = ["10.40.1.0/24", "10.40.8.0/24"]
gateway = "10.40.1.1"

[[site.appliance]]
name = "osl-cce1"
address = "10.40.1.20"

[[site.appliance]]
name = "osl-cce2"
address = "10.40.1.21"

[[site]]
name = "Lyon & <Annecy>"
subnets = ["172.20.5.0/24"]
gateway = "172.20.5.1"

[[site.appliance]]
name = "lyo-cce1"
address = "172.20.5.30"

[[site]]
name = "Sydney"
subnets = ["10.60.0.0/24"]
gateway = "10.60.0.1"

[[site.appliance]]
name = "syd-cce1"
address = "10.60.0.40"

[[site.appliance]]
name = "syd-cce2"
address = "10.60.0.41"

[[site.appliance]]
name = "syd-cce3"
address = "10.60.0.42"

[outside]
subnets = ["198.51.100.0/24"]
"#;

fn plan() -> Topology {
    Topology::parse(PLAN, None).expect("the test plan is valid")
}

fn addresses(site: &Site) -> Vec<std::net::IpAddr> {
    site.appliances.iter().map(|a| a.address).collect()
}

/// Rows as a rehearsal would record them. In `enable`, Oslo's second subnet is covered by no
/// client subnet and Sydney's policy points at Oslo's scope; outside resolves nothing.
fn phase(topology: &Topology, name: &str, enabled: bool) -> PhaseVerdict {
    let oslo = topology.site("Oslo").unwrap();
    let mut rows = Vec::new();
    for (n, site) in topology.sites.iter().enumerate() {
        for subnet in &site.subnets {
            let uncovered = enabled && subnet.to_string() == "10.40.8.0/24";
            let misrouted = enabled && site.name == "Sydney";
            let resolved = if !enabled || uncovered {
                vec![]
            } else if misrouted {
                addresses(oslo)
            } else {
                addresses(site)
            };
            let bypass = enabled && !uncovered && !misrouted;
            rows.push(SubnetRow {
                site: site.name.clone(),
                subnet: subnet.to_string(),
                range: subnet.to_string(),
                address: subnet.hosts().last().unwrap(),
                window: None,
                client: format!("user{n}@{}", topology.tenant.domain),
                population: None,
                resolved_site: (!resolved.is_empty()).then(|| {
                    if misrouted {
                        oslo.name.clone()
                    } else {
                        site.name.clone()
                    }
                }),
                resolved,
                web_service: if !enabled || uncovered { WebServiceVerdict::NoUrl } else { WebServiceVerdict::Served },
                decision: if bypass { Decision::Bypass } else { Decision::NoBypass },
                reason: if bypass {
                    "bypassEnabled true, mode \"Any\", bypassID present".into()
                } else if enabled {
                    "bypassID belongs to another site <mismatch>".into()
                } else {
                    "no hybridconfigserviceinternalurl provisioned".into()
                },
                media: if bypass {
                    MediaPath::Bypass.as_str().to_string()
                } else {
                    MediaPath::ThroughMediationServer.as_str().to_string()
                },
            });
        }
    }
    rows.push(SubnetRow {
        site: "outside".into(),
        subnet: topology.outside.subnets[0].to_string(),
        range: topology.outside.subnets[0].to_string(),
        address: topology.outside.subnets[0].hosts().next().unwrap(),
        window: None,
        client: "external1@northwind.example".into(),
        population: None,
        resolved: vec![],
        resolved_site: None,
        web_service: WebServiceVerdict::NoUrl,
        decision: Decision::NoBypass,
        reason: "no address for mbws.northwind.example".into(),
        media: MediaPath::ThroughEdge.as_str().into(),
    });
    let appliances = topology
        .appliances()
        .map(|(site, a)| ApplianceRow {
            site: site.name.clone(),
            appliance: a.name.clone(),
            address: a.address,
            version: Some(if enabled { 3 } else { 2 }),
            enabled,
            always_bypass: false,
            web_service: "Serving".into(),
        })
        .collect();
    PhaseVerdict {
        name: name.into(),
        rows,
        appliances,
        intent: None,
        judged_at: String::new(),
        output: vec![],
        timeline: None,
        populations: vec![],
    }
}

fn report(topology: &Topology) -> RehearsalReport {
    let finding = |severity, site: &str, subnet: &str, message: &str| Finding {
        severity,
        phase: "enable".into(),
        site: site.into(),
        subnet: subnet.into(),
        range: subnet.into(),
        window: None,
        lines: vec![],
        message: message.into(),
    };
    RehearsalReport {
        phases: vec![phase(topology, "dns", false), phase(topology, "enable", true)],
        findings: vec![
            finding(
                Severity::Error,
                "Oslo",
                "10.40.8.0/24",
                "no client subnet covers 10.40.8.0/24, so its queries fall to the default scope",
            ),
            finding(
                Severity::Error,
                "Sydney",
                "10.60.0.0/24",
                "policy SydneyPolicy sends Sydney's clients to zone scope OsloScope (Oslo's Mediation Servers)",
            ),
            finding(
                Severity::Warning,
                "Lyon & <Annecy>",
                "172.20.5.0/24",
                "the subnet also resolves to \"Oslo\" & others",
            ),
        ],
        ..Default::default()
    }
}

const RUNBOOK: &str = r#"# phase: dns
Add-DnsServerClientSubnet -Name "OsloSubnet" -IPv4Subnet "10.40.1.0/24"
# <script>alert("not a script")</script> & friends
# phase: enable
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl "http://mbws.northwind.example/hybridconfig/hybridconfigservice.svc"
Set-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
Set-CsNetworkMediaBypassConfiguration -Enabled <oops>
Get-CsNetworkConfiguration
"#;

fn provenance() -> Provenance {
    Provenance {
        command: "bypass-lab rehearse --runbook rollout.ps1 --topology northwind.toml".into(),
        plan: "northwind.toml".into(),
        input: ("runbook".into(), "rollout.ps1".into()),
        version: env!("CARGO_PKG_VERSION").into(),
        at: "2026-01-05 10:00 UTC".into(),
    }
}

#[test]
fn the_rollout_page_shows_cells_findings_the_failing_line_and_the_picture() {
    let topology = plan();
    let failure = RunbookFailure {
        phase: "enable".into(),
        line: 7,
        column: 48,
        message: "-Enabled expects $true or $false, not <oops>".into(),
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("rehearsal.html");
    std::fs::write(&page, render(&report(&topology), &topology, RUNBOOK, Some(&failure), &provenance())).unwrap();
    let dom = dump_dom(&page);

    let bypass = tags_with(
        &dom,
        "td",
        &[
            ("class", "decision bypass"),
            ("data-phase", "enable"),
            ("data-site", "Oslo"),
            ("data-subnet", "10.40.1.0/24"),
        ],
    );
    assert_eq!(bypass.len(), 1, "Oslo's first subnet bypasses in `enable`");
    assert_eq!(
        tags_with(&dom, "tr", &[("class", "row ok"), ("data-phase", "enable"), ("data-subnet", "10.40.1.0/24")]).len(),
        1,
        "and that is what `enable` expects: green"
    );
    let lyon =
        tags_with(&dom, "tr", &[("class", "row warning"), ("data-phase", "enable"), ("data-subnet", "172.20.5.0/24")]);
    assert_eq!(lyon.len(), 1, "Lyon's row is amber in `enable`");
    assert!(lyon[0].contains("Lyon &amp; "), "the site name is escaped in the attribute: {}", lyon[0]);
    for subnet in ["10.40.8.0/24", "10.60.0.0/24"] {
        assert_eq!(
            tags_with(&dom, "tr", &[("class", "row error"), ("data-phase", "enable"), ("data-subnet", subnet)]).len(),
            1,
            "the row of {subnet} is red in `enable`"
        );
        assert_eq!(
            tags_with(
                &dom,
                "td",
                &[("class", "decision no-bypass"), ("data-phase", "enable"), ("data-subnet", subnet)]
            )
            .len(),
            1,
            "{subnet} does not bypass in `enable`"
        );
    }
    assert!(
        tags_with(&dom, "td", &[("class", "decision bypass"), ("data-phase", "dns")]).is_empty(),
        "nothing bypasses before the tenant enables it"
    );
    let dns_rows: Vec<&str> =
        tags_with(&dom, "tr", &[("data-phase", "dns")]).into_iter().filter(|tr| tr.contains("class=\"row ")).collect();
    assert_eq!(dns_rows.len(), 5, "four site subnets and the outside one");
    assert!(
        dns_rows.iter().all(|tr| tr.contains("class=\"row ok\"")),
        "no bypass before the enable is what the `dns` phase expects: nothing red or amber"
    );
    let outside = tags_with(&dom, "td", &[("class", "decision edge"), ("data-site", "outside")]);
    assert_eq!(outside.len(), 2, "outside media goes through the Edge, and says so, in both phases");
    let finding = tags_with(
        &dom,
        "tr",
        &[("class", "finding error"), ("data-phase", "enable"), ("data-site", "Oslo"), ("data-subnet", "10.40.8.0/24")],
    );
    assert_eq!(finding.len(), 1, "Oslo's uncovered subnet is an error finding");
    assert!(dom.contains("no client subnet covers 10.40.8.0/24, so its queries fall to the default scope"));
    assert!(dom.contains("the subnet also resolves to \"Oslo\" &amp; others"));

    assert_eq!(tags_with(&dom, "div", &[("class", "line failing"), ("data-line", "7")]).len(), 1, "line 7 is marked");
    assert_eq!(
        tags_with(&dom, "div", &[("class", "line not-run"), ("data-line", "8")]).len(),
        1,
        "line 8, after the stop, never ran and is greyed"
    );
    assert!(dom.contains("<span class=\"tag not-run\">not run</span>"));
    assert!(
        dom.contains("<dd class=\"input mono\" data-provenance=\"runbook\">rollout.ps1</dd>"),
        "the page names its runbook"
    );
    assert!(dom.contains("line 7, column 48: -Enabled expects $true or $false, not &lt;oops&gt;"));
    assert!(dom.contains("# &lt;script&gt;alert(\"not a script\")&lt;/script&gt; &amp; friends"));
    assert!(!dom.contains("<script"), "the runbook's text became markup");
    assert_eq!(tags_with(&dom, "div", &[("class", "line phase")]).len(), 2, "both phase markers are shown as such");
    assert_eq!(tags_with(&dom, "span", &[("class", "verdict fail")]).len(), 1);

    let svg = &dom[dom.find("<svg").expect("the picture is inline")..dom.find("</svg>").unwrap()];
    for (site, a) in topology.appliances() {
        assert!(svg.contains(&format!(">{} {}</text>", a.name, a.address)), "{} is not in the picture", a.name);
        assert!(svg.contains(&format!("gateway {}", site.gateway)));
    }
    assert!(svg.contains("Lyon &amp; &lt;Annecy&gt;"));
    assert_eq!(
        tags_with(&dom, "tr", &[("data-phase", "enable"), ("data-appliance", "syd-cce3")]).len(),
        1,
        "every appliance has a state row per phase"
    );
}

/// The seed's own rollout, rehearsed for real: every row says its range and sample address,
/// every phase keeps what its lines printed, and each phase that changed the tenant draws its
/// replication window, which the browser shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_rehearsal_of_the_seed_shows_ranges_output_and_the_replication_window() {
    use bypass_lab::backend::{BackendKind, DnsStart};
    use bypass_lab::rollout::{rehearse_rollout, Quiet, Rollout};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let source = std::fs::read_to_string(root.join("examples/adatum-rollout.ps1")).unwrap();
    let rollout = Rollout {
        topology: Topology::seed(),
        source: source.clone(),
        origin: "adatum-rollout.ps1".into(),
        backend: BackendKind::Embedded,
        dns: DnsStart::Empty,
    };
    let done = rehearse_rollout(rollout, std::sync::Arc::new(Quiet)).await.expect("the seed rehearses");
    assert!(done.succeeded(), "{:?}", done.report.findings);
    let json = serde_json::to_value(&done.report).unwrap();
    let enable = json["phases"].as_array().unwrap().iter().find(|p| p["name"] == "enable").expect("an enable phase");
    for row in enable["rows"].as_array().unwrap() {
        assert_eq!(row["range"], row["subnet"], "a uniform subnet is one row: {row}");
        assert!(row["address"].as_str().unwrap().parse::<std::net::IpAddr>().is_ok(), "{row}");
        assert!(row["window"].is_null(), "no time-of-day policy: {row}");
    }
    let output = enable["output"].as_array().unwrap();
    assert!(
        output.iter().any(|o| o["command"].as_str().unwrap().starts_with("Set-CsNetworkConfiguration")),
        "{output:?}"
    );
    let sites = enable["timeline"]["sites"].as_array().expect("the enable changed the tenant, so it has a timeline");
    assert_eq!(sites.len(), 2);
    for site in sites {
        let last = site["points"].as_array().unwrap().last().unwrap();
        assert_eq!(
            (last["serving"].clone(), last["decision"].as_str()),
            (site["appliances"].clone(), Some("bypass")),
            "{site}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let page = bypass_lab::report::rollout_page::write(dir.path(), &done, &Topology::seed()).unwrap();
    let dom = dump_dom(&page);
    let charts = tags_with(&dom, "svg", &[("class", "timeline")]);
    assert_eq!(charts.len(), 3, "enable and both disables changed the tenant");
    assert!(
        dom.contains("<li data-site=\"Seattle\">Seattle: mixed for"),
        "one line per site says how long it was mixed"
    );
    let rows: Vec<&str> = tags_with(&dom, "tr", &[]).into_iter().filter(|tr| tr.contains("class=\"row ")).collect();
    assert!(!rows.is_empty() && rows.iter().all(|tr| tr.contains(" data-range=\"")), "every row says its range");
    assert!(!tags_with(&dom, "pre", &[("class", "output")]).is_empty(), "what the lines printed is beside them");
    let png = screenshot(&page, 1280, 1600, Some("seed-rollout-1280"));
    assert!(png.len() > 10_000 && png_size(&png).0 == 1280, "a real screenshot: {} bytes", png.len());
}

/// Measures what the browser laid out, given the phase `redIn` to look for red in: the
/// window's width, whether the page scrolls sideways, every table wider than its container,
/// every cell whose content sticks out, every name broken over two lines, where the first
/// finding and the first phase's table are, where each finding's links lead, how many tables
/// turned into cards, and every red thing inside that phase.
const LAYOUT_CHECK: &str = r##"
(function (redIn) {
  var out = { width: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
              overflowing: [], clipped: [], broken: [], findings: [], red: [], green: 0, reflowed: 0 };
  var top = function (el) { return el ? el.getBoundingClientRect().top + window.scrollY : null; };
  out.firstFindingTop = top(document.querySelector('tr.finding'));
  out.firstPhaseTableTop = top(document.querySelector('section.phase table'));
  document.querySelectorAll('table').forEach(function (t) {
    var box = t.getBoundingClientRect(), parent = t.parentElement.getBoundingClientRect();
    if (box.right > parent.right + 1 || box.left < parent.left - 1 || t.scrollWidth > t.clientWidth + 2) {
      out.overflowing.push(t.className + ': ' + Math.round(box.width) + 'px in ' + Math.round(parent.width) + 'px');
    }
    if (getComputedStyle(t).display === 'block') { out.reflowed += 1; }
  });
  document.querySelectorAll('td, th').forEach(function (c) {
    if (c.scrollWidth > c.clientWidth + 1) {
      out.clipped.push(c.className + ' (' + c.scrollWidth + ' > ' + c.clientWidth + '): ' + c.textContent.slice(0, 60));
    }
  });
  document.querySelectorAll('.name').forEach(function (n) {
    if (n.getClientRects().length > 1) { out.broken.push(n.textContent); }
  });
  document.querySelectorAll('tr.finding').forEach(function (f) {
    out.findings.push({ id: f.id, links: [].map.call(f.querySelectorAll('a[href^="#"]'), function (a) {
      var target = document.getElementById(a.getAttribute('href').slice(1));
      return { kind: a.className, href: a.getAttribute('href'),
               target: target ? target.tagName.toLowerCase() + '.' + target.className.split(' ').join('.') : null };
    }) });
  });
  var red = ['rgb(249, 214, 213)', 'rgb(166, 27, 22)'];
  var scope = 'section.phase[data-phase="' + redIn + '"], td.cell[data-phase="' + redIn + '"]';
  document.querySelectorAll(scope).forEach(function (root) {
    [root].concat([].slice.call(root.querySelectorAll('*'))).forEach(function (el) {
      var style = getComputedStyle(el);
      if (red.indexOf(style.backgroundColor) >= 0 || red.indexOf(style.color) >= 0 || red.indexOf(style.fill) >= 0) {
        out.red.push(el.tagName.toLowerCase() + '.' + String(el.className && el.className.baseVal !== undefined ? el.className.baseVal : el.className) + ': ' + el.textContent.slice(0, 40));
      }
      if (style.backgroundColor === 'rgb(216, 240, 220)') { out.green += 1; }
    });
  });
  return out;
})
"##;

/// What the browser laid out for `page` on a screen `width` × `height` pixels (see
/// [`LAYOUT_CHECK`]), with red looked for in phase `red_in`, and a screenshot of that screen,
/// kept as `reports/browser/KEEP_AS.png`. The page is opened as it is written: nothing is added
/// to it, and its Content-Security-Policy still forbids every script of its own.
fn layout(page: &Path, (width, height): (u32, u32), red_in: &str, keep_as: &str) -> (serde_json::Value, Vec<u8>) {
    let text = std::fs::read_to_string(page).unwrap();
    assert!(text.contains("default-src 'none'; style-src 'unsafe-inline'"), "the page forbids loading anything");
    let profile = tempfile::tempdir().unwrap();
    let mut browser = devtools::Browser::launch(&chromium(), &browser_args(profile.path()), BROWSER_DEADLINE);
    browser.viewport(width, height);
    browser.open(page);
    let measured = browser.evaluate(&format!("{LAYOUT_CHECK}({})", serde_json::to_string(red_in).unwrap()));
    assert!(measured.is_object(), "the layout script returned nothing: {measured}");
    let png = browser.screenshot();
    kept(keep_as, &png);
    (measured, png)
}

/// A real rehearsal of Contoso's plan with one of its shipped runbooks, and its page.
async fn contoso(runbook: &str, dir: &Path) -> (bypass_lab::rollout::RunbookRehearsal, PathBuf) {
    use bypass_lab::backend::{BackendKind, DnsStart};
    use bypass_lab::rollout::{rehearse_rollout, Quiet, Rollout};
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/contoso");
    let plan = examples.join("topology.toml");
    let topology = Topology::parse(&std::fs::read_to_string(&plan).unwrap(), Some(&plan)).unwrap();
    let rollout = Rollout {
        topology: topology.clone(),
        source: std::fs::read_to_string(examples.join(runbook)).unwrap(),
        origin: format!("examples/contoso/{runbook}"),
        backend: BackendKind::Embedded,
        dns: DnsStart::Empty,
    };
    let done = rehearse_rollout(rollout, std::sync::Arc::new(Quiet)).await.expect("Contoso rehearses");
    let page = bypass_lab::report::rollout_page::write(dir, &done, &topology).unwrap();
    (done, page)
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap_or_default().to_string()).collect()
}

/// The reviewer's page of the failing Contoso rehearsal, as the browser built it: the findings
/// come first, exactly the faulty lines are marked, and colour follows what each phase expects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failing_contoso_page_reads_first_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (done, page) = contoso("rollout-broken.ps1", dir.path()).await;
    assert!(!done.succeeded());
    let dom = dump_dom(&page);
    let first_finding = dom.find("<tr class=\"finding").expect("findings are shown");
    let first_phase_table = dom.find("<table class=\"matrix\"").expect("phases are shown");
    assert!(first_finding < first_phase_table, "the findings come before the first phase's table");
    let blamed: Vec<&str> = tags_with(&dom, "div", &[("class", "line blamed")]);
    let lines: Vec<&str> =
        blamed.iter().map(|t| t.split("data-line=\"").nth(1).unwrap().split('"').next().unwrap()).collect();
    assert_eq!(lines, ["9", "20", "22"], "exactly the three faulty lines are marked");
    let tokyo_dns =
        tags_with(&dom, "td", &[("data-phase", "dns"), ("data-state", "warning"), ("data-observed", "other-site")]);
    assert_eq!(
        tokyo_dns.len(),
        3,
        "wrong answers before bypass is on are amber already (Sydney's second subnet, Tokyo, outside)"
    );
    assert!(
        tags_with(&dom, "td", &[("data-site", "outside"), ("data-phase", "enable")])
            .iter()
            .filter(|t| t.contains("class=\"decision"))
            .all(|t| t.contains("class=\"decision edge\"")),
        "an outside client whose media goes through the Edge is not shown as bypassing"
    );
    assert!(dom.contains("4 site subnets bypass"), "subnets counted are the site's, not the outside's");
}

/// The same page at a phone's, a laptop's and a wide screen's width: the findings come first
/// and lead to existing rows and lines, no table sticks out of its container, no name breaks,
/// and the screenshot is as wide as the window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failing_contoso_page_fits_360_900_and_1400_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let (done, page) = contoso("rollout-broken.ps1", dir.path()).await;
    for (width, height) in [(360, 2400), (900, 1600), (1400, 1200)] {
        let (measured, png) = layout(&page, (width, height), "permanent-disable", &format!("contoso-broken-{width}"));
        assert_eq!(measured["width"], width, "chromium laid the page out {width} pixels wide: {measured}");
        assert!(
            measured["scrollWidth"].as_u64().unwrap() <= u64::from(width),
            "at {width} px the page scrolls sideways: {measured}"
        );
        assert!(
            strings(&measured["overflowing"]).is_empty(),
            "at {width} px a table overflows its container: {}",
            measured["overflowing"]
        );
        assert!(strings(&measured["clipped"]).is_empty(), "at {width} px a cell is clipped: {}", measured["clipped"]);
        assert!(
            strings(&measured["broken"]).is_empty(),
            "at {width} px a name breaks over two lines: {}",
            measured["broken"]
        );
        let (finding, table) =
            (measured["firstFindingTop"].as_f64().unwrap(), measured["firstPhaseTableTop"].as_f64().unwrap());
        assert!(
            finding < table,
            "at {width} px the first finding ({finding}) is below the first phase table ({table})"
        );
        let findings = measured["findings"].as_array().unwrap();
        assert_eq!(findings.len(), done.report.findings.len(), "every finding is shown");
        for f in findings {
            let links = f["links"].as_array().unwrap();
            for link in links {
                assert!(link["target"].is_string(), "{} links to {}, which is not on the page", f["id"], link["href"]);
            }
            let to = |kind: &str, target: &str| {
                links.iter().any(|l| l["kind"] == kind && l["target"].as_str().unwrap().starts_with(target))
            };
            assert!(to("row-link", "tr.row") || to("phase-link", "section.phase"), "{} links to no row: {f}", f["id"]);
            assert!(to("line-link", "div.line"), "{} links to no runbook line: {f}", f["id"]);
        }
        let reflowed = measured["reflowed"].as_u64().unwrap();
        match width {
            360 => assert!(reflowed > 0, "at 360 px the tables are cards"),
            1400 => assert_eq!(reflowed, 0, "at 1400 px every table is a table"),
            _ => {}
        }
        assert!(!strings(&measured["red"]).is_empty(), "the broken permanent disable leaves records: red");
        let (shot_width, shot_height) = png_size(&png);
        assert_eq!(
            (shot_width, shot_height),
            (width, height),
            "the screenshot is {shot_width} × {shot_height} pixels, the screen {width} × {height}"
        );
    }
}

/// The correct Contoso rollout's permanent disable: "no bypass" is what it is for, so nothing in
/// it is red, and its places are green.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_permanent_disable_of_a_correct_rollout_shows_no_red() {
    let dir = tempfile::tempdir().unwrap();
    let (done, page) = contoso("rollout.ps1", dir.path()).await;
    assert!(done.succeeded(), "{:?}", done.report.findings);
    let dom = dump_dom(&page);
    assert_eq!(tags_with(&dom, "span", &[("class", "verdict pass")]).len(), 1);
    let phase = tags_with(&dom, "tr", &[("data-phase", "permanent-disable")]);
    assert_eq!(
        phase.iter().filter(|t| t.contains("class=\"row ok\"")).count(),
        5,
        "four site subnets and outside, all green"
    );
}

/// The same page as laid out: no computed red anywhere in the permanent disable, and its
/// places green.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_permanent_disable_of_a_correct_rollout_is_laid_out_without_red() {
    let dir = tempfile::tempdir().unwrap();
    let (_, page) = contoso("rollout.ps1", dir.path()).await;
    let (measured, _) = layout(&page, (1400, 1200), "permanent-disable", "contoso-correct-1400");
    assert!(strings(&measured["red"]).is_empty(), "red in the permanent disable: {}", measured["red"]);
    assert!(
        measured["green"].as_u64().unwrap() >= 10,
        "its places are green in the matrix and the summary: {measured}"
    );
}

#[test]
fn the_feature_page_shows_scenarios_steps_and_failures_of_a_real_run() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/tiny.cucumber.json");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("features.html");
    features_page::write_from_json(&fixture, &page, "Rehearsal of adatum.biz", &seed_run()).unwrap();
    let dom = dump_dom(&page);

    assert_eq!(tags_with(&dom, "span", &[("class", "verdict fail")]).len(), 1);
    assert!(dom.contains("<a href=\"#feature-tiny\">Tiny rehearsal"), "the contents link to the feature");
    assert_eq!(tags_with(&dom, "section", &[("id", "feature-tiny")]).len(), 1);
    assert!(dom.contains("features/tiny.feature"));
    assert!(dom.contains("<h2>Tiny rehearsal &lt;with&gt; \"markup\" &amp; more</h2>"));
    let passed = tags_with(&dom, "tr", &[("class", "scenario passed"), ("data-status", "passed")]);
    let failed =
        tags_with(&dom, "tr", &[("class", "scenario failed"), ("data-scenario", "A deliberately wrong expectation")]);
    assert_eq!((passed.len(), failed.len()), (1, 1), "one scenario passed and one failed");
    assert_eq!(tags_with(&dom, "div", &[("class", "step failed"), ("data-line", "7")]).len(), 1);
    assert!(dom.contains("expected NxDomain, got Addresses([192.168.1.45"), "the failure message is shown");
    let count = tags_with(&dom, "span", &[("data-count", "scenarios-failed")]);
    assert_eq!(count.len(), 1);
    let at = dom.find(count[0]).unwrap() + count[0].len();
    assert!(dom[at..].starts_with("1 failed</span>"), "the totals count one failed scenario: {:.60}", &dom[at..]);
}

/// What a features rehearsal of the built-in features says produced its page.
fn seed_run() -> Provenance {
    Provenance {
        command: "bypass-lab rehearse".into(),
        plan: "built-in topology".into(),
        input: ("features".into(), features_page::BUILT_IN.into()),
        version: env!("CARGO_PKG_VERSION").into(),
        at: "2026-01-05 10:00 UTC".into(),
    }
}

#[test]
fn a_missing_json_report_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err =
        features_page::write_from_json(&dir.path().join("none.json"), &dir.path().join("x.html"), "t", &seed_run())
            .unwrap_err();
    assert!(err.to_string().contains("none.json"), "{err}");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"not\": \"a report\"}").unwrap();
    let err = features_page::write_from_json(&bad, &dir.path().join("x.html"), "t", &seed_run()).unwrap_err();
    assert!(err.to_string().contains("is not a Cucumber JSON report"), "{err}");
    assert!(!dir.path().join("x.html").exists(), "nothing is written from a bad report");
}

#[test]
fn the_feature_page_of_the_whole_suite_counts_each_scenario_once_with_its_background() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/seed-features.cucumber.json");
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("features.html");
    features_page::write_from_json(&fixture, &page, "Rehearsal of adatum.biz", &seed_run()).unwrap();
    let dom = dump_dom(&page);

    assert_eq!(tags_with(&dom, "span", &[("class", "verdict pass")]).len(), 1);
    assert_eq!(tags_with(&dom, "tr", &[("data-status", "passed")]).len(), 27, "the suite's 27 scenarios, once each");
    let outline = tags_with(&dom, "tr", &[("class", "group outline")]);
    assert_eq!(outline.len(), 1, "the DNS feature's outline heads its six examples");
    assert_eq!(tags_with(&dom, "tr", &[("class", "scenario passed example")]).len(), 6);
    assert_eq!(tags_with(&dom, "nav", &[("class", "toc")]).len(), 1);
    assert!(dom.contains(">27 scenarios passed</span>"));
    let feature = "Disabling media bypass temporarily";
    let scenario =
        tags_with(&dom, "tr", &[("data-feature", feature), ("data-scenario", "Re-enabling restores bypass")]);
    assert_eq!(scenario.len(), 1);
    let row = &dom[dom.find(scenario[0]).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert_eq!(row.matches("class=\"step passed background\"").count(), 2, "the Background's two steps ran first");
}

#[test]
fn graph_draws_every_appliance_in_every_format_and_the_svg_opens_in_the_browser() {
    let topology = plan();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("northwind.toml");
    std::fs::write(&file, PLAN).unwrap();
    let graph = |format: &str, output: Option<&Path>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bypass-lab"));
        command.arg("graph").arg("--topology").arg(&file).args(["--format", format]);
        if let Some(output) = output {
            command.arg("--output").arg(output);
        }
        let out = command.output().expect("bypass-lab runs");
        assert!(out.status.success(), "graph --format {format} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let mermaid = graph("mermaid", None);
    let dot = graph("dot", None);
    assert!(mermaid.starts_with("flowchart"));
    assert!(dot.starts_with("graph topology {"));
    for (_, a) in topology.appliances() {
        assert!(mermaid.contains(&format!("{}<br/>{}", a.name, a.address)), "mermaid lacks {}", a.name);
        assert!(dot.contains(&format!("{}\\n{}", a.name, a.address)), "dot lacks {}", a.name);
    }

    let svg = dir.path().join("northwind.svg");
    assert_eq!(graph("svg", Some(&svg)), "", "--output writes the file instead of printing");
    let dom = dump_dom(&svg);
    for (_, a) in topology.appliances() {
        assert!(dom.contains(&format!(">{} {}</text>", a.name, a.address)), "{} is not in the SVG", a.name);
    }
    assert!(dom.contains("Lyon &amp; &lt;Annecy&gt;"));

    let missing = Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .args(["graph", "--topology"])
        .arg(dir.path().join("none.toml"))
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("none.toml"), "the error names the file");
}
