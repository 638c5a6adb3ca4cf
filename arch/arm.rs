//! 32-bit arm (AAPCS, Linux EABI syscall convention), in ARM and Thumb-2 code.
//!
//! Syscalls: `svc 0` with the number in `r7`, arguments in `r0..r5` and the result in `r0`
//! (arch/arm/kernel/entry-common.S, `vector_swi` under CONFIG_AEABI: the number is `scno`, r7;
//! the OABI form that encodes the number in the `svc` immediate is not used). The kernel gives
//! back every register but `r0` as it was (entry-common.S, `ret_fast_syscall` reloads `r1..lr`
//! from the saved frame, the slow path all of them, and `cpsr` from `spsr`). Errors come back as
//! `-4095..=-1` in `r0`, which is already strand's convention.
//!
//! `r7` cannot be an asm operand: LLVM keeps the frame pointer in it in Thumb code (and Rust
//! refuses it there), so every syscall here moves it by hand: the template copies the caller's
//! `r7` into a scratch register, loads the number into `r7`, traps, and puts the old `r7` back.
//! In ARM code the frame pointer is `r11`; the same templates work unchanged there.
//!
//! The ABIs of this file are the rows `armv7` (ARM code, hard-float), `thumbv7neon` (the same
//! kernel ABI, code compiled to Thumb-2) and `armv6` (ARM code, soft-float, ARMv6: the floating
//! point convention changes nothing here, no asm touches a VFP register). Every template is
//! written in unified syntax with instructions all of them have (ARMv6 has `bx`/`blx`, `mrc`
//! TPIDRURO from ARMv6K (ARM1136 r1 and ARM1176), and LDREX/STREX for the compiler's atomics),
//! except the thread-pointer reads, which `armv5te` (below) replaces.
//!
//! The `armv5te` row (ARMv5TE, ARM code, soft-float) lacks two things the others use: the
//! TPIDRURO read (`mrc p15, 0, rN, c13, c0, 3` exists from ARMv6K) and LDREX/STREX/`dmb`. What
//! differs is chosen in this file by `cfg(target_feature = "v6")` (absent on armv5te, present
//! on every other row; `v6k` would not do: rustc's armv6 target enables `+v6` alone although its
//! CPU, ARM1176, has TPIDRURO). Without `v6` the thread pointer comes from the kernel user
//! helper `__kuser_get_tls` at 0xffff0fe0, and `_start` first checks `__kuser_helper_version`
//! at 0xffff0ffc (Documentation/arch/arm/kernel_user_helpers.rst: `get_tls` needs version >= 1,
//! `cmpxchg` >= 2, `memory_barrier` >= 3; "programs must check ... at process startup time").
//! The compiler's atomics there are libcalls (target spec: `max-atomic-width: 32`, features
//! `+soft-float,+strict-align`, no `v6`): `__sync_val_compare_and_swap_4`,
//! `__sync_fetch_and_add_4`, `__sync_lock_test_and_set_4`, `__sync_synchronize` and so on,
//! which compiler_builtins builds for the LLVM targets armv4t and armv5te from
//! `__kuser_cmpxchg` (0xffff0fc0) and `__kuser_memory_barrier` (0xffff0fa0)
//! (compiler-builtins src/sync/arm_linux.rs, its build.rs `kernel_user_helpers`). No asm in
//! this file has a barrier or an exclusive access, so nothing else changes. QEMU user mode runs
//! the helpers itself (linux-user/arm/cpu_loop.c, `do_kernel_trap`).
//!
//! The `armeb` row is the same kernel ABI big-endian (BE8: data big-endian, instructions
//! little-endian, which the assembler and lld's `--be8` take care of). What could differ by byte
//! order, and why nothing here does: a 64-bit syscall argument in a register pair (EABI puts it
//! in an even/odd pair in memory order: musl's arch/arm/syscall_arch.h, `__SYSCALL_LL_E`):
//! strand makes no such call (`mmap2` takes a 32-bit page offset, the time64 calls take
//! pointers); and memory the kernel shares: the cancel flag, the ucontext's `arm_pc`/`arm_sp`,
//! `sigset_t` (an array of `unsigned long`, as `SigSet`) and `struct sigaction` are all read and
//! written as whole native 32-bit words; nothing picks a byte or a half out of a wider word
//! (arch/arm/include/uapi/asm/*.h have no endian conditionals for these).
//!
//! Interworking: a function's address (`fn` pointer, `sym`) carries the Thumb bit when it is
//! Thumb code, and everything here that jumps to such an address uses `blx`/`bx`, which honour
//! the bit (ARM ARM, "Interworking"); the kernel does the same for a handler and its restorer
//! (arch/arm/kernel/signal.c, `setup_return`: the T bit comes from bit 0 of the address).

