//! The email channel's records: every inbound message with its outcome,
//! the Message-IDs already seen (replays), the reply token of each case,
//! and the outbound mails' delivery state (outbox rows of kind `mail`).

use guichet_domain::case::CaseId;
use jiff::Timestamp;

use crate::status::{Delivery, DeliveryRow, delivery_from};
use crate::{OutboxMessage, Result, Store, instant, micros};

/// One inbound message and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    pub id: String,
    pub received_at: Timestamp,
    /// Its `Message-ID`, when it had a readable one.
    pub message_id: Option<String>,
    /// The address of its `From` header, when it had a readable one.
    pub sender: Option<String>,
    /// The address it was sent to that decided its route.
    pub recipient: Option<String>,
    pub subject: Option<String>,
    /// What checking its sender found (`pass`, `fail`, `none`, …).
    pub authentication: String,
    /// `comment_added`, `case_opened`, `authorization_decided` or `refused`.
    pub outcome: String,
    /// Why it was refused (a stable code), or what was decided.
    pub reason: Option<String>,
    /// The explanation, in words.
    pub detail: String,
    pub case_number: Option<i64>,
    pub authorization_request: Option<String>,
    /// A reply was sent to its sender.
    pub answered: bool,
}

type InboundRow = (
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
    Option<i64>,
    Option<String>,
    bool,
);

const INBOUND_COLUMNS: &str = "id, received_at, message_id, sender, recipient, subject, authentication, outcome, \
     reason, detail, case_number, authorization_request, answered";

fn inbound_from(row: InboundRow) -> Result<InboundMail> {
    let (
        id,
        received_at,
        message_id,
        sender,
        recipient,
        subject,
        authentication,
        outcome,
        reason,
        detail,
        case_number,
        authorization_request,
        answered,
    ) = row;
    Ok(InboundMail {
        id,
        received_at: instant(received_at)?,
        message_id,
        sender,
        recipient,
        subject,
        authentication,
        outcome,
        reason,
        detail,
        case_number,
        authorization_request,
        answered,
    })
}

impl Store {
    /// Claims `message_id` for the inbound message `inbound`: `false` when
    /// another message claimed it first (a replay).
    pub async fn claim_message_id(&self, message_id: &str, inbound: &str, now: Timestamp) -> Result<bool> {
        let claimed = write!(self, |c| sqlx::query(
            "INSERT INTO mail_message_ids (message_id, inbound_id, seen_at) VALUES ($1, $2, $3) \
             ON CONFLICT (message_id) DO NOTHING"
        )
        .bind(message_id)
        .bind(inbound)
        .bind(micros(now))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(claimed == 1)
    }

    /// Records an inbound message with the reply it calls for (outbox rows),
    /// together.
    pub async fn record_inbound_mail(&self, mail: &InboundMail, outbox: &[OutboxMessage]) -> Result<()> {
        let sql = format!(
            "INSERT INTO inbound_mails ({INBOUND_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        );
        transaction!(self, |tx| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&mail.id)
                .bind(micros(mail.received_at))
                .bind(&mail.message_id)
                .bind(&mail.sender)
                .bind(&mail.recipient)
                .bind(&mail.subject)
                .bind(&mail.authentication)
                .bind(&mail.outcome)
                .bind(&mail.reason)
                .bind(&mail.detail)
                .bind(mail.case_number)
                .bind(&mail.authorization_request)
                .bind(mail.answered)
                .execute(&mut *tx)
                .await?;
            insert_outbox!(tx, outbox);
        })
    }

