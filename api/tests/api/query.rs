//! The read path: tickets from MySQL, events and venues from the catalog, seat maps from
//! Redis, and the OpenAPI document.

use std::collections::{BTreeMap, HashMap, HashSet};

use domain::catalog::row;
use domain::{Catalog, Price, Ticket};
use mysql_async::prelude::Queryable;
use serde_json::{json, Value};
use testkit::{seat, Dependency, TestApp, TestEnv};

/// `n` tickets of Event1 spread over zones 1..=zones, in row-major seat order.
fn event1_tickets(n: u32, zones: u32, skip: u32) -> Vec<Ticket> {
    let catalog = Catalog::builtin().unwrap();
    let venue = catalog.venue("Venue1").unwrap();
    (skip..skip + n)
        .map(|i| {
            let zone = venue.zone(i % zones + 1).unwrap();
            let seat = i / zones;
            Ticket::issue(
                "Venue1",
                "Event1",
                zone.zone_id,
                row::label(seat / 30 + 1),
                seat % 30 + 1,
                zone.ticket_price,
            )
        })
        .collect()
}

fn json_of(ticket: &Ticket) -> Value {
    serde_json::to_value(ticket).unwrap()
}

#[tokio::test]
async fn a_ticket_is_found_by_id_and_unknown_or_malformed_ids_are_told_apart() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let tickets = event1_tickets(3, 3, 0);
    env.store_sql(&tickets).await;

    let (status, body) = app.get(&format!("/api/v1/tickets/{}", tickets[1].ticket_id)).await;
    assert_eq!((status, body), (200, json_of(&tickets[1])));
    let (status, body) = app.get(&format!("/api/v1/tickets/{}", uuid::Uuid::now_v7())).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (status, body) = app.get("/api/v1/tickets/not-a-uuid").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("ticketId")));
    app.stop().await;
}

#[tokio::test]
async fn walking_every_page_returns_each_ticket_once_while_new_ones_arrive() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let before = event1_tickets(3000, 10, 0);
    env.store_sql(&before).await;

    // New tickets keep arriving during the walk.
    let arriving = event1_tickets(600, 10, 3000);
    let writer = {
        let env_settings = env.settings(&[]);
        let arriving = arriving.clone();
        tokio::spawn(async move {
            let pool = mysql_async::Pool::new(env_settings.mysql.url.expose());
            let store = consumers::mysql::MysqlStore::new(pool);
            for chunk in arriving.chunks(50) {
                consumers::store::Store::write(&store, chunk).await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let (status, page) = app
            .get(&format!("/api/v1/tickets?eventId=Event1&limit=97{query}"))
            .await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 97);
        seen.extend(items.iter().map(|t| t["ticketId"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    writer.await.unwrap();

    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no ticket twice");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "a stable order");
    for ticket in &before {
        assert!(
            unique.contains(&ticket.ticket_id.to_string()),
            "every ticket that existed is returned"
        );
    }
    let arrived: HashSet<String> = arriving.iter().map(|t| t.ticket_id.to_string()).collect();
    assert!(seen
        .iter()
        .all(|id| arrived.contains(id) || before.iter().any(|t| t.ticket_id.to_string() == *id)));
    app.stop().await;
}

#[tokio::test]
async fn filters_narrow_the_list_and_zone_needs_an_event() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let tickets = event1_tickets(40, 4, 0);
    let elsewhere = Ticket::issue("Arena2", "Event3", 1, "A".into(), 1, Price::from_cents(12000));
    env.store_sql(&tickets).await;
    env.store_sql(std::slice::from_ref(&elsewhere)).await;

    let ids = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["ticketId"].clone())
            .collect::<Vec<_>>()
    };
    let (_, zone2) = app.get("/api/v1/tickets?eventId=Event1&zoneId=2&limit=1000").await;
    let expected: Vec<Value> = tickets
        .iter()
        .filter(|t| t.zone_id == 2)
        .map(|t| json!(t.ticket_id))
        .collect();
    assert_eq!(ids(&zone2), expected);
    let (_, venue) = app.get("/api/v1/tickets?venueId=Arena2").await;
    assert_eq!(ids(&venue), [json!(elsewhere.ticket_id)]);
    let (_, all) = app.get("/api/v1/tickets?limit=1000").await;
    assert_eq!(ids(&all).len(), 41);
    let (_, mismatch) = app.get("/api/v1/tickets?eventId=Event1&venueId=Arena2").await;
    assert_eq!(ids(&mismatch).len(), 0);
    let (status, body) = app.get("/api/v1/tickets?zoneId=2").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("zoneId")));
    app.stop().await;
}

