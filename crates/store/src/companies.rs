//! Companies, with their products and verified email domains.

use guichet_domain::company::{Company, CompanyContact, CompanyId, CompanyKind, CompanyName, SlaTier};
use guichet_domain::contact::CompanyRef;
use guichet_domain::country::{CountryCode, TimeZoneName};
use guichet_domain::email::{EmailAddress, EmailDomain};
use guichet_domain::product::ProductKey;
use guichet_domain::user::UserId;
use jiff::Timestamp;

use crate::error::constraint;
use crate::users::split_list;
use crate::{Result, Store, StoreError, micros};

/// Which companies a listing covers.
#[derive(Debug, Clone)]
pub enum CompanyScope {
    All,
    /// One company.
    Only(CompanyId),
    /// A partner and the companies it implemented (R4).
    PartnerOf(CompanyId),
}

impl CompanyScope {
    fn bind(&self) -> (&'static str, &str) {
        match self {
            Self::All => ("all", ""),
            Self::Only(id) => ("only", &id.0),
            Self::PartnerOf(id) => ("partner", &id.0),
        }
    }
}

/// The `WHERE` condition of a scope bound as `$1` (mode) and `$2` (id).
macro_rules! in_scope {
    () => {
        "($1 = 'all' OR c.id = $2 OR ($1 = 'partner' AND c.implemented_by = $2))"
    };
}

#[derive(sqlx::FromRow)]
struct CompanyRow {
    id: String,
    kind: String,
    name: String,
    country: String,
    time_zone: String,
    sla_tier: String,
    account_manager_id: Option<String>,
    implemented_by: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    /// Comma-separated (product keys and domains have no commas).
    products: Option<String>,
    email_domains: Option<String>,
    subdivision: Option<String>,
    closed_dates: Option<String>,
}

impl CompanyRow {
    fn into_company(self) -> Result<Company> {
        Ok(Company {
            kind: CompanyKind::parse(&self.kind)?,
            name: CompanyName::parse(&self.name)?,
            country: CountryCode::parse(&self.country)?,
            time_zone: TimeZoneName::parse(&self.time_zone)?,
            products: split_list(self.products.as_deref())
                .into_iter()
                .map(ProductKey::parse)
                .collect::<Result<_, _>>()?,
            sla_tier: SlaTier::from_stored(self.sla_tier),
            email_domains: split_list(self.email_domains.as_deref())
                .into_iter()
                .map(EmailDomain::parse)
                .collect::<Result<_, _>>()?,
            account_manager: self.account_manager_id.map(UserId),
            implemented_by: self.implemented_by.map(CompanyId),
            contact: CompanyContact {
                name: self.contact_name,
                email: self.contact_email.as_deref().map(EmailAddress::parse).transpose()?,
                phone: self.contact_phone,
            },
            subdivision: self.subdivision,
            closed_dates: split_list(self.closed_dates.as_deref())
                .into_iter()
                .map(|day| {
                    day.parse()
                        .map_err(|e| StoreError::Corrupt(format!("closure `{day}`: {e}")))
                })
                .collect::<Result<_>>()?,
            id: CompanyId(self.id),
        })
    }
}

macro_rules! company_columns {
    () => {
        "c.id, c.kind, c.name, c.country, c.time_zone, c.sla_tier, c.account_manager_id, c.implemented_by, \
         c.contact_name, c.contact_email, c.contact_phone, c.subdivision"
    };
}

impl Store {
    /// Stores a new company with its products and domains, in one
    /// transaction.
    pub async fn create_company(&self, company: &Company, now: Timestamp) -> Result<()> {
        self.save_company(company, now).await
    }

    /// Replaces a stored company's fields, products and domains (not its
    /// kind).
    pub async fn update_company(&self, company: &Company, now: Timestamp) -> Result<()> {
        self.save_company(company, now).await
    }

