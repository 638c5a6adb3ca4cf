//! Property tests of strand's start-up parsers and layouts (the library's own files, see
//! src/lib.rs), fed arbitrary input: none may panic (this crate's test build has overflow
//! checks on, as strand's dev builds do), malformed input must give a clear `Err`/`None`, and
//! whatever they accept must satisfy the invariants the rest of strand relies on. Where it is
//! simple, the result is also compared with the same arithmetic done in u128, which cannot
//! overflow, so that a `None` is only ever "does not fit".

use linux_raw_sys::auxvec as at;
use linux_raw_sys::elf::{Elf_Phdr, PT_GNU_STACK, PT_LOAD, PT_PHDR, PT_TLS};
use proptest::prelude::*;
use std::alloc::Layout;
use strand_check::startup::{Auxv, Program, StartupError, TlsSegment};
use strand_check::thread::layout::map_layout;
use strand_check::tls::{area_layout, AreaLayout, TlsAbi, TlsVariant};

fn config() -> ProptestConfig {
    // Each case is a few microseconds; regressions become unit tests in the source files.
    ProptestConfig { cases: 20_000, failure_persistence: None, ..ProptestConfig::default() }
}

/// Words that matter: small ones, powers of two and their neighbours, the edges of usize and
/// isize, and anything at all.
fn word() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..=64,
        (0u32..usize::BITS).prop_map(|s| 1usize << s),
        (0u32..usize::BITS, -2isize..=2).prop_map(|(s, d)| (1usize << s).wrapping_add_signed(d)),
        (usize::MAX - 64)..=usize::MAX,
        ((isize::MAX as usize) - 64)..=((isize::MAX as usize) + 64),
        any::<usize>(),
    ]
}

/// Mostly powers of two (what every alignment should be), sometimes anything.
fn align() -> impl Strategy<Value = usize> {
    prop_oneof![4 => (0u32..usize::BITS).prop_map(|s| 1usize << s), 1 => word()]
}

fn align_up(x: u128, a: u128) -> u128 {
    x.div_ceil(a) * a
}

const MAX: u128 = usize::MAX as u128;

// ---- Auxv::parse ----

fn auxv_key() -> impl Strategy<Value = usize> {
    let known = [
        at::AT_NULL,
        at::AT_PHDR,
        at::AT_PHENT,
        at::AT_PHNUM,
        at::AT_PAGESZ,
        at::AT_RANDOM,
        at::AT_HWCAP,
        at::AT_HWCAP2,
        at::AT_MINSIGSTKSZ,
    ]
    .map(|k| k as usize);
    prop_oneof![
        3 => proptest::sample::select(known.to_vec()),
        // A known key's low 32 bits under higher bits: not that key, not a terminator.
        1 => (proptest::sample::select(known.to_vec()), 1usize..=u32::MAX as usize)
            .prop_map(|(k, hi)| k | (hi << 32)),
        1 => word(),
    ]
}

fn auxv_value() -> impl Strategy<Value = usize> {
    prop_oneof![Just(4096usize), Just(std::mem::size_of::<Elf_Phdr>()), word()]
}

