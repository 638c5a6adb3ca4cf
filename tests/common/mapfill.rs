//! Fills the process's mapping count (`vm.max_map_count`) with one-page mappings, so that the
//! next mapping a spawn makes (or the split its guard page's `mprotect` makes) fails with ENOMEM.

use strand::arch::sys::general as g;
use strand::{syscall, Errno};

pub struct MapFill {
    /// The addresses of the pages, in a mapping of their own (no allocator).
    table: *mut usize,
    cap: usize,
    len: usize,
}

impl MapFill {
    /// The system's `vm.max_map_count`.
    pub fn max_map_count() -> Option<usize> {
        let mut buf = [0u8; 32];
        let text = syscall::read_file(c"/proc/sys/vm/max_map_count", &mut buf).ok()?;
        let text = text.trim_ascii();
        if text.is_empty() {
            return None;
        }
        text.iter().try_fold(0usize, |n, &c| n.checked_mul(10)?.checked_add((c as char).to_digit(10)? as usize))
    }

    /// Maps one page after another until `mmap` fails, and returns its error (`None` if
    /// `cap` pages all fitted). Neighbours get different protections so that the kernel
    /// cannot merge them into one mapping.
    pub fn fill(cap: usize) -> Result<(MapFill, Option<Errno>), Errno> {
        let bytes = cap * core::mem::size_of::<usize>();
        let table = syscall::mmap_anon(bytes, g::PROT_READ | g::PROT_WRITE, g::MAP_NORESERVE)? as *mut usize;
        let mut f = MapFill { table, cap, len: 0 };
        let page = strand::rt::page_size();
        while f.len < f.cap {
            let prot = if f.len % 2 == 0 { g::PROT_READ } else { g::PROT_NONE };
            match syscall::mmap_anon(page, prot, 0) {
                // SAFETY: len < cap: inside the table.
                Ok(p) => unsafe { f.table.add(f.len).write(p as usize) },
                Err(e) => return Ok((f, Some(e))),
            }
            f.len += 1;
        }
        Ok((f, None))
    }

    /// Unmaps the newest page; false if none is left.
    pub fn pop(&mut self) -> bool {
        if self.len == 0 {
            return false;
        }
        self.len -= 1;
        // SAFETY: one of our pages; nothing refers to it.
        let _ = unsafe { syscall::munmap(self.table.add(self.len).read() as *mut u8, strand::rt::page_size()) };
        true
    }
}

impl Drop for MapFill {
    fn drop(&mut self) {
        while self.pop() {}
        // SAFETY: our table; nothing uses it after this.
        let _ = unsafe { syscall::munmap(self.table as *mut u8, self.cap * core::mem::size_of::<usize>()) };
    }
}
