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
        // Read without a lock (a panic inside set_name holds it).
        let name = tcb.name.load();
        let name = if name.is_empty() { "<unnamed>" } else { name.as_str() };
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