/// What the auxiliary vector means, from its definition: `(key, value)` words up to the first
/// whole-word AT_NULL key; the last value given for a key counts.
fn auxv_reference(words: &[usize]) -> Result<Auxv, StartupError> {
    let mut a = Auxv::default();
    let mut terminated = false;
    for pair in words.chunks_exact(2) {
        let (key, val) = (pair[0], pair[1]);
        if key == at::AT_NULL as usize {
            terminated = true;
            break;
        }
        let slot = match key {
            k if k == at::AT_PHDR as usize => &mut a.phdr,
            k if k == at::AT_PHENT as usize => &mut a.phent,
            k if k == at::AT_PHNUM as usize => &mut a.phnum,
            k if k == at::AT_PAGESZ as usize => &mut a.pagesz,
            k if k == at::AT_RANDOM as usize => &mut a.random,
            k if k == at::AT_HWCAP as usize => &mut a.hwcap,
            k if k == at::AT_HWCAP2 as usize => &mut a.hwcap2,
            k if k == at::AT_MINSIGSTKSZ as usize => &mut a.minsigstksz,
            _ => continue,
        };
        *slot = val;
    }
    if !terminated {
        return Err(StartupError::UnterminatedAuxv);
    }
    if !a.pagesz.is_power_of_two() {
        return Err(StartupError::BadPageSize(a.pagesz));
    }
    if a.phnum != 0 && a.phent != std::mem::size_of::<Elf_Phdr>() {
        return Err(StartupError::BadPhent(a.phent));
    }
    Ok(a)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn auxv_arbitrary_words(words in proptest::collection::vec(any::<usize>(), 0..40)) {
        prop_assert_eq!(Auxv::parse(&words), auxv_reference(&words));
    }

    #[test]
    fn auxv_structured(
        pairs in proptest::collection::vec((auxv_key(), auxv_value()), 0..24),
        terminate in any::<bool>(),
        odd_tail in proptest::option::of(any::<usize>()),
    ) {
        let mut words: Vec<usize> = pairs.iter().flat_map(|&(k, v)| [k, v]).collect();
        if terminate {
            words.extend([at::AT_NULL as usize, 0]);
        }
        words.extend(odd_tail);
        let got = Auxv::parse(&words);
        prop_assert_eq!(got, auxv_reference(&words));
        if let Ok(a) = got {
            prop_assert!(a.pagesz.is_power_of_two());
            prop_assert!(a.phnum == 0 || a.phent == std::mem::size_of::<Elf_Phdr>());
        }
    }
}

// ---- Program::scan ----

const PT_NULL: u32 = 0;

/// An `Elf_Phdr` that proptest can print when it reports a failing case.
#[derive(Clone, Copy, Debug)]
struct Phdr {
    p_type: u32,
    p_flags: u32,
    p_offset: usize,
    p_vaddr: usize,
    p_paddr: usize,
    p_filesz: usize,
    p_memsz: usize,
    p_align: usize,
}

impl Phdr {
    fn elf(&self) -> Elf_Phdr {
        Elf_Phdr {
            p_type: self.p_type,
            p_flags: self.p_flags,
            p_offset: self.p_offset,
            p_vaddr: self.p_vaddr,
            p_paddr: self.p_paddr,
            p_filesz: self.p_filesz,
            p_memsz: self.p_memsz,
            p_align: self.p_align,
        }
    }
}

fn phdr() -> impl Strategy<Value = Phdr> {
    let p_type = prop_oneof![
        1 => Just(PT_NULL),
        1 => Just(PT_LOAD),
        1 => Just(PT_PHDR),
        3 => Just(PT_TLS),
        1 => Just(PT_GNU_STACK),
        1 => any::<u32>(),
    ];
    (p_type, any::<u32>(), word(), word(), word(), word(), word(), align()).prop_map(
        |(p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz, extra, p_align)| Phdr {
            p_type,
            p_flags,
            p_offset,
            p_vaddr,
            p_paddr: extra,
            // Keep well-formed segments common: file size at most memory size.
            p_filesz: if extra % 2 == 0 { p_filesz.min(p_memsz) } else { p_filesz },
            p_memsz,
            p_align,
        },
    )
}

