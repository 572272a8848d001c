//! The community (R9): members ask questions, members and product experts
//! answer, everyone votes answers up or down, the asker (or a moderator or
//! an expert of the product) accepts one answer. Moderators hide, edit,
//! lock, merge and move posts; new accounts post at a limited rate.
//!
//! Everything here is a plain rule over plain data, time passed in.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::access::Actor;
use crate::invalid::bounded_text;
use crate::product::ProductKey;
use crate::user::{Role, UserId};
use crate::{Invalid, InvalidKind};

macro_rules! opaque_id {
    ($name:ident, $what:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// An id received from outside (a path or a body).
            pub fn parse(input: &str) -> Result<Self, Invalid> {
                crate::invalid::opaque_id(input, $what).map(Self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

opaque_id!(QuestionId, "question");
opaque_id!(AnswerId, "answer");
opaque_id!(CommentId, "comment");

/// A question's title: 8 to 200 characters, a real sentence rather than a
/// word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QuestionTitle(String);

impl QuestionTitle {
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 200;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let title = bounded_text(input, "the title", Self::MAX_LEN)?;
        if title.chars().count() < Self::MIN_LEN {
            return Err(Invalid::new(
                InvalidKind::Format,
                format!(
                    "the title has at least {} characters: ask a whole question",
                    Self::MIN_LEN
                ),
            ));
        }
        Ok(Self(title))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for QuestionTitle {
    type Error = Invalid;
    fn try_from(value: String) -> Result<Self, Invalid> {
        Self::parse(&value)
    }
}

impl From<QuestionTitle> for String {
    fn from(value: QuestionTitle) -> Self {
        value.0
    }
}

/// The Markdown body of a question, an answer or a comment: not empty, at
/// most `max` characters (pages render it through a sanitizer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PostBody(String);

impl PostBody {
    /// Questions and answers.
    pub const MAX_LEN: usize = 20_000;
    /// Comments are remarks, not answers.
    pub const COMMENT_MAX_LEN: usize = 2_000;

    pub fn parse(input: &str, max: usize) -> Result<Self, Invalid> {
        let body = input.trim();
        if body.is_empty() {
            return Err(Invalid::new(InvalidKind::Empty, "the text is empty"));
        }
        if body.chars().count() > max {
            return Err(Invalid::new(
                InvalidKind::TooLong,
                format!("the text is longer than {max} characters"),
            ));
        }
        // Markdown keeps line breaks and tabs; other control characters
        // have no business in a post.
        if body.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(Invalid::new(
                InvalidKind::Format,
                "the text contains control characters",
            ));
        }
        Ok(Self(body.to_owned()))
    }

    /// A body read back from the store, as it was kept.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// At most this many tags on a question.
pub const MAX_TAGS: usize = 5;

/// A question's tags: each as `article::parse_tag` reads it, no duplicates,
/// at most [`MAX_TAGS`].
pub fn parse_tags(tags: &[String]) -> Result<Vec<String>, Invalid> {
    let mut parsed: Vec<String> = Vec::new();
    for tag in tags {
        let tag = crate::article::parse_tag(tag)?;
        if !parsed.contains(&tag) {
            parsed.push(tag);
        }
    }
    if parsed.len() > MAX_TAGS {
        return Err(Invalid::new(
            InvalidKind::TooLong,
            format!("a question has at most {MAX_TAGS} tags"),
        ));
    }
    Ok(parsed)
}

/// A vote on an answer: one per member, changeable, and retractable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Vote {
    Up,
    Down,
}

impl Vote {
    /// `1` up, `-1` down, `0` takes a vote back (`None`).
    pub fn parse(value: i64) -> Result<Option<Self>, Invalid> {
        match value {
            1 => Ok(Some(Self::Up)),
            -1 => Ok(Some(Self::Down)),
            0 => Ok(None),
            other => Err(Invalid::new(
                InvalidKind::Format,
                format!("a vote is 1 (up), -1 (down) or 0 (none), not {other}"),
            )),
        }
    }

    pub fn value(self) -> i64 {
        match self {
            Self::Up => 1,
            Self::Down => -1,
        }
    }
}

/// Where a question is: open until an answer is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionState {
    Open,
    Solved,
}

impl QuestionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Solved => "solved",
        }
    }
}

/// Moderators: the vendor's support managers, support coaches and
/// administrators.
pub fn is_moderator(actor: &Actor) -> bool {
    actor.is_vendor_staff()
        && [Role::SupportManager, Role::SupportCoach, Role::Administrator]
            .into_iter()
            .any(|role| actor.has(role))
}

/// What the rules need to know of a member beside their actor: whether a
/// moderator named them an expert of the question's product.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    pub actor: &'a Actor,
    /// An expert of the product the question is about.
    pub expert: bool,
}

