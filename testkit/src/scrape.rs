//! Reading a `/metrics` page in Prometheus's text format.

/// The page at `url`; `None` while nothing listens there; panics on any answer but a 200
/// in the text format.
pub async fn scrape(url: &str) -> Option<String> {
    let response = reqwest::get(url).await.ok()?;
    assert_eq!(response.status(), 200, "GET {url}");
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    Some(response.text().await.unwrap())
}

/// The value of the series `name` with (at least) the labels `labels`, if the page has it.
pub fn sample(page: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    page.lines().filter(|line| !line.starts_with('#')).find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
        let has_all = labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
        (metric == name && has_all).then(|| value.parse().ok()).flatten()
    })
}
