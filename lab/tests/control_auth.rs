//! Every role's control routes check the lab's control credential before reading the body: an
//! unauthenticated caller sending garbage gets 401 with the one error body, never a parse error
//! that names fields.

use bypass_lab::backend::BackendKind;
use bypass_lab::lab::{Lab, LabOptions};
use bypass_lab::topology::Topology;

async fn refuses(http: &reqwest::Client, method: reqwest::Method, url: &str, token: Option<&str>) {
    let mut request = http.request(method.clone(), url).body("{\"garbage\": [}").header("Content-Type", "text/plain");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status();
    let body = reply.text().await.unwrap();
    assert_eq!(status, 401, "{method} {url} with {token:?}: {body}");
    let error: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method} {url}: not JSON ({e}): {body}"));
    let reason = error["error"].as_str().unwrap_or_else(|| panic!("{method} {url}: no \"error\": {body}"));
    assert!(reason.contains("control credential"), "{method} {url}: {reason}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_routes_refuse_unauthenticated_garbage_with_401() {
    let options = LabOptions { backend: BackendKind::Embedded, control: true, ..Default::default() };
    let lab = Lab::start(Topology::seed(), options).await.expect("the seed lab starts");
    let endpoints = lab.endpoints();
    let appliance = endpoints.appliances.values().next().unwrap().clone();
    let control = endpoints.control.clone().unwrap();
    let client = endpoints.clients["*"].clone();
    let routes = [
        (reqwest::Method::POST, format!("{appliance}/lab/link")),
        (reqwest::Method::POST, format!("{appliance}/lab/clock")),
        (reqwest::Method::POST, format!("{appliance}/lab/cmdlet")),
        (reqwest::Method::GET, format!("{appliance}/lab/status")),
        (reqwest::Method::POST, format!("{control}/lab/clock")),
        (reqwest::Method::POST, format!("{control}/lab/restart")),
        (reqwest::Method::POST, format!("{}/lab/cmdlet", endpoints.dns_admin)),
        (reqwest::Method::POST, format!("{client}/lab/clock")),
    ];
    let http = bypass_lab::http::control::shared();
    for (method, url) in &routes {
        refuses(&http, method.clone(), url, None).await;
        refuses(&http, method.clone(), url, Some(&lab.secrets().admin)).await;
    }
    // With the credential, a body that is not what the route reads is refused in the same shape,
    // cmdlet routes included.
    for (method, url) in routes.iter().filter(|(m, _)| *m == reqwest::Method::POST) {
        let reply = http
            .request(method.clone(), url)
            .bearer_auth(&lab.secrets().control)
            .body("{\"garbage\": [}")
            .send()
            .await
            .unwrap();
        let status = reply.status();
        let body: serde_json::Value =
            reply.json().await.unwrap_or_else(|e| panic!("{url}: the refusal is not JSON: {e}"));
        assert!(status.is_client_error(), "{url}: {status}");
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{url}: {body}");
    }
    // A cmdlet that fails answers 400 in the same shape, its error as PowerShell prints it.
    let invocation = |cmdlet: &str| serde_json::json!({ "cmdlet": cmdlet, "args": {}, "line": 1, "column": 1 });
    let failing = [
        (format!("{appliance}/lab/cmdlet"), "Get-Nothing"),
        (format!("{}/lab/cmdlet", endpoints.dns_admin), "Resolve-DnsName"),
    ];
    for (url, cmdlet) in failing {
        let reply = http.post(&url).bearer_auth(&lab.secrets().control).json(&invocation(cmdlet)).send().await.unwrap();
        let status = reply.status();
        let body: serde_json::Value = reply.json().await.unwrap_or_else(|e| panic!("{url}: not JSON: {e}"));
        assert_eq!(status, 400, "{url}: {body}");
        assert!(body["error"].as_str().is_some_and(|e| e.contains(cmdlet)), "{url}: {body}");
        assert!(body.get("message").is_none(), "{url}: {body}");
    }
    lab.stop().await.unwrap();
}
