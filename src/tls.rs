//! Static TLS: where a thread's TLS block and control block go relative to its thread pointer.
//! This module is the one home of the offset conventions; the arch files only state their
//! ABI's `TlsAbi`, and `thread::layout` places the whole area inside a thread's mapping.
//!
//! A thread's *TLS area* holds strand's control block (`thread::Tcb`) and its copy of the
//! executable's PT_TLS image (the *TLS block*). Offsets are from the area's start, which is
//! aligned to the larger of the TLS segment's and the Tcb's alignment. Addresses grow to the
//! right:
//!
//! ```text
//! Variant II (x86, s390x, sparc64):
//!   [pad][ TLS block ][ Tcb: abi_head (self ptr, canary, ...) | strand fields | abi_tail ]
//!                     ^block                  ^tcb == tp
//!   The block ends at TP (rounded to its alignment); the linker's TP offsets are negative.
//!
//! Variant I (aarch64, riscv, mips, powerpc):
//!   [ Tcb: abi_head | strand fields | abi_tail ][gap][ TLS block ]
//!   ^tcb                                        ^base             ^block
//!                                               TP = base + bias
//!   `base` is where the psABI's TCB ends; the block starts `gap` bytes above it (aarch64 16,
//!   arm 8, riscv and mips/powerpc 0), rounded so the block keeps the image's alignment. The
//!   thread pointer points `bias` bytes past `base` (0x7000 on mips, powerpc and m68k, so that
//!   signed 16-bit offsets reach 32 KiB of TLS on either side).
//! ```
//!
//! So from any thread pointer the Tcb is at the same offset (`tcb_offset_from_tp`): 0 in
//! variant II, `-(bias + size_of::<Tcb>())` in variant I, which makes `Tcb::current()` one
//! register read and one add. The words the psABIs define at fixed thread-pointer offsets (a
//! variant II header at TP; the powerpc canary just below `base`) are `Tcb::abi_head` and
//! `Tcb::abi_tail`, so strand's own fields never sit where compiled code looks
//! (`stack_guard` checks the canary slot at compile time).
//!
//! The arithmetic is pure so the host tests (and `check/`'s property tests) run it for every
//! variant.

use crate::startup::TlsSegment;

/// Static TLS layout parameters of an ABI (see the ELF TLS ABI, "ELF Handling For Thread-Local
/// Storage", Drepper, section 3.4). Each arch file states its own as `TLS`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::tls::{tcb_offset_from_tp, TlsAbi, TlsVariant};
/// // This ABI's parameters, as its arch file states them.
/// let abi: TlsAbi = strand::arch::TLS;
/// match abi.variant {
///     TlsVariant::II => assert_eq!(tcb_offset_from_tp(abi, 64), 0),
///     TlsVariant::I => assert_eq!(tcb_offset_from_tp(abi, 64), -((abi.bias + 64) as isize)),
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsAbi {
    /// Which side of the thread pointer the TLS block is on.
    pub variant: TlsVariant,
    /// Variant I: bytes between `base` (thread pointer - bias) and the first TLS block, before
    /// that block's own alignment is applied (aarch64 16, arm 8, riscv 0).
    pub gap: usize,
    /// Variant I: the thread pointer points this many bytes past `base` (0x7000 on mips,
    /// powerpc, m68k).
    pub bias: usize,
}

/// The two static TLS layouts of the ELF TLS ABI (see the module doc).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::tls::{TlsAbi, TlsVariant};
/// // aarch64's parameters: control block first, the block 16 bytes past its end.
/// let aarch64 = TlsAbi { variant: TlsVariant::I, gap: 16, bias: 0 };
/// assert_ne!(aarch64.variant, TlsVariant::II);
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsVariant {
    /// The thread control block sits at or below the thread pointer, the TLS block above it.
    I,
    /// The TLS block sits below the thread pointer, whose first word points at itself.
    II,
}

/// Where the parts of one thread's TLS area go: byte offsets from the area's start.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::startup::TlsSegment;
/// use strand::tls::{area_layout, TlsAbi, TlsVariant};
/// let x86_64 = TlsAbi { variant: TlsVariant::II, gap: 0, bias: 0 };
/// let seg = TlsSegment { image: 0x1000, filesz: 8, memsz: 24, align: 8 };
/// let l = area_layout(x86_64, &seg, 128, 64).unwrap();
/// // Variant II: the block ends at the thread pointer, where the control block starts.
/// assert_eq!((l.tp, l.tcb), (64, 64));
/// assert_eq!(l.block + 24, 64);
/// assert_eq!((l.size, l.align), (64 + 128, 64));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AreaLayout {
    /// Bytes the whole area needs.
    pub size: usize,
    /// The alignment the area's start needs.
    pub align: usize,
    /// Offset of the control block.
    pub tcb: usize,
    /// Offset the thread pointer points at.
    pub tp: usize,
    /// Offset of the TLS block (the copy of .tdata + .tbss).
    pub block: usize,
}

