//! Reading what the kernel hands a new process: the initial stack (argc, argv, envp, auxv) and
//! the program headers. Pure parsing over slices, so the host tests (and fuzzers) can feed it
//! anything; `rt` does the unsafe reading of the real stack.

use crate::arch::sys::auxvec as at;
use crate::arch::sys::elf::{Elf_Phdr, PT_GNU_STACK, PT_PHDR, PT_TLS};

/// The auxiliary vector entries strand uses (man 3 getauxval).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let a = strand::rt::auxv();
/// assert_eq!(a.pagesz, strand::rt::page_size());
/// assert!(a.pagesz.is_power_of_two() && a.random != 0);
/// assert_eq!(a.phnum, strand::rt::program_headers().len());
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Auxv {
    /// Where the program headers are mapped (AT_PHDR).
    pub phdr: usize,
    /// The size of one program header (AT_PHENT).
    pub phent: usize,
    /// How many program headers there are (AT_PHNUM).
    pub phnum: usize,
    /// The page size (AT_PAGESZ).
    pub pagesz: usize,
    /// Address of 16 random bytes (AT_RANDOM).
    pub random: usize,
    /// The CPU feature bits (AT_HWCAP), in the ABI's own meaning.
    pub hwcap: usize,
    /// More CPU feature bits (AT_HWCAP2).
    pub hwcap2: usize,
    /// The kernel's minimum signal stack size, where the kernel reports one (AT_MINSIGSTKSZ).
    pub minsigstksz: usize,
}

/// Why what the kernel handed the process cannot be used.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::startup::{Auxv, StartupError};
/// // AT_PAGESZ is 6 and AT_NULL 0 on every Linux ABI (include/uapi/linux/auxvec.h).
/// assert_eq!(Auxv::parse(&[6, 4096]), Err(StartupError::UnterminatedAuxv));
/// assert_eq!(Auxv::parse(&[6, 3000, 0, 0]), Err(StartupError::BadPageSize(3000)));
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartupError {
    /// The auxiliary vector ran out before its AT_NULL terminator.
    UnterminatedAuxv,
    /// AT_PAGESZ is missing or not a power of two.
    BadPageSize(usize),
    /// AT_PHENT does not match this ABI's program header size.
    BadPhent(usize),
    /// A PT_TLS segment whose sizes or alignment make no sense.
    BadTls {
        /// The segment's p_filesz.
        filesz: usize,
        /// The segment's p_memsz.
        memsz: usize,
        /// The segment's p_align.
        align: usize,
    },
}

impl Auxv {
    /// Parses `(key, value)` words up to AT_NULL.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::startup::Auxv;
    /// // (AT_PAGESZ, 16384), an unknown key, then AT_NULL.
    /// let a = Auxv::parse(&[6, 16384, 0x1234, 7, 0, 0]).unwrap();
    /// assert_eq!(a.pagesz, 16384);
    /// assert_eq!(a.phnum, 0);
    /// # }
    /// ```
    pub fn parse(words: &[usize]) -> Result<Auxv, StartupError> {
        let mut a = Auxv::default();
        let mut pairs = words.chunks_exact(2);
        loop {
            let Some(&[key, val]) = pairs.next() else { return Err(StartupError::UnterminatedAuxv) };
            // Keys are whole words: one with bits above the low 32 is no key strand knows (it
            // must not be truncated into AT_NULL or AT_PAGESZ), so it is skipped.
            let Ok(key) = u32::try_from(key) else { continue };
            match key {
                at::AT_NULL => break,
                at::AT_PHDR => a.phdr = val,
                at::AT_PHENT => a.phent = val,
                at::AT_PHNUM => a.phnum = val,
                at::AT_PAGESZ => a.pagesz = val,
                at::AT_RANDOM => a.random = val,
                at::AT_HWCAP => a.hwcap = val,
                at::AT_HWCAP2 => a.hwcap2 = val,
                at::AT_MINSIGSTKSZ => a.minsigstksz = val,
                _ => {}
            }
        }
        if !a.pagesz.is_power_of_two() {
            return Err(StartupError::BadPageSize(a.pagesz));
        }
        if a.phnum != 0 && a.phent != core::mem::size_of::<Elf_Phdr>() {
            return Err(StartupError::BadPhent(a.phent));
        }
        Ok(a)
    }
}

/// The executable's PT_TLS segment, relocated to its run-time address.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::startup::Program;
/// let tls = Program::scan(strand::rt::program_headers(), strand::rt::auxv().phdr).unwrap().tls;
/// assert!(tls.filesz <= tls.memsz && tls.align.is_power_of_two());
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TlsSegment {
    /// Run-time address of the initialisation image (.tdata followed by .tbss).
    pub image: usize,
    /// Bytes of the image that come from the file (.tdata).
    pub filesz: usize,
    /// Bytes of the whole block (.tdata and the zeroed .tbss).
    pub memsz: usize,
    /// Always a power of two, at least 1.
    pub align: usize,
}

/// The largest default thread stack a PT_GNU_STACK size may ask for: 8 MiB, the bound musl puts
/// on the same request (`DEFAULT_STACK_MAX`, src/internal/pthread_impl.h). The default is mapped
/// for every thread that does not choose its own size, so a binary linked with
/// `-z stack-size=1G` gets 8 MiB stacks, not 1 GiB ones; `Builder::stack_size` is not limited.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::startup::{Program, MAX_DEFAULT_STACK_SIZE};
/// let p = Program::scan(strand::rt::program_headers(), strand::rt::auxv().phdr).unwrap();
/// assert!(p.stack_size <= MAX_DEFAULT_STACK_SIZE);
/// # }
/// ```
pub const MAX_DEFAULT_STACK_SIZE: usize = 8 << 20;

/// What strand needs from the program headers.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// use strand::startup::Program;
/// let p = Program::scan(strand::rt::program_headers(), strand::rt::auxv().phdr).unwrap();
/// assert!(p.tls.align.is_power_of_two());
/// // With no program headers there is no TLS segment and no requested stack size.
/// let empty = Program::scan(&[], 0).unwrap();
/// assert_eq!((empty.tls.memsz, empty.tls.align, empty.stack_size), (0, 1, 0));
/// # }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Program {
    /// The PT_TLS segment (all zero sizes, alignment 1, if there is none).
    pub tls: TlsSegment,
    /// The default thread stack size the linker was asked for (PT_GNU_STACK's p_memsz, from
    /// `-z stack-size`), capped at [`MAX_DEFAULT_STACK_SIZE`]; 0 if none was.
    pub stack_size: usize,
    /// The run-time address of the `.eh_frame_hdr` section (PT_GNU_EH_FRAME), where the unwinder
    /// finds the call-frame information of every function; 0 if the image has none.
    pub eh_frame_hdr: usize,
}

/// The program header of `.eh_frame_hdr`: `PT_LOOS + 0x474e550` (include/uapi/linux/elf.h; not
/// in linux-raw-sys's `elf` module).
pub const PT_GNU_EH_FRAME: u32 = 0x6474_e550;