    pub async fn inbound_mail(&self, id: &str) -> Result<Option<InboundMail>> {
        let sql = format!("SELECT {INBOUND_COLUMNS} FROM inbound_mails WHERE id = $1");
        let row: Option<InboundRow> = read!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_optional(c)
            .await)?;
        row.map(inbound_from).transpose()
    }

    /// Inbound messages received before `before` (all when `None`), newest
    /// first.
    pub async fn inbound_mails(&self, before: Option<Timestamp>, limit: i64) -> Result<Vec<InboundMail>> {
        let sql = format!(
            "SELECT {INBOUND_COLUMNS} FROM inbound_mails WHERE received_at < $1 \
             ORDER BY received_at DESC, id DESC LIMIT $2"
        );
        let before = before.map_or(i64::MAX, micros);
        let rows: Vec<InboundRow> = read!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(before)
            .bind(limit)
            .fetch_all(c)
            .await)?;
        rows.into_iter().map(inbound_from).collect()
    }

    /// How many replies went to `sender` since `since` (replies to forged
    /// senders are limited, so Guichet cannot be made to flood anyone).
    pub async fn replies_to(&self, sender: &str, since: Timestamp) -> Result<i64> {
        read!(self, |c| sqlx::query_scalar(
            "SELECT COUNT(*) FROM inbound_mails WHERE sender = $1 AND received_at >= $2 AND answered"
        )
        .bind(sender)
        .bind(micros(since))
        .fetch_one(c)
        .await)
        .map_err(Into::into)
    }

    /// The reply token of `case`: the one it has, else `candidate`, kept.
    pub async fn case_reply_token(&self, case: &CaseId, candidate: &str, now: Timestamp) -> Result<String> {
        write!(self, |c| sqlx::query(
            "INSERT INTO case_reply_tokens (case_id, token, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (case_id) DO NOTHING"
        )
        .bind(&case.0)
        .bind(candidate)
        .bind(micros(now))
        .execute(c)
        .await
        .map(|_| ()))?;
        let token: String = read!(self, |c| sqlx::query_scalar(
            "SELECT token FROM case_reply_tokens WHERE case_id = $1"
        )
        .bind(&case.0)
        .fetch_one(c)
        .await)?;
        Ok(token)
    }

    /// The case whose reply token is `token`.
    pub async fn case_of_reply_token(&self, token: &str) -> Result<Option<CaseId>> {
        let id: Option<String> = read!(self, |c| sqlx::query_scalar(
            "SELECT case_id FROM case_reply_tokens WHERE token = $1"
        )
        .bind(token)
        .fetch_optional(c)
        .await)?;
        Ok(id.map(CaseId))
    }

    /// Replaces the outbox row `id` (a notification) by `mails`, together:
    /// the notification is done once its mails are queued.
    pub async fn expand_outbox(&self, id: &str, mails: &[OutboxMessage], now: Timestamp) -> Result<()> {
        transaction!(self, |tx| {
            insert_outbox!(tx, mails);
            sqlx::query("UPDATE outbox SET done_at = $2, attempts = attempts + 1 WHERE id = $1")
                .bind(id)
                .bind(micros(now))
                .execute(&mut *tx)
                .await?;
        })
    }

    /// A mail was handed over: done, and any error of an earlier try
    /// forgotten (a row done with an error is a permanent failure).
    pub async fn mail_sent(&self, id: &str, now: Timestamp) -> Result<()> {
        write!(self, |c| sqlx::query(
            "UPDATE outbox SET done_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1"
        )
        .bind(id)
        .bind(micros(now))
        .execute(c)
        .await
        .map(|_| ()))
    }

    /// The mails given up for good, most recent first.
    pub async fn mail_failures(&self, limit: i64) -> Result<Vec<Delivery>> {
        self.outbox_failures("mail", limit).await
    }

    /// The outbox rows of `kind` given up for good (done, with an error),
    /// most recent first.
    pub async fn outbox_failures(&self, kind: &str, limit: i64) -> Result<Vec<Delivery>> {
        let rows: Vec<DeliveryRow> = read!(self, |c| sqlx::query_as(
            "SELECT id, kind, payload, created_at, attempts, done_at, last_error FROM outbox \
             WHERE kind = $1 AND done_at IS NOT NULL AND last_error IS NOT NULL \
             ORDER BY done_at DESC, id DESC LIMIT $2"
        )
        .bind(kind)
        .bind(limit)
        .fetch_all(c)
        .await)?;
        rows.into_iter().map(delivery_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::*;
    use crate::testing::on_each_engine;
    use crate::tests::now;

    fn inbound(id: &str, sender: &str, answered: bool, at: Timestamp) -> InboundMail {
        InboundMail {
            id: id.to_owned(),
            received_at: at,
            message_id: Some(format!("{id}@mail.example")),
            sender: Some(sender.to_owned()),
            recipient: Some("support@support.example".into()),
            subject: Some("Re: case 1001".into()),
            authentication: "pass".into(),
            outcome: "refused".into(),
            reason: Some("unknown_sender".into()),
            detail: "We do not know this address.".into(),
            case_number: None,
            authorization_request: None,
            answered,
        }
    }

    #[tokio::test]
    async fn inbound_mail_is_recorded_and_message_ids_are_claimed_once() {
        on_each_engine(|store| async move {
            assert!(store.claim_message_id("a@x", "m1", now()).await.unwrap());
            assert!(!store.claim_message_id("a@x", "m2", now()).await.unwrap(), "a replay");
            assert!(store.claim_message_id("b@x", "m2", now()).await.unwrap());

            let reply = OutboxMessage::new("mail", &serde_json::json!({"to": "eve@evil.example"}), now());
            let first = inbound("m1", "eve@evil.example", true, now());
            store
                .record_inbound_mail(&first, std::slice::from_ref(&reply))
                .await
                .unwrap();
            let later = now() + SignedDuration::from_mins(1);
            store
                .record_inbound_mail(&inbound("m2", "eve@evil.example", false, later), &[])
                .await
                .unwrap();
            assert_eq!(store.inbound_mail("m1").await.unwrap(), Some(first));
            let listed = store.inbound_mails(None, 10).await.unwrap();
            assert_eq!(
                listed.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
                ["m2", "m1"],
                "newest first"
            );
            assert_eq!(store.inbound_mails(Some(later), 10).await.unwrap().len(), 1);
            assert_eq!(store.replies_to("eve@evil.example", now()).await.unwrap(), 1);
            assert_eq!(store.replies_to("eve@evil.example", later).await.unwrap(), 0);
            assert_eq!(
                store.outbox_of_kind("mail").await.unwrap().len(),
                1,
                "the reply is queued"
            );
        })
        .await;
    }

    /// A case of a new company, opened with `outbox`.
    async fn some_case(store: &Store, outbox: &[OutboxMessage]) -> CaseId {
        use guichet_domain::case::{Case, CaseNumber, CaseStatus, Subject};
        use guichet_domain::company::CompanyKind;
        use guichet_domain::priority::{self, Environment, Impact, PriorityTable, Scope};
        use guichet_domain::product::{AreaKey, ProductKey};

        use crate::tests::{company, product, user};

        store
            .create_product(&product("financials", &["reporting"]))
            .await
            .unwrap();
        let acme = company("Acme", CompanyKind::Customer, "acme.example");
        store.create_company(&acme, now()).await.unwrap();
        let dana = user(&acme, "dana@acme.example", &[]);
        store.create_user(&dana, None, now()).await.unwrap();
        let assessment = priority::assess(
            &PriorityTable::default(),
            Impact::Question,
            Scope::Individual,
            Environment::Production,
        );
        let case = Case {
            id: CaseId(crate::new_id()),
            number: CaseNumber(0),
            company_id: acme.id.clone(),
            opened_by: dana.id.clone(),
            contacts: vec![],
            product: ProductKey::parse("financials").unwrap(),
            area: AreaKey::parse("reporting").unwrap(),
            environment: Environment::Production,
            impact: Impact::Question,
            scope: Scope::Individual,
            subject: Subject::parse("Totals are off").unwrap(),
            description: "Since Monday.".into(),
            steps: None,
            expected: None,
            status: CaseStatus::New,
            priority: assessment.priority,
            priority_reasons: assessment.reasons,
            assignee: None,
            escalated: false,
            experts_involved: false,
            split_from: None,
            created_at: now(),
            updated_at: now(),
            first_response_at: None,
            solved_at: None,
            closed_at: None,
            last_update_request_at: None,
            clocks: Default::default(),
            version: 1,
        };
        let change = crate::CaseChange {
            outbox,
            ..Default::default()
        };
        store.open_case(&case, change).await.unwrap();
        case.id
    }

    #[tokio::test]
    async fn a_case_keeps_one_reply_token_and_mails_fail_for_good_visibly() {
        on_each_engine(|store| async move {
            let notification = OutboxMessage::new("notification", &serde_json::json!({}), now());
            let case = some_case(&store, std::slice::from_ref(&notification)).await;
            let token = store.case_reply_token(&case, "c-first", now()).await.unwrap();
            assert_eq!(token, "c-first");
            assert_eq!(
                store.case_reply_token(&case, "c-second", now()).await.unwrap(),
                "c-first",
                "the first token stays"
            );
            assert_eq!(store.case_of_reply_token("c-first").await.unwrap(), Some(case));
            assert_eq!(store.case_of_reply_token("c-second").await.unwrap(), None);

            // A notification becomes its mails, together.
            let mails: Vec<OutboxMessage> = (0..2)
                .map(|i| OutboxMessage::new("mail", &serde_json::json!({ "n": i }), now()))
                .collect();
            store.expand_outbox(&notification.id, &mails, now()).await.unwrap();
            assert!(
                store
                    .pending_outbox("notification", now(), 10)
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(store.pending_outbox("mail", now(), 10).await.unwrap().len(), 2);

            // One fails once then goes; the other is given up.
            let retry = now() + SignedDuration::from_secs(30);
            store
                .outbox_failed(&mails[0].id, "421 busy", Some(retry), now())
                .await
                .unwrap();
            store.mail_sent(&mails[0].id, retry).await.unwrap();
            store
                .outbox_failed(&mails[1].id, "550 no such user", None, now())
                .await
                .unwrap();
            let failures = store.mail_failures(10).await.unwrap();
            assert_eq!(failures.len(), 1);
            assert_eq!(failures[0].message.id, mails[1].id);
            assert_eq!(failures[0].last_error.as_deref(), Some("550 no such user"));
            assert_eq!(failures[0].attempts, 1);
        })
        .await;
    }
}