/// `x` rounded up to a multiple of `align`, which must be a power of two; `None` on
/// overflow.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::tls::align_up;
/// assert_eq!(align_up(13, 8), Some(16));
/// assert_eq!(align_up(16, 8), Some(16));
/// assert_eq!(align_up(usize::MAX, 8), None);
/// # }
/// ```
#[inline]
pub const fn align_up(x: usize, align: usize) -> Option<usize> {
    match x.checked_add(align - 1) {
        Some(v) => Some(v & !(align - 1)),
        None => None,
    }
}

/// Lays out a TLS area. `None` if the sizes overflow, or if `seg.align` or `tcb_align` is not a
/// power of two (`Program::scan` never yields such a segment).
///
/// The block is placed so that its address is congruent to the image's address modulo the
/// segment alignment, which is what the linker assumed when it computed TP-relative offsets
/// (musl does the same; with lld the image is aligned and this is plain rounding).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::startup::TlsSegment;
/// use strand::tls::{area_layout, TlsAbi, TlsVariant};
/// // mips: variant I, the thread pointer 0x7000 past the end of the control block.
/// let mips = TlsAbi { variant: TlsVariant::I, gap: 0, bias: 0x7000 };
/// let seg = TlsSegment { image: 0x4000, filesz: 4, memsz: 16, align: 16 };
/// let l = area_layout(mips, &seg, 100, 8).unwrap();
/// assert_eq!((l.tcb, l.block, l.tp), (12, 112, 112 + 0x7000));
/// assert_eq!(l.size, 112 + 16);
/// // A segment alignment that is no power of two is refused.
/// assert!(area_layout(mips, &TlsSegment { align: 3, ..seg }, 100, 8).is_none());
/// # }
/// ```
pub fn area_layout(abi: TlsAbi, seg: &TlsSegment, tcb_size: usize, tcb_align: usize) -> Option<AreaLayout> {
    let a = seg.align;
    if !a.is_power_of_two() || !tcb_align.is_power_of_two() {
        return None;
    }
    let align = a.max(tcb_align);
    match abi.variant {
        TlsVariant::II => {
            // [pad][block][Tcb]: TP at the Tcb, the block right below it.
            let misalign = 0usize.wrapping_sub(seg.memsz).wrapping_sub(seg.image) & (a - 1);
            let block_len = seg.memsz.checked_add(misalign)?;
            let tp = align_up(block_len, align)?;
            Some(AreaLayout { size: tp.checked_add(tcb_size)?, align, tcb: tp, tp, block: tp - block_len })
        }
        TlsVariant::I => {
            // [Tcb][base: TP - bias][gap][block]
            let base = align_up(tcb_size, align)?;
            let gap = abi.gap.checked_add(seg.image.wrapping_sub(abi.gap) & (a - 1))?;
            let block = base.checked_add(gap)?;
            Some(AreaLayout {
                size: block.checked_add(seg.memsz)?,
                align,
                tcb: base - tcb_size,
                tp: base.checked_add(abi.bias)?,
                block,
            })
        }
    }
}

/// Offset of the control block from the thread pointer, the same for every thread.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::tls::{tcb_offset_from_tp, TlsAbi, TlsVariant};
/// let powerpc64 = TlsAbi { variant: TlsVariant::I, gap: 0, bias: 0x7000 };
/// assert_eq!(tcb_offset_from_tp(powerpc64, 0x100), -0x7100);
/// # }
/// ```
pub const fn tcb_offset_from_tp(abi: TlsAbi, tcb_size: usize) -> isize {
    match abi.variant {
        TlsVariant::II => 0,
        TlsVariant::I => -((abi.bias + tcb_size) as isize),
    }
}