/// Why the community refuses something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("only the asker, a moderator or an expert of the product may accept an answer")]
    NotAsker,
    #[error("only the author or a moderator may edit a post")]
    NotAuthor,
    #[error("only moderators may do this")]
    NotModerator,
    #[error("the question is locked: it takes no new answers or comments")]
    Locked,
    #[error("new accounts post at most {per_day} times a day; try again after {retry_at}")]
    RateLimited { per_day: u32, retry_at: Timestamp },
    #[error("you cannot vote on your own answer")]
    OwnAnswer,
}

/// R9: the asker accepts an answer, or a moderator, or an expert of the
/// question's product.
pub fn may_accept(member: Member<'_>, asker: &UserId) -> Result<(), Refusal> {
    if &member.actor.user_id == asker || member.expert || is_moderator(member.actor) {
        Ok(())
    } else {
        Err(Refusal::NotAsker)
    }
}

/// Authors edit their own posts; moderators edit any.
pub fn may_edit(actor: &Actor, author: &UserId) -> Result<(), Refusal> {
    if &actor.user_id == author || is_moderator(actor) {
        Ok(())
    } else {
        Err(Refusal::NotAuthor)
    }
}

pub fn may_moderate(actor: &Actor) -> Result<(), Refusal> {
    if is_moderator(actor) {
        Ok(())
    } else {
        Err(Refusal::NotModerator)
    }
}

/// A locked question takes no new answers or comments (moderators still
/// may post, to explain the lock).
pub fn may_reply(actor: &Actor, locked: bool) -> Result<(), Refusal> {
    if locked && !is_moderator(actor) {
        Err(Refusal::Locked)
    } else {
        Ok(())
    }
}

/// Members vote on other people's answers.
pub fn may_vote(actor: &Actor, author: &UserId) -> Result<(), Refusal> {
    if &actor.user_id == author {
        Err(Refusal::OwnAnswer)
    } else {
        Ok(())
    }
}

/// R9: how often new accounts may post (questions, answers and comments
/// together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostingLimit {
    /// An account younger than this is new.
    pub new_account: SignedDuration,
    /// A new account posts at most this many times in any 24 hours.
    pub per_day: u32,
}

impl Default for PostingLimit {
    fn default() -> Self {
        Self {
            new_account: SignedDuration::from_hours(24 * 7),
            per_day: 10,
        }
    }
}

/// The window the posting limit counts over.
pub const POSTING_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// What a post made now must stay within: fewer than `max` posts of its
/// author after `since`. The store counts them again inside the post's
/// transaction, so that posts sent in parallel do not slip past the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostingQuota {
    pub since: Timestamp,
    pub max: u32,
    /// When a post refused over the quota may be tried again: when the
    /// oldest post in the window leaves it (posts sent in parallel with
    /// this one are as old as now).
    pub retry_at: Timestamp,
}

impl PostingQuota {
    pub fn refusal(&self) -> Refusal {
        Refusal::RateLimited {
            per_day: self.max,
            retry_at: self.retry_at,
        }
    }
}

/// R9: the quota of a member whose account was made at `account_created`
/// and who posted at the instants `recent`; none for the vendor's staff
/// and for accounts no longer new.
pub fn posting_quota(
    actor: &Actor,
    account_created: Timestamp,
    recent: &[Timestamp],
    limit: PostingLimit,
    now: Timestamp,
) -> Option<PostingQuota> {
    if actor.is_vendor_staff() || account_created + limit.new_account <= now {
        return None;
    }
    let since = now - POSTING_WINDOW;
    let oldest = recent.iter().filter(|at| **at > since).min().copied().unwrap_or(now);
    Some(PostingQuota {
        since,
        max: limit.per_day,
        retry_at: oldest + POSTING_WINDOW,
    })
}

/// Whether a member whose account was made at `account_created` may post
/// now, having posted at the instants `recent` (the last 24 hours, oldest
/// first). The vendor's staff are never limited.
pub fn may_post(
    actor: &Actor,
    account_created: Timestamp,
    recent: &[Timestamp],
    limit: PostingLimit,
    now: Timestamp,
) -> Result<(), Refusal> {
    let Some(quota) = posting_quota(actor, account_created, recent, limit, now) else {
        return Ok(());
    };
    if recent.iter().filter(|at| **at > quota.since).count() < quota.max as usize {
        Ok(())
    } else {
        Err(quota.refusal())
    }
}

/// Reputation: 15 for each accepted answer, 10 for each up vote received,
/// minus 2 for each down vote; never below zero.
pub fn reputation(accepted: i64, up_votes: i64, down_votes: i64) -> i64 {
    (15 * accepted + 10 * up_votes - 2 * down_votes).max(0)
}

