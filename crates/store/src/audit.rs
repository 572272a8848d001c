//! The audit log (R26): entries written with the change they record, and a
//! hash chain appended after them, in order, by the chainer. Nothing here
//! updates or deletes an entry.

use guichet_domain::audit::AuditEntry;
use guichet_domain::case::CaseNumber;
use guichet_domain::company::CompanyId;
use guichet_domain::user::UserId;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::{Result, Store, instant, micros};

/// The hash of the chain before its first link.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of a link: SHA-256 of the previous hash and the entry's
/// canonical content, in hex.
pub fn link_hash(prev_hash: &str, entry: &AuditEntry) -> String {
    let digest = Sha256::digest(format!("{prev_hash}\n{}", entry.canonical()).as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Inserts audit entries (and their place on the chainer's list) inside a
/// transaction body.
macro_rules! insert_audit {
    ($tx:ident, $entries:expr) => {
        for entry in $entries {
            sqlx::query(
                "INSERT INTO audit_entries (id, at, actor_id, actor_email, address, action, subject_kind, subject_id, \
                 company_id, case_number, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&entry.id)
            .bind($crate::micros(entry.at))
            .bind(entry.actor.as_ref().map(|a| a.0.as_str()))
            .bind(entry.actor_email.as_deref())
            .bind(entry.address.as_deref())
            .bind(&entry.action)
            .bind(&entry.subject_kind)
            .bind(&entry.subject_id)
            .bind(entry.company.as_ref().map(|c| c.0.as_str()))
            .bind(entry.case_number.map(|n| n.0))
            .bind(&entry.details)
            .execute(&mut *$tx)
            .await?;
            sqlx::query("INSERT INTO audit_pending (entry_id) VALUES ($1)")
                .bind(&entry.id)
                .execute(&mut *$tx)
                .await?;
        }
    };
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: String,
    at: i64,
    actor_id: Option<String>,
    actor_email: Option<String>,
    address: Option<String>,
    action: String,
    subject_kind: String,
    subject_id: String,
    company_id: Option<String>,
    case_number: Option<i64>,
    details: String,
}

impl EntryRow {
    fn into_entry(self) -> Result<AuditEntry> {
        Ok(AuditEntry {
            id: self.id,
            at: instant(self.at)?,
            actor: self.actor_id.map(UserId),
            actor_email: self.actor_email,
            address: self.address,
            action: self.action,
            subject_kind: self.subject_kind,
            subject_id: self.subject_id,
            company: self.company_id.map(CompanyId),
            case_number: self.case_number.map(CaseNumber),
            details: self.details,
        })
    }
}

macro_rules! entry_columns {
    () => {
        "e.id, e.at, e.actor_id, e.actor_email, e.address, e.action, e.subject_kind, e.subject_id, e.company_id, \
         e.case_number, e.details"
    };
}

/// An entry with its place in the chain (`None` until chained).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: Option<i64>,
    pub entry: AuditEntry,
    /// For a case, its number (an opening is recorded before the number is
    /// drawn, so it is looked up).
    pub case_number: Option<CaseNumber>,
}

/// Which entries a reading covers; every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub company: Option<CompanyId>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub actor_email: Option<String>,
    /// `case` matches `case.opened`, `case.viewed`…
    pub action: Option<String>,
    /// Entries before this instant (the next page).
    pub before: Option<Timestamp>,
    pub limit: i64,
}

/// What `verify_audit` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCheck {
    /// Links checked.
    pub checked: u64,
    /// Entries not chained yet.
    pub pending: u64,
    /// The first link that does not match, and why.
    pub broken: Option<(i64, String)>,
}

impl Store {
    /// Appends entries on their own (a reading to record, a change made
    /// elsewhere).
    pub async fn append_audit(&self, entries: &[AuditEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        transaction!(self, |tx| {
            insert_audit!(tx, entries);
        })
    }

    /// Chains up to `limit` pending entries, oldest first; returns how many.
    /// One chainer at a time: the head row is locked for the transaction.
    pub async fn chain_audit(&self, limit: i64) -> Result<u64> {
        transaction!(self, |tx| {
            let (mut seq, mut hash): (i64, String) =
                sqlx::query_as("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
                    .fetch_one(&mut *tx)
                    .await?;
            let rows: Vec<EntryRow> = sqlx::query_as(concat!(
                "SELECT ",
                entry_columns!(),
                " FROM audit_pending p JOIN audit_entries e ON e.id = p.entry_id ORDER BY e.at, e.id LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            let count = rows.len() as u64;
            for row in rows {
                let entry = row.into_entry()?;
                let link = link_hash(&hash, &entry);
                seq += 1;
                sqlx::query("INSERT INTO audit_chain (seq, entry_id, prev_hash, hash) VALUES ($1, $2, $3, $4)")
                    .bind(seq)
                    .bind(&entry.id)
                    .bind(&hash)
                    .bind(&link)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM audit_pending WHERE entry_id = $1")
                    .bind(&entry.id)
                    .execute(&mut *tx)
                    .await?;
                hash = link;
            }
            if count > 0 {
                sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                    .bind(seq)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?;
            }
            count
        })
    }

    /// Entries `filter` selects, newest first.
    pub async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let rows: Vec<(Option<i64>, Option<i64>, EntryRow)> = read!(self, |c| sqlx::query_as::<_, AuditRow>(concat!(
            "SELECT c.seq, COALESCE(e.case_number, (SELECT k.number FROM cases k WHERE k.id = e.subject_id \
             AND e.subject_kind = 'case')) AS number, ",
            entry_columns!(),
            " FROM audit_entries e LEFT JOIN audit_chain c ON c.entry_id = e.id \
             WHERE ($1 = '' OR e.company_id = $1) AND ($2 = 0 OR e.at >= $2) AND ($3 = 0 OR e.at < $3) \
             AND ($4 = '' OR e.actor_email = $4) AND ($5 = '' OR e.action = $5 OR e.action LIKE $5 || '.%') \
             AND ($6 = 0 OR e.at < $6) ORDER BY e.at DESC, e.id DESC LIMIT $7"
        ))
        .bind(filter.company.as_ref().map_or("", |c| c.0.as_str()))
        .bind(filter.from.map_or(0, micros))
        .bind(filter.to.map_or(0, micros))
        .bind(filter.actor_email.as_deref().unwrap_or(""))
        .bind(filter.action.as_deref().unwrap_or(""))
        .bind(filter.before.map_or(0, micros))
        .bind(filter.limit.clamp(1, 1000))
        .fetch_all(c)
        .await)?
        .into_iter()
        .map(|row| (row.seq, row.number, row.entry))
        .collect();
        rows.into_iter()
            .map(|(seq, number, row)| {
                Ok(AuditRecord {
                    seq,
                    entry: row.into_entry()?,
                    case_number: number.map(CaseNumber),
                })
            })
            .collect()
    }

    /// Recomputes the chain from its first link; names the first that does
    /// not match its entry or its predecessor.
    pub async fn verify_audit(&self) -> Result<AuditCheck> {
        let pending: i64 = read!(self, |c| sqlx::query_scalar("SELECT COUNT(*) FROM audit_pending")
            .fetch_one(c)
            .await)?;
        let mut expected_prev = GENESIS.to_owned();
        let mut expected_seq = 0;
        let mut checked = 0;
        loop {
            let page: Vec<ChainRow> = read!(self, |c| sqlx::query_as::<_, ChainRow>(concat!(
                "SELECT c.seq, c.entry_id, c.prev_hash, c.hash, e.id AS present, ",
                entry_columns!(),
                " FROM audit_chain c LEFT JOIN audit_entries e ON e.id = c.entry_id \
                 WHERE c.seq > $1 ORDER BY c.seq LIMIT 5000"
            ))
            .bind(expected_seq)
            .fetch_all(c)
            .await)?;
            if page.is_empty() {
                break;
            }
            for link in page {
                let broken = |why: &str| {
                    Ok(AuditCheck {
                        checked,
                        pending: pending as u64,
                        broken: Some((link.seq, why.to_owned())),
                    })
                };
                if link.seq != expected_seq + 1 {
                    return broken("a link is missing before this one");
                }
                if link.prev_hash != expected_prev {
                    return broken("it does not follow the previous link");
                }
                let Some(entry) = link.entry else {
                    return broken("its entry is gone");
                };
                if entry.id != link.entry_id || link_hash(&link.prev_hash, &entry.into_entry()?) != link.hash {
                    return broken("its entry was changed");
                }
                expected_prev = link.hash;
                expected_seq = link.seq;
                checked += 1;
            }
        }
        let (head_seq, head_hash): (i64, String) = read!(self, |c| sqlx::query_as(
            "SELECT seq, hash FROM audit_head WHERE id = 1"
        )
        .fetch_one(c)
        .await)?;
        if head_seq != expected_seq || head_hash != expected_prev {
            return Ok(AuditCheck {
                checked,
                pending: pending as u64,
                broken: Some((head_seq, "the chain's end is not where the head says".into())),
            });
        }
        Ok(AuditCheck {
            checked,
            pending: pending as u64,
            broken: None,
        })
    }
}

struct AuditRow {
    seq: Option<i64>,
    number: Option<i64>,
    entry: EntryRow,
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for AuditRow
where
    EntryRow: sqlx::FromRow<'r, R>,
    &'static str: sqlx::ColumnIndex<R>,
    Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> std::result::Result<Self, sqlx::Error> {
        Ok(Self {
            seq: row.try_get("seq")?,
            number: row.try_get("number")?,
            entry: EntryRow::from_row(row)?,
        })
    }
}

struct ChainRow {
    seq: i64,
    entry_id: String,
    prev_hash: String,
    hash: String,
    entry: Option<EntryRow>,
}

impl<'r, R: sqlx::Row> sqlx::FromRow<'r, R> for ChainRow
where
    EntryRow: sqlx::FromRow<'r, R>,
    &'static str: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> std::result::Result<Self, sqlx::Error> {
        let present: Option<String> = row.try_get("present")?;
        Ok(Self {
            seq: row.try_get("seq")?,
            entry_id: row.try_get("entry_id")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
            entry: match present {
                Some(_) => Some(EntryRow::from_row(row)?),
                None => None,
            },
        })
    }
}