/// How far the image was moved from its link-time addresses: `AT_PHDR` minus PT_PHDR's
/// `p_vaddr`. An image without PT_PHDR (GNU ld writes it only next to a PT_INTERP, so neither
/// its static-pie nor its static executable has one) gets [`reloc::header_bias`]: for a
/// static-pie start-up has checked it against the ELF header before relocating, and for an
/// executable at its link address (no PT_DYNAMIC) it is 0. `None` if that finds nothing either
/// (then nothing says where the headers were meant to be; for a non-PIE executable the bias is
/// 0).
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let phdrs = strand::rt::program_headers();
/// // No program headers: nothing says where the image was meant to be.
/// assert_eq!(strand::startup::load_bias(&[], 0x1000), None);
/// if let Some(bias) = strand::startup::load_bias(phdrs, strand::rt::auxv().phdr) {
///     strand::println!("loaded {bias:#x} bytes from its link address");
/// }
/// # }
/// ```
pub fn load_bias(phdrs: &[Elf_Phdr], phdr_addr: usize) -> Option<usize> {
    match phdrs.iter().find(|p| p.p_type == PT_PHDR) {
        Some(p) => Some(phdr_addr.wrapping_sub(p.p_vaddr)),
        None => reloc::header_bias(phdrs, phdr_addr),
    }
}

impl Program {
    /// Scans the program headers. `phdr_addr` is where the kernel says they are mapped (AT_PHDR):
    /// with a PT_PHDR entry that gives the load bias, so static-pie images work too.
    pub fn scan(phdrs: &[Elf_Phdr], phdr_addr: usize) -> Result<Program, StartupError> {
        let bias = load_bias(phdrs, phdr_addr).unwrap_or(0);
        let mut prog = Program { tls: TlsSegment { align: 1, ..TlsSegment::default() }, stack_size: 0, eh_frame_hdr: 0 };
        for p in phdrs {
            match p.p_type {
                PT_TLS => {
                    let align = p.p_align.max(1);
                    if p.p_filesz > p.p_memsz || !align.is_power_of_two() || p.p_memsz > isize::MAX as usize {
                        return Err(StartupError::BadTls { filesz: p.p_filesz, memsz: p.p_memsz, align: p.p_align });
                    }
                    prog.tls = TlsSegment {
                        image: p.p_vaddr.wrapping_add(bias),
                        filesz: p.p_filesz,
                        memsz: p.p_memsz,
                        align,
                    };
                }
                PT_GNU_STACK => prog.stack_size = p.p_memsz.min(MAX_DEFAULT_STACK_SIZE),
                PT_GNU_EH_FRAME if p.p_memsz > 0 => prog.eh_frame_hdr = p.p_vaddr.wrapping_add(bias),
                _ => {}
            }
        }
        Ok(prog)
    }
}

/// A static-pie executable relocating itself: applying the RELATIVE relocations its dynamic
/// section lists, as a dynamic loader would, before anything reads a pointer stored in the image.
///
/// This code runs while every such pointer is still unrelocated (0, or the link-time address),
/// so it must not use one: no statics that hold addresses, no string or function tables, no
/// trait objects (vtables), no panics or formatting (both read location and argument records),
/// and no calls into `core` that the compiler may leave out of line, because in a PIE a call to
/// another crate's function can go through a GOT entry (measured: at opt-level 1 an array
/// iterator's `next` called `IndexRange::len` through the GOT, before relocation: a jump to 0).
/// So it is written with `while` loops, slice patterns, `wrapping_*` arithmetic
/// (`#[inline(always)]`) and `match`, and keeps its own types: only code instantiated in strand
/// itself is called. (Debug builds add null and alignment checks to raw-pointer reads, whose
/// failure branches call `core`'s panic functions through the GOT; the bounds checks here rule
/// a null or misaligned read out first, and it would be undefined behaviour anyway.) It reads
/// and writes the image only through [`Image`](crate::startup::reloc::Image), which the host tests
/// implement over a synthetic image and `rt` over the running one; it checks everything it reads
/// before acting on it, and checks the whole list before changing the first word.
///
/// An image it cannot relocate completely is still relocated as far as its tables allow (every
/// well-formed RELATIVE entry whose target is writable) before the error is returned, and start-up
/// then reports it and exits. Not for the image's sake: the report itself reads addresses (its
/// texts'), and where compiled code loads every address from a GOT entry, which a static-pie's
/// RELATIVE relocations fill in (LLVM's sparc64 PIC code does, through `%got22`/`%got10`, even for
/// local data), an unrelocated GOT would point the report at nothing (measured: a SIGSEGV instead
/// of the message).
pub mod reloc {
    use crate::arch::sys::elf::{
        Elf_Ehdr, Elf_Phdr, DT_NULL, DT_REL, DT_RELA, DT_RELAENT, DT_RELASZ, DT_RELENT, DT_RELSZ, ELFMAG, PF_W,
        PT_DYNAMIC, PT_INTERP, PT_LOAD, PT_PHDR,
    };

    const W: usize = core::mem::size_of::<usize>();

    // Dynamic tags linux_raw_sys does not name (System V gABI, "Dynamic Section"; the DT_RELR
    // tags joined the gABI in 2022 with these numbers, as in glibc's and LLVM's elf.h).
    /// Size in bytes of the PLT relocation table.
    pub const DT_PLTRELSZ: usize = 2;
    /// Whether the PLT relocations are REL or RELA entries.
    pub const DT_PLTREL: usize = 20;
    /// Address of the PLT relocation table.
    pub const DT_JMPREL: usize = 23;
    /// Size in bytes of the RELR table.
    pub const DT_RELRSZ: usize = 35;
    /// Address of the RELR table (compact RELATIVE relocations).
    pub const DT_RELR: usize = 36;
    /// Size of one RELR entry (a word).
    pub const DT_RELRENT: usize = 37;

    /// Type 0 is `R_*_NONE`, "no relocation", in each psABI strand supports.
    const R_NONE: u32 = 0;

    /// Word access to the image at run-time addresses.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::startup::reloc::{relocate, Image, Outcome};
    /// /// A copy of an image in a buffer, at run-time address `base`.
    /// struct Buf<'a> { base: usize, bytes: &'a mut [u8] }
    /// impl Image for Buf<'_> {
    ///     unsafe fn load(&self, addr: usize) -> usize {
    ///         let at = addr - self.base;
    ///         usize::from_ne_bytes(self.bytes[at..at + size_of::<usize>()].try_into().unwrap())
    ///     }
    ///     unsafe fn store(&mut self, addr: usize, value: usize) {
    ///         let at = addr - self.base;
    ///         self.bytes[at..at + size_of::<usize>()].copy_from_slice(&value.to_ne_bytes());
    ///     }
    /// }
    /// let mut bytes = [0u8; 64];
    /// let mut image = Buf { base: 0x1000, bytes: &mut bytes };
    /// // SAFETY: both addresses lie inside the buffer.
    /// unsafe { image.store(0x1008, 42) };
    /// assert_eq!(unsafe { image.load(0x1008) }, 42);
    /// // No program headers, so no PT_DYNAMIC: nothing to relocate, and the image is not touched.
    /// // SAFETY: `image` gives access to the (empty) image the headers describe.
    /// let r = unsafe { relocate(&mut image, &[], 0x1000, strand::arch::R_RELATIVE) };
    /// assert_eq!(r, Ok(Outcome::NotDynamic));
    /// # use core::mem::size_of;
    /// # }
    /// ```
    pub trait Image {
        /// Reads the word at `addr` (no alignment required).
        ///
        /// # Safety
        /// `addr..addr + size_of::<usize>()` lies inside a mapped PT_LOAD segment.
        unsafe fn load(&self, addr: usize) -> usize;
        /// Writes the word at `addr` (no alignment required).
        ///
        /// # Safety
        /// `addr..addr + size_of::<usize>()` lies inside a mapped, writable PT_LOAD segment that
        /// nothing reads yet.
        unsafe fn store(&mut self, addr: usize, value: usize);
    }

