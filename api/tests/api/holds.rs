//! Holds and checkout: all-or-nothing holds, one live hold per buyer and event, expiry
//! without a sweeper, payment outcomes, and the hold that lapses while its payment is in
//! flight.

use std::collections::HashSet;
use std::time::Duration;

use consumers::startup::Which;
use serde_json::{json, Value};
use testkit::{eventually, seat, Dependency, Mode, TestApp, TestConsumers, TestEnv};

/// A hold request for seats `(zone, row, column)` of Hall5 / Event8 (zone 1: 20 x 25).
fn hold(seats: &[(u32, &str, u32)]) -> Value {
    let seats: Vec<Value> = seats
        .iter()
        .map(|(zone, row, column)| json!({"zoneId": zone, "row": row, "column": column}))
        .collect();
    json!({"venueId": "Hall5", "eventId": "Event8", "seats": seats})
}

async fn checkout(app: &TestApp, token: &str, hold_id: &str, card: &str) -> (u16, Value) {
    app.post(
        &format!("/api/v1/holds/{hold_id}/checkout"),
        &json!({"paymentToken": card}),
        Some(token),
    )
    .await
}

#[tokio::test]
async fn a_hold_takes_every_seat_or_none_and_only_its_buyer_sees_or_releases_it() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let (ada, ada_id) = app.new_buyer().await;
    let (bob, _) = app.new_buyer().await;

    let (status, held) = app
        .post(
            "/api/v1/holds",
            &hold(&[(1, "A", 1), (1, "A", 2), (2, "B", 2)]),
            Some(&ada),
        )
        .await;
    assert_eq!(status, 201, "{held}");
    let hold_id = held["holdId"].as_str().unwrap().to_owned();
    assert!(hold_id.starts_with("Event8."), "{hold_id}");
    assert_eq!(held["status"], "held");
    assert_eq!(held["total"], "49.48");
    assert_eq!(
        held["seats"][2],
        json!({"zoneId": 2, "row": "B", "column": 2, "price": "9.50"})
    );
    let expires: chrono::DateTime<chrono::Utc> = held["expiresAt"].as_str().unwrap().parse().unwrap();
    let ttl = expires - chrono::Utc::now();
    assert!(
        (590..=600).contains(&ttl.num_seconds()),
        "HOLD_TTL_SECS defaults to 600: {ttl}"
    );

    // Bob wants A2 and A3: A2 is Ada's, so he gets neither.
    let (status, refused) = app
        .post("/api/v1/holds", &hold(&[(1, "A", 3), (1, "A", 2)]), Some(&bob))
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("seats_unavailable")),
        "{refused}"
    );
    assert_eq!(
        refused["seats"],
        json!([{"zoneId": 1, "row": "A", "column": 2, "price": "19.99"}])
    );
    let (_, map) = app.get("/api/v1/events/Event8/seats?zoneId=1").await;
    assert_eq!(map["rows"][0]["seats"][2], "free", "the loser holds nothing");

    assert_eq!(app.get_as(&format!("/api/v1/holds/{hold_id}"), &ada).await.1, held);
    let (status, _) = app.get_as(&format!("/api/v1/holds/{hold_id}"), &bob).await;
    assert_eq!(status, 404, "another buyer's hold is not there for Bob");
    let delete = |token: &str| {
        app.client
            .delete(format!("{}/api/v1/holds/{hold_id}", app.address))
            .bearer_auth(token.to_owned())
            .send()
    };
    assert_eq!(delete(&bob).await.unwrap().status(), 404);
    assert_eq!(delete(&ada).await.unwrap().status(), 204);
    assert_eq!(app.get_as(&format!("/api/v1/holds/{hold_id}"), &ada).await.0, 404);

    // Released at once: Bob gets them now.
    let (status, _) = app
        .post("/api/v1/holds", &hold(&[(1, "A", 3), (1, "A", 2)]), Some(&bob))
        .await;
    assert_eq!(status, 201);
    let (status, answer) = app.post("/api/v1/holds", &hold(&[(1, "A", 9)]), Some(&ada)).await;
    assert_eq!(status, 201, "Ada's hold is gone, so she may hold again: {answer}");
    assert_eq!(app.get_as("/api/v1/me", &ada).await.1["userId"], ada_id.as_str());
    app.stop().await;
}

