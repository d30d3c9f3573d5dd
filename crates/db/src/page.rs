//! Paging in SQL, one way for every list: a [`Window`] (offset and limit) goes into the query,
//! a [`Page`] (the rows of the window and the total count) comes back. Each route keeps its own
//! wire shape (Fides' `{items, total, page, size, pages}`, the RoPA's `{items, total, limit,
//! offset}`, a plain array) built from a `Page`.

/// Which rows of a list to read: skip `offset`, read at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Rows before the window.
    pub offset: i64,
    /// Most rows in the window.
    pub limit: i64,
}

impl Window {
    /// The whole list (for lists whose routes do not page; still one query).
    pub const ALL: Window = Window { offset: 0, limit: i64::MAX };

    /// A window of `limit` rows after `offset`.
    pub fn new(offset: i64, limit: i64) -> Window {
        Window { offset: offset.max(0), limit: limit.max(0) }
    }
}

/// The rows of one window and how many rows the whole list has.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The window's rows, in list order.
    pub items: Vec<T>,
    /// Rows in the whole list.
    pub total: i64,
}

impl<T> Page<T> {
    /// The page with each item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), total: self.total }
    }

    /// The page with each item converted by a fallible `f` (a stored value that cannot be read
    /// fails the page).
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page { items: self.items.into_iter().map(f).collect::<Result<_, _>>()?, total: self.total })
    }
}
