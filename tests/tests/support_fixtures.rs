//! Tests of the server fixtures themselves: if these fail, every other
//! integration test is suspect.

use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use tornadis_tests::raw::{self, Auth};
use tornadis_tests::wait::wait_until;
use tornadis_tests::{RedisCluster, RedisServer, SentinelGroup, ServerKind, TestCerts};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn tcp(server: &RedisServer) -> TcpStream {
    let stream = TcpStream::connect(server.addr()).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn stop_and_restart_keep_the_port_and_socket() {
    let mut server = RedisServer::start();
    let (port, socket) = (server.port(), server.unix_socket().to_path_buf());
    assert_ne!(port, 6379);
    let first_pid = server.pid().unwrap();
    assert_eq!(server.cli(&["SET", "k", "v"]), "OK");

    server.stop();
    assert_eq!(server.pid(), None);
    assert!(!process_exists(first_pid), "stop must kill and reap");
    assert!(raw::ping_tcp(server.addr(), &Auth::default()).is_err());

    server.restart();
    assert_eq!(server.port(), port);
    assert_eq!(server.unix_socket(), socket);
    assert_ne!(server.pid().unwrap(), first_pid);
    assert!(server.is_running());
    raw::ping_tcp(server.addr(), &Auth::default()).unwrap();
    raw::ping_unix(&socket, &Auth::default()).unwrap();
    // Nothing is persisted, so the restarted server is empty.
    assert_eq!(server.cli(&["DBSIZE"]), "0");

    // Restarting a running server replaces its process.
    let second_pid = server.pid().unwrap();
    server.restart();
    assert!(!process_exists(second_pid));
    assert_eq!(server.cli(&["PING"]), "PONG");
}

#[test]
fn unix_socket_answers() {
    let server = RedisServer::start();
    assert_eq!(
        server.unix_url(),
        format!("unix://{}", server.unix_socket().display())
    );
    let mut stream = UnixStream::connect(server.unix_socket()).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let replies = raw::exchange(&mut stream, &[&["SET", "via", "unix"], &["PING"]]).unwrap();
    assert_eq!(replies, ["+OK", "+PONG"]);
    // Same server over TCP.
    assert_eq!(server.cli(&["GET", "via"]), "unix");
}

#[test]
fn urls_and_addresses() {
    let server = RedisServer::start();
    let port = server.port();
    assert_eq!(server.addr(), format!("127.0.0.1:{port}"));
    assert_eq!(server.url(), format!("redis://127.0.0.1:{port}"));
    assert_eq!(server.socket_addr().port(), port);
    assert!(server.unix_socket().starts_with(server.dir()));
}

#[test]
fn password_is_required() {
    let server = RedisServer::builder().password("s3cret").start();
    assert_eq!(server.password(), Some("s3cret"));
    let mut stream = tcp(&server);
    let replies = raw::exchange(&mut stream, &[&["PING"]]).unwrap();
    assert!(replies[0].starts_with("-NOAUTH"), "{replies:?}");
    let replies = raw::exchange(
        &mut stream,
        &[&["AUTH", "wrong"], &["AUTH", "s3cret"], &["PING"]],
    )
    .unwrap();
    assert!(replies[0].starts_with("-WRONGPASS"), "{replies:?}");
    assert_eq!(replies[1..], ["+OK", "+PONG"]);
    // The fixture's own helpers authenticate.
    assert_eq!(server.cli(&["PING"]), "PONG");
}

#[test]
fn acl_user_can_authenticate() {
    let server = RedisServer::builder()
        .password("s3cret")
        .acl_user("app", "apppass", "+@all ~*")
        .acl_user("reader", "readpass", "+get ~*")
        .start();
    let mut stream = tcp(&server);
    let replies = raw::exchange(
        &mut stream,
        &[
            &["AUTH", "app", "nope"],
            &["AUTH", "app", "apppass"],
            &["SET", "k", "1"],
        ],
    )
    .unwrap();
    assert!(replies[0].starts_with("-WRONGPASS"), "{replies:?}");
    assert_eq!(replies[1..], ["+OK", "+OK"]);
    assert_eq!(server.cli_as("app", "apppass", &["ACL", "WHOAMI"]), "app");
    assert_eq!(server.cli_as("reader", "readpass", &["GET", "k"]), "1");
    let denied = server.cli_as("reader", "readpass", &["SET", "k", "2"]);
    assert!(denied.starts_with("NOPERM"), "{denied}");
}

#[test]
fn extra_args_and_debug_command() {
    let server = RedisServer::builder()
        .args(["--maxmemory", "12mb"])
        .arg("--databases")
        .arg("4")
        .start();
    assert_eq!(
        server.cli(&["CONFIG", "GET", "maxmemory"]),
        "maxmemory\n12582912"
    );
    assert_eq!(server.cli(&["CONFIG", "GET", "databases"]), "databases\n4");
    // Persistence is off, so tests never write dump files.
    assert_eq!(server.cli(&["CONFIG", "GET", "save"]), "save");
    assert_eq!(
        server.cli(&["CONFIG", "GET", "appendonly"]),
        "appendonly\nno"
    );
    // Tests rely on DEBUG SLEEP to simulate a slow server.
    assert_eq!(server.cli(&["DEBUG", "SLEEP", "0"]), "OK");
}

#[test]
fn drop_kills_the_process_and_removes_the_directory() {
    let server = RedisServer::start();
    let pid = server.pid().unwrap();
    let dir = server.dir().to_path_buf();
    let addr = server.addr();
    assert!(process_exists(pid));
    assert!(dir.join("redis.log").exists());
    drop(server);
    assert!(!process_exists(pid), "pid {pid} still exists after drop");
    assert!(!dir.exists(), "{} still exists after drop", dir.display());
    assert!(raw::ping_tcp(addr, &Auth::default()).is_err());
}

#[test]
fn a_failed_start_explains_itself_and_cleans_up() {
    let failure = std::panic::catch_unwind(|| {
        RedisServer::builder()
            .arg("--no-such-directive")
            .arg("1")
            .start()
    })
    .expect_err("a server with a bad directive must not start");
    let message = failure
        .downcast_ref::<String>()
        .expect("the panic carries a formatted message");
    assert!(message.contains("exited during startup"), "{message}");
    // The log tail is part of the message: here, Redis's complaint.
    assert!(message.contains("no-such-directive"), "{message}");
    let log = message
        .lines()
        .find_map(|l| l.strip_prefix("--- last lines of "))
        .and_then(|l| l.strip_suffix(" ---"))
        .expect("the message names the log file");
    assert!(
        !Path::new(log).exists(),
        "the temp dir of a failed start must be removed"
    );
}

#[test]
fn wait_until_reports_what_it_waited_for() {
    let mut calls = 0;
    let result: Result<(), String> =
        wait_until(Duration::from_millis(100), "the impossible", || {
            calls += 1;
            Err(format!("attempt {calls}"))
        });
    let message = result.unwrap_err();
    assert!(message.contains("the impossible"), "{message}");
    assert!(message.contains(&format!("attempt {calls}")), "{message}");
    assert!(calls > 1);
    let mut calls = 0;
    let value = wait_until(Duration::from_secs(5), "the third call", || {
        calls += 1;
        if calls == 3 {
            Ok(calls)
        } else {
            Err(String::new())
        }
    });
    assert_eq!(value, Ok(3));
}

#[test]
fn parallel_starts_get_distinct_ports() {
    let servers: Vec<RedisServer> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6).map(|_| s.spawn(RedisServer::start)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut ports: Vec<u16> = servers.iter().map(RedisServer::port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), servers.len());
    for server in &servers {
        assert_eq!(server.cli(&["PING"]), "PONG");
    }
}

