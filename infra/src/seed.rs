//! Reading the catalog's seed file: `CATALOG_PATH`, or the seed built into the binaries.

use std::path::Path;

use anyhow::Context;
use domain::Catalog;

/// The catalog in the seed file at `path`, or the built-in one when `path` is `None`.
pub fn load(path: Option<&Path>) -> anyhow::Result<Catalog> {
    match path {
        None => Catalog::builtin(),
        Some(path) => {
            let json = std::fs::read_to_string(path)
                .with_context(|| format!("Failed to read the catalog seed {}", path.display()))?;
            Catalog::from_json(&json).with_context(|| format!("In {}", path.display()))
        }
    }
}