#[tokio::test]
async fn buyers_racing_for_overlapping_seats_never_share_one_and_losers_hold_nothing() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[]).await;
    let mut buyers = Vec::new();
    for _ in 0..12 {
        buyers.push(app.new_buyer().await.0);
    }
    // Buyer i wants seats i, i+1, i+2 of row C: neighbours overlap.
    let answers = futures_util::future::join_all(buyers.iter().enumerate().map(|(i, token)| {
        let request = hold(&[(1, "C", i as u32 + 1), (1, "C", i as u32 + 2), (1, "C", i as u32 + 3)]);
        let app = &app;
        async move { (i, app.post("/api/v1/holds", &request, Some(token)).await) }
    }))
    .await;
    let mut held: HashSet<u32> = HashSet::new();
    for (i, (status, body)) in &answers {
        match status {
            201 => {
                for seat in [*i as u32 + 1, *i as u32 + 2, *i as u32 + 3] {
                    assert!(held.insert(seat), "seat C{seat} held twice: {answers:?}");
                }
            }
            409 => assert_eq!(body["code"], "seats_unavailable"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(!held.is_empty());
    let (_, map) = app.get("/api/v1/events/Event8/seats?zoneId=1").await;
    let row_c: HashSet<u32> = map["rows"][2]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, s)| *s == "held")
        .map(|(i, _)| i as u32 + 1)
        .collect();
    assert_eq!(row_c, held, "exactly the winners' seats are held");
    app.stop().await;
}

#[tokio::test]
async fn one_live_hold_per_buyer_and_event_and_a_held_seat_is_not_for_sale() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[("HOLD_TTL_SECS", "1".into())]).await;
    let (token, _) = app.new_buyer().await;
    let (_, first) = app.post("/api/v1/holds", &hold(&[(1, "D", 1)]), Some(&token)).await;
    let (status, second) = app.post("/api/v1/holds", &hold(&[(1, "D", 2)]), Some(&token)).await;
    assert_eq!(
        (status, second["code"].as_str()),
        (409, Some("hold_exists")),
        "{second}"
    );
    assert_eq!(second["holdId"], first["holdId"]);
    let (status, body) = app.purchase(&seat("Hall5", "Event8", 1, "D", 1)).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("seat_held")), "{body}");

    // Expired: free for everyone at once, with no sweeper; the buyer may hold again.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (status, _) = app
        .get_as(&format!("/api/v1/holds/{}", first["holdId"].as_str().unwrap()), &token)
        .await;
    assert_eq!(status, 200);
    let (status, body) = app.purchase(&seat("Hall5", "Event8", 1, "D", 1)).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app.post("/api/v1/holds", &hold(&[(1, "D", 2)]), Some(&token)).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = checkout(&app, &token, first["holdId"].as_str().unwrap(), "tok_visa").await;
    assert_eq!((status, body["code"].as_str()), (410, Some("hold_expired")), "{body}");
    assert!(env.payments().await.is_empty(), "an expired hold is not charged");
    app.stop().await;
}

