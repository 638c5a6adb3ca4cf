//! The cancel decision of the control signal's handler (`cancel::redirect`): whether a thread
//! interrupted at a given PC must leave its cancellation point. Pure, so that the host checker
//! (`check/`, tests/loom_control.rs) model-checks it against a modelled `syscall_cp` stub and a
//! modelled canceller: a cancel is never lost between the stub's test and its sleep in the
//! kernel, and a syscall that completed keeps its result.

/// Whether a thread interrupted at `pc` must leave its cancellation point: it is cancelled,
/// cancellation is enabled, and `pc` lies where the stub has not completed its syscall:
/// `range` is `[__strand_cp_begin, __strand_cp_end)`, the end being right after the syscall
/// instruction, so a PC at the end means the syscall completed and its result must be kept.
pub fn must_redirect(pc: usize, range: (usize, usize), cancelled: bool, disabled: bool) -> bool {
    cancelled && !disabled && range.0 <= pc && pc < range.1
}

#[cfg(test)]
mod tests {
    use super::must_redirect;

    #[test]
    fn only_an_uncompleted_syscall_of_a_cancelled_thread_is_redirected() {
        let range = (0x1000, 0x1010);
        // Inside the stub, before the syscall completed: leave.
        assert!(must_redirect(0x1000, range, true, false));
        assert!(must_redirect(0x100e, range, true, false));
        // At the end (the syscall completed) or anywhere else: keep going.
        assert!(!must_redirect(0x1010, range, true, false));
        assert!(!must_redirect(0x0fff, range, true, false));
        // Not cancelled, or cancellation disabled.
        assert!(!must_redirect(0x1004, range, false, false));
        assert!(!must_redirect(0x1004, range, true, true));
    }
}