fn tls_is_valid(p: &Phdr) -> bool {
    let align = p.p_align.max(1);
    p.p_filesz <= p.p_memsz && align.is_power_of_two() && p.p_memsz <= isize::MAX as usize
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn program_scan(phdrs in proptest::collection::vec(phdr(), 0..8), phdr_addr in word()) {
        let elf: Vec<Elf_Phdr> = phdrs.iter().map(Phdr::elf).collect();
        let got = Program::scan(&elf, phdr_addr);
        let tls: Vec<&Phdr> = phdrs.iter().filter(|p| p.p_type == PT_TLS).collect();
        match tls.iter().find(|p| !tls_is_valid(p)) {
            Some(bad) => prop_assert_eq!(
                got,
                Err(StartupError::BadTls { filesz: bad.p_filesz, memsz: bad.p_memsz, align: bad.p_align })
            ),
            None => {
                let prog = got.expect("every PT_TLS is valid");
                let t = prog.tls;
                prop_assert!(t.align.is_power_of_two());
                prop_assert!(t.filesz <= t.memsz && t.memsz <= isize::MAX as usize);
                // PT_PHDR's, else the one the ELF header implies (no PT_PHDR: GNU ld's images), else 0.
                let bias = match phdrs.iter().find(|p| p.p_type == PT_PHDR) {
                    Some(p) => phdr_addr.wrapping_sub(p.p_vaddr),
                    None => strand_check::startup::reloc::header_bias(&elf, phdr_addr).unwrap_or(0),
                };
                match tls.last() {
                    Some(p) => prop_assert_eq!(t, TlsSegment {
                        image: p.p_vaddr.wrapping_add(bias),
                        filesz: p.p_filesz,
                        memsz: p.p_memsz,
                        align: p.p_align.max(1),
                    }),
                    None => prop_assert_eq!(t, TlsSegment { image: 0, filesz: 0, memsz: 0, align: 1 }),
                }
                // The last PT_GNU_STACK's size, capped at 8 MiB (it sizes every thread's stack).
                let stack = phdrs.iter().rev().find(|p| p.p_type == PT_GNU_STACK).map_or(0, |p| p.p_memsz);
                prop_assert_eq!(prog.stack_size, stack.min(8 << 20));
                prop_assert_eq!(strand_check::startup::MAX_DEFAULT_STACK_SIZE, 8 << 20);
            }
        }
    }
}

// ---- startup::reloc::relocate ----

mod reloc_image {
    use super::*;
    use linux_raw_sys::elf::{PF_R, PF_W, PT_DYNAMIC};
    use strand_check::startup::reloc::Image;

    pub const W: usize = std::mem::size_of::<usize>();
    /// Link-time layout: read-only [0, 0x1000) with the tables, writable [0x1000, 0x2000) with
    /// the data and PT_DYNAMIC at 0x1800.
    pub const DYNAMIC: usize = 0x1800;
    pub const TABLES: usize = 0x200;
    pub const RELATIVE: u32 = 8;

    /// An image that fails the test on any load outside its segments or store outside the
    /// writable one, and counts its stores. Byte-addressed: `Image` promises no alignment.
    pub struct Checked {
        pub bias: usize,
        pub bytes: Vec<u8>,
        pub stores: usize,
    }

    impl Checked {
        fn offset(&self, addr: usize, write: bool) -> usize {
            let off = addr.wrapping_sub(self.bias);
            assert!(off <= 0x2000 - W, "access at link-time {off:#x}, outside the image");
            assert!(!write || off >= 0x1000, "store at link-time {off:#x}, in the read-only segment");
            off
        }
        pub fn set(&mut self, vaddr: usize, word: usize) {
            self.bytes[vaddr..vaddr + W].copy_from_slice(&word.to_ne_bytes());
        }
    }

    impl Image for Checked {
        unsafe fn load(&self, addr: usize) -> usize {
            let off = self.offset(addr, false);
            usize::from_ne_bytes(self.bytes[off..off + W].try_into().unwrap())
        }
        unsafe fn store(&mut self, addr: usize, value: usize) {
            let off = self.offset(addr, true);
            self.bytes[off..off + W].copy_from_slice(&value.to_ne_bytes());
            self.stores += 1;
        }
    }

    pub fn headers(with_phdr: bool) -> Vec<Elf_Phdr> {
        let seg = |p_type, p_flags, p_vaddr, p_memsz| Elf_Phdr {
            p_type,
            p_flags,
            p_offset: p_vaddr,
            p_vaddr,
            p_paddr: p_vaddr,
            p_filesz: p_memsz,
            p_memsz,
            p_align: 8,
        };
        let mut hs = vec![
            seg(PT_LOAD, PF_R, 0, 0x1000),
            seg(PT_LOAD, PF_R | PF_W, 0x1000, 0x1000),
            seg(PT_DYNAMIC, PF_R | PF_W, DYNAMIC, 0x100),
        ];
        if with_phdr {
            hs.insert(0, seg(PT_PHDR, PF_R, 0x40, 0x100));
        }
        hs
    }
}