    /// What [`relocate`] found.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::startup::reloc::{relocate, Image, Outcome};
    /// struct Untouched;
    /// impl Image for Untouched {
    ///     unsafe fn load(&self, _: usize) -> usize { unreachable!() }
    ///     unsafe fn store(&mut self, _: usize, _: usize) { unreachable!() }
    /// }
    /// // SAFETY: with no PT_DYNAMIC the image is never read.
    /// assert_eq!(unsafe { relocate(&mut Untouched, &[], 0, 8) }, Ok(Outcome::NotDynamic));
    /// # }
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Outcome {
        /// No PT_DYNAMIC: an ordinary static executable, linked at the address it runs at.
        NotDynamic,
        /// A PT_INTERP: a dynamic loader ran before `_start` and has relocated the image (doing
        /// it again would add the bias twice to REL and RELR targets).
        ByInterpreter,
        /// `count` RELATIVE relocations applied with load bias `bias`.
        Relocated {
            /// The load bias: run-time address minus link-time address.
            bias: usize,
            /// How many relocations were applied.
            count: usize,
        },
    }

    /// Why an image cannot be relocated. Tags name the dynamic entry at fault (`DT_*`).
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::startup::reloc::{relocate, Image, RelocError};
    /// use linux_raw_sys::elf::{Elf_Phdr, PT_DYNAMIC};
    /// struct Untouched;
    /// impl Image for Untouched {
    ///     unsafe fn load(&self, _: usize) -> usize { unreachable!() }
    ///     unsafe fn store(&mut self, _: usize, _: usize) { unreachable!() }
    /// }
    /// // A PT_DYNAMIC with neither PT_PHDR nor an ELF header before the headers: no load bias.
    /// // SAFETY: `Elf_Phdr` is plain integers; all zero is a valid value.
    /// let mut dynamic: Elf_Phdr = unsafe { core::mem::zeroed() };
    /// dynamic.p_type = PT_DYNAMIC;
    /// // SAFETY: the image is never read, since no PT_LOAD maps the headers.
    /// let r = unsafe { relocate(&mut Untouched, &[dynamic], 0x40, 8) };
    /// assert_eq!(r, Err(RelocError::NoPhdr));
    /// # }
    /// ```
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum RelocError {
        /// PT_DYNAMIC but neither PT_PHDR nor an ELF header right before the program headers
        /// ([`header_bias`]): nothing says where the image was meant to be loaded.
        NoPhdr,
        /// PT_DYNAMIC lies outside every PT_LOAD segment.
        DynamicOutside,
        /// The table that `tag` points at lies (partly) outside every PT_LOAD segment.
        TableOutside {
            /// The dynamic tag of the table's address.
            tag: usize,
        },
        /// A table has an address but no size, or a size but no address; `tag` is the missing one.
        Incomplete {
            /// The dynamic tag that is missing.
            tag: usize,
        },
        /// DT_RELAENT, DT_RELENT or DT_RELRENT gives an entry size this ABI does not have.
        BadEntrySize {
            /// The dynamic tag of the entry size.
            tag: usize,
            /// The entry size it gives.
            size: usize,
        },
        /// A table size (DT_RELASZ, DT_RELSZ, DT_RELRSZ, DT_PLTRELSZ) that is no whole number of
        /// entries.
        BadTableSize {
            /// The dynamic tag of the table size.
            tag: usize,
            /// The size it gives, in bytes.
            size: usize,
        },
        /// DT_PLTREL is neither DT_REL nor DT_RELA.
        BadPltRel {
            /// The value DT_PLTREL gives.
            value: usize,
        },
        /// A relocation of a type other than NONE and this ABI's RELATIVE (a symbol reference,
        /// IRELATIVE, TLS): a static-pie that needs a dynamic loader.
        Unsupported {
            /// The relocation's type number.
            r_type: u32,
            /// Its target's link-time address (`r_offset`).
            offset: usize,
        },
        /// A relocation whose target is not inside a writable PT_LOAD segment (a text
        /// relocation, or garbage).
        TargetNotWritable {
            /// The target's link-time address (`r_offset`).
            offset: usize,
        },
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Format {
        /// `{r_offset, r_info}`: the addend is the word at the target.
        Rel,
        /// `{r_offset, r_info, r_addend}`.
        Rela,
        /// Packed relative relocations: address words and bitmap words.
        Relr,
    }

    impl Format {
        fn entry_size(self) -> usize {
            match self {
                Format::Rel => 2 * W,
                Format::Rela => 3 * W,
                Format::Relr => W,
            }
        }
    }

    /// One relocation table as the dynamic section describes it.
    struct Table {
        format: Format,
        /// The DT_* tags of its address, size and entry size, for errors.
        addr_tag: usize,
        size_tag: usize,
        ent_tag: usize,
        addr: Option<usize>,
        size: Option<usize>,
        ent: Option<usize>,
    }

    impl Table {
        fn new(format: Format, addr_tag: usize, size_tag: usize, ent_tag: usize) -> Table {
            Table { format, addr_tag, size_tag, ent_tag, addr: None, size: None, ent: None }
        }
    }

    /// Whether `[vaddr, vaddr + len)` (link-time addresses) lies inside a PT_LOAD segment,
    /// a writable one if `write`.
    fn in_load(mut phdrs: &[Elf_Phdr], vaddr: usize, len: usize, write: bool) -> bool {
        while let [p, rest @ ..] = phdrs {
            let start = vaddr.wrapping_sub(p.p_vaddr);
            if p.p_type == PT_LOAD
                && (!write || p.p_flags & PF_W != 0)
                && vaddr >= p.p_vaddr
                && start <= p.p_memsz
                && len <= p.p_memsz.wrapping_sub(start)
            {
                return true;
            }
            phdrs = rest;
        }
        false
    }

    /// The load bias of an image without PT_PHDR, from where its program headers are mapped:
    /// the PT_LOAD segment that maps file offset 0 holds the ELF header at its start and the
    /// program headers right after it (`e_phoff` is the header's size), which is how GNU ld and
    /// lld lay out every executable, and the kernel puts AT_PHDR at that segment's address plus
    /// `e_phoff` (fs/binfmt_elf.c, `load_elf_binary`). GNU ld writes PT_PHDR only next to a
    /// PT_INTERP (bfd/elf.c, `_bfd_elf_map_sections_to_segments`), so its static-pie has none.
    /// `None` if no segment maps both the header and the program headers. [`relocate`] checks
    /// the ELF header it implies before using it.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::startup::reloc::header_bias;
    /// // No PT_LOAD maps the program headers: no header to find.
    /// assert_eq!(header_bias(&[], 0x40), None);
    /// # }
    /// ```
    pub fn header_bias(phdrs: &[Elf_Phdr], phdr_addr: usize) -> Option<usize> {
        let ehdr = core::mem::size_of::<Elf_Ehdr>();
        let table = phdrs.len().wrapping_mul(core::mem::size_of::<Elf_Phdr>());
        let mut rest = phdrs;
        while let [p, tail @ ..] = rest {
            if p.p_type == PT_LOAD && p.p_offset == 0 && p.p_filesz >= ehdr && p.p_filesz - ehdr >= table {
                return Some(phdr_addr.wrapping_sub(ehdr).wrapping_sub(p.p_vaddr));
            }
            rest = tail;
        }
        None
    }

    /// Whether an ELF header of this ABI's class lies at `addr`, with the program headers right
    /// after it: the ELF magic in its first four bytes, and `e_phoff` equal to its size (gABI,
    /// "ELF Header").
    ///
    /// # Safety
    /// The header's bytes at `addr` lie inside a mapped PT_LOAD segment.
    unsafe fn is_elf_header<I: Image>(image: &I, addr: usize) -> bool {
        // The magic as the first four bytes of a word read in this machine's byte order.
        const MAGIC_BE: usize = u32::from_be_bytes(ELFMAG) as usize;
        const MAGIC_LE: usize = u32::from_le_bytes(ELFMAG) as usize;
        const EHDR: usize = core::mem::size_of::<Elf_Ehdr>();
        // SAFETY: both words lie inside the header (the caller's contract).
        let (first, phoff) = unsafe { (image.load(addr), image.load(addr.wrapping_add(core::mem::offset_of!(Elf_Ehdr, e_phoff)))) };
        let magic = if cfg!(target_endian = "big") { first >> (usize::BITS - 32) } else { first & 0xffff_ffff };
        magic == if cfg!(target_endian = "big") { MAGIC_BE } else { MAGIC_LE } && phoff == EHDR
    }

    /// The relocation type in `r_info`: ELF64_R_TYPE is its low 32 bits, ELF32_R_TYPE its low 8
    /// (gABI, "Relocation").
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::startup::reloc::r_type;
    /// // R_X86_64_RELATIVE (8) with symbol 0, as ELF64_R_INFO packs it.
    /// let info = 8;
    /// assert_eq!(r_type(info), 8);
    /// # }
    /// ```
    pub fn r_type(info: usize) -> u32 {
        if W == 8 {
            info as u32
        } else {
            (info & 0xff) as u32
        }
    }

    /// Finds the image's dynamic section through the program headers and applies its RELATIVE
    /// relocations (DT_RELA, DT_REL, DT_RELR and the DT_JMPREL table) with type number
    /// `relative` (the ABI's `R_*_RELATIVE`). `phdr_addr` is AT_PHDR; the load bias is
    /// `phdr_addr` minus PT_PHDR's `p_vaddr`, or without PT_PHDR [`header_bias`] once the ELF
    /// header is found where it says, as in `load_bias`. On an error, what can be applied has
    /// been (see the module's documentation).
    ///
    /// # Safety
    /// `image` gives access to the mapped image whose program headers are `phdrs`, laid out as
    /// those headers say (every PT_LOAD mapped at its `p_vaddr` plus the bias, writable where
    /// PF_W says so), and nothing reads the words it relocates until it returns.
    ///
    /// ```
    /// # #![no_std]
    /// # #![no_main]
    /// # strand::main!(main);
    /// # fn main() {
    /// use strand::startup::reloc::{relocate, Image, Outcome};
    /// struct Untouched;
    /// impl Image for Untouched {
    ///     unsafe fn load(&self, _: usize) -> usize { unreachable!() }
    ///     unsafe fn store(&mut self, _: usize, _: usize) { unreachable!() }
    /// }
    /// // start-up has relocated this program already; asking again about headers without
    /// // PT_DYNAMIC (here: none) reports an image that needs nothing.
    /// // SAFETY: with no PT_DYNAMIC the image is never read.
    /// let r = unsafe { relocate(&mut Untouched, &[], 0, strand::arch::R_RELATIVE) };
    /// assert_eq!(r, Ok(Outcome::NotDynamic));
    /// # }
    /// ```
    pub unsafe fn relocate<I: Image>(
        image: &mut I,
        phdrs: &[Elf_Phdr],
        phdr_addr: usize,
        relative: u32,
    ) -> Result<Outcome, RelocError> {
        let mut dynamic = None;
        let mut phdr_vaddr = None;
        let mut interp = false;
        let mut rest = phdrs;
        while let [p, tail @ ..] = rest {
            match (p.p_type, phdr_vaddr) {
                (PT_DYNAMIC, _) => dynamic = Some(p),
                (PT_INTERP, _) => interp = true,
                (PT_PHDR, None) => phdr_vaddr = Some(p.p_vaddr),
                _ => {}
            }
            rest = tail;
        }
        let dynamic = match dynamic {
            Some(d) => d,
            None => return Ok(Outcome::NotDynamic),
        };
        if interp {
            return Ok(Outcome::ByInterpreter);
        }
        let bias = match phdr_vaddr {
            Some(v) => phdr_addr.wrapping_sub(v),
            None => match header_bias(phdrs, phdr_addr) {
                // SAFETY: `header_bias` found a PT_LOAD that maps the header's bytes there.
                Some(b) if unsafe { is_elf_header(image, phdr_addr.wrapping_sub(core::mem::size_of::<Elf_Ehdr>())) } => b,
                _ => return Err(RelocError::NoPhdr),
            },
        };
        if !in_load(phdrs, dynamic.p_vaddr, dynamic.p_memsz, false) {
            return Err(RelocError::DynamicOutside);
        }

        let mut rela = Table::new(Format::Rela, DT_RELA, DT_RELASZ, DT_RELAENT);
        let mut rel = Table::new(Format::Rel, DT_REL, DT_RELSZ, DT_RELENT);
        let mut relr = Table::new(Format::Relr, DT_RELR, DT_RELRSZ, DT_RELRENT);
        // The PLT table's format is DT_PLTREL's choice and its entries are that format's size
        // (there is no DT_PLTRELENT), so its `ent` stays `None`.
        let mut plt = Table::new(Format::Rela, DT_JMPREL, DT_PLTRELSZ, DT_PLTREL);
        let mut plt_format = None;
        // Each entry is two words, d_tag and d_val/d_ptr (gABI, "Dynamic Section").
        let mut at = bias.wrapping_add(dynamic.p_vaddr);
        let mut left = dynamic.p_memsz / (2 * W);
        while left > 0 {
            // SAFETY: the entry lies inside PT_DYNAMIC, which lies inside a PT_LOAD (checked).
            let (tag, val) = unsafe { (image.load(at), image.load(at.wrapping_add(W))) };
            at = at.wrapping_add(2 * W);
            left = left.wrapping_sub(1);
            match tag {
                DT_NULL => break,
                DT_RELA => rela.addr = Some(val),
                DT_RELASZ => rela.size = Some(val),
                DT_RELAENT => rela.ent = Some(val),
                DT_REL => rel.addr = Some(val),
                DT_RELSZ => rel.size = Some(val),
                DT_RELENT => rel.ent = Some(val),
                DT_RELR => relr.addr = Some(val),
                DT_RELRSZ => relr.size = Some(val),
                DT_RELRENT => relr.ent = Some(val),
                DT_JMPREL => plt.addr = Some(val),
                DT_PLTRELSZ => plt.size = Some(val),
                DT_PLTREL => plt_format = Some(val),
                _ => {}
            }
        }
        let plt_error = match (plt.addr, plt.size, plt_format) {
            (None, None, _) => None,
            (_, _, Some(DT_RELA)) => None,
            (_, _, Some(DT_REL)) => {
                plt.format = Format::Rel;
                None
            }
            (_, _, Some(value)) => Some(RelocError::BadPltRel { value }),
            (_, _, None) => Some(RelocError::Incomplete { tag: DT_PLTREL }),
        };

        // Check every table and entry first, then apply them all; or, if the check failed,
        // apply what is well-formed and return the error.
        let ctx = Context { phdrs, bias, relative };
        // SAFETY: per this function's contract; `walk` checks every address it uses.
        let checked = unsafe {
            match plt_error {
                Some(e) => Err(e),
                None => walk_all(image, &ctx, [&rela, &rel, &relr, &plt], Mode::Check),
            }
        };
        match checked {
            // SAFETY: as above.
            Ok(_) => match unsafe { walk_all(image, &ctx, [&rela, &rel, &relr, &plt], Mode::Apply) } {
                Ok(count) => Ok(Outcome::Relocated { bias, count }),
                Err(e) => Err(e),
            },
            Err(e) => {
                // SAFETY: as above. A PLT table with no usable format is left out.
                unsafe {
                    let _ = walk_all(image, &ctx, [&rela, &rel, &relr], Mode::Salvage);
                    if plt_error.is_none() {
                        let _ = walk(image, &ctx, &plt, Mode::Salvage);
                    }
                }
                Err(e)
            }
        }
    }

    /// What `walk` does with a table.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Mode {
        /// Check everything, change nothing.
        Check,
        /// Check and apply (after a `Check` that passed).
        Apply,
        /// Apply every well-formed RELATIVE entry with a writable target, skipping the rest
        /// and any table that cannot be walked (after a `Check` that failed).
        Salvage,
    }