use super::{Sigaction, StackGuard, TlsAbi, TlsVariant};
use core::arch::{asm, naked_asm};
use sys::general::{
    __ARM_NR_set_tls, __NR_clone, __NR_exit, __NR_munmap, __NR_rt_sigreturn, __NR_sigreturn, SA_RESTORER, SA_SIGINFO,
};

/// `sys`: the kernel's constants, syscall numbers and struct layouts for arm EABI, from
/// `linux_raw_sys` (its arm modules, generated from the kernel's uapi headers; the same for every
/// row of this file).
pub use linux_raw_sys as sys;

// `nr`: arm EABI has the 64-bit-time syscalls, `mmap2` (offset in 4096-byte units:
// arch/arm/kernel/entry-common.S, `sys_mmap2`), the `*32` uid/gid calls (the plain ones are the
// 16-bit `sys_*16` originals) and the 32-bit-time originals (arch/arm/tools/syscall.tbl).
nr_time64! {
    ids: wide32,
    time32: fallback,
    /// `None`: arm EABI has no `alarm` (arch/arm/tools/syscall.tbl lists 27 as `oabi alarm`),
    /// so `process::alarm` emulates it with `setitimer`.
    pub const ALARM: Option<usize> = None;
}

/// `R_RELATIVE`: the relocation type strand's start-up applies to a static-pie on arm EABI.
///
/// `R_ARM_RELATIVE` (B(S) + A, the addend stored at the target: arm uses REL) (AAELF32,
/// "Dynamic relocations"): the only relocation a static-pie applies.
pub const R_RELATIVE: u32 = 23;
/// `r_info` is in the gABI's form on this ABI.
pub use super::r_info_unchanged as r_info_gabi;

/// `TLS`: the static-TLS layout strand builds for each thread on arm EABI.
///
/// Variant I: TPIDRURO points at an 8-byte TCB (DTV pointer and a reserved word), and the TLS
/// block starts at TP + align_up(8, p_align) (AAELF32, "Thread Local Storage"; lld's
/// `getTlsTpOffset` for EM_ARM; musl arch/arm/pthread_arch.h, GAP_ABOVE_TP 8). strand keeps
/// those 8 bytes unused and puts its own `Tcb` just below TP.
pub const TLS: TlsAbi = TlsAbi { variant: TlsVariant::I, gap: 8, bias: 0 };

/// The instruction set for the assembler of the naked functions below. rustc assembles them as
/// module-level asm with the LLVM triple's baseline, not the target's features: for the
/// `arm-`/`armeb-` triples that is generic ARM without `bx` ("invalid instruction" on `bx lr`,
/// measured with arm-unknown-linux-musleabi, whose features are `+v6`), so each naked function
/// first names the architecture its target guarantees. The Thumb rows' triple (`thumbv7neon`)
/// already says it, and `.arch` there would leave Thumb-2. ARMv5TE (the armv5te row) has every
/// instruction the templates use (`blx` register and interworking `pop {.., pc}` from ARMv5T);
/// below it (ARMv4T: no `blx`) is refused at compile time.
#[cfg(target_feature = "thumb-mode")]
macro_rules! naked_arch {
    () => {
        ""
    };
}
#[cfg(all(not(target_feature = "thumb-mode"), target_feature = "v7"))]
macro_rules! naked_arch {
    () => {
        ".arch armv7-a"
    };
}
#[cfg(all(not(target_feature = "thumb-mode"), not(target_feature = "v7"), target_feature = "v6"))]
macro_rules! naked_arch {
    () => {
        ".arch armv6"
    };
}
#[cfg(all(not(target_feature = "thumb-mode"), not(target_feature = "v6"), target_feature = "v5te"))]
macro_rules! naked_arch {
    () => {
        ".arch armv5te"
    };
}
#[cfg(not(any(target_feature = "thumb-mode", target_feature = "v7", target_feature = "v6", target_feature = "v5te")))]
compile_error!("arch/arm.rs needs ARMv5TE or later (`blx` register, interworking loads of `pc`)");