/// A dynamic tag: mostly the relocation ones, sometimes anything.
fn dyn_tag() -> impl Strategy<Value = usize> {
    use linux_raw_sys::elf::{DT_NULL, DT_REL, DT_RELA, DT_RELAENT, DT_RELASZ, DT_RELENT, DT_RELSZ};
    use strand_check::startup::reloc::{DT_JMPREL, DT_PLTREL, DT_PLTRELSZ, DT_RELR, DT_RELRENT, DT_RELRSZ};
    let known = vec![
        DT_NULL, DT_RELA, DT_RELASZ, DT_RELAENT, DT_REL, DT_RELSZ, DT_RELENT, DT_RELR, DT_RELRSZ, DT_RELRENT, DT_JMPREL,
        DT_PLTRELSZ, DT_PLTREL,
    ];
    prop_oneof![6 => proptest::sample::select(known), 1 => word()]
}

/// A dynamic value: a table address, a size or entry size that fits, or anything.
fn dyn_value() -> impl Strategy<Value = usize> {
    use reloc_image::{TABLES, W};
    prop_oneof![
        2 => (0usize..32).prop_map(|k| TABLES + k * W),
        2 => (0usize..24).prop_map(|k| k * W),
        1 => Just(7usize),
        1 => Just(17usize),
        1 => word(),
    ]
}

