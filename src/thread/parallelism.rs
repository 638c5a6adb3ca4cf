//! `available_parallelism`: the CPUs this thread may run on, lowered by a cgroup v2 CPU quota.

use super::PathBuf;
use crate::errno::Errno;
use crate::syscall;
use core::num::NonZeroUsize;

/// The CPUs in the calling thread's affinity mask (`sched_getaffinity`), lowered to
/// `quota / period` (at least 1) when the process's cgroup v2 `cpu.max`, or an ancestor's, sets
/// a quota. The cgroup hierarchy is looked for where systemd and containers mount it,
/// `/sys/fs/cgroup`.
///
/// ```
/// # #![no_std]
/// # #![no_main]
/// # strand::main!(main);
/// # fn main() {
/// let n = strand::thread::available_parallelism().unwrap();
/// assert!(n.get() >= 1);
/// # }
/// ```
pub fn available_parallelism() -> Result<NonZeroUsize, Errno> {
    // Room for 8192 CPUs; the kernel fails with EINVAL only if its mask is larger.
    let mut mask = [0usize; 8192 / usize::BITS as usize];
    let bytes = syscall::sched_getaffinity(&mut mask)?;
    let words = bytes.div_ceil(core::mem::size_of::<usize>()).min(mask.len());
    let cpus: usize = mask[..words].iter().map(|w| w.count_ones() as usize).sum();
    let cpus = match cgroup_quota() {
        Some(q) => cpus.min(q),
        None => cpus,
    };
    // An empty affinity mask cannot be (the thread runs somewhere); a quota is at least 1.
    NonZeroUsize::new(cpus).ok_or(Errno::EINVAL)
}

/// The smallest CPU quota on the path from the process's cgroup to the root, in whole CPUs.
fn cgroup_quota() -> Option<usize> {
    let mut buf = [0u8; 512];
    let cgroup = syscall::read_file(c"/proc/self/cgroup", &mut buf).ok()?;
    let rel = cgroup_v2_path(cgroup)?;
    let mut path = PathBuf::new();
    if !path.try_push(b"/sys/fs/cgroup") || !path.try_push(rel) {
        return None;
    }
    let root_len = b"/sys/fs/cgroup".len();
    let mut best: Option<usize> = None;
    loop {
        let len = path.len();
        if path.try_push(b"/cpu.max") {
            let mut max = [0u8; 64];
            if let Ok(content) = syscall::read_file(path.as_cstr(), &mut max) {
                if let Some(q) = parse_cpu_max(content) {
                    best = Some(best.map_or(q, |b: usize| b.min(q)));
                }
            }
        }
        path.truncate(len);
        // Up one level; stop after the root.
        let cur = &path.as_cstr().to_bytes()[root_len..];
        match cur.iter().rposition(|&b| b == b'/') {
            Some(i) if len > root_len => path.truncate(root_len + i),
            _ => break,
        }
    }
    best
}

/// The cgroup v2 entry of /proc/self/cgroup: the line `0::<path>`.
fn cgroup_v2_path(content: &[u8]) -> Option<&[u8]> {
    content.split(|&b| b == b'\n').find_map(|line| line.strip_prefix(b"0::"))
}

/// `cpu.max` is `max <period>` or `<quota> <period>` (Documentation/admin-guide/cgroup-v2.rst).
fn parse_cpu_max(content: &[u8]) -> Option<usize> {
    let line = content.split(|&b| b == b'\n').next()?;
    let mut fields = line.split(|&b| b == b' ');
    let quota = parse_usize(fields.next()?)?;
    let period = parse_usize(fields.next()?)?;
    if period == 0 {
        return None;
    }
    Some((quota / period).max(1))
}

fn parse_usize(s: &[u8]) -> Option<usize> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0usize, |acc, &b| {
        let d = b.checked_sub(b'0').filter(|d| *d < 10)?;
        acc.checked_mul(10)?.checked_add(d as usize)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_max_forms() {
        assert_eq!(parse_cpu_max(b"max 100000\n"), None);
        assert_eq!(parse_cpu_max(b"200000 100000\n"), Some(2));
        assert_eq!(parse_cpu_max(b"150000 100000"), Some(1));
        assert_eq!(parse_cpu_max(b"50000 100000"), Some(1));
        assert_eq!(parse_cpu_max(b"100 0"), None);
        assert_eq!(parse_cpu_max(b""), None);
    }

    #[test]
    fn cgroup_file() {
        assert_eq!(cgroup_v2_path(b"0::/user.slice/a.scope\n"), Some(&b"/user.slice/a.scope"[..]));
        assert_eq!(cgroup_v2_path(b"12:cpu:/x\n0::/\n"), Some(&b"/"[..]));
        assert_eq!(cgroup_v2_path(b"12:cpu:/x\n"), None);
    }
}
