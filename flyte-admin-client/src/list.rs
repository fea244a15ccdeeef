//! Lists as streams: pages follow FlyteAdmin's decimal-offset token until a short page; a filter
//! builder writes FlyteAdmin's syntax.
//!
//! The token is an offset into the query, which FlyteAdmin runs again for every page. A row that
//! stops matching the filters between two pages (an execution filtered on `phase` that ends)
//! shifts the rest forward, so the next page skips one; without a sort, Postgres may also return
//! rows in another order from page to page. To page through rows that change, filter on what
//! does not change (names, creation time) and sort on a unique column, as
//! [`AdminClient::watch_executions`](crate::AdminClient::watch_executions) does.

use std::fmt;
use std::future::Future;

use flyteidl::flyteidl::admin::{sort, Sort};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::error::Result;

/// FlyteAdmin's filter expressions, joined with `+` (AND).
///
/// ```
/// use flyte_admin_client::Filters;
/// let f = Filters::new().eq("phase", "SUCCEEDED").value_in("launch_plan.name", ["a", "b"]);
/// assert_eq!(f.to_string(), "eq(phase,SUCCEEDED)+value_in(launch_plan.name,a;b)");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(Vec<String>);

impl Filters {
    /// No filters.
    pub fn new() -> Self {
        Filters::default()
    }

    fn push(mut self, func: &str, field: &str, value: String) -> Self {
        self.0.push(format!("{func}({field},{value})"));
        self
    }

    /// `field == value`.
    pub fn eq(self, field: &str, value: impl fmt::Display) -> Self {
        self.push("eq", field, value.to_string())
    }

    /// `field != value`.
    pub fn ne(self, field: &str, value: impl fmt::Display) -> Self {
        self.push("ne", field, value.to_string())
    }

    /// `field > value`.
    pub fn gt(self, field: &str, value: impl fmt::Display) -> Self {
        self.push("gt", field, value.to_string())
    }

    /// `field >= value`.
    pub fn gte(self, field: &str, value: impl fmt::Display) -> Self {
        self.push("gte", field, value.to_string())
    }

    /// `field < value`.
    pub fn lt(self, field: &str, value: impl fmt::Display) -> Self {
        self.push("lt", field, value.to_string())
    }

    /// `field <= value`.
    pub fn lte(self, field: &str, value: impl fmt::Display) -> Self {
        self.push("lte", field, value.to_string())
    }

    /// `field` contains `value` (SQL `LIKE %value%`).
    pub fn contains(self, field: &str, value: impl fmt::Display) -> Self {
        self.push("contains", field, value.to_string())
    }

    /// `field` is one of `values`.
    pub fn value_in<V: fmt::Display>(
        self,
        field: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let joined: Vec<String> = values.into_iter().map(|v| v.to_string()).collect();
        self.push("value_in", field, joined.join(";"))
    }

    /// `field` is none of `values`.
    pub fn value_not_in<V: fmt::Display>(
        self,
        field: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let joined: Vec<String> = values.into_iter().map(|v| v.to_string()).collect();
        self.push("value_not_in", field, joined.join(";"))
    }

    /// A raw expression in FlyteAdmin's syntax, e.g. flytectl's `--filter.fieldSelector` output.
    pub fn raw(mut self, expression: impl Into<String>) -> Self {
        self.0.push(expression.into());
        self
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A value that FlyteAdmin's parser would split: `+` separates expressions.
    pub(crate) fn problem(&self) -> Option<String> {
        self.0
            .iter()
            .find(|e| e.contains('+'))
            .map(|e| format!("filter {e:?} contains '+', which FlyteAdmin reads as a separator"))
    }
}

impl fmt::Display for Filters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("+"))
    }
}

/// Page size, filters and order of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListOptions {
    /// Items per request (default 100).
    pub page_size: u32,
    /// Filters.
    pub filters: Filters,
    /// Sort column and direction.
    pub sort: Option<(String, bool)>,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            page_size: 100,
            filters: Filters::default(),
            sort: None,
        }
    }
}

impl ListOptions {
    /// Defaults: pages of 100, no filters, FlyteAdmin's order.
    pub fn new() -> Self {
        ListOptions::default()
    }

    /// Items per request.
    #[must_use]
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n.max(1);
        self
    }

    /// Filters.
    #[must_use]
    pub fn filters(mut self, filters: Filters) -> Self {
        self.filters = filters;
        self
    }

    /// Sort by a column (e.g. `created_at`), newest first when `descending`.
    #[must_use]
    pub fn sort_by(mut self, column: impl Into<String>, descending: bool) -> Self {
        self.sort = Some((column.into(), descending));
        self
    }

    pub(crate) fn sort_pb(&self) -> Option<Sort> {
        self.sort.as_ref().map(|(key, desc)| Sort {
            key: key.clone(),
            direction: if *desc {
                sort::Direction::Descending
            } else {
                sort::Direction::Ascending
            } as i32,
        })
    }
}

/// A stream of pages; each page is fetched when the previous one has been taken.
pub(crate) fn pages<T, F, Fut>(fetch: F) -> BoxStream<'static, Result<Vec<T>>>
where
    T: Send + 'static,
    F: FnMut(String) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Vec<T>, String)>> + Send + 'static,
{
    stream::try_unfold(
        (fetch, Some(String::new())),
        |(mut fetch, token)| async move {
            let Some(token) = token else {
                return Ok(None);
            };
            let (items, next) = fetch(token).await?;
            // FlyteAdmin returns a token only after a full page; an empty page ends the list too.
            let next = (!next.is_empty() && !items.is_empty()).then_some(next);
            Ok(Some((items, (fetch, next))))
        },
    )
    .try_filter(|page| futures::future::ready(!page.is_empty()))
    .boxed()
}

