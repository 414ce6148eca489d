//! Where the link connects: one Redis server (or a primary), or a Redis Cluster.
//!
//! Commands go through one connection either way: a multiplexed connection to the server, or
//! a cluster connection that routes each command by its first key. Every key of a fleet shares
//! one hash slot (`{P}:...`), so each script runs on the node that owns them all. Pub/sub is
//! Redis's classic kind, which a cluster broadcasts to every node: the link subscribes on one
//! node given, the next one after each session that ended.

use std::time::Duration;

use redis::aio::{ConnectionLike, MultiplexedConnection, PubSub};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, Cmd, Pipeline, RedisFuture, Value};

use super::Down;
use super::link::within;
use super::tls::CheckedCa;

/// The server or the cluster.
pub(super) enum Target {
    /// Boxed: over TLS it holds its certificate store (some hundred bytes).
    Server(Box<redis::Client>),
    Cluster {
        /// Boxed: it is larger than a server's client, and there is one per link.
        client: Box<ClusterClient>,
        /// Each node given, for pub/sub.
        nodes: Vec<redis::Client>,
    },
}

/// A connection for commands.
pub(super) enum Connection {
    Server(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl Target {
    /// A cluster's nodes (some or all, their URLs and clients), each answering within
    /// `timeout`; over TLS with `ca` if given (the URLs are then `rediss://`).
    pub(super) fn cluster(
        urls: &[String],
        nodes: Vec<redis::Client>,
        ca: Option<&CheckedCa>,
        timeout: Duration,
    ) -> redis::RedisResult<Target> {
        let builder = ClusterClient::builder(urls.iter().map(String::as_str))
            .connection_timeout(timeout)
            .response_timeout(timeout)
            .overall_response_timeout(Some(timeout))
            .retries(1);
        #[cfg(feature = "redis-tls")]
        let builder = match ca {
            Some(ca) => builder.certs(super::tls::certificates(ca)),
            None => builder,
        };
        #[cfg(not(feature = "redis-tls"))]
        let _ = ca;
        Ok(Target::Cluster {
            client: Box::new(builder.build()?),
            nodes,
        })
    }

    /// A connection for commands.
    pub(super) async fn connect(&self, timeout: Duration) -> Result<Connection, Down> {
        match self {
            Target::Server(client) => {
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout));
                Ok(Connection::Server(
                    client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await?,
                ))
            }
            Target::Cluster { client, .. } => Ok(Connection::Cluster(
                within(timeout, client.get_async_connection()).await?,
            )),
        }
    }

    /// A pub/sub connection: to the server, or to the `session`th node given (in turn).
    pub(super) async fn pubsub(&self, session: usize, timeout: Duration) -> Result<PubSub, Down> {
        let client = match self {
            Target::Server(client) => client.as_ref(),
            Target::Cluster { nodes, .. } => &nodes[session % nodes.len()],
        };
        within(timeout, client.get_async_pubsub()).await
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Server(connection) => connection.req_packed_command(cmd),
            Connection::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Server(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
            Connection::Cluster(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Server(connection) => connection.get_db(),
            Connection::Cluster(connection) => connection.get_db(),
        }
    }
}
