//! Start-up's reads of its own image before the image is relocated, for the files whose
//! position-independent code takes addresses from a table a static-pie must relocate before any
//! call: mips o32 and n64 (the GOT; `mips_got.rs`) and 32-bit powerpc (`.got2`;
//! `relocate_early` in `powerpc.rs`). Their relocation functions call nothing: a call, a
//! static's or a literal's address, and a jump table would each be loaded from that table. So
//! everything here is `#[inline(always)]`, uses no static, keeps to `wrapping_*` arithmetic and
//! raw reads (no panicking operation), and tests keys with separate `if`s rather than a
//! `match` (LLVM made a jump table of an auxv `match` on mips, measured).

use super::sys::auxvec::{AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM};
use super::sys::elf::{Elf_Phdr, PF_W, PT_DYNAMIC, PT_INTERP, PT_LOAD, PT_PHDR};

/// AT_PHDR, AT_PHENT and AT_PHNUM from the kernel's initial stack at `sp`, each 0 if absent.
///
/// # Safety
/// `sp` is the stack pointer the kernel entered `_start` with.
#[inline(always)]
pub(super) unsafe fn auxv_phdrs(sp: *const usize) -> (usize, usize, usize) {
    let (mut phdr, mut phent, mut phnum) = (0usize, 0usize, 0usize);
    // SAFETY: the kernel's initial stack: argc, argv and its NULL, envp up to its NULL, then
    // (key, value) pairs up to AT_NULL (System V ABI, "Process Initialization").
    unsafe {
        let mut p = sp.wrapping_add(1).wrapping_add(*sp).wrapping_add(1);
        while *p != 0 {
            p = p.wrapping_add(1);
        }
        p = p.wrapping_add(1);
        while *p != AT_NULL as usize {
            let (key, value) = (*p, *p.wrapping_add(1));
            if key == AT_PHDR as usize {
                phdr = value;
            }
            if key == AT_PHENT as usize {
                phent = value;
            }
            if key == AT_PHNUM as usize {
                phnum = value;
            }
            p = p.wrapping_add(2);
        }
    }
    (phdr, phent, phnum)
}

/// What the relocation needs from the program headers (link-time addresses).
pub(super) struct Image {
    /// PT_PHDR's `p_vaddr`: with AT_PHDR, it gives the load bias.
    pub phdr_vaddr: Option<usize>,
    /// PT_DYNAMIC's `p_vaddr` and `p_memsz`.
    pub dynamic: Option<(usize, usize)>,
    /// Whether there is a PT_INTERP (then a dynamic loader has relocated the image).
    pub interp: bool,
}

/// Reads PT_PHDR, PT_DYNAMIC and PT_INTERP from the `phnum` program headers at `headers`.
///
/// # Safety
/// `headers` points at `phnum` mapped, aligned program headers.
#[inline(always)]
pub(super) unsafe fn image(headers: *const Elf_Phdr, phnum: usize) -> Image {
    let mut image = Image { phdr_vaddr: None, dynamic: None, interp: false };
    let mut i = 0;
    while i < phnum {
        // SAFETY: `i < phnum` program headers, mapped and aligned (the caller's contract).
        let p = unsafe { &*headers.wrapping_add(i) };
        if p.p_type == PT_PHDR {
            image.phdr_vaddr = Some(p.p_vaddr);
        }
        if p.p_type == PT_DYNAMIC {
            image.dynamic = Some((p.p_vaddr, p.p_memsz));
        }
        if p.p_type == PT_INTERP {
            image.interp = true;
        }
        i = i.wrapping_add(1);
    }
    image
}

/// Whether `[vaddr, vaddr + len)` (link-time) lies inside one PT_LOAD segment, a writable one if
/// `write`: the test `rt`'s relocation makes (src/startup.rs), kept here in this form because
/// calling that one would go through the table not yet relocated.
///
/// # Safety
/// `headers` points at `phnum` mapped, aligned program headers.
#[inline(always)]
pub(super) unsafe fn in_load(headers: *const Elf_Phdr, phnum: usize, vaddr: usize, len: usize, write: bool) -> bool {
    let mut i = 0;
    while i < phnum {
        // SAFETY: `i < phnum` program headers, mapped and aligned (the caller's contract).
        let p = unsafe { &*headers.wrapping_add(i) };
        let start = vaddr.wrapping_sub(p.p_vaddr);
        if p.p_type == PT_LOAD
            && (!write || p.p_flags & PF_W != 0)
            && vaddr >= p.p_vaddr
            && start <= p.p_memsz
            && len <= p.p_memsz.wrapping_sub(start)
        {
            return true;
        }
        i = i.wrapping_add(1);
    }
    false
}
