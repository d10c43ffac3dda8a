//! DNS over TCP with the lab's own accept loop (UDP stays with hickory-server).
//!
//! hickory-server's TCP loop retries a failed accept at once (a spin when descriptors run out,
//! during which TCP DNS is down) and keeps answering a client that pipelines queries but never
//! reads. Here:
//! - a failed accept is retried after a pause;
//! - each connection answers one query at a time, so at most one answer waits on a client; an
//!   answer the client does not take within [`WRITE_DEADLINE`] closes the connection;
//! - a connection that sends no complete query within the idle time is closed;
//! - connections take places in the process's descriptor budget as HTTP ones do
//!   ([`crate::http::budget`]): pending until a complete query has arrived on them, and at
//!   capacity the listener stops accepting rather than close connections in use.

use super::handler::PolicyHandler;
use crate::http::budget::{Admission, Budget, Watched};
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::BinEncoder;
use hickory_server::net::runtime::TokioTime;
use hickory_server::net::xfer::Protocol;
use hickory_server::net::NetError;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponse;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// The pause after a failed accept.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How long an answer may wait for the client to read it.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(5);
/// Serves DNS over TCP on `listener`, within this process's descriptor budget, until
/// `shutdown` is cancelled.
pub async fn serve(listener: TcpListener, handler: Arc<PolicyHandler>, idle: Duration, shutdown: CancellationToken) {
    let budget = Budget::process();
    let _reserve = budget.serve_role();
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
        // Until there is room, this listener accepts nothing more: newcomers wait in the backlog.
        let ticket = tokio::select! {
            _ = shutdown.cancelled() => break,
            ticket = budget.place() => ticket,
        };
        let handler = handler.clone();
        let close = ticket.closed();
        let stop = shutdown.clone();
        connections.spawn(async move {
            let Ok(peer) = stream.peer_addr() else { return };
            tokio::select! {
                _ = answer(ticket.watch(stream), peer, ticket.handle(), &handler, idle) => {}
                _ = close.cancelled() => {}
                _ = stop.cancelled() => {}
            }
            drop(ticket);
        });
    }
    connections.shutdown().await;
}

/// Answers the queries of one connection, one at a time, until it closes, idles or stops
/// reading. A complete query admits the connection: DNS is open to anyone.
async fn answer(
    mut stream: Watched<TcpStream>,
    peer: std::net::SocketAddr,
    admission: Admission,
    handler: &PolicyHandler,
    idle: Duration,
) {
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
        admission.admit();
        admission.set_busy(true);
        let reply = Reply::default();
        handler.handle_request::<_, TokioTime>(&request, reply.clone()).await;
        let answered = reply.0.lock().unwrap().take();
        let written = match answered {
            // IGNORE: silence
            None => true,
            Some(bytes) => {
                let mut framed = Vec::with_capacity(bytes.len() + 2);
                framed.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
                framed.extend_from_slice(&bytes);
                matches!(tokio::time::timeout(WRITE_DEADLINE, stream.write_all(&framed)).await, Ok(Ok(())))
            }
        };
        admission.set_busy(false);
        if !written {
            return; // the client does not read: close
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
