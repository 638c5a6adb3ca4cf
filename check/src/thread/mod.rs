//! strand's pure `thread` files: the lifecycle decision (over the loom seam) and the mapping
//! layout.

#[path = "../../../src/thread/layout.rs"]
pub mod layout;
#[path = "../../../src/thread/lifecycle.rs"]
pub mod lifecycle;
