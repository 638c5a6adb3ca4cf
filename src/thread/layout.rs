//! Where things go inside one thread's mapping. From the low end:
//!
//! ```text
//! [slack][alt guard][alt stack ->|][guard (PROT_NONE)][stack, grows down ->|][packet: closure, then result][TLS area: Tcb + TLS block]
//! ```
//!
//! Overflowing the stack runs into the guard. The alternate signal stack, where the handler that
//! reports that overflow runs (`signal::fault`), has a guard page of its own below it, so a
//! handler overflowing it faults too instead of running into whatever is mapped below. The packet and the TLS area are packed against
//! the end of the mapping, so a new thread's first stack frames share their page: an idle
//! thread touches one page, not two. `slack` only exists when something needs an alignment
//! above the page size; the layout is then placed at the first aligned address.

use crate::tls::{align_up, AreaLayout};

const fn align_down(x: usize, align: usize) -> usize {
    x & !(align - 1)
}
use core::alloc::Layout;

/// Offsets from the layout's origin (the mapping's base plus any slack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapLayout {
    /// Bytes to map: everything plus the alignment slack.
    pub map_len: usize,
    /// The alignment the origin needs (at least the page size).
    pub origin_align: usize,
    /// The alternate signal stack: its lowest byte's offset and its size (0: none). Its guard is
    /// the page below it, at the origin.
    pub alt: usize,
    pub alt_size: usize,
    /// The stack's guard: its offset and size; the stack's lowest usable byte is right above.
    pub guard_at: usize,
    pub guard: usize,
    pub stack_top: usize,
    pub packet: usize,
    pub area: usize,
}

/// Lays out a thread mapping (`alt_size`: the alternate signal stack's bytes, 0 for none), or
/// `None` if the sizes overflow, if `area.align` is not a power
/// of two (`area_layout` never yields one), or if `page` is not a power of two of at least 16
/// bytes (the stack top's 16-byte alignment rests on the page alignment of the guard; every
/// Linux ABI has pages of 4 KiB or more).
pub fn map_layout(page: usize, guard: usize, stack: usize, alt_size: usize, packet: Layout, area: &AreaLayout) -> Option<MapLayout> {
    if !page.is_power_of_two() || page < 16 || !area.align.is_power_of_two() {
        return None;
    }
    let alt_size = align_up(alt_size, page)?;
    let guard_at = if alt_size == 0 { 0 } else { page.checked_add(alt_size)? };
    let guard = align_up(guard, page)?;
    // Room for the stack, then the packet and the area with the worst-case padding of their
    // alignments and of the stack top's 16.
    let top = (packet.size() + packet.align() - 1).checked_add(area.size)?.checked_add(area.align - 1 + 15)?;
    let len = align_up(guard_at.checked_add(guard)?.checked_add(align_up(stack, 16)?)?.checked_add(top)?, page)?;
    let area_at = align_down(len - area.size, area.align);
    let packet_at = align_down(area_at - packet.size(), packet.align());
    let stack_top = align_down(packet_at, 16);
    let origin_align = page.max(packet.align()).max(area.align);
    let map_len = len.checked_add(origin_align - page)?;
    // mmap takes lengths up to isize::MAX at most.
    if map_len > isize::MAX as usize {
        return None;
    }
    let alt = if alt_size == 0 { 0 } else { page };
    Some(MapLayout { map_len, origin_align, alt, alt_size, guard_at, guard, stack_top, packet: packet_at, area: area_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AREA: AreaLayout = AreaLayout { size: 200, align: 16, tcb: 128, tp: 128, block: 28 };

    #[test]
    fn ordinary_thread() {
        let l = map_layout(4096, 4096, 65536, 0, Layout::new::<[u64; 3]>(), &AREA).unwrap();
        assert_eq!(l.map_len, 4096 + 65536 + 4096);
        // Area at the very end (aligned), packet right below, stack top right below that.
        assert_eq!(l.area, l.map_len - 208);
        assert_eq!(l.packet, l.area - 24);
        assert_eq!(l.stack_top, l.packet - 8);
        assert_eq!((l.guard, l.origin_align, l.stack_top % 16), (4096, 4096, 0));
        assert!(l.stack_top - l.guard >= 65536);
        // Stack top, packet and area share the last page.
        assert_eq!(l.stack_top / 4096, (l.area + AREA.size - 1) / 4096);
    }

    #[test]
    fn alternate_stack_with_its_own_guard_below_the_guard() {
        let l = map_layout(4096, 4096, 65536, 16384, Layout::new::<[u64; 3]>(), &AREA).unwrap();
        assert_eq!(l.map_len, 4096 + 16384 + 4096 + 65536 + 4096);
        assert_eq!((l.alt, l.alt_size, l.guard_at, l.guard), (4096, 16384, 4096 + 16384, 4096));
        assert!(l.stack_top - (l.guard_at + l.guard) >= 65536);
        let l = map_layout(4096, 4096, 65536, 1, Layout::new::<u8>(), &AREA).unwrap();
        assert_eq!((l.alt, l.alt_size, l.guard_at), (4096, 4096, 8192));
    }

    #[test]
    fn odd_sizes_round_up() {
        let l = map_layout(4096, 1, 1000, 0, Layout::new::<u8>(), &AREA).unwrap();
        assert_eq!(l.guard, 4096);
        assert_eq!(l.map_len, 8192);
        assert!(l.stack_top - l.guard >= 1000 && l.stack_top % 16 == 0);
        let l = map_layout(4096, 0, 4096, 0, Layout::new::<u8>(), &AREA).unwrap();
        assert_eq!(l.guard, 0);
    }

    #[test]
    fn big_alignment_adds_slack() {
        let area = AreaLayout { size: 8192 + 64, align: 8192, tcb: 8192, tp: 8192, block: 0 };
        let l = map_layout(4096, 4096, 8192, 0, Layout::new::<u64>(), &area).unwrap();
        assert_eq!(l.origin_align, 8192);
        assert_eq!(l.area % 8192, 0);
        assert!(l.stack_top - l.guard >= 8192);
        // The mapping ends within one alignment unit of the area, plus the slack.
        assert!(l.map_len - 4096 - (l.area + area.size) < area.align);
    }

    #[test]
    fn bad_alignment_is_none_not_a_panic() {
        // From the property tests (check/tests/parsers.rs): a page size or area alignment of 0
        // underflowed `align - 1` in `align_up`, and a 1-byte page put the stack top at an odd
        // address.
        assert!(map_layout(0, 4096, 65536, 0, Layout::new::<u8>(), &AREA).is_none());
        assert!(map_layout(4095, 4096, 65536, 0, Layout::new::<u8>(), &AREA).is_none());
        assert!(map_layout(1, 1, 0, 0, Layout::new::<u8>(), &AREA).is_none());
        assert!(map_layout(8, 8, 64, 0, Layout::new::<u8>(), &AREA).is_none());
        let area = AreaLayout { align: 0, ..AREA };
        assert!(map_layout(4096, 4096, 65536, 0, Layout::new::<u8>(), &area).is_none());
    }

    #[test]
    fn overflow_is_none() {
        assert!(map_layout(4096, 4096, usize::MAX - 100, 0, Layout::new::<u8>(), &AREA).is_none());
        assert!(map_layout(4096, usize::MAX, 1, 0, Layout::new::<u8>(), &AREA).is_none());
        assert!(map_layout(4096, 4096, isize::MAX as usize, 0, Layout::new::<u8>(), &AREA).is_none());
    }
}
