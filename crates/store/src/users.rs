//! Users, their roles and skills, and their password hashes.

use guichet_domain::company::CompanyId;
use guichet_domain::email::EmailAddress;
use guichet_domain::product::Skill;
use guichet_domain::user::{DisplayName, Language, Role, User, UserId};
use jiff::Timestamp;

use crate::{Result, Store, micros};

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: String,
    company_id: String,
    email: String,
    display_name: String,
    language: String,
    active: bool,
    /// Comma-separated (roles and skills are keys without commas).
    roles: Option<String>,
    skills: Option<String>,
}

/// The items of a comma-separated aggregate, sorted.
pub(crate) fn split_list(list: Option<&str>) -> Vec<&str> {
    let mut items: Vec<&str> = list.unwrap_or("").split(',').filter(|item| !item.is_empty()).collect();
    items.sort_unstable();
    items
}

impl UserRow {
    pub(crate) fn into_user(self) -> Result<User> {
        let mut roles: Vec<Role> = split_list(self.roles.as_deref())
            .into_iter()
            .map(Role::parse)
            .collect::<Result<_, _>>()?;
        roles.sort();
        Ok(User {
            company_id: CompanyId(self.company_id),
            email: EmailAddress::parse(&self.email)?,
            display_name: DisplayName::parse(&self.display_name)?,
            language: Language::parse(&self.language)?,
            active: self.active,
            roles,
            skills: split_list(self.skills.as_deref())
                .into_iter()
                .map(Skill::parse)
                .collect::<Result<_, _>>()?,
            id: UserId(self.id),
        })
    }
}

/// Which users a listing covers: bound as `$1` (mode) and `$2`, `$3`.
#[derive(Debug, Clone, Copy)]
enum UserFilter<'a> {
    Id(&'a str),
    Email(&'a str),
    Company(&'a str),
    CompanyRole(&'a str, Role),
    Role(Role),
}

impl UserFilter<'_> {
    fn bind(self) -> (&'static str, String, &'static str) {
        match self {
            Self::Id(id) => ("id", id.to_owned(), ""),
            Self::Email(email) => ("email", email.to_owned(), ""),
            Self::Company(company) => ("company", company.to_owned(), ""),
            Self::CompanyRole(company, role) => ("role", company.to_owned(), role.as_str()),
            Self::Role(role) => ("any_role", String::new(), role.as_str()),
        }
    }
}

macro_rules! user_filter {
    () => {
        "(($1 = 'id' AND u.id = $2) OR ($1 = 'email' AND u.email = $2) OR ($1 = 'company' AND u.company_id = $2) \
         OR ($1 = 'role' AND u.company_id = $2 AND EXISTS \
             (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $3)) \
         OR ($1 = 'any_role' AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $3)))"
    };
}

/// What checking a password needs.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_id: UserId,
    pub password_hash: Option<String>,
    pub active: bool,
}

/// Writes a user with its roles and skills inside a transaction body
/// (`Conflict("email")` when the address is taken); the password hash is
/// only set on creation.
macro_rules! save_user_in {
    ($tx:ident, $user:expr, $password_hash:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO users (id, company_id, email, display_name, language, active, password_hash, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, \
             language = excluded.language, active = excluded.active, updated_at = excluded.updated_at",
        )
        .bind(&$user.id.0)
        .bind(&$user.company_id.0)
        .bind($user.email.as_str())
        .bind($user.display_name.as_str())
        .bind($user.language.code())
        .bind($user.active)
        .bind($password_hash)
        .bind($crate::micros($now))
        .execute(&mut *$tx)
        .await
        .map_err($crate::error::constraint("email"))?;
        sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
            .bind(&$user.id.0)
            .execute(&mut *$tx)
            .await?;
        for role in &$user.roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(&$user.id.0)
                .bind(role.as_str())
                .execute(&mut *$tx)
                .await?;
        }
        sqlx::query("DELETE FROM user_skills WHERE user_id = $1")
            .bind(&$user.id.0)
            .execute(&mut *$tx)
            .await?;
        for skill in &$user.skills {
            sqlx::query("INSERT INTO user_skills (user_id, skill) VALUES ($1, $2)")
                .bind(&$user.id.0)
                .bind(skill.to_string())
                .execute(&mut *$tx)
                .await?;
        }
    };
}

