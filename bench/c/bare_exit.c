/* The kernel floor of workload 3: a static executable without libc whose entry point ends the
 * process at once, so a timed run is the kernel's execve, exit and wait and nothing else.
 * Built with `gcc -O2 -static -nostdlib -nostartfiles`. The launcher passes the workload name
 * (`one_thread`, `nothing`) as for every competitor; it is ignored. */

/* exit_group on x86_64, from arch/x86/entry/syscalls/syscall_64.tbl. */
#define SYS_EXIT_GROUP 231

void _start(void) {
    __asm__ volatile("syscall" : : "a"(SYS_EXIT_GROUP), "D"(0) : "rcx", "r11", "memory");
    __builtin_unreachable();
}
