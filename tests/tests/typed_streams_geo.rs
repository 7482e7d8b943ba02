//! Typed methods of the stream and geo groups against a real server, in
//! RESP3 (the default) and RESP2: XREAD replies a map in RESP3 and an array
//! in RESP2, and geo replies carry doubles.

use std::time::{Duration, Instant};

use tornadis::commands::{
    GeoUnit, GeosearchBy, GeosearchFrom, GeosearchWithcoordOptions, TrimStrategy, XaddOptions,
    XgroupCreateOptions, XrangeOptions, XreadOptions, XreadgroupOptions,
};
use tornadis::{Client, Commands, Protocol};
use tornadis_tests::RedisServer;

fn resp3(server: &RedisServer) -> Client {
    Client::from_url(&server.url()).unwrap()
}

fn resp2(server: &RedisServer) -> Client {
    Client::builder()
        .port(server.port())
        .protocol(Protocol::Resp2)
        .build()
        .unwrap()
}

type Entries = Vec<tornadis::value::StreamEntry>;
type Streams = Option<Vec<tornadis::value::StreamKey>>;

#[tokio::test]
async fn xadd_xrange_and_xread_in_both_protocols() {
    let server = RedisServer::start();
    for c in [resp3(&server), resp2(&server)] {
        c.flushdb().await.unwrap();
        let id1 = c
            .xadd("s", "*", [("temp", "20"), ("room", "a")])
            .await
            .unwrap();
        let id2 = c
            .xadd("s", "9999999999999-0", [("temp", "21")])
            .await
            .unwrap();
        assert_eq!(id2, "9999999999999-0");
        // NOMKSTREAM on a missing stream: nothing added, nil.
        let none = c
            .xadd_with(
                "missing",
                "*",
                [("f", "v")],
                XaddOptions::new().nomkstream(),
            )
            .await
            .unwrap();
        assert_eq!(none, None);
        assert_eq!(c.xlen("s").await.unwrap(), 2);

        let entries: Entries = c.xrange("s", "-", "+").await.unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].id, id1);
        assert_eq!(entries[0].fields["room"], "a");
        let last: Entries = c
            .xrevrange_with("s", "+", "-", Default::default())
            .await
            .unwrap();
        assert_eq!(last[0].id, "9999999999999-0");
        let one: Entries = c
            .xrange_with("s", "-", "+", XrangeOptions::new().count(1))
            .await
            .unwrap();
        assert_eq!(one.len(), 1);

        // XREAD without BLOCK on the shared connection.
        let read: Streams = c.xread(["s"], ["0"]).await.unwrap();
        let read = read.expect("entries after 0");
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].key, "s");
        assert_eq!(read[0].entries.len(), 2);
        assert_eq!(read[0].entries[1].fields["temp"], "21");
        let nothing: Streams = c.xread(["s"], ["$"]).await.unwrap();
        assert_eq!(nothing, None);
        let counted: Streams = c
            .xread_with(
                ["s", "s"],
                ["0", id1.as_str()],
                XreadOptions::new().count(1),
            )
            .await
            .unwrap();
        assert_eq!(counted.expect("two streams").len(), 2);

        assert_eq!(c.xdel("s", [id1.as_str()]).await.unwrap(), 1);
        assert_eq!(c.xlen("s").await.unwrap(), 1);
    }
}

