//! Points the embedded pages (`src/pages/`) at `web/dist`, the front end's build output, or,
//! when it has not been built, at a placeholder page that says how to build it, so the api
//! always compiles (clippy and the Rust tests do not need npm). `scripts/up.sh`,
//! `scripts/test.sh` and the Dockerfile build the front end before the api.

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dist = manifest.join("../web/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    println!("cargo:rerun-if-env-changed=WEB_DIST");
    let folder = if let Some(dir) = env::var_os("WEB_DIST") {
        PathBuf::from(dir)
    } else if dist.join("index.html").is_file() {
        dist
    } else {
        println!("cargo:warning=web/dist is not built: the api serves a placeholder page (cd web && npm ci && npm run build)");
        let placeholder = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default()).join("web-placeholder");
        fs::create_dir_all(&placeholder).unwrap_or_else(|e| panic!("creating {}: {e}", placeholder.display()));
        fs::write(
            placeholder.join("index.html"),
            "<!doctype html><title>Tickets</title><p>The pages are not built. Run <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>, then build the api again.</p>\n",
        )
        .unwrap_or_else(|e| panic!("writing the placeholder page: {e}"));
        placeholder
    };
    println!("cargo:rustc-env=WEB_DIST={}", folder.display());
}
