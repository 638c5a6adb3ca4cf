//! What the loom models share: running one and saying how much it explored.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

/// Runs `f` under every interleaving loom reaches with at most `preemptions` forced thread
/// switches per execution (`None`: no bound), and prints how many executions that was (shown
/// with `--nocapture`), so that a model that stopped exploring does not pass unnoticed.
pub fn model(preemptions: Option<usize>, f: impl Fn() + Sync + Send + 'static) {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let mut b = loom::model::Builder::new();
    b.preemption_bound = preemptions;
    b.check(move || {
        counted.fetch_add(1, Relaxed);
        f()
    });
    let n = runs.load(Relaxed);
    let name = std::thread::current().name().unwrap_or("?").to_string();
    println!("{name}: {n} executions (preemption bound {preemptions:?})");
    assert!(n > 1, "{name}: loom explored a single execution");
}