/// XREAD with BLOCK goes to a side connection: the client keeps serving other
/// commands, and an XADD through the same client wakes the reader.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xread_block_runs_on_a_side_connection() {
    let server = RedisServer::start();
    let c = resp3(&server);
    c.xadd("jobs", "*", [("n", "0")]).await.unwrap();
    let started = Instant::now();
    let reader = {
        let c = c.clone();
        tokio::spawn(async move {
            let r: Streams = c
                .xread_with(["jobs"], ["$"], XreadOptions::new().block(5_000))
                .await
                .unwrap();
            r
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..20 {
        assert_eq!(c.xlen("jobs").await.unwrap(), 1);
    }
    assert!(!reader.is_finished(), "XREAD BLOCK should still wait");
    let id = c.xadd("jobs", "*", [("n", "1")]).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(3), reader)
        .await
        .expect("woken by the XADD")
        .unwrap()
        .expect("one new entry");
    assert_eq!(got[0].entries[0].id, id);
    assert!(started.elapsed() < Duration::from_secs(4));
    // A BLOCK that times out replies nil.
    let timed_out: Streams = c
        .xread_with(["jobs"], ["$"], XreadOptions::new().block(50))
        .await
        .unwrap();
    assert_eq!(timed_out, None);
}

#[tokio::test]
async fn consumer_groups() {
    let server = RedisServer::start();
    for c in [resp3(&server), resp2(&server)] {
        c.flushdb().await.unwrap();
        c.xgroup_create_with("q", "workers", "$", XgroupCreateOptions::new().mkstream())
            .await
            .unwrap();
        let e = c.xgroup_create("q", "workers", "$").await.unwrap_err();
        assert_eq!(e.code(), Some("BUSYGROUP"), "{e}");
        let id = c.xadd("q", "*", [("task", "build")]).await.unwrap();
        c.xadd("q", "*", [("task", "test")]).await.unwrap();

        let got: Streams = c
            .xreadgroup_with(
                "workers",
                "w1",
                ["q"],
                [">"],
                XreadgroupOptions::new().count(1),
            )
            .await
            .unwrap();
        let got = got.expect("a new entry");
        assert_eq!(got[0].entries[0].id, id);
        assert_eq!(got[0].entries[0].fields["task"], "build");
        // The summary form of XPENDING: count, lowest and highest id, consumers.
        let summary = c.xpending("q", "workers").await.unwrap();
        assert_eq!(summary.count, 1);
        assert_eq!(summary.first_id.as_deref(), Some(id.as_str()));
        assert_eq!(summary.last_id.as_deref(), Some(id.as_str()));
        assert_eq!(summary.consumers, vec![("w1".to_string(), 1)]);
        assert_eq!(c.xack("q", "workers", [id.as_str()]).await.unwrap(), 1);
        let summary = c.xpending("q", "workers").await.unwrap();
        assert_eq!((summary.count, summary.first_id), (0, None));

        let groups = c.xinfo_groups("q").await.unwrap();
        assert_eq!(groups.len(), 1);
        assert_eq!(
            groups[0].get("name"),
            Some(&tornadis::Value::Bulk("workers".into()))
        );
        let info = c.xinfo_stream("q").await.unwrap();
        assert!(info.contains_key("length"), "{info:?}");
        assert!(c.xgroup_createconsumer("q", "workers", "w2").await.unwrap());
        assert_eq!(
            c.xtrim("q", TrimStrategy::Maxlen, None, 0, None)
                .await
                .unwrap(),
            2
        );
    }
}

#[tokio::test]
async fn geo_positions_distances_and_searches() {
    let server = RedisServer::start();
    for c in [resp3(&server), resp2(&server)] {
        c.flushdb().await.unwrap();
        let added = c
            .geoadd(
                "places",
                [
                    (13.361389, 38.115556, "Palermo"),
                    (15.087269, 37.502669, "Catania"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(added, 2);
        let km = c
            .geodist_with("places", "Palermo", "Catania", Default::default())
            .await
            .unwrap()
            .expect("both members exist");
        assert!((km - 166_274.15).abs() < 1.0, "{km}");
        assert_eq!(
            c.geodist("places", "Palermo", "Nowhere").await.unwrap(),
            None
        );
        let pos = c.geopos("places", ["Palermo", "Nowhere"]).await.unwrap();
        let (lon, lat) = pos[0].expect("Palermo has a position");
        assert!((lon - 13.361389).abs() < 1e-5 && (lat - 38.115556).abs() < 1e-5);
        assert_eq!(pos[1], None);
        let hashes = c.geohash("places", ["Palermo"]).await.unwrap();
        assert_eq!(hashes, [Some("sqc8b49rny0".to_string())]);

        let near: Vec<String> = c
            .geosearch(
                "places",
                GeosearchFrom::Fromlonlat(15.0, 37.0),
                GeosearchBy::Circle(200.0, GeoUnit::Km),
            )
            .await
            .unwrap();
        assert_eq!(near.len(), 2);
        let with_coord: Vec<(String, (f64, f64))> = c
            .geosearch_withcoord_with(
                "places",
                GeosearchFrom::Member("Palermo".into()),
                GeosearchBy::Circle(100.0, GeoUnit::Km),
                GeosearchWithcoordOptions::new().asc(),
            )
            .await
            .unwrap();
        assert_eq!(with_coord.len(), 1);
        assert_eq!(with_coord[0].0, "Palermo");
        assert!((with_coord[0].1 .0 - 13.361389).abs() < 1e-5);
        let with_dist: Vec<(String, f64)> = c
            .geosearch_withdist(
                "places",
                GeosearchFrom::Fromlonlat(15.0, 37.0),
                GeosearchBy::Box(400.0, 400.0, GeoUnit::Km),
            )
            .await
            .unwrap();
        assert_eq!(with_dist.len(), 2);
        assert!(with_dist.iter().all(|(_, d)| *d > 0.0 && *d < 200.0));
        let both: Vec<(String, f64, (f64, f64))> = c
            .geosearch_withdist_withcoord(
                "places",
                GeosearchFrom::Member("Catania".into()),
                GeosearchBy::Circle(1.0, GeoUnit::M),
            )
            .await
            .unwrap();
        assert_eq!(both.len(), 1);
        assert_eq!(both[0].0, "Catania");
        assert!(both[0].1 < 1.0);

        // The older GEORADIUS family keeps every shape in `_detailed` (raw values).
        #[allow(deprecated)]
        let detailed = c
            .georadius_detailed("places", 15.0, 37.0, 200.0, tornadis::commands::GeoUnit::Km)
            .await
            .unwrap();
        assert_eq!(detailed.len(), 2);
    }
}
