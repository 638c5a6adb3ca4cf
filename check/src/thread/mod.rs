//! strand's pure `thread` files: the lifecycle decision and the stop-the-world protocol (over
//! the loom seam), the cancel decision, and the mapping layout; the park token.

#[path = "../../../src/thread/cancel_point.rs"]
pub mod cancel_point;
#[path = "../../../src/thread/layout.rs"]
pub mod layout;
#[path = "../../../src/thread/lifecycle.rs"]
pub mod lifecycle;
#[path = "../../../src/thread/park.rs"]
pub mod park;
#[path = "../../../src/thread/stop.rs"]
pub mod stop;
