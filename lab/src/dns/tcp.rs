//! DNS over TCP with the lab's own accept loop (UDP stays with hickory-server).
//!
//! hickory-server's TCP loop retries a failed accept at once (a spin when descriptors run out,
//! during which TCP DNS is down) and keeps answering a client that pipelines queries but never
//! reads. Here:
//! - a failed accept is retried after a pause;
//! - each connection answers one query at a time, so at most one answer waits on a client; an
//!   answer the client does not take within [`WRITE_DEADLINE`] closes the connection;
//! - a connection that sends no complete query within the idle time is closed;
//! - beyond [`MAX_CONNECTIONS`] (or the process's share of descriptors, as for HTTP roles),
//!   each new connection closes the oldest.

use super::handler::PolicyHandler;
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::BinEncoder;
use hickory_server::net::runtime::TokioTime;
use hickory_server::net::xfer::Protocol;
use hickory_server::net::NetError;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponse;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// The pause after a failed accept.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How long an answer may wait for the client to read it.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(5);
/// Open TCP connections at most (lab choice); fewer when descriptors are scarce.
pub const MAX_CONNECTIONS: usize = 256;

/// Serves DNS over TCP on `listener` until `shutdown` is cancelled.
pub async fn serve(listener: TcpListener, handler: Arc<PolicyHandler>, idle: Duration, shutdown: CancellationToken) {
    // Open connections, oldest first; a newcomer at the cap closes the oldest, so a flood of
    // silent connections cannot lock out a real client.
    let open: Arc<Mutex<VecDeque<(u64, CancellationToken)>>> = Default::default();
    let cap = MAX_CONNECTIONS.min(crate::http::server::Limits::for_this_process().max_connections);
    let mut next_id = 0u64;
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, _) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("DNS over TCP: accepting a connection failed ({e}); retrying in {ACCEPT_BACKOFF:?}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let id = next_id;
        next_id += 1;
        let close = shutdown.child_token();
        {
            let mut open = open.lock().unwrap();
            while open.len() >= cap {
                if let Some((_, oldest)) = open.pop_front() {
                    oldest.cancel();
                }
            }
            open.push_back((id, close.clone()));
        }
        let handler = handler.clone();
        let open = open.clone();
        connections.spawn(async move {
            tokio::select! {
                _ = answer(stream, &handler, idle) => {}
                _ = close.cancelled() => {}
            }
            open.lock().unwrap().retain(|(i, _)| *i != id);
        });
    }
    connections.shutdown().await;
}

/// Answers the queries of one connection, one at a time, until it closes, idles or stops reading.
async fn answer(mut stream: TcpStream, handler: &PolicyHandler, idle: Duration) {
    let Ok(peer) = stream.peer_addr() else { return };
    loop {
        let query = tokio::time::timeout(idle, async {
            let length = stream.read_u16().await? as usize;
            let mut bytes = vec![0; length];
            stream.read_exact(&mut bytes).await?;
            Ok::<_, std::io::Error>(bytes)
        })
        .await;
        let Ok(Ok(bytes)) = query else { return };
        let Ok(request) = Request::from_bytes(bytes, peer, Protocol::Tcp) else {
            return; // not DNS: nothing sensible to answer
        };
        let reply = Reply::default();
        handler.handle_request::<_, TokioTime>(&request, reply.clone()).await;
        let Some(bytes) = reply.0.lock().unwrap().take() else {
            continue;
        }; // IGNORE: silence
        let mut framed = Vec::with_capacity(bytes.len() + 2);
        framed.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
        framed.extend_from_slice(&bytes);
        match tokio::time::timeout(WRITE_DEADLINE, stream.write_all(&framed)).await {
            Ok(Ok(())) => {}
            _ => return, // the client does not read: close
        }
    }
}

/// Collects the one answer to a query.
#[derive(Clone, Default)]
struct Reply(Arc<Mutex<Option<Vec<u8>>>>);

#[async_trait::async_trait]
impl ResponseHandler for Reply {
    async fn send_response<'a>(
        &mut self,
        response: MessageResponse<
            '_,
            'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
        >,
    ) -> Result<ResponseInfo, NetError> {
        let mut bytes = Vec::with_capacity(512);
        let mut encoder = BinEncoder::new(&mut bytes);
        encoder.set_max_size(u16::MAX);
        let info = response.destructive_emit(&mut encoder).map_err(NetError::from)?;
        *self.0.lock().unwrap() = Some(bytes);
        Ok(info)
    }
}