/// Zone prices straight from the seed file, in cents, parsed here rather than by the
/// catalog code under test.
fn seed_prices_in_cents(venue: &str) -> HashMap<u64, u64> {
    let seed: Value = serde_json::from_str(domain::catalog::BUILTIN_SEED).unwrap();
    let venue = seed["venues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["venueId"] == venue)
        .unwrap();
    venue["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| {
            let (units, cents) = z["ticketPrice"].as_str().unwrap().split_once('.').unwrap();
            (
                z["zoneId"].as_u64().unwrap(),
                units.parse::<u64>().unwrap() * 100 + cents.parse::<u64>().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn counts_and_revenue_add_up_exactly_per_zone() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    // 1,000 tickets over zones 1..=40: four price tiers, sums a float would get wrong.
    let tickets = event1_tickets(1000, 40, 0);
    env.store_sql(&tickets).await;
    let prices = seed_prices_in_cents("Venue1");
    let mut expected: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for t in &tickets {
        let entry = expected.entry(u64::from(t.zone_id)).or_default();
        entry.0 += 1;
        entry.1 += prices[&u64::from(t.zone_id)];
    }
    let total_cents: u64 = expected.values().map(|(_, c)| c).sum();

    let (status, money) = app.get("/api/v1/tickets/money/Venue1/Event1").await;
    assert_eq!(status, 200, "{money}");
    assert_eq!(money["sold"], 1000);
    assert_eq!(
        money["revenue"],
        format!("{}.{:02}", total_cents / 100, total_cents % 100)
    );
    let zones = money["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 40);
    for zone in zones {
        let (sold, cents) = expected[&zone["zoneId"].as_u64().unwrap()];
        assert_eq!(zone["sold"], sold);
        assert_eq!(zone["revenue"], format!("{}.{:02}", cents / 100, cents % 100));
    }

    let (status, count) = app.get("/api/v1/tickets/count/Event1").await;
    assert_eq!(status, 200, "{count}");
    assert_eq!(
        (
            count["sold"].as_u64(),
            count["capacity"].as_u64(),
            count["remaining"].as_u64()
        ),
        (Some(1000), Some(78_000), Some(77_000))
    );
    let zones = count["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 100, "every zone, sold or not");
    assert_eq!(
        zones[0],
        json!({"zoneId": 1, "sold": 25, "capacity": 780, "remaining": 755})
    );
    assert_eq!(
        zones[99],
        json!({"zoneId": 100, "sold": 0, "capacity": 780, "remaining": 780})
    );

    for (path, status) in [
        ("/api/v1/tickets/money/Arena2/Event1", 404),
        ("/api/v1/tickets/money/Nowhere/Event1", 404),
        ("/api/v1/tickets/count/Nothing", 404),
        ("/api/v1/tickets/count/bad%20id", 400),
    ] {
        assert_eq!(app.get(path).await.0, status, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn event_search_filters_combine_and_paginate_by_date() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let ids = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["eventId"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let cases: &[(&str, &[&str])] = &[
        (
            "",
            &[
                "Event6", "Event5", "Event4", "Event7", "Event3", "Event2", "Event1", "Event8",
            ],
        ),
        ("q=the", &["Event6", "Event4"]),
        ("q=HAMLET", &["Event5"]),
        ("type=concert", &["Event4", "Event1", "Event8"]),
        ("type=concert&venueId=Venue1", &["Event1"]),
        ("venueId=Theatre3", &["Event6", "Event5"]),
        ("from=2027-03-01&to=2027-05-31", &["Event7", "Event3", "Event2"]),
        ("from=2027-05-22&to=2027-05-22", &["Event2"]),
        ("q=night&type=comedy&from=2027-01-01", &["Event7"]),
        ("q=nothing-like-this", &[]),
    ];
    for (query, expected) in cases {
        let (status, page) = app.get(&format!("/api/v1/events?{query}")).await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(ids(&page), *expected, "{query}");
    }

    let mut walked = Vec::new();
    let mut next = String::new();
    loop {
        let (_, page) = app.get(&format!("/api/v1/events?limit=3{next}")).await;
        walked.extend(ids(&page));
        match page["nextCursor"].as_str() {
            Some(cursor) => next = format!("&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(walked, cases[0].1);

    let (status, event) = app.get("/api/v1/events/Event1").await;
    assert_eq!(status, 200);
    assert_eq!(event["venueName"], "Grand Stadium");
    assert_eq!(event["capacity"], 78_000);
    assert_eq!(event["date"], "2027-06-12T19:30:00Z");
    app.stop().await;
}

#[tokio::test]
async fn events_say_how_many_seats_are_left_and_answer_without_them_while_redis_is_down() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[("RELAY_ENABLED", "false".into())]).await;
    for column in 1..=3 {
        assert_eq!(app.purchase(&seat("Hall5", "Event8", 1, "A", column)).await.0, 201);
    }
    let (_, page) = app.get("/api/v1/events?venueId=Hall5").await;
    assert_eq!(page["items"][0]["seatsLeft"], 504 - 3);
    let (_, event) = app.get("/api/v1/events/Event1").await;
    assert_eq!(event["seatsLeft"], 78_000, "nothing sold yet");
    app.stop().await;

    let (proxy, through_proxy) = env.proxy(Dependency::Redis, true).await;
    let app = TestApp::spawn(
        &env,
        &[
            ("RELAY_ENABLED", "false".into()),
            through_proxy,
            ("REDIS_TIMEOUT_MS", "300".into()),
        ],
    )
    .await;
    proxy.set_up(false);
    let (status, page) = app.get("/api/v1/events?venueId=Hall5").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"][0]["eventId"], "Event8");
    assert!(page["items"][0].get("seatsLeft").is_none(), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn a_buyers_own_tickets_come_newest_first_page_by_page() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let (token, buyer) = app.new_buyer().await;
    let buyer: uuid::Uuid = buyer.parse().unwrap();
    let order = uuid::Uuid::now_v7();
    // Ticket ids are UUIDv7: issued in this order, they sort in this order.
    let bought: Vec<Ticket> = (1..=5)
        .map(|c| Ticket::issue("Hall5", "Event8", 1, "D".into(), c, Price::from_cents(1999)).owned_by(buyer, order))
        .collect();
    env.store_sql(&bought).await;
    env.store_sql(&event1_tickets(10, 2, 0)).await;

    let mut walked = Vec::new();
    let mut next = String::new();
    loop {
        let (status, page) = app.get_as(&format!("/api/v1/me/tickets?limit=2{next}"), &token).await;
        assert_eq!(status, 200, "{page}");
        walked.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["column"].as_u64().unwrap()),
        );
        match page["nextCursor"].as_str() {
            Some(cursor) => next = format!("&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        walked,
        [5, 4, 3, 2, 1],
        "newest first, every ticket once, none of anyone else's"
    );
    app.stop().await;
}

#[tokio::test]
async fn venues_list_and_show_their_zones_and_prices() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let (status, page) = app.get("/api/v1/venues").await;
    assert_eq!(status, 200);
    let venues = page["items"].as_array().unwrap();
    assert_eq!(venues.len(), 5);
    let hall = venues.iter().find(|v| v["venueId"] == "Hall5").unwrap();
    assert_eq!(
        hall,
        &json!({"venueId": "Hall5", "name": "Community Hall", "zoneCount": 2, "capacity": 504,
                             "minPrice": "9.50", "maxPrice": "19.99"})
    );
    let (status, venue) = app.get("/api/v1/venues/Hall5").await;
    assert_eq!(status, 200);
    assert_eq!(
        venue["zones"][1],
        json!({"zoneId": 2, "ticketPrice": "9.50", "rowCount": 2, "colCount": 2, "capacity": 4})
    );
    assert_eq!(app.get("/api/v1/venues/Nowhere").await.0, 404);
    app.stop().await;
}

#[tokio::test]
async fn the_seat_map_shows_exactly_the_seats_sold_and_held() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    for (zone, row, column) in [(2, "A", 2), (2, "B", 1), (1, "C", 25), (1, "A", 1)] {
        assert_eq!(app.purchase(&seat("Hall5", "Event8", zone, row, column)).await.0, 201);
    }
    let (token, _) = app.new_buyer().await;
    let hold = json!({"venueId": "Hall5", "eventId": "Event8",
        "seats": [{"zoneId": 2, "row": "B", "column": 2}, {"zoneId": 1, "row": "A", "column": 2}]});
    let (status, body) = app.post("/api/v1/holds", &hold, Some(&token)).await;
    assert_eq!(status, 201, "{body}");

    let (status, map) = app.get("/api/v1/events/Event8/seats?zoneId=2").await;
    assert_eq!(status, 200, "{map}");
    assert_eq!(
        map,
        json!({"eventId": "Event8", "zoneId": 2, "sold": 2, "held": 1, "free": 1,
               "rows": [{"row": "A", "seats": ["free", "sold"]}, {"row": "B", "seats": ["sold", "held"]}]})
    );
    let (_, zone1) = app.get("/api/v1/events/Event8/seats?zoneId=1").await;
    let rows = zone1["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 20);
    let taken: Vec<(String, usize, String)> = rows
        .iter()
        .flat_map(|r| {
            let label = r["row"].as_str().unwrap().to_owned();
            r["seats"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .filter(|(_, s)| *s != "free")
                .map(move |(i, s)| (label.clone(), i + 1, s.as_str().unwrap().to_owned()))
        })
        .collect();
    let expected =
        [("A", 1, "sold"), ("A", 2, "held"), ("C", 25, "sold")].map(|(r, c, s)| (r.to_owned(), c, s.to_owned()));
    assert_eq!(taken, expected);

    let (_, event) = app.get("/api/v1/events/Event8/seats").await;
    assert_eq!(
        event,
        json!({"eventId": "Event8", "sold": 4, "held": 2, "free": 498,
               "zones": [{"zoneId": 1, "capacity": 500, "sold": 2, "held": 1, "free": 497},
                         {"zoneId": 2, "capacity": 4, "sold": 2, "held": 1, "free": 1}]})
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_query_parameters_get_a_400_naming_them() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let cases = [
        ("/api/v1/tickets?limit=0", "limit"),
        ("/api/v1/tickets?limit=1001", "limit"),
        ("/api/v1/tickets?limit=many", "limit"),
        ("/api/v1/tickets?cursor=@@@", "cursor"),
        ("/api/v1/tickets?cursor=bm90LWEtdXVpZA", "cursor"),
        ("/api/v1/tickets?eventId=a%20b", "eventId"),
        ("/api/v1/tickets?venueId=%7Bx%7D", "venueId"),
        ("/api/v1/tickets?eventId=Event1&zoneId=0", "zoneId"),
        ("/api/v1/tickets?evntId=Event1", "evntId"),
        ("/api/v1/events?from=yesterday", "from"),
        ("/api/v1/events?to=2027-13-01", "to"),
        ("/api/v1/events?from=2027-06-01&to=2027-05-01", "to"),
        ("/api/v1/events?q=".to_owned().leak(), "q"),
        ("/api/v1/events?cursor=eA", "cursor"),
        ("/api/v1/events?sort=name", "sort"),
        ("/api/v1/events/Event1/seats?zoneId=101", "zoneId"),
        ("/api/v1/events/Event1/seats?zoneId=x", "zoneId"),
        ("/api/v1/venues?limit=-5", "limit"),
        ("/api/v1/tickets/money/Venue1/bad%20id", "eventId"),
    ];
    let long_q = format!("/api/v1/events?q={}", "x".repeat(101));
    let mut failures = Vec::new();
    for (path, parameter) in cases
        .iter()
        .filter(|(p, _)| !p.ends_with("q="))
        .copied()
        .chain([(long_q.as_str(), "q")])
    {
        let (status, body) = app.get(path).await;
        if (status, body["code"].as_str(), body["field"].as_str()) != (400, Some("invalid_parameter"), Some(parameter))
        {
            failures.push(format!("{path}: {status} {body}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    app.stop().await;
}

#[tokio::test]
async fn every_read_query_is_served_by_an_index() {
    use api::query::sql::{self, TicketFilter};
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    // A big event and a small one, so that filtering by the small one is selective, as it
    // is in production with many events.
    let tickets = event1_tickets(2000, 20, 0);
    env.store_sql(&tickets).await;
    let small: Vec<Ticket> = (1..=40)
        .map(|c| Ticket::issue("Arena2", "Event3", 1, "A".into(), c, Price::from_cents(12000)))
        .collect();
    env.store_sql(&small).await;
    // One buyer's few tickets among many anonymous ones.
    let buyer = uuid::Uuid::now_v7();
    let theirs: Vec<Ticket> = (1..=5)
        .map(|c| {
            Ticket::issue("Arena2", "Event3", 2, "A".into(), c, Price::from_cents(9000))
                .owned_by(buyer, uuid::Uuid::now_v7())
        })
        .collect();
    env.store_sql(&theirs).await;
    let mut conn = env.mysql().await;
    conn.query_drop("ANALYZE TABLE ticket").await.unwrap();

    // An id that exists: for a missing one the planner answers "impossible WHERE", no key.
    let uuid = tickets[1234].ticket_id.to_string();
    let cases: Vec<(String, Vec<mysql_async::Value>, &[&str])> = vec![
        (sql::ticket_by_id(), vec![uuid.clone().into()], &["PRIMARY"]),
        (
            sql::ticket_page(TicketFilter::All),
            vec!["".into(), 51.into()],
            &["PRIMARY"],
        ),
        (
            sql::ticket_page(TicketFilter::Event),
            vec!["Event3".into(), "".into(), 51.into()],
            &["idx_ticket_event"],
        ),
        (
            sql::ticket_page(TicketFilter::EventZone),
            vec!["Event3".into(), 1.into(), "".into(), 51.into()],
            &["idx_ticket_event_zone"],
        ),
        (
            sql::ticket_page(TicketFilter::Venue),
            vec!["Arena2".into(), "".into(), 51.into()],
            &["idx_ticket_venue"],
        ),
        (
            sql::SALES_BY_ZONE.to_owned(),
            vec!["Event3".into()],
            &["idx_ticket_event_zone", "uq_ticket_seat"],
        ),
        (
            sql::ticket_page(TicketFilter::Buyer),
            vec![
                buyer.to_string().into(),
                TicketFilter::Buyer.first_cursor().into(),
                51.into(),
            ],
            &["idx_ticket_buyer"],
        ),
        (
            sql::ticket_page(TicketFilter::BuyerEvent),
            vec![
                buyer.to_string().into(),
                "Event3".into(),
                TicketFilter::BuyerEvent.first_cursor().into(),
                51.into(),
            ],
            &["idx_ticket_buyer_event"],
        ),
    ];
    for (statement, binds, index) in cases {
        let plan: Vec<mysql_async::Row> = conn.exec(format!("EXPLAIN {statement}"), binds).await.unwrap();
        let row = &plan[0];
        let key: Option<String> = row.get("key").unwrap();
        let access: Option<String> = row.get("type").unwrap();
        let extra: Option<String> = row.get("Extra").unwrap();
        assert!(
            key.as_deref().is_some_and(|k| index.contains(&k)),
            "{statement}: {key:?}"
        );
        assert_ne!(access.as_deref(), Some("ALL"), "{statement}: a full scan");
        assert!(
            !extra.unwrap_or_default().contains("filesort"),
            "{statement}: sorts instead of reading in order"
        );
    }
    drop(conn);
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_and_the_routes_match_both_ways() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let (status, doc) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    let documented: HashSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let routed: HashSet<(String, String)> = api::routes::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, routed, "the document lists exactly the routes");

    let ticket = Ticket::issue("Venue1", "Event1", 1, "A".into(), 2, Price::from_cents(15000));
    env.store_sql(std::slice::from_ref(&ticket)).await;
    testkit::eventually("the relay connected", std::time::Duration::from_secs(10), || async {
        (app.get("/api/v1/ready").await.0 == 200).then_some(())
    })
    .await;
    let (token, _) = app.new_buyer().await;
    let admin = app.new_admin(&env).await;
    let hold_body = |column: u32| json!({"venueId": "Hall5", "eventId": "Event8", "seats": [{"zoneId": 1, "row": "A", "column": column}]});
    let mut column = 0;
    let mut new_hold = || {
        column += 1;
        let body = hold_body(column);
        let (app, token) = (&app, &token);
        async move {
            let (status, hold) = app.post("/api/v1/holds", &body, Some(token)).await;
            assert_eq!(status, 201, "{hold}");
            hold["holdId"].as_str().unwrap().to_owned()
        }
    };
    let first_hold = new_hold().await;
    for (method, template) in api::routes::ROUTES {
        let path = template
            .replace("{ticketId}", &ticket.ticket_id.to_string())
            .replace("{eventId}", "Event1")
            .replace("{venueId}", "Venue1")
            .replace("{holdId}", &first_hold);
        let email = format!("walk-{}@example.com", uuid::Uuid::new_v4().simple());
        let account = json!({"email": email, "password": "correct horse battery", "name": "Walker"});
        let (status, body) = match (*method, *template) {
            ("POST", "/api/v1/tickets") => app.purchase(&seat("Venue1", "Event1", 1, "A", 1)).await,
            ("POST", "/api/v1/auth/register") => app.post(&path, &account, None).await,
            ("POST", "/api/v1/auth/login") => {
                app.post("/api/v1/auth/register", &account, None).await;
                app.post(&path, &account, None).await
            }
            ("GET", "/api/v1/me" | "/api/v1/me/tickets" | "/api/v1/holds/{holdId}") => app.get_as(&path, &token).await,
            ("POST", "/api/v1/holds") => {
                // The buyer's first hold of this event stands; another event's seats.
                let body = json!({"venueId": "Venue1", "eventId": "Event1",
                    "seats": [{"zoneId": 9, "row": "A", "column": 1}]});
                app.post(&path, &body, Some(&token)).await
            }
            ("GET", "/metrics") => {
                let response = reqwest::get(format!("{}{path}", app.address)).await.unwrap();
                (
                    response.status().as_u16(),
                    Value::String(response.text().await.unwrap()),
                )
            }
            ("DELETE", "/api/v1/holds/{holdId}") => {
                let response = app
                    .client
                    .delete(format!("{}{path}", app.address))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), Value::Null)
            }
            ("POST", "/api/v1/holds/{holdId}/checkout") => {
                let path = template.replace("{holdId}", &new_hold().await);
                app.post(&path, &json!({"paymentToken": "tok_visa"}), Some(&token))
                    .await
            }
            ("GET", "/api/v1/admin/sales/{eventId}" | "/api/v1/admin/pipeline") => app.get_as(&path, &admin).await,
            ("POST", "/api/v1/admin/reset" | "/api/v1/admin/dlq/{store}/redrive") => {
                let path = path.replace("{store}", "mysql");
                let response = app
                    .client
                    .post(format!("{}{path}", app.address))
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .unwrap();
                (response.status().as_u16(), response.json().await.unwrap())
            }
            ("GET", _) => app.get(&path).await,
            other => panic!("no example request for {other:?}: add one"),
        };
        assert!(
            matches!(status, 200 | 201 | 202 | 204),
            "{method} {path} is routed and answers: {status} {body}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_read_model_that_refuses_a_statement_is_a_500_and_one_that_does_not_answer_a_503() {
    let env = TestEnv::new();
    let (proxy, through_proxy) = env.proxy(testkit::Dependency::Mysql, true).await;
    let app = TestApp::spawn(&env, &[through_proxy]).await;

    // A fault of ours as MySQL sees it: the statement names a table that is not there.
    env.mysql().await.query_drop("DROP TABLE ticket").await.unwrap();
    let (status, body) = app.get("/api/v1/tickets?eventId=Event1").await;
    assert_eq!((status, body["code"].as_str()), (500, Some("internal")), "{body}");
    assert_eq!(body["message"], "internal error", "no internals in the answer");

    // The server does not answer: an outage the client may retry.
    proxy.set_up(false);
    let (status, body) = app.get("/api/v1/tickets/count/Event1").await;
    assert_eq!((status, body["code"].as_str()), (503, Some("unavailable")), "{body}");
    app.stop().await;
}