/// One `svc 0` with the number moved into `r7` by hand (module header). `{nr}` and `{save}` are
/// registers the allocator picks away from the argument registers; `save` is an output, so it
/// is never the register that holds `nr` on entry.
macro_rules! eabi_syscall {
    ($nr:expr, $($operands:tt)*) => {
        asm!(
            "mov {save}, r7",
            "mov r7, {nr}",
            "svc 0",
            "mov r7, {save}",
            nr = in(reg) $nr,
            save = out(reg) _,
            $($operands)*
            options(nostack)
        )
    };
}

/// `syscall0`: a syscall with no arguments, with `svc 0` (arm EABI: number in r7, result in r0;
/// `r7` loaded inside the template, since it may be the frame pointer;
/// arch/arm/kernel/entry-common.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall0(nr: usize) -> usize {
    let r;
    // SAFETY: the caller upholds the syscall's own contract; registers per the kernel ABI above,
    // and `r7` is back to its old value when the asm ends.
    unsafe { eabi_syscall!(nr, lateout("r0") r,) };
    r
}

/// `syscall1`: a one-argument syscall with `svc 0` (arm EABI: number in r7, argument in r0; `r7`
/// loaded inside the template, since it may be the frame pointer; arch/arm/kernel/entry-common.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall1(nr: usize, a: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { eabi_syscall!(nr, inlateout("r0") a => r,) };
    r
}

/// `syscall2`: a two-argument syscall with `svc 0` (arm EABI: number in r7, arguments in r0, r1;
/// `r7` loaded inside the template, since it may be the frame pointer;
/// arch/arm/kernel/entry-common.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall2(nr: usize, a: usize, b: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { eabi_syscall!(nr, inlateout("r0") a => r, in("r1") b,) };
    r
}

/// `syscall3`: a three-argument syscall with `svc 0` (arm EABI: number in r7, arguments in r0, r1,
/// r2; `r7` loaded inside the template, since it may be the frame pointer;
/// arch/arm/kernel/entry-common.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall3(nr: usize, a: usize, b: usize, c: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { eabi_syscall!(nr, inlateout("r0") a => r, in("r1") b, in("r2") c,) };
    r
}

/// `syscall4`: a four-argument syscall with `svc 0` (arm EABI: number in r7, arguments in r0, r1,
/// r2, r3; `r7` loaded inside the template, since it may be the frame pointer;
/// arch/arm/kernel/entry-common.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall4(nr: usize, a: usize, b: usize, c: usize, d: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { eabi_syscall!(nr, inlateout("r0") a => r, in("r1") b, in("r2") c, in("r3") d,) };
    r
}

/// `syscall5`: a five-argument syscall with `svc 0` (arm EABI: number in r7, arguments in r0, r1,
/// r2, r3, r4; `r7` loaded inside the template, since it may be the frame pointer;
/// arch/arm/kernel/entry-common.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall5(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe { eabi_syscall!(nr, inlateout("r0") a => r, in("r1") b, in("r2") c, in("r3") d, in("r4") e,) };
    r
}