#[tokio::test]
async fn a_checkout_sells_the_seats_to_the_buyer_in_both_stores_and_a_repeat_is_the_same_order() {
    let env = TestEnv::new();
    env.declare_topology().await;
    let app = TestApp::spawn(&env, &[]).await;
    let consumers = TestConsumers::spawn(&env, Which::All, &[]);
    let (token, buyer) = app.new_buyer().await;
    let (_, held) = app
        .post("/api/v1/holds", &hold(&[(1, "E", 1), (1, "E", 2)]), Some(&token))
        .await;
    let hold_id = held["holdId"].as_str().unwrap();

    let (status, declined) = checkout(&app, &token, hold_id, "tok_chargeDeclined").await;
    assert_eq!(
        (status, declined["code"].as_str()),
        (402, Some("payment_declined")),
        "{declined}"
    );
    let (status, outage) = checkout(&app, &token, hold_id, "tok_chargeDeclinedProcessingError").await;
    assert_eq!(
        (status, outage["code"].as_str()),
        (503, Some("payment_unavailable")),
        "{outage}"
    );
    assert_eq!(
        app.get_as(&format!("/api/v1/holds/{hold_id}"), &token).await.1["status"],
        "held"
    );

    let (status, order) = checkout(&app, &token, hold_id, "tok_visa").await;
    assert_eq!(status, 201, "{order}");
    let tickets = order["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 2);
    assert_eq!(order["total"], "39.98");
    for ticket in tickets {
        assert_eq!(ticket["buyerId"], buyer.as_str());
        assert_eq!(ticket["orderId"], order["orderId"]);
    }
    let (status, again) = checkout(&app, &token, hold_id, "tok_visa").await;
    assert_eq!((status, &again), (201, &order), "the same order, sold once");
    let payments = env.payments().await;
    assert_eq!(payments.len(), 1, "one charge: {payments:?}");
    assert_eq!(
        (payments[0]["status"].as_str(), payments[0]["amount"].as_str()),
        ("charged", "3998")
    );
    let (_, after) = app.get_as(&format!("/api/v1/holds/{hold_id}"), &token).await;
    assert_eq!(
        (after["status"].as_str(), &after["orderId"]),
        (Some("sold"), &order["orderId"])
    );
    let (status, body) = app.purchase(&seat("Hall5", "Event8", 1, "E", 1)).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("seat_taken")));

    let ids: HashSet<&str> = tickets.iter().map(|t| t["ticketId"].as_str().unwrap()).collect();
    eventually("the order in both stores", Duration::from_secs(30), || async {
        let rows = env.sql_tickets().await;
        let items = env.dynamo_tickets().await;
        (rows.len() == 2 && items.len() == 2).then_some(())
    })
    .await;
    for row in env.sql_tickets().await {
        assert!(ids.contains(row["ticketId"].as_str().unwrap()));
        assert_eq!(
            (row["buyerId"].as_str(), &row["orderId"]),
            (Some(buyer.as_str()), &order["orderId"])
        );
    }
    for item in env.dynamo_tickets().await.values() {
        assert_eq!(
            (item["buyerId"].as_str(), &item["orderId"]),
            (Some(buyer.as_str()), &order["orderId"])
        );
    }
    let (status, mine) = app.get_as("/api/v1/me/tickets?eventId=Event8", &token).await;
    assert_eq!(status, 200, "{mine}");
    let mine: HashSet<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ticketId"].as_str().unwrap())
        .collect();
    assert_eq!(mine, ids);
    let (_, public) = app
        .get(&format!("/api/v1/tickets/{}", tickets[0]["ticketId"].as_str().unwrap()))
        .await;
    assert!(
        public.get("buyerId").is_none(),
        "the public view does not say who bought: {public}"
    );
    consumers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_checkout_whose_answer_redis_never_sent_is_outcome_unknown_and_a_retry_answers_that_order_charged_once() {
    let env = TestEnv::new();
    let (proxy, through_proxy) = env.proxy(Dependency::Redis, true).await;
    let app = TestApp::spawn(&env, &[through_proxy]).await;
    let (token, _) = app.new_buyer().await;
    let (_, held) = app
        .post("/api/v1/holds", &hold(&[(1, "H", 1), (1, "H", 2)]), Some(&token))
        .await;
    let hold_id = held["holdId"].as_str().unwrap();

    // The checkout script is the one request that carries the order: Redis gets it and runs
    // it, and its connection is cut before the answer comes back.
    proxy.set_mode(Mode::CutAfter(r#""orderId":""#));
    let (status, unknown) = checkout(&app, &token, hold_id, "tok_visa").await;
    assert_eq!(proxy.mode(), Mode::Forward, "the checkout script's connection was cut");
    assert_eq!(
        (status, unknown["code"].as_str(), unknown["holdId"].as_str()),
        (503, Some("outcome_unknown"), Some(hold_id)),
        "{unknown}"
    );
    assert!(
        !unknown["message"].as_str().unwrap().contains("nothing was sold"),
        "{unknown}"
    );

    // It went through: the retry answers the order it named, and the card was charged once.
    let (status, order) = checkout(&app, &token, hold_id, "tok_visa").await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["orderId"], unknown["orderId"]);
    assert_eq!(order["tickets"].as_array().map(Vec::len), Some(2));
    let payments = env.payments().await;
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(payments[0]["status"], "charged");
    let (_, map) = app.get("/api/v1/events/Event8/seats?zoneId=1").await;
    assert_eq!(map["sold"], 2);
    app.stop().await;
}

#[tokio::test]
async fn a_hold_that_lapses_during_a_slow_payment_sells_nothing_and_is_refunded_while_another_buyer_gets_the_seat() {
    let env = TestEnv::new();
    let app = TestApp::spawn(
        &env,
        &[("HOLD_TTL_SECS", "1".into()), ("PAYMENT_LATENCY_MS", "1500".into())],
    )
    .await;
    let (slow, _) = app.new_buyer().await;
    let (_, held) = app.post("/api/v1/holds", &hold(&[(1, "F", 1)]), Some(&slow)).await;
    let hold_id = held["holdId"].as_str().unwrap().to_owned();

    let paying = {
        let (app, slow, hold_id) = (&app, slow.clone(), hold_id.clone());
        async move { checkout(app, &slow, &hold_id, "tok_visa").await }
    };
    let other = async {
        // After the hold's deadline, while its payment is still in flight.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        app.purchase(&seat("Hall5", "Event8", 1, "F", 1)).await
    };
    let ((status, late), (sold, ticket)) = tokio::join!(paying, other);
    assert_eq!(sold, 201, "the lapsed hold's seat is free for another buyer: {ticket}");
    assert_eq!((status, late["code"].as_str()), (410, Some("hold_expired")), "{late}");
    let payments = env.payments().await;
    assert_eq!(payments.len(), 1);
    assert_eq!(
        payments[0]["status"], "refunded",
        "the late charge is given back: {payments:?}"
    );
    let (_, map) = app.get("/api/v1/events/Event8/seats?zoneId=1").await;
    assert_eq!(map["sold"], 1, "sold once");
    app.stop().await;
}

#[tokio::test]
async fn the_sweeper_refunds_a_charge_whose_hold_lapsed_unsold_and_keeps_a_sold_one() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[("HOLD_TTL_SECS", "1".into())]).await;
    let (token, _) = app.new_buyer().await;
    let (_, lapsed) = app.post("/api/v1/holds", &hold(&[(1, "G", 1)]), Some(&token)).await;
    let lapsed = lapsed["holdId"].as_str().unwrap().to_owned();
    // An api that charged and died before selling: the charge exists, the sale does not.
    let settings = env.api_settings(&[]);
    let redis = infra::redis::connect(&settings.redis).await.unwrap();
    let gateway =
        api::payment::simulated::SimulatedGateway::new(redis.clone(), &settings.redis.key_prefix, Duration::ZERO);
    let charge = api::payment::Charge {
        idempotency_key: format!("hold:{lapsed}:card:tok_visa"),
        amount: domain::Price::from_cents(1999),
        token: "tok_visa".into(),
        hold_id: lapsed.clone(),
    };
    use api::payment::PaymentGateway;
    gateway.charge(&charge).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (token2, _) = app.new_buyer().await;
    let (_, sold) = app.post("/api/v1/holds", &hold(&[(1, "G", 2)]), Some(&token2)).await;
    let (status, _) = checkout(&app, &token2, sold["holdId"].as_str().unwrap(), "tok_visa").await;
    assert_eq!(status, 201);

    let store = api::holds::store::HoldStore::new(redis.clone(), &settings.redis.key_prefix);
    let refunded = api::payment::sweep::sweep(&redis, &settings.redis.key_prefix, &store, &gateway)
        .await
        .unwrap();
    assert_eq!(refunded, 1);
    let mut statuses: Vec<(String, String)> = env
        .payments()
        .await
        .into_iter()
        .map(|p| (p["hold"].clone(), p["status"].clone()))
        .collect();
    statuses.sort();
    let mut expected = vec![
        (lapsed, "refunded".to_owned()),
        (sold["holdId"].as_str().unwrap().to_owned(), "charged".to_owned()),
    ];
    expected.sort();
    assert_eq!(statuses, expected);
    app.stop().await;
}

