//! The README's "Use it from your tests" example, compiled and run as it is
//! written there: the text between the markers is the README's block, which
//! `the_readme_shows_this_example` checks.

// README example begins
use sca_sandbox::Sandbox;

#[tokio::test]
async fn my_shine_flow() {
    // 127.0.0.1 on a free port, the embedded default scenario (or
    // `.scenario_file("tests/fixtures/my-scenario.yaml")`); the port accepts
    // once start() returns.
    let sandbox = Sandbox::builder().start().await.unwrap();
    let base = format!("{}/shine", sandbox.base_url());
    // Time moves only when told.
    sandbox.clock().set_frozen(true);
    // ... drive your client against `base` ...
    assert!(base.starts_with("http://127.0.0.1:"));
    sandbox.clock().advance(chrono::TimeDelta::minutes(3)); // the request expires
    sandbox.shutdown().await; // or just drop the handle
}
// README example ends

#[test]
fn the_readme_shows_this_example() {
    let source = include_str!("readme.rs");
    let begin = "// README example begins\n";
    let start = source.find(begin).unwrap() + begin.len();
    let end = source.find("// README example ends").unwrap();
    let example = &source[start..end];
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(&format!("```rust\n{example}```")),
        "the README's example differs from tests/it/readme.rs"
    );
}
