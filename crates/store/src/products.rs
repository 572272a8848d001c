//! The product catalogue: products and their areas.

use guichet_domain::product::{AreaKey, Product, ProductArea, ProductKey};

use crate::error::constraint;
use crate::{Result, Store};

impl Store {
    /// Adds a product and its areas; `Conflict("product")` if the key is
    /// taken.
    pub async fn create_product(&self, product: &Product) -> Result<()> {
        transaction!(self, |tx| {
            let position: i32 = sqlx::query_scalar("SELECT COALESCE(MAX(sort_order), 0) + 1 FROM products")
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO products (key, name, sort_order) VALUES ($1, $2, $3)")
                .bind(product.key.as_str())
                .bind(&product.name)
                .bind(position)
                .execute(&mut *tx)
                .await
                .map_err(constraint("product"))?;
            for (position, area) in (1i32..).zip(&product.areas) {
                sqlx::query("INSERT INTO product_areas (product_key, key, name, sort_order) VALUES ($1, $2, $3, $4)")
                    .bind(product.key.as_str())
                    .bind(area.key.as_str())
                    .bind(&area.name)
                    .bind(position)
                    .execute(&mut *tx)
                    .await
                    .map_err(constraint("area"))?;
            }
        })?;
        Ok(())
    }

    /// Every product with its areas, in catalogue order.
    pub async fn products(&self) -> Result<Vec<Product>> {
        let products: Vec<(String, String)> = read!(self, |c| sqlx::query_as(
            "SELECT key, name FROM products ORDER BY sort_order, key"
        )
        .fetch_all(c)
        .await)?;
        let areas: Vec<(String, String, String)> = read!(self, |c| sqlx::query_as(
            "SELECT product_key, key, name FROM product_areas ORDER BY product_key, sort_order, key"
        )
        .fetch_all(c)
        .await)?;
        products
            .into_iter()
            .map(|(key, name)| {
                let areas = areas
                    .iter()
                    .filter(|(product, _, _)| *product == key)
                    .map(|(_, area, name)| {
                        Ok(ProductArea {
                            key: AreaKey::parse(area)?,
                            name: name.clone(),
                        })
                    })
                    .collect::<Result<_>>()?;
                Ok(Product {
                    key: ProductKey::parse(&key)?,
                    name,
                    areas,
                })
            })
            .collect()
    }
}