/// `syscall6`: a six-argument syscall with `svc 0` (arm EABI: number in r7, arguments in r0, r1,
/// r2, r3, r4, r5; `r7` loaded inside the template, since it may be the frame pointer;
/// arch/arm/kernel/entry-common.S).
///
/// # Safety
/// The caller upholds the contract of syscall `nr`.
#[inline]
pub unsafe fn syscall6(nr: usize, a: usize, b: usize, c: usize, d: usize, e: usize, f: usize) -> usize {
    let r;
    // SAFETY: as for syscall0.
    unsafe {
        eabi_syscall!(nr, inlateout("r0") a => r, in("r1") b, in("r2") c, in("r3") d, in("r4") e, in("r5") f,)
    };
    r
}

/// `mmap_raw`: an anonymous or offset-0 mapping with `mmap2` (arm EABI: offset in 4096-byte units;
/// arch/arm/tools/syscall.tbl).
///
/// # Safety
/// The caller upholds mmap's contract.
#[inline]
pub unsafe fn mmap_raw(addr: usize, len: usize, prot: usize, flags: usize, fd: usize) -> usize {
    // SAFETY: the caller upholds mmap's contract; mmap2's offset is in 4096-byte units, and 0 is
    // 0 either way.
    unsafe { syscall6(nr::MMAP, addr, len, prot, flags, fd, 0) }
}

/// `_start`'s first lines before ARMv6: reads `__kuser_helper_version` (0xffff0ffc, the word the
/// kernel fills with the number of helpers it has) and goes to `kuser_too_old!` if it is below 3.
/// Start-up's first atomic already runs `__kuser_cmpxchg` (version >= 2) and
/// `__kuser_memory_barrier` (>= 3), and `thread_pointer` `__kuser_get_tls` (>= 1)
/// (Documentation/arch/arm/kernel_user_helpers.rst: check the version once "at process startup
/// time, and execution aborted early" if a helper is missing; musl's arm __set_thread_area.c
/// reads the same word). 0xffff0fff - 3 is built with `mvn` from an immediate: no literal pool,
/// nothing to relocate. Uses only `r0` and the flags, which `_start` sets afterwards anyway.
#[cfg(not(target_feature = "v6"))]
macro_rules! kuser_check {
    () => {
        "mvn r0, #0xf000\n\
         ldr r0, [r0, #-3]\n\
         cmp r0, #3\n\
         blt 9f"
    };
}
#[cfg(target_feature = "v6")]
macro_rules! kuser_check {
    () => {
        ""
    };
}

/// Where `kuser_check!` goes when the helpers are too old: `write(2, message)` then
/// `exit_group(127)`, the status start-up uses for a process it cannot start (arm EABI:
/// `write` is 4, `exit_group` 248, arch/arm/tools/syscall.tbl; checked against `sys` below).
/// The message's address and length come from `adr` (PC-relative). Nothing here needs a stack.
#[cfg(not(target_feature = "v6"))]
macro_rules! kuser_too_old {
    () => {
        "9:\n\
         mov r0, #2\n\
         adr r1, 7f\n\
         adr r2, 8f\n\
         sub r2, r2, r1\n\
         mov r7, #4\n\
         svc 0\n\
         mov r0, #127\n\
         mov r7, #248\n\
         svc 0\n\
         udf #0\n\
         7: .ascii \"strand: start-up failed: the kernel's user helpers are too old (__kuser_helper_version < 3): ARMv5 atomics need __kuser_cmpxchg and __kuser_memory_barrier\\n\"\n\
         8: .balign 4"
    };
}
#[cfg(target_feature = "v6")]
macro_rules! kuser_too_old {
    () => {
        ""
    };
}
// The two numbers `kuser_too_old!` writes as immediates.
#[cfg(not(target_feature = "v6"))]
const _: () = assert!(sys::general::__NR_write == 4 && sys::general::__NR_exit_group == 248);

