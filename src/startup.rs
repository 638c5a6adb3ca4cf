//! Reading what the kernel hands a new process: the initial stack (argc, argv, envp, auxv) and
//! the program headers. Pure parsing over slices, so the host tests (and fuzzers) can feed it
//! anything; `rt` does the unsafe reading of the real stack.

use linux_raw_sys::auxvec as at;
use linux_raw_sys::elf::{Elf_Phdr, PT_GNU_STACK, PT_PHDR, PT_TLS};

/// The auxiliary vector entries strand uses (man 3 getauxval).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Auxv {
    pub phdr: usize,
    pub phent: usize,
    pub phnum: usize,
    pub pagesz: usize,
    /// Address of 16 random bytes (AT_RANDOM).
    pub random: usize,
    pub hwcap: usize,
    pub hwcap2: usize,
    /// The kernel's minimum signal stack size, where the kernel reports one (AT_MINSIGSTKSZ).
    pub minsigstksz: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartupError {
    /// The auxiliary vector ran out before its AT_NULL terminator.
    UnterminatedAuxv,
    /// AT_PAGESZ is missing or not a power of two.
    BadPageSize(usize),
    /// AT_PHENT does not match this ABI's program header size.
    BadPhent(usize),
    /// A PT_TLS segment whose sizes or alignment make no sense.
    BadTls { filesz: usize, memsz: usize, align: usize },
}

impl Auxv {
    /// Parses `(key, value)` words up to AT_NULL.
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TlsSegment {
    /// Run-time address of the initialisation image (.tdata followed by .tbss).
    pub image: usize,
    pub filesz: usize,
    pub memsz: usize,
    /// Always a power of two, at least 1.
    pub align: usize,
}

/// The largest default thread stack a PT_GNU_STACK size may ask for: 8 MiB, the bound musl puts
/// on the same request (`DEFAULT_STACK_MAX`, src/internal/pthread_impl.h). The default is mapped
/// for every thread that does not choose its own size, so a binary linked with
/// `-z stack-size=1G` gets 8 MiB stacks, not 1 GiB ones; `Builder::stack_size` is not limited.
pub const MAX_DEFAULT_STACK_SIZE: usize = 8 << 20;

/// What strand needs from the program headers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Program {
    pub tls: TlsSegment,
    /// The default thread stack size the linker was asked for (PT_GNU_STACK's p_memsz, from
    /// `-z stack-size`), capped at [`MAX_DEFAULT_STACK_SIZE`]; 0 if none was.
    pub stack_size: usize,
}

impl Program {
    /// Scans the program headers. `phdr_addr` is where the kernel says they are mapped (AT_PHDR):
    /// with a PT_PHDR entry that gives the load bias, so static-pie images work too.
    pub fn scan(phdrs: &[Elf_Phdr], phdr_addr: usize) -> Result<Program, StartupError> {
        let bias = phdrs
            .iter()
            .find(|p| p.p_type == PT_PHDR)
            .map_or(0, |p| phdr_addr.wrapping_sub(p.p_vaddr));
        let mut prog = Program { tls: TlsSegment { align: 1, ..TlsSegment::default() }, stack_size: 0 };
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
                _ => {}
            }
        }
        Ok(prog)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linux_raw_sys::elf::PT_LOAD;

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
        ];
        // Loaded at its link address: no bias.
        let p = Program::scan(&hs, 0x40).unwrap();
        assert_eq!(p.tls, TlsSegment { image: 0x2000, filesz: 24, memsz: 100, align: 64 });
        assert_eq!(p.stack_size, 1 << 20);
        // Loaded 0x5555_0000 higher (static-pie): the image moves with it.
        let p = Program::scan(&hs, 0x5555_0040).unwrap();
        assert_eq!(p.tls.image, 0x5555_2000);
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
}