impl Store {
    /// Stores a new user with its roles and skills; `Conflict("email")` when
    /// the address is taken.
    pub async fn create_user(&self, user: &User, password_hash: Option<&str>, now: Timestamp) -> Result<()> {
        self.save_user(user, password_hash, now).await
    }

    /// Replaces a stored user's name, language, state, roles and skills
    /// (not the email, company or password).
    pub async fn update_user(&self, user: &User, now: Timestamp) -> Result<()> {
        self.save_user(user, None, now).await
    }

    async fn save_user(&self, user: &User, password_hash: Option<&str>, now: Timestamp) -> Result<()> {
        transaction!(self, |tx| {
            save_user_in!(tx, user, password_hash, now);
        })?;
        Ok(())
    }

    pub async fn set_language(&self, user: &UserId, language: Language, now: Timestamp) -> Result<()> {
        write!(self, |c| sqlx::query(
            "UPDATE users SET language = $2, updated_at = $3 WHERE id = $1"
        )
        .bind(&user.0)
        .bind(language.code())
        .bind(micros(now))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(())
    }

    pub async fn set_password_hash(&self, user: &UserId, hash: &str, now: Timestamp) -> Result<()> {
        write!(self, |c| sqlx::query(
            "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1"
        )
        .bind(&user.0)
        .bind(hash)
        .bind(micros(now))
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(())
    }

    pub async fn user(&self, id: &UserId) -> Result<Option<User>> {
        Ok(self.users(UserFilter::Id(&id.0)).await?.pop())
    }

    pub async fn user_by_email(&self, email: &EmailAddress) -> Result<Option<User>> {
        Ok(self.users(UserFilter::Email(email.as_str())).await?.pop())
    }

    /// A company's users, by name.
    pub async fn users_of(&self, company: &CompanyId) -> Result<Vec<User>> {
        self.users(UserFilter::Company(&company.0)).await
    }

    /// A company's users that hold `role`, by name.
    pub async fn users_with_role(&self, company: &CompanyId, role: Role) -> Result<Vec<User>> {
        self.users(UserFilter::CompanyRole(&company.0, role)).await
    }

    /// Every user holding `role`, whatever their company (staff roles live
    /// only in the vendor company).
    pub async fn users_holding(&self, role: Role) -> Result<Vec<User>> {
        self.users(UserFilter::Role(role)).await
    }

    pub async fn credentials(&self, email: &EmailAddress) -> Result<Option<Credentials>> {
        let row: Option<(String, Option<String>, bool)> = read!(self, |c| sqlx::query_as(
            "SELECT id, password_hash, active FROM users WHERE email = $1"
        )
        .bind(email.as_str())
        .fetch_optional(c)
        .await)?;
        Ok(row.map(|(id, password_hash, active)| Credentials {
            user_id: UserId(id),
            password_hash,
            active,
        }))
    }

    async fn users(&self, filter: UserFilter<'_>) -> Result<Vec<User>> {
        let (mode, a, b) = filter.bind();
        macro_rules! users_sql {
            ($agg:literal) => {
                concat!(
                    "SELECT u.id, u.company_id, u.email, u.display_name, u.language, u.active, \
                     (SELECT ",
                    $agg,
                    "(r.role, ',') FROM user_roles r WHERE r.user_id = u.id) AS roles, \
                     (SELECT ",
                    $agg,
                    "(s.skill, ',') FROM user_skills s WHERE s.user_id = u.id) AS skills \
                     FROM users u WHERE ",
                    user_filter!(),
                    " ORDER BY u.display_name, u.email"
                )
            };
        }
        let rows: Vec<UserRow> = read_aggregating!(self, users_sql, |query, c| query
            .bind(mode)
            .bind(&a)
            .bind(b)
            .fetch_all(c)
            .await)?;
        rows.into_iter().map(UserRow::into_user).collect()
    }
}