    async fn save_company(&self, company: &Company, now: Timestamp) -> Result<()> {
        transaction!(self, |tx| {
            sqlx::query(
                "INSERT INTO companies (id, kind, name, country, time_zone, sla_tier, account_manager_id, \
                 implemented_by, contact_name, contact_email, contact_phone, created_at, updated_at, subdivision) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country, \
                 time_zone = excluded.time_zone, sla_tier = excluded.sla_tier, \
                 account_manager_id = excluded.account_manager_id, implemented_by = excluded.implemented_by, \
                 contact_name = excluded.contact_name, contact_email = excluded.contact_email, \
                 contact_phone = excluded.contact_phone, updated_at = excluded.updated_at, \
                 subdivision = excluded.subdivision",
            )
            .bind(&company.id.0)
            .bind(company.kind.as_str())
            .bind(company.name.as_str())
            .bind(company.country.as_str())
            .bind(company.time_zone.as_str())
            .bind(company.sla_tier.as_str())
            .bind(company.account_manager.as_ref().map(|id| id.0.as_str()))
            .bind(company.implemented_by.as_ref().map(|id| id.0.as_str()))
            .bind(company.contact.name.as_deref())
            .bind(company.contact.email.as_ref().map(|e| e.as_str()))
            .bind(company.contact.phone.as_deref())
            .bind(micros(now))
            .bind(company.subdivision.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(constraint("name"))?;
            sqlx::query("DELETE FROM company_products WHERE company_id = $1")
                .bind(&company.id.0)
                .execute(&mut *tx)
                .await?;
            for product in &company.products {
                sqlx::query("INSERT INTO company_products (company_id, product_key) VALUES ($1, $2)")
                    .bind(&company.id.0)
                    .bind(product.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(constraint("product"))?;
            }
            sqlx::query("DELETE FROM company_email_domains WHERE company_id = $1")
                .bind(&company.id.0)
                .execute(&mut *tx)
                .await?;
            for domain in &company.email_domains {
                sqlx::query("INSERT INTO company_email_domains (company_id, domain) VALUES ($1, $2)")
                    .bind(&company.id.0)
                    .bind(domain.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(constraint("email_domain"))?;
            }
        })?;
        Ok(())
    }

    pub async fn company(&self, id: &CompanyId) -> Result<Option<Company>> {
        Ok(self.companies(&CompanyScope::Only(id.clone())).await?.pop())
    }

    pub async fn company_by_name(&self, name: &str) -> Result<Option<Company>> {
        let id: Option<String> = read!(self, |c| sqlx::query_scalar("SELECT id FROM companies WHERE name = $1")
            .bind(name)
            .fetch_optional(c)
            .await)?;
        match id {
            Some(id) => self.company(&CompanyId(id)).await,
            None => Ok(None),
        }
    }

    /// The companies in `scope`, by name.
    pub async fn companies(&self, scope: &CompanyScope) -> Result<Vec<Company>> {
        let (mode, id) = scope.bind();
        macro_rules! companies_sql {
            ($agg:literal) => {
                concat!(
                    "SELECT ",
                    company_columns!(),
                    ", (SELECT ",
                    $agg,
                    "(p.product_key, ',') FROM company_products p WHERE p.company_id = c.id) \
                     AS products, \
                     (SELECT ",
                    $agg,
                    "(d.domain, ',') FROM company_email_domains d WHERE d.company_id = c.id) \
                     AS email_domains, \
                     (SELECT ",
                    $agg,
                    "(x.day, ',') FROM company_closures x WHERE x.company_id = c.id) \
                     AS closed_dates FROM companies c WHERE ",
                    in_scope!(),
                    " ORDER BY c.name"
                )
            };
        }
        let rows: Vec<CompanyRow> = read_aggregating!(self, companies_sql, |query, c| query
            .bind(mode)
            .bind(id)
            .fetch_all(c)
            .await)?;
        rows.into_iter().map(CompanyRow::into_company).collect()
    }

    /// The days an administrator closed a company's calendar, with why.
    pub async fn closures(&self, company: &CompanyId) -> Result<Vec<(jiff::civil::Date, String)>> {
        let rows: Vec<(String, String)> = read!(self, |c| sqlx::query_as(
            "SELECT day, reason FROM company_closures WHERE company_id = $1 ORDER BY day"
        )
        .bind(&company.0)
        .fetch_all(c)
        .await)?;
        rows.into_iter()
            .map(|(day, reason)| {
                let day = day
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("closure `{day}`: {e}")))?;
                Ok((day, reason))
            })
            .collect()
    }

    /// Closes days of a company's calendar (a day already closed keeps its
    /// first reason); returns how many were new.
    pub async fn add_closures(&self, company: &CompanyId, days: &[(jiff::civil::Date, String)]) -> Result<u64> {
        transaction!(self, |tx| {
            let mut added = 0;
            for (day, reason) in days {
                let done = sqlx::query(
                    "INSERT INTO company_closures (company_id, day, reason) VALUES ($1, $2, $3) \
                     ON CONFLICT (company_id, day) DO NOTHING",
                )
                .bind(&company.0)
                .bind(day.to_string())
                .bind(reason)
                .execute(&mut *tx)
                .await
                .map_err(constraint("company"))?;
                added += done.rows_affected();
            }
            added
        })
    }

    /// Opens a closed day again; false if it was not closed.
    pub async fn remove_closure(&self, company: &CompanyId, day: jiff::civil::Date) -> Result<bool> {
        let removed = write!(self, |c| sqlx::query(
            "DELETE FROM company_closures WHERE company_id = $1 AND day = $2"
        )
        .bind(&company.0)
        .bind(day.to_string())
        .execute(c)
        .await
        .map(|done| done.rows_affected()))?;
        Ok(removed == 1)
    }

    /// The customers a partner implemented (R4), by name.
    pub async fn implemented_by(&self, partner: &CompanyId) -> Result<Vec<CompanyRef>> {
        let rows: Vec<(String, String)> = read!(self, |c| sqlx::query_as(
            "SELECT id, name FROM companies WHERE implemented_by = $1 ORDER BY name"
        )
        .bind(&partner.0)
        .fetch_all(c)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| CompanyRef {
                id: CompanyId(id),
                name,
            })
            .collect())
    }
}
