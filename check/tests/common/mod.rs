//! What the loom models share: running one and saying how much it explored.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use strand_check::sync::atomic_wait;

/// Runs `f` under every interleaving loom reaches with at most `preemptions` forced thread
/// switches per execution (`None`: no bound), and prints how many executions that was (shown
/// with `--nocapture`), so that a model that stopped exploring does not pass unnoticed.
pub fn model(preemptions: Option<usize>, f: impl Fn() + Sync + Send + 'static) {
    model_with_early_returns(preemptions, 0, f)
}

/// `model`, with up to `early` untimed futex waits per execution allowed to return early (as
/// after a signal or a spurious wake-up; see strand_check::sync::atomic_wait). Each one loom may
/// take multiplies what it explores, so models ask for them where they are affordable. A model
/// that asks for them must take one in some execution, or it explored nothing new.
pub fn model_with_early_returns(preemptions: Option<usize>, early: u32, f: impl Fn() + Sync + Send + 'static) {
    let runs = Arc::new(AtomicUsize::new(0));
    let returned_early = Arc::new(AtomicUsize::new(0));
    let (counted, counted_early) = (runs.clone(), returned_early.clone());
    let mut b = loom::model::Builder::new();
    b.preemption_bound = preemptions;
    b.check(move || {
        counted.fetch_add(1, Relaxed);
        atomic_wait::allow_early_returns(early);
        f();
        if atomic_wait::early_returns_taken() > 0 {
            counted_early.fetch_add(1, Relaxed);
        }
    });
    let (n, e) = (runs.load(Relaxed), returned_early.load(Relaxed));
    let name = std::thread::current().name().unwrap_or("?").to_string();
    println!("{name}: {n} executions (preemption bound {preemptions:?}), {e} with an early return (at most {early} each)");
    assert!(n > 1, "{name}: loom explored a single execution");
    assert!(early == 0 || e > 0, "{name}: no futex wait ever returned early");
}
