//! Fides' page shape (fastapi-pagination): `page`/`size` in, `{items, total, page, size,
//! pages}` out, over a [`db::Page`] read in SQL.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Page request (fastapi-pagination): `page` ≥ 1 (default 1), `size` 1..100 (default 50).
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page.
    #[param(minimum = 1, default = 1)]
    pub page: Option<i64>,
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 50)]
    pub size: Option<i64>,
}

/// A page in Fides' shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FidesPage<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// All items.
    pub total: i64,
    /// This page (1-based).
    pub page: i64,
    /// Page size.
    pub size: i64,
    /// Number of pages.
    pub pages: i64,
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page.
    pub page: i64,
    /// 1..=100.
    pub size: i64,
}

impl PageQuery {
    /// Validates the query; the error names the parameter.
    pub fn parse(self) -> Result<PageRequest, (&'static str, &'static str)> {
        let page = self.page.unwrap_or(1);
        let size = self.size.unwrap_or(50);
        if page < 1 {
            return Err(("page", "Input should be greater than or equal to 1"));
        }
        if !(1..=100).contains(&size) {
            return Err(("size", "Input should be between 1 and 100"));
        }
        Ok(PageRequest { page, size })
    }
}

impl PageRequest {
    /// Items before this page (saturating: a page far past the end is simply empty).
    pub fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.size)
    }

    /// The rows this page reads.
    pub fn window(self) -> db::Window {
        db::Window::new(self.offset(), self.size)
    }
}

impl<T> FidesPage<T> {
    /// The Fides page of a page read in SQL.
    pub fn of(page: db::Page<T>, request: PageRequest) -> FidesPage<T> {
        FidesPage::new(page.items, page.total, request)
    }

    /// Wraps one page of `total` items.
    pub fn new(items: Vec<T>, total: i64, request: PageRequest) -> FidesPage<T> {
        FidesPage {
            items,
            total,
            page: request.page,
            size: request.size,
            pages: (total + request.size - 1) / request.size,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_far_past_the_end_is_empty_not_an_overflow() {
        let page =
            PageQuery { page: Some(i64::MAX - 1), size: Some(50) }.parse().unwrap_or(PageRequest { page: 1, size: 1 });
        assert_eq!(page.offset(), i64::MAX);
        assert_eq!(PageRequest { page: 3, size: 20 }.offset(), 40);
    }
}