#[tokio::test]
async fn bad_hold_and_checkout_requests_get_a_4xx_naming_the_field() {
    let env = TestEnv::new();
    let app = TestApp::spawn(&env, &[("HOLD_MAX_SEATS", "3".into())]).await;
    let (token, _) = app.new_buyer().await;
    let cases = [
        (json!({"venueId": "Hall5", "eventId": "Event8"}), 400, "seats"),
        (
            json!({"venueId": "Hall5", "eventId": "Event8", "seats": []}),
            400,
            "seats",
        ),
        (
            json!({"venueId": "Hall5", "eventId": "Event8", "seats": "A1"}),
            400,
            "seats",
        ),
        (
            hold(&[(1, "A", 1), (1, "A", 2), (1, "A", 3), (1, "A", 4)]),
            400,
            "seats",
        ),
        (hold(&[(1, "A", 1), (1, "1", 1)]), 400, "seats[1]"),
        (hold(&[(1, "A1", 1)]), 400, "seats[0].row"),
        (hold(&[(9, "A", 1)]), 422, "seats[0].zoneId"),
        (hold(&[(1, "A", 26)]), 422, "seats[0].column"),
        (
            json!({"venueId": 5, "eventId": "Event8", "seats": [{"zoneId": 1, "row": "A", "column": 1}]}),
            400,
            "venueId",
        ),
    ];
    for (body, status, field) in cases {
        let (got, answer) = app.post("/api/v1/holds", &body, Some(&token)).await;
        assert_eq!(
            (got, answer["field"].as_str()),
            (status, Some(field)),
            "{body}: {answer}"
        );
    }
    let (status, answer) = app.post("/api/v1/holds", &hold(&[(1, "A", 1)]), None).await;
    assert_eq!((status, answer["code"].as_str()), (401, Some("missing_token")));

    let (_, held) = app.post("/api/v1/holds", &hold(&[(1, "A", 1)]), Some(&token)).await;
    let hold_id = held["holdId"].as_str().unwrap();
    let path = format!("/api/v1/holds/{hold_id}/checkout");
    for (body, field) in [
        (json!({}), "paymentToken"),
        (json!({"paymentToken": 42}), "paymentToken"),
        (json!({"paymentToken": "tok_nonsense"}), "paymentToken"),
    ] {
        let (status, answer) = app.post(&path, &body, Some(&token)).await;
        assert_eq!(
            (status, answer["field"].as_str()),
            (400, Some(field)),
            "{body}: {answer}"
        );
    }
    for (id, status) in [
        ("not-a-hold", 400),
        ("Event8.0192f3c4-0000-7000-8000-000000000000", 404),
    ] {
        let (got, answer) = app.get_as(&format!("/api/v1/holds/{id}"), &token).await;
        assert_eq!(got, status, "{id}: {answer}");
    }
    app.stop().await;
}