/// The items of [`pages`], one at a time.
pub(crate) fn items<T: Send + 'static>(pages: BoxStream<'static, Result<Vec<T>>>) -> Listing<T> {
    Listing {
        pages,
        page: Vec::new().into_iter(),
    }
}

/// What every `list_*` call returns: a `Stream` of the items, fetching the next page only when
/// the current one has been taken, so memory holds one page however long the list.
/// [`Listing::pages`] gives the pages instead.
#[must_use = "streams do nothing unless polled"]
pub struct Listing<T> {
    pages: BoxStream<'static, Result<Vec<T>>>,
    page: std::vec::IntoIter<T>,
}

impl<T: Send + 'static> Listing<T> {
    /// A listing whose first item is this error (a request refused before it was sent).
    pub(crate) fn failed(error: crate::Error) -> Self {
        items(stream::once(futures::future::ready(Err(error))).boxed())
    }

    /// The pages as FlyteAdmin returns them, each non-empty. Items already taken from this
    /// listing are not repeated: the rest of the current page comes first.
    pub fn pages(self) -> BoxStream<'static, Result<Vec<T>>> {
        let rest: Vec<T> = self.page.collect();
        let head = (!rest.is_empty()).then_some(Ok(rest));
        stream::iter(head).chain(self.pages).boxed()
    }
}

// No field is structurally pinned: the page stream is boxed, the page a plain iterator.
impl<T> Unpin for Listing<T> {}

impl<T> futures::Stream for Listing<T> {
    type Item = Result<T>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<T>>> {
        loop {
            if let Some(item) = self.page.next() {
                return std::task::Poll::Ready(Some(Ok(item)));
            }
            match futures::ready!(self.pages.poll_next_unpin(cx)) {
                Some(Ok(page)) => self.page = page.into_iter(),
                Some(Err(e)) => return std::task::Poll::Ready(Some(Err(e))),
                None => return std::task::Poll::Ready(None),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.page.len(), None)
    }
}

impl<T> fmt::Debug for Listing<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listing")
            .field("buffered", &self.page.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_syntax() {
        let f = Filters::new()
            .eq("phase", "RUNNING")
            .gte("duration", 100)
            .contains("execution_name", "abc")
            .value_not_in("phase", ["FAILED", "ABORTED"]);
        assert_eq!(
            f.to_string(),
            "eq(phase,RUNNING)+gte(duration,100)+contains(execution_name,abc)+value_not_in(phase,FAILED;ABORTED)"
        );
        assert!(f.problem().is_none());
        assert!(Filters::new().eq("name", "a+b").problem().is_some());
    }

    #[tokio::test]
    async fn pages_follow_tokens_and_stop() -> Result<()> {
        let data: Vec<u32> = (0..7).collect();
        let s = pages(move |token: String| {
            let data = data.clone();
            async move {
                let offset: usize = token.parse().unwrap_or(0);
                let page: Vec<u32> = data.iter().skip(offset).take(3).copied().collect();
                let next = if page.len() == 3 {
                    (offset + 3).to_string()
                } else {
                    String::new()
                };
                Ok((page, next))
            }
        });
        let all: Vec<u32> = items(s).try_collect().await?;
        assert_eq!(all, (0..7).collect::<Vec<_>>());
        Ok(())
    }

    /// 100,000 items in pages of 100: a page is fetched only when the previous one is used up,
    /// so the listing never holds more than one page.
    #[tokio::test]
    async fn a_long_listing_holds_one_page_at_a_time() -> Result<()> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        const TOTAL: usize = 100_000;
        let fetches = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&fetches);
        let mut listing = items(pages(move |token: String| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move {
                let offset: usize = token.parse().unwrap_or(0);
                let page: Vec<usize> = (offset..TOTAL.min(offset + 100)).collect();
                let next = if page.len() == 100 {
                    (offset + 100).to_string()
                } else {
                    String::new()
                };
                Ok((page, next))
            }
        }));
        let mut seen = 0;
        while let Some(item) = listing.try_next().await? {
            assert_eq!(item, seen);
            seen += 1;
            assert_eq!(fetches.load(Ordering::SeqCst), seen.div_ceil(100));
            assert!(
                futures::Stream::size_hint(&listing).0 < 100,
                "at most one page buffered"
            );
        }
        assert_eq!(seen, TOTAL);
        // The last page is full, so one more request finds the end.
        assert_eq!(fetches.load(Ordering::SeqCst), TOTAL / 100 + 1);
        Ok(())
    }

    #[tokio::test]
    async fn pages_resume_after_taken_items() -> Result<()> {
        let make = || {
            items(pages(|token: String| async move {
                let offset: usize = token.parse().unwrap_or(0);
                let page: Vec<usize> = (offset..7.min(offset + 3)).collect();
                let next = if page.len() == 3 {
                    (offset + 3).to_string()
                } else {
                    String::new()
                };
                Ok((page, next))
            }))
        };
        let sizes: Vec<usize> = make().pages().map_ok(|p| p.len()).try_collect().await?;
        assert_eq!(sizes, [3, 3, 1]);
        let mut listing = make();
        assert_eq!(listing.try_next().await?, Some(0));
        let rest: Vec<Vec<usize>> = listing.pages().try_collect().await?;
        assert_eq!(rest, [vec![1, 2], vec![3, 4, 5], vec![6]]);
        Ok(())
    }
}