// The kernel enters `_start` with `sp` at argc (fs/binfmt_elf.c, create_elf_tables;
// STACK_ROUND keeps it 16-byte aligned) in the instruction set that bit 0 of the entry address
// names (arch/arm/include/asm/processor.h, `start_thread`: the T bit only if bit 0 is set; QEMU
// 7.2's linux-user/elfload.c `init_thread` the same). On a Thumb row `_start` is Thumb code and
// LLVM marks it `.thumb_func`, so lld writes an odd `e_entry` (measured with
// `llvm-objdump -f`) and the kernel starts it in Thumb state; on the ARM rows it is ARM code at an even address. Every
// instruction below exists in both. (`#[instruction_set(arm::a32)]` would pin it to ARM code,
// but rustc refuses it on these targets.) AAPCS ("The Stack", public interfaces) wants `sp`
// 8-byte aligned at a call: it is aligned down to 16 (through `r1`: Thumb cannot `bic` into
// `sp`). `r11` (the ARM frame pointer), `r7` (the Thumb one) and `lr` are zeroed so frame walks
// end here; `bl` reaches `__strand_start` in either state (lld turns it into `blx` across
// states, R_ARM_CALL / R_ARM_THM_CALL). `udf` traps if `__strand_start` ever returned. Only
// PC-relative branches: it runs unchanged in a static-pie. Before ARMv6 it first checks the
// kernel user helpers (`kuser_check!`).
#[cfg(not(test))]
#[no_mangle]
#[unsafe(naked)]
unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        naked_arch!(),
        kuser_check!(),
        "mov r11, #0",
        "mov r7, #0",
        "mov lr, #0",
        "mov r0, sp",
        "bic r1, r0, #15",
        "mov sp, r1",
        "bl {start}",
        "udf #0",
        kuser_too_old!(),
        start = sym crate::rt::__strand_start,
    )
}


/// `set_thread_pointer`: makes `tp` the calling thread's thread pointer (arm EABI: the ARM-private
/// `set_tls` syscall sets TPIDRURO; arch/arm/kernel/traps.c). Returns the raw syscall result.
///
/// # Safety
/// `tp` must point at a control block laid out as [`TLS`] says, live for as long as the
/// thread runs.
pub unsafe fn set_thread_pointer(tp: *mut u8) -> usize {
    // The ARM-private `set_tls` (0x0f0005) sets TPIDRURO, which user code reads with `mrc` and
    // the kernel saves and restores per task (arch/arm/kernel/traps.c, `arm_syscall` case
    // NR(set_tls); arch/arm/include/asm/tls.h).
    // SAFETY: the syscall only changes this thread's thread pointer; nothing reads TLS through
    // the old value afterwards (start-up sets it before any TLS access).
    unsafe { syscall1(__ARM_NR_set_tls as usize, tp as usize) }
}

/// `load_tp_u32`: a word of the calling thread's control block, read through [`thread_pointer`].
///
/// One load at an offset from `thread_pointer()` (no segment-relative addressing here).
pub use super::load_tp_u32_from_pointer as load_tp_u32;

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// A register read (`mrc p15, 0, rN, c13, c0, 3`, TPIDRURO, on ARMv6K and later: every row of
/// this file but armv5te; the armv6 row's CPU, ARM1176, is ARMv6KZ, and its tests pass with
/// `QEMU_CPU=arm1176`), no syscall; set by the `set_tls` syscall.
#[cfg(target_feature = "v6")]
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // SAFETY: reading TPIDRURO (ARM ARM, "c13, Software Thread ID registers": user read-only)
    // touches no memory; start-up and clone set it before any thread reads it.
    unsafe { asm!("mrc p15, 0, {}, c13, c0, 3", out(reg) tp, options(nomem, nostack, preserves_flags)) };
    tp
}