/// A table word: a target in either segment, an r_info with RELATIVE, NONE or another type, a
/// RELR bitmap, or anything.
fn table_word() -> impl Strategy<Value = usize> {
    use reloc_image::{RELATIVE, W};
    prop_oneof![
        3 => (0usize..0x2000 / W).prop_map(|k| k * W),
        2 => (0usize..4, prop_oneof![Just(RELATIVE), Just(0u32), any::<u32>()]).prop_map(|(sym, ty)| (sym << 32) | ty as usize),
        1 => any::<usize>().prop_map(|b| b | 1),
        1 => word(),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Whatever the dynamic section and tables say, `relocate` reads only inside the loaded
    /// segments, writes only inside the writable one, writes nothing when it reports that it
    /// cannot tell the bias or find the dynamic section (on other errors it applies what is
    /// well-formed, for the report's sake), and writes each relocation it counts once (a word
    /// may be relocated more than once).
    #[test]
    fn reloc_never_strays(
        entries in proptest::collection::vec((dyn_tag(), dyn_value()), 0..14),
        table in proptest::collection::vec(table_word(), 0..48),
        bias in prop_oneof![Just(0usize), (1usize..1 << 20).prop_map(|p| p << 12), word()],
        with_phdr in prop::bool::weighted(0.9),
    ) {
        use reloc_image::*;
        let mut image = Checked { bias, bytes: vec![0; 0x2000], stores: 0 };
        for (i, &w) in table.iter().enumerate() {
            image.set(TABLES + i * W, w);
        }
        for (i, &(tag, val)) in entries.iter().take(0x100 / (2 * W)).enumerate() {
            image.set(DYNAMIC + 2 * i * W, tag);
            image.set(DYNAMIC + (2 * i + 1) * W, val);
        }
        // SAFETY: `Checked` bounds-checks every access.
        let got = unsafe { strand_check::startup::reloc::relocate(&mut image, &headers(with_phdr), bias.wrapping_add(0x40), RELATIVE) };
        match got {
            Err(strand_check::startup::reloc::RelocError::NoPhdr | strand_check::startup::reloc::RelocError::DynamicOutside) => {
                prop_assert_eq!(image.stores, 0)
            }
            // `Checked` has asserted that every store stayed inside the writable segment.
            Err(_) => {}
            Ok(strand_check::startup::reloc::Outcome::Relocated { bias: b, count }) => {
                prop_assert_eq!(b, bias);
                prop_assert_eq!(image.stores, count);
            }
            Ok(other) => prop_assert!(false, "{:?} for an image with PT_DYNAMIC and no PT_INTERP", other),
        }
        if !with_phdr {
            prop_assert_eq!(got, Err(strand_check::startup::reloc::RelocError::NoPhdr));
        }
    }
}

// ---- tls::area_layout ----

fn abi() -> impl Strategy<Value = TlsAbi> {
    let variant = prop_oneof![Just(TlsVariant::I), Just(TlsVariant::II)];
    let small = prop_oneof![Just(0usize), Just(8), Just(16), Just(0x7000), 0usize..0x8000];
    (variant, prop_oneof![3 => small.clone(), 1 => word()], prop_oneof![3 => small, 1 => word()])
        .prop_map(|(variant, gap, bias)| TlsAbi { variant, gap, bias })
}

/// A TLS segment as `Program::scan` yields it (filesz <= memsz <= isize::MAX), with an alignment
/// that is sometimes not a power of two.
fn segment() -> impl Strategy<Value = TlsSegment> {
    (word(), word(), word(), align()).prop_map(|(image, a, b, align)| {
        let memsz = a.max(b).min(isize::MAX as usize);
        TlsSegment { image, filesz: a.min(b).min(memsz), memsz, align }
    })
}

/// The control block: a Rust type, so its size is a multiple of its alignment.
fn tcb() -> impl Strategy<Value = (usize, usize)> {
    (0u32..16, 0usize..64, any::<bool>(), word(), align()).prop_map(|(s, n, plain, size, align)| {
        if plain { (n << s, 1 << s) } else { (size, align) }
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn tls_area_layout(abi in abi(), seg in segment(), (tcb_size, tcb_align) in tcb()) {
        let got = area_layout(abi, &seg, tcb_size, tcb_align);
        if !seg.align.is_power_of_two() || !tcb_align.is_power_of_two() {
            prop_assert_eq!(got, None);
            return Ok(());
        }
        let (a, memsz, image) = (seg.align as u128, seg.memsz as u128, seg.image as u128);
        let align = a.max(tcb_align as u128);
        // The same placement in u128: Some exactly when it fits in usize.
        let want = match abi.variant {
            TlsVariant::II => {
                let block_len = memsz + ((a - (memsz + image) % a) % a);
                let tp = align_up(block_len, align);
                [tp + tcb_size as u128, tp, tp, tp - block_len]
            }
            TlsVariant::I => {
                let base = align_up(tcb_size as u128, align);
                let gap = abi.gap as u128 + (image + a - abi.gap as u128 % a) % a;
                [base + gap + memsz, base - tcb_size as u128, base + abi.bias as u128, base + gap]
            }
        };
        let fits = want.iter().all(|&v| v <= MAX);
        let Some(l) = got else {
            prop_assert!(!fits, "None although the layout fits: {:?}", want);
            return Ok(());
        };
        prop_assert!(fits);
        prop_assert_eq!([l.size, l.tcb, l.tp, l.block].map(|v| v as u128), want);
        prop_assert_eq!(l.align as u128, align);
        // Everything inside the area.
        prop_assert!(l.block as u128 + memsz <= l.size as u128);
        prop_assert!(l.tcb as u128 + tcb_size as u128 <= l.size as u128);
        // The block sits where the linker's TP-relative offsets expect it.
        prop_assert_eq!(l.block as u128 % a, image % a);
        if tcb_size % tcb_align == 0 {
            prop_assert_eq!(l.tcb % tcb_align, 0);
        }
        match abi.variant {
            TlsVariant::II => {
                // TP at the control block, aligned; the block right below it, no more padding
                // than the congruence needs.
                prop_assert_eq!(l.tp % l.align, 0);
                prop_assert_eq!(l.tcb, l.tp);
                prop_assert!(l.block as u128 + memsz <= l.tp as u128);
                prop_assert!((l.tp - l.block) as u128 - memsz < a);
            }
            TlsVariant::I => {
                // The control block ends at TP - bias, which is aligned; the block follows after
                // the ABI's gap, with no more padding than the congruence needs.
                let base = l.tp - abi.bias;
                prop_assert_eq!(base % l.align, 0);
                prop_assert_eq!(l.tcb + tcb_size, base);
                prop_assert!(l.block as u128 >= base as u128 + abi.gap as u128);
                prop_assert!((l.block as u128) - (base as u128) - (abi.gap as u128) < a);
            }
        }
    }
}

// ---- thread::layout::map_layout ----

fn packet() -> impl Strategy<Value = Layout> {
    (word(), 0u32..24).prop_map(|(size, s)| {
        let align = 1usize << s;
        // Layout's own limit: the size rounded up to the alignment fits in isize.
        Layout::from_size_align(size.min(isize::MAX as usize - (align - 1)), align).expect("a valid Layout")
    })
}

fn area() -> impl Strategy<Value = AreaLayout> {
    (word(), align()).prop_map(|(size, align)| AreaLayout { size, align, tcb: 0, tp: 0, block: 0 })
}

fn page() -> impl Strategy<Value = usize> {
    prop_oneof![4 => prop_oneof![Just(4096usize), Just(16384), Just(65536)], 1 => align()]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn thread_map_layout(page in page(), guard in word(), stack in word(), alt in prop_oneof![Just(0usize), word()], packet in packet(), area in area()) {
        let got = map_layout(page, guard, stack, alt, packet, &area);
        if !page.is_power_of_two() || page < 16 || !area.align.is_power_of_two() {
            prop_assert_eq!(got, None);
            return Ok(());
        }
        let pg = page as u128;
        let align_down = |x: u128, a: u128| x / a * a;
        let guard_len = align_up(guard as u128, pg);
        let alt_len = align_up(alt as u128, pg);
        let guard_at = if alt_len == 0 { 0 } else { pg + alt_len };
        let top = packet.size() as u128 + packet.align() as u128 - 1 + area.size as u128 + area.align as u128 - 1 + 15;
        let len = align_up(guard_at + guard_len + align_up(stack as u128, 16) + top, pg);
        let area_at = align_down(len - area.size as u128, area.align as u128);
        let packet_at = align_down(area_at - packet.size() as u128, packet.align() as u128);
        let stack_top = align_down(packet_at, 16);
        let origin_align = pg.max(packet.align() as u128).max(area.align as u128);
        let map_len = len + origin_align - pg;
        let Some(l) = got else {
            // (Sizes whose rounding overflows a usize also give None: map_len is then huge.)
            prop_assert!(map_len > isize::MAX as u128, "None although {} bytes fit", map_len);
            return Ok(());
        };
        prop_assert!(l.map_len <= isize::MAX as usize);
        prop_assert_eq!(
            [l.map_len, l.origin_align, l.guard_at, l.guard, l.alt_size, l.stack_top, l.packet, l.area].map(|v| v as u128),
            [map_len, origin_align, guard_at, guard_len, alt_len, stack_top, packet_at, area_at]
        );
        // The alternate stack, if any, sits on its own guard page at the origin, right below
        // the stack's guard.
        if alt_len != 0 {
            prop_assert_eq!((l.alt, l.alt + l.alt_size), (page, l.guard_at));
        }
        // The guard covers what was asked, in whole pages; the stack is at least as big as
        // asked and its top 16-byte aligned.
        prop_assert!(l.guard >= guard && l.guard % page == 0);
        prop_assert!(l.stack_top - (l.guard_at + l.guard) >= stack && l.stack_top % 16 == 0);
        // Packet and TLS area aligned, in order, not overlapping, packed against the end.
        prop_assert!(l.packet >= l.stack_top && l.packet % packet.align() == 0);
        prop_assert!(l.area >= l.packet + packet.size() && l.area % area.align == 0);
        prop_assert!(l.map_len - (l.origin_align - page) - (l.area + area.size) < area.align);
        // Aligning a page-aligned mmap result up to origin_align skips at most
        // origin_align - page bytes, and what follows still fits in map_len whole pages.
        prop_assert!(l.origin_align.is_power_of_two() && l.origin_align >= page);
        prop_assert!(l.origin_align >= packet.align() && l.origin_align >= area.align);
        prop_assert_eq!(l.map_len % page, 0);
        prop_assert!(l.area + area.size <= l.map_len - (l.origin_align - page));
    }
}
