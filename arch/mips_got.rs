//! Relocating a static-pie's local GOT before any call: the one start-up step both MIPS files
//! share (`mips.rs`, o32, and `mips64.rs`, n64), word for word apart from the word size. Each
//! file's `_start` calls `relocate_local_got` first, and provides `got_failure`, the write and
//! exit it falls back on, whose instructions differ by ABI (`addiu` on o32, `daddiu` on n64).
//! Both files include this one as `mod got` with `#[macro_use]`, so that `got_failure_message!`
//! reaches their `got_failure`.

use super::{got_failure, sys};
use sys::elf::Elf_Phdr;

// The reads of the image before it is relocated, shared with 32-bit powerpc.
#[path = "pic_early.rs"]
mod early;

/// `DT_PLTGOT` (System V gABI, "Dynamic Section"): on mips the address of the GOT (MIPS psABI,
/// "Global Offset Table").
const DT_PLTGOT: usize = 3;
/// The number of local GOT entries, reserved ones included (MIPS psABI, "Dynamic Section";
/// 0x7000000a in glibc's elf.h and in readelf's output for lld's images).
const DT_MIPS_LOCAL_GOTNO: usize = 0x7000_000a;
/// The number of entries in the dynamic symbol table (MIPS psABI; 0x70000011).
const DT_MIPS_SYMTABNO: usize = 0x7000_0011;
/// The index of the first dynamic symbol with a (global) GOT entry: entries from
/// `DT_MIPS_LOCAL_GOTNO` on belong to symbols `DT_MIPS_GOTSYM..DT_MIPS_SYMTABNO` (MIPS psABI;
/// 0x70000013).
const DT_MIPS_GOTSYM: usize = 0x7000_0013;
/// GOT[0] is reserved for a lazy resolver (MIPS psABI, "Global Offset Table"); GOT[1] is
/// reserved too when its most significant bit is set (the GNU "module pointer" extension, which
/// lld follows: its GOT[1] is `1 << (word bits - 1)`, 0x80000000 in an o32 GOT and
/// 0x8000000000000000 in an n64 one). Neither holds an address of the image.
const GOT1_RESERVED: usize = 1 << (usize::BITS - 1);

/// What `relocate_local_got` says (with a newline) when it cannot go on. It has no other way to
/// say it: printing anything Rust-made would read an address from the GOT it failed to relocate.
macro_rules! got_failure_message {
    () => {
        "strand: start-up failed: cannot relocate this static-pie executable: its MIPS GOT cannot \
         be relocated by itself (no PT_PHDR, PT_DYNAMIC or the GOT outside its loaded segments, \
         DT_PLTGOT without DT_MIPS_LOCAL_GOTNO, or global GOT entries, which need a dynamic \
         loader)"
    };
}

/// Relocates a static-pie's local GOT entries, the relocations no table lists: a MIPS dynamic
/// loader adds the load bias to the first `DT_MIPS_LOCAL_GOTNO` entries of the GOT at
/// `DT_PLTGOT`, after the reserved ones, and sets the global entries that follow from their
/// symbols (MIPS psABI, "Global Offset Table"). lld gives a static-pie only local entries
/// (`DT_MIPS_GOTSYM` equals `DT_MIPS_SYMTABNO`: no symbol is global there); an image with global
/// entries is refused, as is one whose GOT lies outside its writable segments. The RELATIVE
/// relocations (R_MIPS_REL32 with no symbol) are left to `rt`'s generic relocation, which can
/// only run once the GOT is right: every call and every address in mips PIC code comes from it.
///
/// So this function is the one piece of Rust that runs with the GOT as the linker left it: it
/// calls nothing (`got_failure` and the helpers of `pic_early.rs` are always inlined; a call
/// would load its target from the GOT), uses no static and no literal (whose address would come
/// from the GOT too), keeps to `wrapping_*` arithmetic and raw reads (no panicking operation),
/// and tests keys with separate `if`s rather than a `match`, which LLVM may compile to a jump
/// table whose address it loads from the GOT (measured: the auxv `match` became one). Called
/// only by `_start`, with `$25` holding its address, and the kernel's initial stack pointer. It
/// does nothing for an image without PT_DYNAMIC (the ordinary static build), for one with
/// PT_INTERP (a loader has done it), and when the bias is 0.
#[inline(never)]
pub(super) unsafe extern "C" fn relocate_local_got(sp: *const usize) {
    use sys::elf::DT_NULL;
    const W: usize = core::mem::size_of::<usize>();
    // SAFETY: `_start` passes the kernel's initial stack pointer.
    let (phdr, phent, phnum) = unsafe { early::auxv_phdrs(sp) };
    if phdr == 0 || phnum == 0 {
        return;
    }
    if phent != core::mem::size_of::<Elf_Phdr>() || phdr % core::mem::align_of::<Elf_Phdr>() != 0 {
        got_failure();
    }
    let headers = phdr as *const Elf_Phdr;
    // SAFETY: AT_PHDR and AT_PHNUM describe mapped, aligned program headers (checked).
    let image = unsafe { early::image(headers, phnum) };
    let Some((dyn_vaddr, dyn_size)) = image.dynamic else { return };
    if image.interp {
        return;
    }
    let Some(phdr_vaddr) = image.phdr_vaddr else { got_failure() };
    let bias = phdr.wrapping_sub(phdr_vaddr);
    // SAFETY: reads the program headers, as above.
    if !unsafe { early::in_load(headers, phnum, dyn_vaddr, dyn_size, false) } || dyn_vaddr % W != 0 {
        got_failure();
    }
    let (mut got, mut local, mut gotsym, mut symtabno) = (None, None, 0usize, 0usize);
    let mut at = bias.wrapping_add(dyn_vaddr) as *const usize;
    let mut left = dyn_size / (2 * W);
    while left > 0 {
        // SAFETY: the entry lies inside PT_DYNAMIC, inside a loaded segment (checked), aligned.
        let (tag, val) = unsafe { (*at, *at.wrapping_add(1)) };
        if tag == DT_NULL {
            break;
        }
        if tag == DT_PLTGOT {
            got = Some(val);
        }
        if tag == DT_MIPS_LOCAL_GOTNO {
            local = Some(val);
        }
        if tag == DT_MIPS_GOTSYM {
            gotsym = val;
        }
        if tag == DT_MIPS_SYMTABNO {
            symtabno = val;
        }
        at = at.wrapping_add(2);
        left = left.wrapping_sub(1);
    }
    let (got, local) = match (got, local) {
        (None, None) => return,
        (Some(g), Some(l)) => (g, l),
        _ => got_failure(),
    };
    // SAFETY: reads the program headers, as above.
    if symtabno > gotsym
        || local > usize::MAX / W
        || got % W != 0
        || !unsafe { early::in_load(headers, phnum, got, local.wrapping_mul(W), true) }
    {
        got_failure();
    }
    if bias == 0 || local < 2 {
        return;
    }
    let entries = bias.wrapping_add(got) as *mut usize;
    // SAFETY: the GOT's first `local` entries lie inside a writable loaded segment (checked),
    // aligned, and nothing has read them yet.
    unsafe {
        let mut i = if *entries.wrapping_add(1) & GOT1_RESERVED != 0 { 2 } else { 1 };
        while i < local {
            let e = entries.wrapping_add(i);
            *e = (*e).wrapping_add(bias);
            i = i.wrapping_add(1);
        }
    }
}