/// `thread_pointer`: the calling thread's thread pointer, which is how it finds its control block.
///
/// Before ARMv6K (the armv5te row) a call to the kernel user helper `__kuser_get_tls` at
/// 0xffff0fe0: it returns in `r0` the value the `set_tls` syscall (or CLONE_SETTLS) stored,
/// to `lr`, and changes no other register (Documentation/arch/arm/kernel_user_helpers.rst;
/// valid from helper version 1, which `_start` checked). The kernel keeps that value in the
/// helper page for such CPUs (CONFIG_TLS_REG_EMUL: arch/arm/include/asm/tls.h), so the helper
/// is a load and a return: no syscall. The address is built from an immediate (`mvn` of
/// 0xf000 gives 0xffff0fff), as position-independent as the helper page is fixed.
#[cfg(not(target_feature = "v6"))]
#[inline(always)]
pub fn thread_pointer() -> *mut u8 {
    let tp;
    // SAFETY: the helper page is mapped in every process of a kernel that runs ARMv5 code
    // (its version was checked at start-up); the helper reads only the kernel's own word in
    // that page and returns to `lr` with nothing but `r0` changed, flags and stack untouched.
    unsafe {
        asm!(
            "mvn r0, #0xf000",
            "sub r0, r0, #31",
            "blx r0",
            out("r0") tp,
            out("lr") _,
            options(nomem, nostack, preserves_flags)
        )
    };
    tp
}

/// The thread pointer for compiled TLS code: with the default `-mtp=soft` the compiler reads it
/// by calling this helper (RTABI32, `__aeabi_read_tp`), and assumes the call changes only `r0`,
/// `ip`, `lr` and the flags (LLVM's ARMInstrInfo.td, `TPsoft`), not `r1..r3` as a normal call
/// may: so it is asm that touches nothing but `r0`.
///
/// # Safety
/// Callable at any time on any thread whose thread pointer is set.
#[cfg(target_feature = "v6")]
#[no_mangle]
#[unsafe(naked)]
pub unsafe extern "C" fn __aeabi_read_tp() -> *mut u8 {
    naked_asm!(naked_arch!(), "mrc p15, 0, r0, c13, c0, 3", "bx lr")
}

/// The thread pointer for compiled TLS code: with the default `-mtp=soft` the compiler reads it
/// by calling this helper (RTABI32, `__aeabi_read_tp`), and assumes the call changes only `r0`,
/// `ip`, `lr` and the flags (LLVM's ARMInstrInfo.td, `TPsoft`), not `r1..r3` as a normal call
/// may. Before ARMv6K it tail-calls `__kuser_get_tls` (0xffff0fe0) with the caller's `lr`, so
/// the helper returns straight to the caller having changed only `r0`
/// (Documentation/arch/arm/kernel_user_helpers.rst; musl's arm `__aeabi_read_tp` jumps the
/// same way to its `__a_gettp_ptr`, which src/thread/arm/__set_thread_area.c sets to
/// 0xffff0fe0 on CPUs without HWCAP_TLS).
///
/// # Safety
/// Callable at any time on any thread whose thread pointer is set.
#[cfg(not(target_feature = "v6"))]
#[no_mangle]
#[unsafe(naked)]
pub unsafe extern "C" fn __aeabi_read_tp() -> *mut u8 {
    naked_asm!(naked_arch!(), "mvn r0, #0xf000", "sub pc, r0, #31")
}