/// What ordering answers needs.
#[derive(Debug, Clone, Copy)]
pub struct AnswerRank {
    pub accepted: bool,
    pub score: i64,
    pub created_at: Timestamp,
}

/// R9: the accepted answer first, then the best voted, then the oldest.
pub fn answer_order(a: &AnswerRank, b: &AnswerRank) -> std::cmp::Ordering {
    b.accepted
        .cmp(&a.accepted)
        .then(b.score.cmp(&a.score))
        .then(a.created_at.cmp(&b.created_at))
}

/// What a member follows: one question, a product, or a tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Subscription {
    Question(QuestionId),
    Product(ProductKey),
    Tag(String),
}

impl Subscription {
    pub fn parse(kind: &str, target: &str) -> Result<Self, (&'static str, Invalid)> {
        match kind.trim() {
            "question" => QuestionId::parse(target).map(Self::Question).map_err(|e| ("target", e)),
            "product" => ProductKey::parse(target).map(Self::Product).map_err(|e| ("target", e)),
            "tag" => crate::article::parse_tag(target)
                .map(Self::Tag)
                .map_err(|e| ("target", e)),
            other => Err((
                "kind",
                Invalid::new(
                    InvalidKind::Unknown,
                    format!("`{other}` is not something to follow (question, product, tag)"),
                ),
            )),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Question(_) => "question",
            Self::Product(_) => "product",
            Self::Tag(_) => "tag",
        }
    }

    pub fn target(&self) -> &str {
        match self {
            Self::Question(id) => &id.0,
            Self::Product(key) => key.as_str(),
            Self::Tag(tag) => tag,
        }
    }
}

