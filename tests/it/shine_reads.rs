//! Shine's read operations around a transfer, with the query parameters
//! Shine's reference lists: the transfers query (`first`, `after`,
//! `bankTransferRecipientId`, `status`, `min`, `max`, `uid`), and the
//! recipients' query (`name`, `usableForSct`, `first`, `after`) and get.

use reqwest::StatusCode;

use crate::support::{transfer_body, Answer, TestSandbox, SHINE_TOKEN};

impl TestSandbox {
    async fn shine_get(&self, path: &str) -> Answer {
        self.send(
            self.http
                .get(self.url(&format!("/shine{path}")))
                .bearer_auth(SHINE_TOKEN),
        )
        .await
    }
}

#[tokio::test]
async fn the_transfers_query_pages_the_user_s_transfers_newest_first() {
    let sandbox = TestSandbox::start().await;
    let mut ids = Vec::new();
    // Each transfer is the action request's payload: 234 to recipient-1.
    for _ in 0..3 {
        let token = sandbox.shine_token().await;
        let made = sandbox.shine_transfer(&token, transfer_body()).await;
        assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
        ids.push(
            made.body["data"]["bankTransferId"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
        sandbox.advance("1s").await;
    }
    let all = sandbox.shine_get("/v3/bank/transfers/query?first=2").await;
    assert_eq!(all.status, StatusCode::OK, "{:?}", all.body);
    let page = &all.body["data"];
    assert_eq!(page["totalCount"], 3);
    assert_eq!(page["edges"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["edges"][0]["node"]["bankTransferId"], ids[2],
        "newest first"
    );
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let cursor = page["pageInfo"]["endCursor"].as_str().unwrap();
    let next = sandbox
        .shine_get(&format!("/bank/transfers/query?first=2&after={cursor}"))
        .await;
    assert_eq!(
        next.body["data"]["edges"][0]["node"]["bankTransferId"],
        ids[0]
    );
    assert_eq!(next.body["data"]["pageInfo"]["hasNextPage"], false);

    let filtered = sandbox
        .shine_get("/v3/bank/transfers/query?bankTransferRecipientId=recipient-9&status=PENDING")
        .await;
    assert_eq!(filtered.body["data"]["totalCount"], 0);
    let bounded = sandbox
        .shine_get("/v3/bank/transfers/query?min=200&max=300")
        .await;
    assert_eq!(bounded.body["data"]["totalCount"], 3);
    let above = sandbox.shine_get("/v3/bank/transfers/query?min=300").await;
    assert_eq!(above.body["data"]["totalCount"], 0);
    for bad in ["first=0", "first=101", "after=nope", "min=x"] {
        let refused = sandbox
            .shine_get(&format!("/v3/bank/transfers/query?{bad}"))
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(refused.body["code"], "validation_error");
    }
    let other = sandbox
        .shine_get("/v3/bank/transfers/query?uid=user-2")
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let anonymous = sandbox
        .send(
            sandbox
                .http
                .get(sandbox.url("/shine/v3/bank/transfers/query")),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn recipients_are_queried_and_read() {
    let sandbox = TestSandbox::start().await;
    let list = sandbox
        .shine_get("/v3/bank/transfers/recipients/query?name=jane")
        .await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    let node = &list.body["data"]["edges"][0]["node"];
    assert_eq!(node["bankTransferRecipientId"], "recipient-1");
    assert_eq!(node["iban"], "FR7630006000011234567890189");
    assert!(node["createdAt"].is_i64() && node["name"].is_string());
    let none = sandbox
        .shine_get("/v3/bank/transfers/recipients/query?usableForSct=false")
        .await;
    assert_eq!(none.body["data"]["totalCount"], 0);
    let one = sandbox
        .shine_get("/v3/bank/transfers/recipients/recipient-1")
        .await;
    assert_eq!(one.body["data"]["name"], "Jane Doe");
    let missing = sandbox
        .shine_get("/v3/bank/transfers/recipients/nobody")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let post = sandbox
        .send(
            sandbox
                .http
                .post(sandbox.url("/shine/v3/bank/transfers/query"))
                .bearer_auth(SHINE_TOKEN),
        )
        .await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
}