/// `clone_thread`: starts a thread with the raw `clone` (see the contract in `arch/mod.rs`); on arm
/// EABI the child gets `tp` in TPIDRURO and calls `entry(arg)` with `blx`, which honours the Thumb
/// bit.
///
/// arm clone argument order is (flags, stack, ptid, tls, ctid): arch/arm/Kconfig selects
/// CLONE_BACKWARDS (kernel/fork.c; man 2 clone). With CLONE_SETTLS `tls` becomes the child's
/// TPIDRURO (arch/arm/kernel/process.c, `copy_thread`).
///
/// # Safety
/// `stack_top` is the 16-byte aligned top of a stack the child may own, `tp` a control block
/// set up for the child, `ptid`/`ctid` valid for `flags`; `entry` never returns.
pub unsafe fn clone_thread(
    flags: usize,
    stack_top: *mut u8,
    ptid: *mut i32,
    ctid: *mut u32,
    tp: *mut u8,
    entry: unsafe extern "C" fn(*mut u8) -> !,
    arg: *mut u8,
) -> usize {
    let r;
    // SAFETY: the child starts on `stack_top` (16-byte aligned by the caller, more than AAPCS's
    // 8) with `r0 = 0` and every other register a copy of the parent's (copy_thread copies the
    // whole `pt_regs`), so `{entry}`/`{arg}` still hold entry/arg. The allocator may have put
    // either in `r7`, `r11` or `lr` (all allocatable in some mode), so the child first moves them
    // to `r0` and `ip`, then zeroes both frame pointers (`r7`, `r11`) and `lr` so frame walks end
    // at `entry`, and calls it with `blx`, which takes the Thumb bit of the address; `entry`
    // never returns, so the child never comes back into this function and never touches the
    // parent's stack. The parent only sees `r0`, with `r7` back to its old value.
    unsafe {
        asm!(
            "mov {save}, r7",
            "mov r7, {nr}",
            "svc 0",
            "cmp r0, #0",
            "bne 2f",
            "mov r0, {arg}",
            "mov ip, {entry}",
            "mov r7, #0",
            "mov r11, #0",
            "mov lr, #0",
            "blx ip",
            "udf #0",
            "2:",
            "mov r7, {save}",
            nr = in(reg) __NR_clone as usize,
            save = out(reg) _,
            entry = in(reg) entry,
            arg = in(reg) arg,
            inlateout("r0") flags => r, in("r1") stack_top, in("r2") ptid, in("r3") tp, in("r4") ctid,
            options(nostack)
        )
    };
    r
}

/// `unmap_and_exit`: the end of a detached thread: unmaps `base..base + len`, its own stack
/// included, then exits, using only registers in between (arm EABI: `svc 0` needs no stack).
///
/// # Safety
/// The calling thread runs on the mapping and must have nothing left to do; no other thread may
/// use the mapping.
pub unsafe fn unmap_and_exit(base: *mut u8, len: usize) -> ! {
    // SAFETY: after munmap nothing touches memory: the exit number is an immediate and its
    // argument a register. `r7` need not survive (noreturn).
    unsafe {
        asm!(
            "mov r7, {munmap}",
            "svc 0",
            "mov r0, #0",
            "mov r7, #{exit}",
            "svc 0",
            "udf #0",
            munmap = in(reg) __NR_munmap as usize,
            exit = const __NR_exit,
            in("r0") base, in("r1") len,
            options(noreturn, nostack)
        )
    }
}

/// `STACK_GUARD`: where arm EABI stack-protector code reads its canary.
///
/// Compilers read the stack-protector canary from the global `__stack_chk_guard` on arm Linux
/// (GCC's default `-mstack-protector-guard=global`; LLVM's ARM target likewise: no TCB slot).
pub const STACK_GUARD: StackGuard = StackGuard::Global;

/// `rt_sigaction`: installs and/or reads the disposition of signal `sig`, in arm EABI's `struct
/// sigaction` and with strand's own trampolines as SA_RESTORER (one for the rt frame, one for the
/// old sigframe).
///
/// `{handler, flags, restorer, mask}` (arch/arm/include/uapi/asm/signal.h, with
/// `__ARCH_HAS_SA_RESTORER`). The kernel builds an rt frame for an SA_SIGINFO handler and the old
/// sigframe otherwise, each needing its own return syscall (arch/arm/kernel/signal.c,
/// `handle_signal`), and without SA_RESTORER returns through code it writes into the signal page
/// (`setup_return`, `sigreturn_codes`). strand passes its own trampoline for the frame the
/// handler gets, which the kernel then puts in `lr`.
///
/// # Safety
/// `new.handler` is `SIG_DFL`, `SIG_IGN` or a handler that may run at any time on any thread.
pub unsafe fn rt_sigaction(sig: u32, new: Option<&Sigaction>, old: Option<&mut Sigaction>) -> usize {
    let siginfo = new.is_some_and(|a| a.flags & SA_SIGINFO as usize != 0);
    let trampoline = if siginfo {
        restore_rt as unsafe extern "C" fn() -> ! as usize
    } else {
        restore as unsafe extern "C" fn() -> ! as usize
    };
    // SAFETY: per the contract; the trampolines below perform the return syscall of the frame
    // the kernel builds for these flags.
    unsafe { super::sigaction::with_restorer(sig, new, old, Some((SA_RESTORER as usize, trampoline))) }
}

