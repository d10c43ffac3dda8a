//! Headless Chromium driven through its DevTools protocol over a pipe (`--remote-debugging-pipe`:
//! commands on the browser's descriptor 3, answers and events on 4, each a JSON text ended by a
//! NUL byte). No port is opened.
//!
//! Why not the command line's `--window-size`: headless Chromium lays a window out at least 500
//! pixels wide, so a phone's 360 pixels can only be had as the DevTools' device mode has it
//! (`Emulation.setDeviceMetricsOverride`), which also sizes the screenshot.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// One browser with one page, killed (with every helper process it started) when dropped.
pub struct Browser {
    child: Child,
    commands: std::io::PipeWriter,
    messages: Receiver<Value>,
    session: String,
    next_id: u64,
    deadline: Duration,
}

impl Browser {
    /// Starts `chromium` with `args` and attaches to its first page.
    pub fn launch(chromium: &Path, args: &[String], deadline: Duration) -> Browser {
        let (from_us, commands) = std::io::pipe().expect("a pipe");
        let (answers, to_us) = std::io::pipe().expect("a pipe");
        // Above the numbers the child's 3 and 4 will take, so moving one cannot close the other.
        let from_us = rustix::io::fcntl_dupfd_cloexec(from_us.as_fd(), 10).expect("dup");
        let to_us = rustix::io::fcntl_dupfd_cloexec(to_us.as_fd(), 10).expect("dup");
        let mut command = Command::new(chromium);
        command
            .args(args)
            .arg("--remote-debugging-pipe")
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        // SAFETY: between fork and exec only dup2 runs, which is async-signal-safe; the
        // descriptors 3 and 4 are wrapped without being closed.
        unsafe {
            command.pre_exec(move || {
                for (fd, number) in [(&from_us, 3), (&to_us, 4)] {
                    let mut target = ManuallyDrop::new(OwnedFd::from_raw_fd(number));
                    rustix::io::dup2(fd, &mut target)?;
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("chromium starts");
        drop(command);
        let (sent, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(answers);
            let mut message = Vec::new();
            while reader.read_until(0, &mut message).is_ok_and(|n| n > 0) {
                message.pop();
                let Ok(value) = serde_json::from_slice::<Value>(&message) else { return };
                if sent.send(value).is_err() {
                    return;
                }
                message.clear();
            }
        });
        let mut browser = Browser { child, commands, messages, session: String::new(), next_id: 0, deadline };
        let targets = browser.call("Target.getTargets", json!({}));
        let page = targets["targetInfos"]
            .as_array()
            .and_then(|all| all.iter().find(|t| t["type"] == "page"))
            .unwrap_or_else(|| panic!("chromium has no page: {targets}"))["targetId"]
            .clone();
        let attached = browser.call("Target.attachToTarget", json!({ "targetId": page, "flatten": true }));
        browser.session = attached["sessionId"].as_str().expect("a session").to_string();
        browser.call("Page.enable", json!({}));
        browser
    }

    /// Lays the page out `width` × `height` CSS pixels, as a device of that size would.
    pub fn viewport(&mut self, width: u32, height: u32) {
        let metrics = json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false });
        self.call("Emulation.setDeviceMetricsOverride", metrics);
    }

    /// Opens `page` and returns once its load event has fired.
    pub fn open(&mut self, page: &Path) {
        let url = format!("file://{}", page.display());
        let navigated = self.call("Page.navigate", json!({ "url": url }));
        assert!(navigated.get("errorText").is_none(), "chromium could not open {url}: {navigated}");
        self.wait_for("Page.loadEventFired");
    }

    /// The value of `expression` evaluated in the page (a DevTools evaluation: the page's
    /// Content-Security-Policy, which forbids its own scripts, does not apply).
    pub fn evaluate(&mut self, expression: &str) -> Value {
        let result = self.call("Runtime.evaluate", json!({ "expression": expression, "returnByValue": true }));
        if let Some(thrown) = result.get("exceptionDetails") {
            panic!("the script threw in the page: {thrown}");
        }
        result["result"]["value"].clone()
    }

    /// A PNG of the viewport as laid out.
    pub fn screenshot(&mut self) -> Vec<u8> {
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        decode_base64(shot["data"].as_str().expect("screenshot data"))
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.commands.write_all(&bytes).unwrap_or_else(|e| panic!("chromium stopped reading ({method}): {e}"));
        let answer = self.next_message(&format!("the answer to {method}"), |m| m["id"] == id);
        if let Some(error) = answer.get("error") {
            panic!("chromium refused {method}: {error}");
        }
        answer["result"].clone()
    }

    fn wait_for(&mut self, event: &str) -> Value {
        let session = self.session.clone();
        self.next_message(event, |m| m["method"] == event && m["sessionId"] == session.as_str())
    }

    fn next_message(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let until = Instant::now() + self.deadline;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(message) if wanted(&message) => return message,
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("chromium gave no {what} within {:?}", self.deadline),
                Err(mpsc::RecvTimeoutError::Disconnected) => panic!("chromium ended before {what}"),
            }
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The browser's helpers share its process group; none may outlive the test.
        let group = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = self.child.wait();
    }
}

/// Standard base64, as the protocol carries binary data.
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c:#x}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let bits = chunk.iter().enumerate().fold(0u32, |acc, (i, &d)| acc | (u32::from(d) << (18 - 6 * i)));
        out.extend(bits.to_be_bytes()[1..chunk.len()].iter());
    }
    out
}

#[test]
fn base64_decodes_as_the_protocol_encodes() {
    assert_eq!(decode_base64("aGVsbG8="), b"hello");
    assert_eq!(decode_base64("aGk="), b"hi");
    assert_eq!(decode_base64("YWJj"), b"abc");
}
