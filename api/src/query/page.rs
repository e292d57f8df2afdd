//! A page of a list and where the next one starts: every list the api answers is one.

use serde::Serialize;

use super::params::encode_cursor;

/// A page: `{"items": [...], "nextCursor": "..."}`, the cursor absent on the last page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The items, in a stable order.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page of `limit` items from `items`, which were fetched as `limit + 1` so that one
    /// more tells whether another page follows; the cursor is `position` of the last item
    /// shown, encoded.
    pub fn of(mut items: Vec<T>, limit: usize, position: impl Fn(&T) -> String) -> Self {
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| encode_cursor(&position(last)))
        } else {
            None
        };
        Self { items, next_cursor }
    }

    /// The same page with every item turned into what is answered.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }

    /// A page with nothing on it.
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            next_cursor: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_item_more_than_the_limit_means_another_page() {
        let page = Page::of(vec![1, 2, 3, 4], 3, |n| n.to_string());
        assert_eq!(page.items, [1, 2, 3]);
        assert_eq!(page.next_cursor, Some(encode_cursor("3")));
        let last = Page::of(vec![1, 2, 3], 3, |n| n.to_string());
        assert_eq!((last.items.len(), last.next_cursor), (3, None));
        assert_eq!(Page::of(vec![7], 3, |n| n.to_string()).map(|n| n * 2).items, [14]);
    }
}