/// An SA_SIGINFO handler returns here (`bx lr`) with `sp` at the kernel's rt signal frame, which
/// rt_sigreturn reads; nothing here touches the stack.
#[unsafe(naked)]
unsafe extern "C" fn restore_rt() -> ! {
    naked_asm!(naked_arch!(), "mov r7, #{nr}", "svc 0", "udf #0", nr = const __NR_rt_sigreturn)
}

/// A handler without SA_SIGINFO returns here, to `sigreturn` of the old frame.
#[unsafe(naked)]
unsafe extern "C" fn restore() -> ! {
    naked_asm!(naked_arch!(), "mov r7, #{nr}", "svc 0", "udf #0", nr = const __NR_sigreturn)
}

/// `struct ucontext` (arch/arm/include/asm/ucontext.h): `uc_flags`, `uc_link`, `uc_stack`
/// (12 bytes), then `uc_mcontext` at 20, `struct sigcontext` (arch/arm/include/uapi/asm/
/// sigcontext.h: `trap_no, error_code, oldmask, arm_r0..arm_r10, arm_fp, arm_ip, arm_sp,
/// arm_lr, arm_pc, arm_cpsr, fault_address`, 21 words). The saved PC has no Thumb bit: the mode
/// is `arm_cpsr`'s T bit, which the landing keeps (it lies in the same function).
const UC_SP: usize = 20 + 3 * 4 + 13 * 4;
const UC_PC: usize = UC_SP + 2 * 4;
/// `uc_sigmask` follows the 84-byte `uc_mcontext` (same header); `rt_sigreturn` restores the
/// mask from here (arch/arm/kernel/signal.c, `restore_sigframe`).
const UC_SIGMASK: usize = 20 + 21 * 4;

context_words!(UC_PC, UC_SP, UC_SIGMASK);

/// The cancellable syscall (see the contract in `arch/mod.rs`). AAPCS: `cancel` in `r0`, `nr`
/// in `r1`, `a1`/`a2` in `r2`/`r3`, `a3..a6` on the stack at entry `[sp]..[sp+12]`. The
/// prologue saves the callee-saved `r4`, `r5`, `r7` that carry arguments and the number (16
/// bytes with `lr`, keeping the 8-byte alignment), so the stack arguments are at `[sp+16]` on;
/// the epilogue restores them and returns with `pop {.., pc}`, which interworks. A syscall
/// restarted after a handler (SA_RESTART) re-executes the `svc` itself with the registers as
/// they were (arch/arm/kernel/signal.c backs `pc` up by 2 or 4), inside the range. The branches
/// to the cancel path and back use local labels.
///
/// # Safety
/// `cancel` is a valid `u32`; the caller upholds the syscall's own contract.
#[unsafe(naked)]
pub unsafe extern "C" fn syscall_cp(
    cancel: *const u32,
    nr: usize,
    a1: usize,
    a2: usize,
    a3: usize,
    a4: usize,
    a5: usize,
    a6: usize,
) -> usize {
    naked_asm!(
        naked_arch!(),
        cp_labels!(),
        "push {{r4, r5, r7, lr}}",
        "mov r7, r1",
        "__strand_cp_begin:",
        "ldr r1, [r0]",
        "cmp r1, #0",
        "bne 2f",
        "mov r0, r2",
        "mov r1, r3",
        "ldr r2, [sp, #16]",
        "ldr r3, [sp, #20]",
        "ldr r4, [sp, #24]",
        "ldr r5, [sp, #28]",
        "svc 0",
        "__strand_cp_end:",
        "1:",
        "pop {{r4, r5, r7, pc}}",
        "__strand_cp_cancel:",
        "2:",
        "mvn r0, #{ecanceled_minus_1}",
        "b 1b",
        // -ECANCELED is ~(ECANCELED - 1).
        ecanceled_minus_1 = const sys::errno::ECANCELED - 1,
    )
}
