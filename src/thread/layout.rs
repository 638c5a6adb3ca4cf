//! Where things go inside one thread's mapping. From the low end:
//!
//! ```text
//! [slack][guard (PROT_NONE)][stack, grows down ->|][packet: closure, then result][TLS area: Tcb + TLS block]
//! ```
//!
//! Overflowing the stack runs into the guard. `slack` only exists when something needs an
//! alignment above the page size; the layout is then placed at the first aligned address.

use crate::tls::{align_up, AreaLayout};
use core::alloc::Layout;

/// Offsets from the layout's origin (the mapping's base plus any slack).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapLayout {
    /// Bytes to map: everything plus the alignment slack.
    pub map_len: usize,
    /// The alignment the origin needs (at least the page size).
    pub origin_align: usize,
    pub guard: usize,
    pub stack_top: usize,
    pub packet: usize,
    pub area: usize,
}

/// Lays out a thread mapping, or `None` if the sizes overflow.
pub fn map_layout(page: usize, guard: usize, stack: usize, packet: Layout, area: &AreaLayout) -> Option<MapLayout> {
    let guard = align_up(guard, page)?;
    let stack_top = guard.checked_add(align_up(stack, 16)?)?;
    let packet_at = align_up(stack_top, packet.align())?;
    let area_at = align_up(packet_at.checked_add(packet.size())?, area.align)?;
    let len = align_up(area_at.checked_add(area.size)?, page)?;
    let origin_align = page.max(packet.align()).max(area.align);
    let map_len = len.checked_add(origin_align - page)?;
    // mmap takes lengths up to isize::MAX at most.
    if map_len > isize::MAX as usize {
        return None;
    }
    Some(MapLayout { map_len, origin_align, guard, stack_top, packet: packet_at, area: area_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AREA: AreaLayout = AreaLayout { size: 200, align: 16, tcb: 128, tp: 128, block: 28 };

    #[test]
    fn ordinary_thread() {
        let l = map_layout(4096, 4096, 65536, Layout::new::<[u64; 3]>(), &AREA).unwrap();
        assert_eq!((l.guard, l.stack_top, l.packet, l.area), (4096, 4096 + 65536, 4096 + 65536, 4096 + 65536 + 32));
        assert_eq!(l.map_len, 4096 + 65536 + 4096);
        assert_eq!(l.origin_align, 4096);
        assert_eq!(l.stack_top % 16, 0);
    }

    #[test]
    fn odd_sizes_round_up() {
        let l = map_layout(4096, 1, 1000, Layout::new::<u8>(), &AREA).unwrap();
        assert_eq!(l.guard, 4096);
        assert_eq!(l.stack_top, 4096 + 1008);
        assert_eq!(l.map_len % 4096, 0);
        let l = map_layout(4096, 0, 4096, Layout::new::<u8>(), &AREA).unwrap();
        assert_eq!(l.guard, 0);
    }

    #[test]
    fn big_alignment_adds_slack() {
        let area = AreaLayout { size: 8192 + 64, align: 8192, tcb: 8192, tp: 8192, block: 0 };
        let l = map_layout(4096, 4096, 8192, Layout::new::<u64>(), &area).unwrap();
        assert_eq!(l.origin_align, 8192);
        assert_eq!(l.area % 8192, 0);
        assert_eq!(l.map_len, align_up(l.area + area.size, 4096).unwrap() + 4096);
    }

    #[test]
    fn overflow_is_none() {
        assert!(map_layout(4096, 4096, usize::MAX - 100, Layout::new::<u8>(), &AREA).is_none());
        assert!(map_layout(4096, usize::MAX, 1, Layout::new::<u8>(), &AREA).is_none());
        assert!(map_layout(4096, 4096, isize::MAX as usize, Layout::new::<u8>(), &AREA).is_none());
    }
}