#[test]
fn cluster_comes_up_and_fails_over() {
    let mut cluster = RedisCluster::start();
    assert_eq!(cluster.nodes().len(), 6);
    let primaries = cluster.primaries();
    let replicas = cluster.replicas();
    assert_eq!((primaries.len(), replicas.len()), (3, 3));
    for &replica in &replicas {
        let primary = cluster.primary_of(replica).unwrap();
        assert!(primaries.contains(&primary));
    }
    for slot in 0..tornadis_tests::cluster::SLOTS {
        assert!(
            cluster.primary_for_slot(slot).is_some(),
            "slot {slot} unowned"
        );
    }
    for node in cluster.nodes() {
        let info = node.cli(&["CLUSTER", "INFO"]);
        assert!(info.contains("cluster_state:ok"), "{info}");
        assert!(info.contains("cluster_known_nodes:6"), "{info}");
    }

    // The owner of a key's slot accepts it; another primary redirects.
    let slot: u16 = cluster
        .node(0)
        .cli(&["CLUSTER", "KEYSLOT", "greeting"])
        .parse()
        .unwrap();
    let owner = cluster.primary_for_slot(slot).unwrap();
    assert_eq!(cluster.node(owner).cli(&["SET", "greeting", "hi"]), "OK");
    let other = *primaries.iter().find(|&&p| p != owner).unwrap();
    let moved = cluster.node(other).cli(&["GET", "greeting"]);
    assert!(
        moved.starts_with(&format!(
            "MOVED {slot} 127.0.0.1:{}",
            cluster.node(owner).port()
        )),
        "{moved}"
    );

    // Killing a primary promotes its replica.
    let replica = *replicas
        .iter()
        .find(|&&r| cluster.primary_of(r) == Some(owner))
        .unwrap();
    cluster.kill_node(owner);
    cluster.wait_until_ok();
    assert_eq!(cluster.primary_for_slot(slot), Some(replica));
    assert_eq!(
        cluster.roles()[owner],
        tornadis_tests::cluster::Role::Failed
    );
    assert_eq!(cluster.node(replica).cli(&["GET", "greeting"]), "hi");

    // Restarted on its port with its saved config, the old primary rejoins
    // as a replica of the node that took over.
    cluster.restart_node(owner);
    cluster.wait_until_ok();
    assert_eq!(cluster.primary_of(owner), Some(replica));
}

