//! Just enough of the Chrome DevTools Protocol to drive Debian's headless Chromium from a test:
//! launch it, open a page, evaluate JavaScript, take a screenshot. The browser logs in as a person
//! would: the page answers 401 with a Basic challenge and the browser supplies the credentials
//! (`Fetch.authRequired`), for the page and for every request its script makes. Exceptions thrown
//! in the page are collected so a test can require none.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

pub struct Browser {
    out: mpsc::UnboundedSender<Value>,
    pending: Pending,
    next: Arc<AtomicU64>,
    /// Exceptions thrown in pages (their descriptions).
    pub exceptions: Arc<Mutex<Vec<String>>>,
    child: Child,
    _profile: tempfile::TempDir,
}

/// A page (a target with its own session).
pub struct Page<'b> {
    browser: &'b Browser,
    session: String,
}

impl Browser {
    /// Starts Chromium; `None` when it is not installed (outside CI).
    pub async fn launch(user: &str, password: &str) -> Option<Browser> {
        let profile = tempfile::tempdir().unwrap();
        let spawned = Command::new("chromium")
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--hide-scrollbars",
                "--window-size=1280,1400",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    !std::env::var("CI").is_ok_and(|v| v == "true"),
                    "CI=true and chromium cannot start ({e}); install Debian's chromium package"
                );
                eprintln!("skipping the browser test: chromium: {e}");
                return None;
            }
        };
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let ws = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    return url.trim().to_owned();
                }
            }
            panic!("chromium exited without a DevTools address");
        })
        .await
        .expect("chromium started in time");
        // Keep reading its stderr so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (socket, _) = tokio_tungstenite::connect_async(ws.as_str()).await.unwrap();
        let (mut sink, mut stream) = socket.split();
        let (out, mut queued) = mpsc::unbounded_channel::<Value>();
        tokio::spawn(async move {
            while let Some(v) = queued.recv().await {
                if sink.send(Message::Text(v.to_string())).await.is_err() {
                    return;
                }
            }
        });
        let pending: Pending = Arc::default();
        let exceptions: Arc<Mutex<Vec<String>>> = Arc::default();
        let next = Arc::new(AtomicU64::new(1));
        let (p, ex, tx, n) = (
            pending.clone(),
            exceptions.clone(),
            out.clone(),
            next.clone(),
        );
        let (user, password) = (user.to_owned(), password.to_owned());
        tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else { continue };
                let v: Value = serde_json::from_str(&text).unwrap();
                if let Some(id) = v["id"].as_u64() {
                    if let Some(waiter) = p.lock().unwrap().remove(&id) {
                        let _ = waiter.send(v);
                    }
                    continue;
                }
                let session = v["sessionId"].clone();
                let request = v["params"]["requestId"].clone();
                let id = n.fetch_add(1, Ordering::Relaxed);
                let reply = match v["method"].as_str() {
                    Some("Fetch.requestPaused") => json!({
                        "id": id, "sessionId": session, "method": "Fetch.continueRequest",
                        "params": {"requestId": request},
                    }),
                    Some("Fetch.authRequired") => json!({
                        "id": id, "sessionId": session, "method": "Fetch.continueWithAuth",
                        "params": {"requestId": request, "authChallengeResponse": {
                            "response": "ProvideCredentials",
                            "username": user, "password": password,
                        }},
                    }),
                    Some("Runtime.exceptionThrown") => {
                        ex.lock()
                            .unwrap()
                            .push(v["params"]["exceptionDetails"].to_string());
                        continue;
                    }
                    _ => continue,
                };
                let _ = tx.send(reply);
            }
        });
        Some(Browser {
            out,
            pending,
            next,
            exceptions,
            child,
            _profile: profile,
        })
    }

    /// Sends a command (to a page's session, or to the browser) and returns its result.
    async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.out.send(msg).unwrap();
        let v = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .unwrap_or_else(|_| panic!("{method}: no answer from chromium"))
            .unwrap();
        assert!(v.get("error").is_none(), "{method}: {v}");
        v["result"].clone()
    }

    /// A new tab with authentication handled, exceptions collected, at `url`.
    pub async fn open(&self, url: &str) -> Page<'_> {
        let target = self
            .call(None, "Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let attached = self
            .call(
                None,
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        let page = Page {
            browser: self,
            session: attached["sessionId"].as_str().unwrap().to_owned(),
        };
        page.call("Runtime.enable", json!({})).await;
        page.call(
            "Fetch.enable",
            json!({"handleAuthRequests": true, "patterns": [{"urlPattern": "*"}]}),
        )
        .await;
        page.call("Page.enable", json!({})).await;
        page.call("Page.navigate", json!({"url": url})).await;
        page
    }

    pub async fn close(mut self) {
        let _ = self.child.kill().await;
    }
}

impl Page<'_> {
    async fn call(&self, method: &str, params: Value) -> Value {
        self.browser.call(Some(&self.session), method, params).await
    }

    /// The value of a JavaScript expression (awaited if it is a promise).
    pub async fn eval(&self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        assert!(
            r.get("exceptionDetails").is_none(),
            "{expression} threw: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Waits until `expression` is truthy (throwing counts as false: the page may still load).
    pub async fn wait_for(&self, expression: &str, secs: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let probe = format!(
                "(() => {{ try {{ return !!({expression}); }} catch (e) {{ return false; }} }})()"
            );
            if self.eval(&probe).await == json!(true) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never true in {secs} s: {expression}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A PNG of the page.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let r = self
            .call(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap()
    }
}