    /// `walk` over several tables in order; the number of relocations they hold.
    ///
    /// # Safety
    /// As for [`relocate`].
    unsafe fn walk_all<I: Image, const N: usize>(
        image: &mut I,
        cx: &Context<'_>,
        tables: [&Table; N],
        mode: Mode,
    ) -> Result<usize, RelocError> {
        let (mut count, mut i) = (0usize, 0usize);
        while i < N {
            // SAFETY: per this function's contract.
            count = unsafe { walk(image, cx, tables[i], mode)? }.wrapping_add(count);
            i = i.wrapping_add(1);
        }
        Ok(count)
    }

    struct Context<'a> {
        phdrs: &'a [Elf_Phdr],
        bias: usize,
        relative: u32,
    }

    /// Checks one table (and applies it, as `mode` says); returns how many relocations it holds
    /// (in `Salvage` mode, how many it applied).
    ///
    /// # Safety
    /// As for [`relocate`].
    unsafe fn walk<I: Image>(image: &mut I, cx: &Context<'_>, t: &Table, mode: Mode) -> Result<usize, RelocError> {
        // SAFETY: per this function's contract.
        match unsafe { walk_checked(image, cx, t, mode) } {
            Err(_) if mode == Mode::Salvage => Ok(0),
            r => r,
        }
    }

    /// `walk`, failing on a table that cannot be walked (whatever the mode).
    ///
    /// # Safety
    /// As for [`relocate`].
    unsafe fn walk_checked<I: Image>(image: &mut I, cx: &Context<'_>, t: &Table, mode: Mode) -> Result<usize, RelocError> {
        let (addr, size) = match (t.addr, t.size) {
            (None, None) => return Ok(0),
            (Some(a), Some(s)) => (a, s),
            (Some(_), None) => return Err(RelocError::Incomplete { tag: t.size_tag }),
            (None, Some(_)) => return Err(RelocError::Incomplete { tag: t.addr_tag }),
        };
        let entry = t.format.entry_size();
        match t.ent {
            Some(ent) if ent != entry => return Err(RelocError::BadEntrySize { tag: t.ent_tag, size: ent }),
            _ => {}
        }
        if size % entry != 0 {
            return Err(RelocError::BadTableSize { tag: t.size_tag, size });
        }
        if !in_load(cx.phdrs, addr, size, false) {
            return Err(RelocError::TableOutside { tag: t.addr_tag });
        }
        let mut at = cx.bias.wrapping_add(addr);
        let mut left = size / entry;
        let mut n = 0usize;
        match t.format {
            Format::Rel | Format::Rela => {
                while left > 0 {
                    // SAFETY: the entry lies inside the table, inside a PT_LOAD (checked).
                    let (offset, info) = unsafe { (image.load(at), image.load(at.wrapping_add(W))) };
                    let info = crate::arch::r_info_gabi(info);
                    let addend = match t.format {
                        // SAFETY: as above.
                        Format::Rela => Some(unsafe { image.load(at.wrapping_add(2 * W)) }),
                        _ => None,
                    };
                    at = at.wrapping_add(entry);
                    left = left.wrapping_sub(1);
                    match r_type(info) {
                        R_NONE => {}
                        ty if ty == cx.relative => {
                            // SAFETY: per this function's contract.
                            n = unsafe { relocate_at(image, cx, offset, addend, mode)? }.wrapping_add(n);
                        }
                        _ if mode == Mode::Salvage => {}
                        r_type => return Err(RelocError::Unsupported { r_type, offset }),
                    }
                }
            }
            Format::Relr => {
                // An even word is the address of a relocation; an odd one is a bitmap whose bit
                // i (from 1) stands for the word `next + (i - 1) * W`, `next` being the word
                // after the last address; each bitmap moves `next` on by 63 (or 31) words
                // (gABI, "Relocation", SHT_RELR).
                let mut next = 0usize;
                while left > 0 {
                    // SAFETY: the word lies inside the table, inside a PT_LOAD (checked).
                    let word = unsafe { image.load(at) };
                    at = at.wrapping_add(W);
                    left = left.wrapping_sub(1);
                    if word & 1 == 0 {
                        // SAFETY: per this function's contract.
                        n = unsafe { relocate_at(image, cx, word, None, mode)? }.wrapping_add(n);
                        next = word.wrapping_add(W);
                    } else {
                        let mut bits = word >> 1;
                        let mut offset = next;
                        while bits != 0 {
                            if bits & 1 != 0 {
                                // SAFETY: per this function's contract.
                                n = unsafe { relocate_at(image, cx, offset, None, mode)? }.wrapping_add(n);
                            }
                            bits >>= 1;
                            offset = offset.wrapping_add(W);
                        }
                        next = next.wrapping_add((usize::BITS as usize - 1) * W);
                    }
                }
            }
        }
        Ok(n)
    }

    /// Checks one RELATIVE relocation at link-time address `offset` and, unless `mode` is
    /// `Check`, stores `bias + addend` there, the addend given (RELA) or already stored there
    /// (REL, RELR): the psABIs' "B + A". Returns 1, or 0 for a target `Salvage` skips.
    ///
    /// # Safety
    /// As for [`relocate`].
    unsafe fn relocate_at<I: Image>(
        image: &mut I,
        cx: &Context<'_>,
        offset: usize,
        addend: Option<usize>,
        mode: Mode,
    ) -> Result<usize, RelocError> {
        if !in_load(cx.phdrs, offset, W, true) {
            if mode == Mode::Salvage {
                return Ok(0);
            }
            return Err(RelocError::TargetNotWritable { offset });
        }
        if mode != Mode::Check {
            let target = cx.bias.wrapping_add(offset);
            // SAFETY: the target lies inside a writable PT_LOAD (checked above); the caller
            // guarantees nothing reads it yet.
            unsafe {
                let a = match addend {
                    Some(a) => a,
                    None => image.load(target),
                };
                image.store(target, cx.bias.wrapping_add(a));
            }
        }
        Ok(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::sys::elf::PT_LOAD;

    fn phdr(p_type: u32, vaddr: usize, filesz: usize, memsz: usize, align: usize) -> Elf_Phdr {
        Elf_Phdr {
            p_type,
            p_flags: 0,
            p_offset: 0,
            p_vaddr: vaddr,
            p_paddr: vaddr,
            p_filesz: filesz,
            p_memsz: memsz,
            p_align: align,
        }
    }

    #[test]
    fn auxv_reads_known_keys_and_skips_others() {
        let phent = core::mem::size_of::<Elf_Phdr>();
        let words = [
            at::AT_PHDR as usize, 0x40_0040,
            at::AT_PHENT as usize, phent,
            at::AT_PHNUM as usize, 9,
            1234, 5678,
            at::AT_PAGESZ as usize, 4096,
            at::AT_RANDOM as usize, 0x7fff_0000,
            at::AT_MINSIGSTKSZ as usize, 3440,
            at::AT_NULL as usize, 0,
            // Anything after AT_NULL is not read.
            at::AT_PAGESZ as usize, 3,
        ];
        let a = Auxv::parse(&words).unwrap();
        assert_eq!((a.phdr, a.phnum, a.pagesz, a.random, a.minsigstksz), (0x40_0040, 9, 4096, 0x7fff_0000, 3440));
        assert_eq!(a.hwcap, 0);
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn auxv_key_with_high_bits_is_not_truncated() {
        // Found by the property tests (check/tests/parsers.rs): `key as u32` read 1 << 32 as
        // AT_NULL, and (1 << 32) + AT_PAGESZ as AT_PAGESZ.
        let words = [
            1 << 32, 0,
            (1 << 32) + at::AT_PAGESZ as usize, 3,
            at::AT_PAGESZ as usize, 4096,
            at::AT_NULL as usize, 0,
        ];
        assert_eq!(Auxv::parse(&words).unwrap().pagesz, 4096);
        assert_eq!(Auxv::parse(&words[..4]), Err(StartupError::UnterminatedAuxv));
    }

    #[test]
    fn auxv_errors() {
        assert_eq!(Auxv::parse(&[]), Err(StartupError::UnterminatedAuxv));
        assert_eq!(Auxv::parse(&[at::AT_PAGESZ as usize, 4096, 0]), Err(StartupError::UnterminatedAuxv));
        assert_eq!(Auxv::parse(&[0, 0]), Err(StartupError::BadPageSize(0)));
        assert_eq!(
            Auxv::parse(&[at::AT_PAGESZ as usize, 4096, at::AT_PHNUM as usize, 2, at::AT_PHENT as usize, 7, 0, 0]),
            Err(StartupError::BadPhent(7))
        );
    }

    #[test]
    fn program_headers() {
        let hs = [
            phdr(PT_PHDR, 0x40, 0, 0, 8),
            phdr(PT_LOAD, 0, 0x1000, 0x1000, 0x1000),
            phdr(PT_TLS, 0x2000, 24, 100, 64),
            phdr(PT_GNU_STACK, 0, 0, 1 << 20, 16),
            phdr(PT_GNU_EH_FRAME, 0x1800, 0x40, 0x40, 4),
        ];
        // Loaded at its link address: no bias.
        let p = Program::scan(&hs, 0x40).unwrap();
        assert_eq!(p.tls, TlsSegment { image: 0x2000, filesz: 24, memsz: 100, align: 64 });
        assert_eq!(p.stack_size, 1 << 20);
        assert_eq!(p.eh_frame_hdr, 0x1800);
        // Loaded 0x5555_0000 higher (static-pie): the image moves with it.
        let p = Program::scan(&hs, 0x5555_0040).unwrap();
        assert_eq!(p.tls.image, 0x5555_2000);
        assert_eq!(p.eh_frame_hdr, 0x5555_1800);
        // None (or an empty one): 0, no unwind tables.
        assert_eq!(Program::scan(&hs[..4], 0x40).unwrap().eh_frame_hdr, 0);
        assert_eq!(Program::scan(&[phdr(PT_GNU_EH_FRAME, 0x1800, 0, 0, 4)], 0).unwrap().eh_frame_hdr, 0);
    }

    #[test]
    fn gnu_stack_size_is_capped_at_8_mib() {
        let stack = |size| Program::scan(&[phdr(PT_GNU_STACK, 0, 0, size, 16)], 0).unwrap().stack_size;
        assert_eq!(MAX_DEFAULT_STACK_SIZE, 8 << 20);
        // `-z stack-size=1G` would map 1 GiB for every thread.
        assert_eq!(stack(1 << 30), 8 << 20);
        assert_eq!(stack((8 << 20) + 1), 8 << 20);
        assert_eq!(stack(usize::MAX), 8 << 20);
        assert_eq!(stack(8 << 20), 8 << 20);
        assert_eq!(stack(1 << 20), 1 << 20);
        // 0: no size given, the thread code's own default applies.
        assert_eq!(stack(0), 0);
    }

    #[test]
    fn program_without_tls_and_bad_tls() {
        let p = Program::scan(&[phdr(PT_LOAD, 0, 1, 1, 1)], 0).unwrap();
        assert_eq!(p.tls, TlsSegment { image: 0, filesz: 0, memsz: 0, align: 1 });
        assert!(matches!(Program::scan(&[phdr(PT_TLS, 0, 10, 5, 8)], 0), Err(StartupError::BadTls { .. })));
        assert!(matches!(Program::scan(&[phdr(PT_TLS, 0, 1, 5, 24)], 0), Err(StartupError::BadTls { .. })));
        // p_align 0 means "no constraint".
        assert_eq!(Program::scan(&[phdr(PT_TLS, 8, 1, 5, 0)], 0).unwrap().tls.align, 1);
    }

    mod relocation {
        use super::phdr;
        use crate::startup::reloc::*;
        use crate::arch::sys::elf::*;

        const W: usize = core::mem::size_of::<usize>();
        /// Where the synthetic image is "loaded": every link-time address moves by this much.
        const BIAS: usize = 0x7f00_0000_0000;
        const RELATIVE: u32 = 8;
        const R_OTHER: u32 = 37;
        const DYNAMIC: usize = 0x1800;

        /// A two-segment image: read-only [0, 0x1000) with the program headers and the
        /// relocation tables, writable [0x1000, 0x2000) with the data and PT_DYNAMIC. Loads and
        /// stores outside those, or stores outside the writable one, fail the test.
        struct Synthetic {
            words: Vec<usize>,
            stores: usize,
        }

        impl Synthetic {
            fn new() -> Synthetic {
                Synthetic { words: vec![0; 0x2000 / W], stores: 0 }
            }
            fn index(addr: usize) -> usize {
                let off = addr.checked_sub(BIAS).expect("access below the image");
                assert_eq!(off % W, 0, "unaligned access at link-time {off:#x}");
                assert!(off < 0x2000, "access past the image at link-time {off:#x}");
                off / W
            }
            /// Link-time addressing, for setting up and checking.
            fn set(&mut self, vaddr: usize, words: &[usize]) {
                for (i, &w) in words.iter().enumerate() {
                    self.words[vaddr / W + i] = w;
                }
            }
            fn get(&self, vaddr: usize) -> usize {
                self.words[vaddr / W]
            }
            fn dynamic(&mut self, entries: &[(usize, usize)]) {
                let mut words: Vec<usize> = entries.iter().flat_map(|&(t, v)| [t, v]).collect();
                words.extend([DT_NULL, 0]);
                self.set(DYNAMIC, &words);
            }
        }

        impl Image for Synthetic {
            unsafe fn load(&self, addr: usize) -> usize {
                self.words[Self::index(addr)]
            }
            unsafe fn store(&mut self, addr: usize, value: usize) {
                let i = Self::index(addr);
                assert!(i * W >= 0x1000, "store into the read-only segment at link-time {:#x}", i * W);
                self.words[i] = value;
                self.stores += 1;
            }
        }

        fn headers() -> Vec<Elf_Phdr> {
            let mut rw = phdr(PT_LOAD, 0x1000, 0x1000, 0x1000, 0x1000);
            rw.p_flags = PF_R | PF_W;
            let mut ro = phdr(PT_LOAD, 0, 0x1000, 0x1000, 0x1000);
            ro.p_flags = PF_R;
            vec![phdr(PT_PHDR, 0x40, 0, 0x100, 8), ro, rw, phdr(PT_DYNAMIC, DYNAMIC, 0x100, 0x100, 8)]
        }

        fn run(image: &mut Synthetic, phdrs: &[Elf_Phdr]) -> Result<Outcome, RelocError> {
            // SAFETY: `Synthetic` checks every access itself.
            unsafe { relocate(image, phdrs, BIAS + 0x40, RELATIVE) }
        }

        fn info(ty: u32) -> usize {
            // A symbol index above the type, which RELATIVE ignores.
            (5usize << 32) | ty as usize
        }

        fn rela_image(entries: &[[usize; 3]]) -> Synthetic {
            let mut m = Synthetic::new();
            m.set(0x200, &entries.concat());
            m.dynamic(&[(DT_RELA, 0x200), (DT_RELASZ, entries.len() * 3 * W), (DT_RELAENT, 3 * W)]);
            m
        }

        #[test]
        fn rela_targets_get_bias_plus_addend() {
            let mut m = rela_image(&[
                [0x1000, info(RELATIVE), 0x1234],
                [0x1008, info(0), 0],
                [0x1010, info(RELATIVE), 0x10],
            ]);
            m.set(0x1008, &[0x55]);
            assert_eq!(run(&mut m, &headers()), Ok(Outcome::Relocated { bias: BIAS, count: 2 }));
            assert_eq!((m.get(0x1000), m.get(0x1008), m.get(0x1010)), (BIAS + 0x1234, 0x55, BIAS + 0x10));
            assert_eq!(m.stores, 2);
        }

        #[test]
        fn rel_and_relr_targets_get_bias_added() {
            let mut m = Synthetic::new();
            // REL: the addend is what the target holds.
            m.set(0x300, &[0x1020, info(RELATIVE)]);
            m.set(0x1020, &[0x40]);
            // RELR: an address, then a bitmap for the words after it (bits 1 and 3: the 1st and
            // 3rd word from 0x1108), then one whose bit 63 is the 62nd word after the next
            // window, which starts 63 words after 0x1108.
            m.set(0x400, &[0x1100, 0b1011, (1 << 63) | 1]);
            for a in [0x1100, 0x1108, 0x1110, 0x1118, 0x14f0] {
                m.set(a, &[a]);
            }
            m.dynamic(&[
                (DT_REL, 0x300),
                (DT_RELSZ, 2 * W),
                (DT_RELENT, 2 * W),
                (DT_RELR, 0x400),
                (DT_RELRSZ, 3 * W),
                (DT_RELRENT, W),
            ]);
            assert_eq!(run(&mut m, &headers()), Ok(Outcome::Relocated { bias: BIAS, count: 5 }));
            assert_eq!(m.get(0x1020), BIAS + 0x40);
            for a in [0x1100, 0x1108, 0x1118, 0x14f0] {
                assert_eq!(m.get(a), BIAS + a, "RELR target {a:#x}");
            }
            assert_eq!(m.get(0x1110), 0x1110, "bit 2 of the bitmap is clear");
        }

        #[test]
        fn jmprel_table_in_the_format_dt_pltrel_names() {
            let plt = |pltrel: Option<usize>| {
                let mut m = Synthetic::new();
                m.set(0x500, &[0x1040, info(RELATIVE), 0x99]);
                let mut d = vec![(DT_JMPREL, 0x500), (DT_PLTRELSZ, 3 * W)];
                d.extend(pltrel.map(|v| (DT_PLTREL, v)));
                m.dynamic(&d);
                let r = run(&mut m, &headers());
                (r, m.get(0x1040))
            };
            assert_eq!(plt(Some(DT_RELA)), (Ok(Outcome::Relocated { bias: BIAS, count: 1 }), BIAS + 0x99));
            assert_eq!(plt(Some(99)), (Err(RelocError::BadPltRel { value: 99 }), 0));
            assert_eq!(plt(None), (Err(RelocError::Incomplete { tag: DT_PLTREL }), 0));
            // As REL entries the same words are one and a half entries.
            assert_eq!(plt(Some(DT_REL)).0, Err(RelocError::BadTableSize { tag: DT_PLTRELSZ, size: 3 * W }));
        }

        #[test]
        fn other_relocation_types_are_refused_after_the_rest_is_applied() {
            // The RELATIVE entry after the refused one is applied too (the report may need it),
            // the refused target and the one outside the writable segment are left alone.
            let mut m = rela_image(&[
                [0x1000, info(RELATIVE), 0x1234],
                [0x1008, info(R_OTHER), 0],
                [0x100, info(RELATIVE), 0x99],
                [0x1010, info(RELATIVE), 0x10],
            ]);
            m.set(0x1008, &[0x55]);
            assert_eq!(run(&mut m, &headers()), Err(RelocError::Unsupported { r_type: R_OTHER, offset: 0x1008 }));
            assert_eq!((m.get(0x1000), m.get(0x1008), m.get(0x1010)), (BIAS + 0x1234, 0x55, BIAS + 0x10));
            assert_eq!(m.stores, 2);
            // A table that cannot be walked is skipped, the others applied.
            let mut m = rela_image(&[[0x1000, info(RELATIVE), 0x1234]]);
            m.set(0x300, &[0x1020, info(RELATIVE)]);
            m.set(0x1020, &[0x40]);
            m.dynamic(&[(DT_RELA, 0x200), (DT_RELASZ, 3 * W), (DT_RELAENT, 3 * W), (DT_REL, 0x300), (DT_RELSZ, 2 * W), (DT_RELENT, 3 * W)]);
            assert_eq!(run(&mut m, &headers()), Err(RelocError::BadEntrySize { tag: DT_RELENT, size: 3 * W }));
            assert_eq!((m.get(0x1000), m.get(0x1020), m.stores), (BIAS + 0x1234, 0x40, 1));
        }

        /// The ELF header a linker writes at the start of the first segment, with the program
        /// headers right after it.
        fn elf_header(m: &mut Synthetic, magic: [u8; 4], phoff: usize) {
            let mut first = [0u8; W];
            first[..4].copy_from_slice(&magic);
            first[4] = if W == 8 { 2 } else { 1 };
            m.set(0, &[usize::from_ne_bytes(first)]);
            m.set(core::mem::offset_of!(Elf_Ehdr, e_phoff), &[phoff]);
        }

        #[test]
        fn without_pt_phdr_the_elf_header_gives_the_bias() {
            const EHDR: usize = core::mem::size_of::<Elf_Ehdr>();
            let mut hs = headers();
            hs.retain(|p| p.p_type != PT_PHDR);
            let at = |m: &mut Synthetic| {
                // SAFETY: `Synthetic` checks every access itself.
                unsafe { relocate(m, &hs, BIAS + EHDR, RELATIVE) }
            };
            // GNU ld's static-pie: no PT_PHDR, the program headers right after the ELF header.
            let mut m = rela_image(&[[0x1000, info(RELATIVE), 0x1234]]);
            elf_header(&mut m, ELFMAG, EHDR);
            assert_eq!(at(&mut m), Ok(Outcome::Relocated { bias: BIAS, count: 1 }));
            assert_eq!(m.get(0x1000), BIAS + 0x1234);
            assert_eq!(crate::startup::load_bias(&hs, BIAS + EHDR), Some(BIAS));
            // No ELF magic there, or program headers elsewhere: the bias is unknown.
            for (magic, phoff) in [(*b"\x7fELG", EHDR), (ELFMAG, EHDR + 8)] {
                let mut m = rela_image(&[[0x1000, info(RELATIVE), 0x1234]]);
                elf_header(&mut m, magic, phoff);
                assert_eq!(at(&mut m), Err(RelocError::NoPhdr));
                assert_eq!(m.stores, 0);
            }
            // No segment maps file offset 0 with room for the headers.
            for p in hs.iter_mut() {
                p.p_offset = 0x1000;
            }
            assert_eq!(header_bias(&hs, BIAS + EHDR), None);
            assert_eq!(crate::startup::load_bias(&hs, BIAS + EHDR), None);
        }

        #[test]
        fn static_executable_without_pt_phdr_is_at_its_link_address() {
            // GNU ld's static (non-PIE) executable: neither PT_PHDR nor PT_DYNAMIC, the program
            // headers right after the ELF header in the segment that maps file offset 0.
            const EHDR: usize = core::mem::size_of::<Elf_Ehdr>();
            let mut hs = headers();
            hs.retain(|p| p.p_type != PT_PHDR && p.p_type != PT_DYNAMIC);
            for p in hs.iter_mut() {
                p.p_vaddr += 0x10000;
            }
            assert_eq!(crate::startup::load_bias(&hs, 0x10000 + EHDR), Some(0));
        }

        #[test]
        fn targets_outside_writable_segments_are_refused() {
            // A text relocation (into the read-only segment), one past the image, one straddling
            // its end.
            for offset in [0x100, 0x2000, 0x2000 - W / 2, usize::MAX - 3] {
                let mut m = rela_image(&[[offset, info(RELATIVE), 0]]);
                assert_eq!(run(&mut m, &headers()), Err(RelocError::TargetNotWritable { offset }));
            }
            // A RELR bitmap before any address counts from link-time address 0.
            let mut m = Synthetic::new();
            m.set(0x400, &[0b11]);
            m.dynamic(&[(DT_RELR, 0x400), (DT_RELRSZ, W)]);
            assert_eq!(run(&mut m, &headers()), Err(RelocError::TargetNotWritable { offset: 0 }));
        }

        #[test]
        fn malformed_tables_are_errors() {
            let table = |d: &[(usize, usize)]| {
                let mut m = Synthetic::new();
                m.dynamic(d);
                run(&mut m, &headers())
            };
            use RelocError::*;
            assert_eq!(table(&[(DT_RELA, 0x200), (DT_RELASZ, 24), (DT_RELAENT, 16)]), Err(BadEntrySize { tag: DT_RELAENT, size: 16 }));
            assert_eq!(table(&[(DT_RELR, 0x200), (DT_RELRSZ, 8), (DT_RELRENT, 4)]), Err(BadEntrySize { tag: DT_RELRENT, size: 4 }));
            assert_eq!(table(&[(DT_RELA, 0x200), (DT_RELASZ, 25)]), Err(BadTableSize { tag: DT_RELASZ, size: 25 }));
            assert_eq!(table(&[(DT_REL, 0x200)]), Err(Incomplete { tag: DT_RELSZ }));
            assert_eq!(table(&[(DT_RELASZ, 24)]), Err(Incomplete { tag: DT_RELA }));
            assert_eq!(table(&[(DT_RELA, 0x1_0000_0000), (DT_RELASZ, 24)]), Err(TableOutside { tag: DT_RELA }));
            // Sizes and addresses that would overflow are outside, not a panic.
            let huge = usize::MAX / 24 * 24;
            assert_eq!(table(&[(DT_RELA, 0x200), (DT_RELASZ, huge)]), Err(TableOutside { tag: DT_RELA }));
            assert_eq!(table(&[(DT_RELA, usize::MAX - 7), (DT_RELASZ, 24)]), Err(TableOutside { tag: DT_RELA }));
            // An empty dynamic section relocates nothing.
            assert_eq!(table(&[]), Ok(Outcome::Relocated { bias: BIAS, count: 0 }));
        }

        #[test]
        fn what_needs_no_relocation_is_not_read() {
            // An image whose every access would fail the test.
            let mut untouchable = Synthetic { words: Vec::new(), stores: 0 };
            let mut hs = headers();
            hs.retain(|p| p.p_type != PT_DYNAMIC);
            assert_eq!(run(&mut untouchable, &hs), Ok(Outcome::NotDynamic));
            let mut hs = headers();
            hs.push(phdr(PT_INTERP, 0x300, 20, 20, 1));
            assert_eq!(run(&mut untouchable, &hs), Ok(Outcome::ByInterpreter));
            let mut hs = headers();
            hs.retain(|p| p.p_type != PT_PHDR);
            // Nor an ELF header to find (no segment maps file offset 0).
            for p in hs.iter_mut() {
                p.p_offset = 0x1000;
            }
            assert_eq!(run(&mut untouchable, &hs), Err(RelocError::NoPhdr));
            let mut hs = headers();
            hs.last_mut().unwrap().p_vaddr = 0x1f80;
            assert_eq!(run(&mut untouchable, &hs), Err(RelocError::DynamicOutside));
            assert_eq!(run(&mut untouchable, &[]), Ok(Outcome::NotDynamic));
        }

        #[test]
        fn loaded_at_its_link_address() {
            // A bias of 0: RELA targets get their addends, REL targets keep their words.
            let hs = headers();
            let mut m = rela_image(&[[0x1000, info(RELATIVE), 0x1234]]);
            // SAFETY: `Rebased` forwards to `Synthetic`, which checks every access.
            let r = unsafe { relocate(&mut Rebased(&mut m), &hs, 0x40, RELATIVE) };
            assert_eq!(r, Ok(Outcome::Relocated { bias: 0, count: 1 }));
            assert_eq!(m.get(0x1000), 0x1234);
        }

        /// The synthetic image seen at its link-time addresses (bias 0).
        struct Rebased<'a>(&'a mut Synthetic);

        impl Image for Rebased<'_> {
            unsafe fn load(&self, addr: usize) -> usize {
                // SAFETY: forwarded; `Synthetic` checks.
                unsafe { self.0.load(addr + BIAS) }
            }
            unsafe fn store(&mut self, addr: usize, value: usize) {
                // SAFETY: forwarded; `Synthetic` checks.
                unsafe { self.0.store(addr + BIAS, value) }
            }
        }

        #[test]
        fn relocation_type_is_the_low_bits_of_r_info() {
            assert_eq!(r_type((5 << 32) | 1027), 1027);
            assert_eq!(r_type(0xffff_ffff_0000_0008), 8);
        }
    }
}