/// R9: an open question nobody answered for `after` shows on the experts'
/// queue.
pub fn awaits_experts(answers: i64, asked_at: Timestamp, now: Timestamp, after: SignedDuration) -> bool {
    answers == 0 && asked_at + after <= now
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::company::{CompanyId, CompanyKind};

    fn actor(id: &str, kind: CompanyKind, roles: &[Role]) -> Actor {
        Actor {
            user_id: UserId(id.into()),
            company_id: CompanyId("c".into()),
            company_kind: kind,
            roles: roles.to_vec(),
        }
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + second).unwrap()
    }

    #[test]
    fn titles_are_questions_and_bodies_are_bounded() {
        assert!(QuestionTitle::parse("Why?").is_err());
        assert_eq!(
            QuestionTitle::parse("  Pourquoi la période est-elle clôturée ? ")
                .unwrap()
                .as_str(),
            "Pourquoi la période est-elle clôturée ?"
        );
        assert_eq!(
            PostBody::parse(" ", PostBody::MAX_LEN).unwrap_err().kind,
            InvalidKind::Empty
        );
        assert_eq!(
            PostBody::parse(&"x".repeat(2001), PostBody::COMMENT_MAX_LEN)
                .unwrap_err()
                .kind,
            InvalidKind::TooLong
        );
        assert!(PostBody::parse("line\n\n- item\n\tcode", PostBody::MAX_LEN).is_ok());
        assert!(PostBody::parse("a\u{0}b", PostBody::MAX_LEN).is_err());
        assert_eq!(
            parse_tags(&["GL".into(), "gl".into(), "clôture".into()]).unwrap(),
            ["gl", "clôture"]
        );
        let many: Vec<String> = (0..6).map(|n| format!("t{n}")).collect();
        assert_eq!(parse_tags(&many).unwrap_err().kind, InvalidKind::TooLong);
    }

    #[test]
    fn votes_are_up_down_or_none() {
        assert_eq!(Vote::parse(1).unwrap(), Some(Vote::Up));
        assert_eq!(Vote::parse(-1).unwrap(), Some(Vote::Down));
        assert_eq!(Vote::parse(0).unwrap(), None);
        assert!(Vote::parse(2).is_err());
    }

    #[test]
    fn r9_the_asker_an_expert_or_a_moderator_accepts() {
        let marie = actor("marie", CompanyKind::Customer, &[]);
        let other = actor("other", CompanyKind::Customer, &[]);
        let coach = actor("coach", CompanyKind::Vendor, &[Role::SupportCoach]);
        let analyst = actor("analyst", CompanyKind::Vendor, &[Role::SupportAnalyst]);
        let asker = UserId("marie".into());
        let member = |actor, expert| Member { actor, expert };
        assert!(may_accept(member(&marie, false), &asker).is_ok());
        assert_eq!(may_accept(member(&other, false), &asker), Err(Refusal::NotAsker));
        assert!(may_accept(member(&other, true), &asker).is_ok());
        assert!(may_accept(member(&coach, false), &asker).is_ok());
        assert_eq!(may_accept(member(&analyst, false), &asker), Err(Refusal::NotAsker));
        // A customer's "administrator" role is no moderator.
        assert!(!is_moderator(&actor(
            "x",
            CompanyKind::Customer,
            &[Role::Administrator]
        )));
    }

    #[test]
    fn authors_and_moderators_edit_and_locks_stop_members() {
        let marie = actor("marie", CompanyKind::Customer, &[]);
        let lead = actor("lead", CompanyKind::Vendor, &[Role::SupportManager]);
        assert!(may_edit(&marie, &UserId("marie".into())).is_ok());
        assert_eq!(may_edit(&marie, &UserId("x".into())), Err(Refusal::NotAuthor));
        assert!(may_edit(&lead, &UserId("x".into())).is_ok());
        assert_eq!(may_reply(&marie, true), Err(Refusal::Locked));
        assert!(may_reply(&lead, true).is_ok());
        assert!(may_reply(&marie, false).is_ok());
        assert_eq!(may_vote(&marie, &UserId("marie".into())), Err(Refusal::OwnAnswer));
    }

    #[test]
    fn r9_new_accounts_post_at_a_limited_rate() {
        let limit = PostingLimit {
            new_account: SignedDuration::from_hours(24 * 7),
            per_day: 3,
        };
        let marie = actor("marie", CompanyKind::Customer, &[]);
        let created = at(0);
        let now = at(3600 * 10);
        let posts = [at(3600), at(3600 * 2), at(3600 * 3)];
        assert_eq!(
            may_post(&marie, created, &posts, limit, now),
            Err(Refusal::RateLimited {
                per_day: 3,
                retry_at: at(3600) + POSTING_WINDOW
            })
        );
        assert!(may_post(&marie, created, &posts[..2], limit, now).is_ok());
        // A day after the first post, it no longer counts.
        assert!(may_post(&marie, created, &posts, limit, at(3600 * 25 + 1)).is_ok());
        // An old account, or the vendor's staff: no limit.
        assert!(may_post(&marie, at(-3600 * 24 * 8), &posts, limit, now).is_ok());
        let coach = actor("coach", CompanyKind::Vendor, &[Role::SupportCoach]);
        assert!(may_post(&coach, created, &posts, limit, now).is_ok());
        // The quota the store holds a post to: the same rule.
        assert_eq!(
            posting_quota(&marie, created, &posts, limit, now),
            Some(PostingQuota {
                since: now - POSTING_WINDOW,
                max: 3,
                retry_at: at(3600) + POSTING_WINDOW,
            })
        );
        let first_post = posting_quota(&marie, created, &[], limit, now).unwrap();
        assert_eq!(
            first_post.retry_at,
            now + POSTING_WINDOW,
            "posts sent with it are as old as now"
        );
        assert_eq!(posting_quota(&marie, at(-3600 * 24 * 8), &posts, limit, now), None);
        assert_eq!(posting_quota(&coach, created, &posts, limit, now), None);
    }

    #[test]
    fn r9_accepted_first_then_votes_then_age() {
        let mut answers = [
            AnswerRank {
                accepted: false,
                score: 5,
                created_at: at(2),
            },
            AnswerRank {
                accepted: true,
                score: -1,
                created_at: at(3),
            },
            AnswerRank {
                accepted: false,
                score: 5,
                created_at: at(1),
            },
        ];
        answers.sort_by(answer_order);
        assert!(answers[0].accepted);
        assert_eq!(answers[1].created_at, at(1));
        assert_eq!(answers[2].created_at, at(2));
    }

    #[test]
    fn reputation_counts_accepted_answers_and_votes() {
        assert_eq!(reputation(2, 3, 1), 58);
        assert_eq!(reputation(0, 0, 4), 0);
    }

    #[test]
    fn subscriptions_name_a_question_a_product_or_a_tag() {
        assert_eq!(
            Subscription::parse("product", "financials").unwrap(),
            Subscription::Product(ProductKey::parse("financials").unwrap())
        );
        assert_eq!(Subscription::parse("tag", "GL").unwrap().target(), "gl");
        assert_eq!(Subscription::parse("forum", "x").unwrap_err().0, "kind");
        assert_eq!(Subscription::parse("question", "../x").unwrap_err().0, "target");
    }

    #[test]
    fn r9_unanswered_questions_wait_for_experts_after_a_while() {
        let after = SignedDuration::from_hours(24);
        assert!(!awaits_experts(0, at(0), at(3600), after));
        assert!(awaits_experts(0, at(0), at(3600 * 24), after));
        assert!(!awaits_experts(1, at(0), at(3600 * 48), after));
    }
}
