//! strand's panic handler: one line naming the thread, then the process exits with 101 (a
//! panic in strand never unwinds).

use crate::io::FdWriter;
use crate::rt;
use crate::syscall;
use crate::thread::Tcb;
use core::fmt::Write;
use core::panic::PanicInfo;
use core::sync::atomic::Ordering::Relaxed;

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    let mut w = FdWriter::new(2);
    if rt::is_ready() {
        let tcb = Tcb::current();
        if tcb.panicking.swap(true, Relaxed) {
            let _ = syscall::write_all(2, b"thread panicked while processing a panic; exiting\n");
            syscall::exit_group(101);
        }
        // The name lock may be held by this very thread (a panic in set_name): don't block.
        let name = tcb.shared.try_lock().map(|s| s.name);
        let name = name.as_ref().map_or("<unknown>", |n| if n.is_empty() { "<unnamed>" } else { n.as_str() });
        let _ = write!(w, "thread '{}' (tid {}) panicked", name, tcb.tid());
    } else {
        let _ = write!(w, "thread '<start-up>' panicked");
    }
    match info.location() {
        Some(l) => {
            let _ = write!(w, " at {}:{}: ", l.file(), l.line());
        }
        None => {
            let _ = write!(w, ": ");
        }
    }
    let _ = writeln!(w, "{}", info.message());
    w.flush();
    syscall::exit_group(101)
}
