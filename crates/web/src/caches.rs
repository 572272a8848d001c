//! Short-lived copies of what opening a case reads every time and what
//! rarely changes: the product catalogue and the analysts' loads. Each node
//! keeps its own; they are refreshed from the database after a few seconds.

use std::sync::Arc;
use std::time::{Duration, Instant};

use guichet_domain::escalation::{self, AnalystLoad};
use guichet_domain::product::{AreaKey, Product, ProductKey};
use guichet_domain::user::UserId;
use guichet_store::{Store, StoreError};
use tokio::sync::Mutex;

/// The catalogue changes when an administrator adds a product.
const PRODUCTS_FOR: Duration = Duration::from_secs(30);
/// Loads move with every case; a few seconds of drift between nodes only
/// shifts which of two equally busy analysts gets the next case.
const LOADS_FOR: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct Caches {
    products: Mutex<Option<(Instant, Arc<Vec<Product>>)>>,
    loads: Mutex<Option<(Instant, Vec<AnalystLoad>)>>,
}

impl Caches {
    pub async fn products(&self, store: &Store) -> Result<Arc<Vec<Product>>, StoreError> {
        let mut cached = self.products.lock().await;
        match &*cached {
            Some((at, products)) if at.elapsed() < PRODUCTS_FOR => Ok(products.clone()),
            _ => {
                let products = Arc::new(store.products().await?);
                *cached = Some((Instant::now(), products.clone()));
                Ok(products)
            }
        }
    }

    /// After a product is added here.
    pub async fn forget_products(&self) {
        *self.products.lock().await = None;
    }

    /// R12: the analyst a new case in `area` of `product` goes to; counts
    /// the case in their load at once, so a burst of cases spreads out.
    pub async fn route(
        &self,
        store: &Store,
        product: &ProductKey,
        area: &AreaKey,
    ) -> Result<Option<UserId>, StoreError> {
        let mut cached = self.loads.lock().await;
        let fresh = matches!(&*cached, Some((at, _)) if at.elapsed() < LOADS_FOR);
        if !fresh {
            *cached = Some((Instant::now(), store.analyst_loads().await?));
        }
        let (_, loads) = cached.as_mut().expect("just filled");
        let chosen = escalation::route(product, area, loads);
        if let Some(load) = chosen
            .as_ref()
            .and_then(|id| loads.iter_mut().find(|load| load.user == *id))
        {
            load.open_cases += 1;
        }
        Ok(chosen)
    }

    /// After assignments changed here (someone took or released a case).
    pub async fn forget_loads(&self) {
        *self.loads.lock().await = None;
    }
}