/// Copies the initialisation image into a TLS area at `area` and zeroes .tbss.
///
/// # Safety
/// `area` must point at `layout.size` writable bytes, and `seg.image` at `seg.filesz` readable
/// bytes (the executable's own PT_TLS image).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::startup::TlsSegment;
/// use strand::tls::{area_layout, init_block, TlsAbi, TlsVariant};
/// let image = [1u8, 2, 3, 4];
/// let seg = TlsSegment { image: image.as_ptr() as usize, filesz: 4, memsz: 8, align: 1 };
/// let abi = TlsAbi { variant: TlsVariant::II, gap: 0, bias: 0 };
/// let l = area_layout(abi, &seg, 16, 8).unwrap();
/// let mut area = [0xffu8; 64];
/// assert!(l.size <= area.len());
/// // SAFETY: `area` has `l.size` writable bytes; `image` has `filesz` readable ones.
/// unsafe { init_block(area.as_mut_ptr(), &l, &seg) };
/// assert_eq!(&area[l.block..l.block + 8], &[1, 2, 3, 4, 0, 0, 0, 0]);
/// # }
/// ```
pub unsafe fn init_block(area: *mut u8, layout: &AreaLayout, seg: &TlsSegment) {
    // SAFETY: per the function's contract; the image and the area never overlap.
    unsafe {
        let block = area.add(layout.block);
        core::ptr::copy_nonoverlapping(seg.image as *const u8, block, seg.filesz);
        core::ptr::write_bytes(block.add(seg.filesz), 0, seg.memsz - seg.filesz);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const X86_64: TlsAbi = TlsAbi { variant: TlsVariant::II, gap: 0, bias: 0 };
    const AARCH64: TlsAbi = TlsAbi { variant: TlsVariant::I, gap: 16, bias: 0 };
    const RISCV: TlsAbi = TlsAbi { variant: TlsVariant::I, gap: 0, bias: 0 };
    const MIPS: TlsAbi = TlsAbi { variant: TlsVariant::I, gap: 0, bias: 0x7000 };

    fn seg(image: usize, memsz: usize, align: usize) -> TlsSegment {
        TlsSegment { image, filesz: memsz / 2, memsz, align }
    }

    #[test]
    fn variant_ii_block_ends_at_tp() {
        let l = area_layout(X86_64, &seg(0x1000, 100, 64), 48, 16).unwrap();
        assert_eq!(l.align, 64);
        assert_eq!(l.tp % 64, 0);
        assert_eq!(l.tcb, l.tp);
        // The linker's offsets are -align_up(memsz, align) + offset-in-image.
        assert_eq!(l.tp - l.block, 128);
        assert_eq!(l.size, l.tp + 48);
        assert_eq!(tcb_offset_from_tp(X86_64, 48), 0);
    }

    #[test]
    fn variant_ii_page_aligned_and_empty() {
        let l = area_layout(X86_64, &seg(0x4000, 10, 4096), 48, 16).unwrap();
        assert_eq!((l.tp % 4096, l.tp - l.block, l.block % 4096), (0, 4096, 0));
        let l = area_layout(X86_64, &TlsSegment { image: 0, filesz: 0, memsz: 0, align: 1 }, 48, 16).unwrap();
        assert_eq!((l.tp, l.block, l.size), (0, 0, 48));
    }

    #[test]
    fn variant_ii_misaligned_image_keeps_congruence() {
        // An image at 8 mod 32: the block must sit at 8 mod 32 too.
        let l = area_layout(X86_64, &seg(0x1008, 40, 32), 48, 16).unwrap();
        assert_eq!(l.block % 32, 8);
        assert_eq!(l.tp % 32, 0);
        assert!(l.tp - l.block >= 40);
    }

    #[test]
    fn variant_i_gap_and_alignment() {
        let l = area_layout(AARCH64, &seg(0x2000, 100, 8), 48, 16).unwrap();
        assert_eq!(l.tp - l.tcb, 48);
        assert_eq!(l.block - l.tp, 16);
        assert_eq!(l.size, l.block + 100);
        // With 64-byte alignment the gap rounds up to 64 (aarch64 ELF ABI: TLS offset is
        // align_up(16, p_align)).
        let l = area_layout(AARCH64, &seg(0x2000, 100, 64), 48, 16).unwrap();
        assert_eq!((l.tp % 64, l.block - l.tp, l.block % 64), (0, 64, 0));
        assert_eq!(tcb_offset_from_tp(AARCH64, 48), -48);
    }

    #[test]
    fn variant_i_riscv_and_mips_bias() {
        let l = area_layout(RISCV, &seg(0x2000, 100, 4096), 48, 16).unwrap();
        assert_eq!((l.block, l.tp, l.tp % 4096), (4096, 4096, 0));
        let l = area_layout(MIPS, &seg(0x2000, 100, 16), 48, 16).unwrap();
        assert_eq!(l.tp - l.block, 0x7000);
        assert_eq!(tcb_offset_from_tp(MIPS, 48), -(0x7000 + 48));
        assert_eq!((l.tp as isize + tcb_offset_from_tp(MIPS, 48)) as usize, l.tcb);
    }

    #[test]
    fn overflow_is_none() {
        assert_eq!(area_layout(X86_64, &seg(0, usize::MAX - 8, 64), 48, 16), None);
        assert_eq!(area_layout(AARCH64, &seg(0, usize::MAX - 8, 64), 48, 16), None);
    }

    #[test]
    fn malformed_input_is_none_not_a_panic() {
        // Cases from the property tests (check/tests/parsers.rs): an alignment of 0 underflowed
        // `a - 1`, and a bias or gap near usize::MAX overflowed the thread pointer.
        let zero_align = TlsSegment { image: 0, filesz: 0, memsz: 8, align: 0 };
        assert_eq!(area_layout(X86_64, &zero_align, 48, 16), None);
        assert_eq!(area_layout(AARCH64, &seg(0, 8, 24), 48, 16), None);
        assert_eq!(area_layout(X86_64, &seg(0, 8, 8), 48, 0), None);
        let huge_bias = TlsAbi { variant: TlsVariant::I, gap: 0, bias: usize::MAX };
        assert_eq!(area_layout(huge_bias, &seg(0, 8, 8), 48, 16), None);
        let huge_gap = TlsAbi { variant: TlsVariant::I, gap: usize::MAX, bias: 0 };
        assert_eq!(area_layout(huge_gap, &seg(1, 8, 8), 48, 16), None);
    }
}