#[test]
fn sentinel_group_comes_up_and_fails_over() {
    let mut group = SentinelGroup::start();
    assert_eq!(group.master_name(), "mymaster");
    assert_eq!(group.sentinels().len(), 3);
    let primary = group.primary().addr();
    for i in 0..3 {
        assert_eq!(group.primary_addr_from(i), primary);
    }
    let role = group.replica().cli(&["ROLE"]);
    assert!(role.starts_with("slave"), "{role}");

    group.kill_primary();
    let new_primary = group.wait_for_failover(&primary);
    assert_eq!(new_primary, group.replica().addr());
    let role = group.replica().cli(&["ROLE"]);
    assert!(role.starts_with("master"), "{role}");
}

/// Each kind starts its own program: the server says which it is in INFO
/// (Valkey adds `server_name:valkey` and `valkey_version`, and keeps
/// reporting a `redis_version` for old clients).
#[test]
fn each_server_kind_runs_its_own_program() {
    for kind in ServerKind::ALL {
        let server = RedisServer::builder().kind(kind).start();
        assert_eq!(server.kind(), kind);
        let info = server.cli(&["INFO", "server"]);
        let is_valkey = info.lines().any(|l| l.trim() == "server_name:valkey");
        assert_eq!(is_valkey, kind == ServerKind::Valkey, "{kind}: {info}");
        assert_eq!(
            info.contains("valkey_version:"),
            kind == ServerKind::Valkey,
            "{kind}: {info}"
        );
    }
}

/// A TLS listener runs on Redis whatever the default kind, since the Valkey
/// build the tests use has no TLS; asking for Valkey with TLS is explicit.
#[test]
fn tls_servers_default_to_redis() {
    let builder = RedisServer::builder().tls(TestCerts::generate());
    assert_eq!(builder.server_kind(), ServerKind::Redis);
    let builder = builder.kind(ServerKind::Valkey);
    assert_eq!(builder.server_kind(), ServerKind::Valkey);
}
