//! Rows two at a time: `test` and `stress` run one ABI's row while the next one builds (cargo
//! lets one build at a time into `target/`; a row's programs run, under QEMU mostly on one core,
//! meanwhile). What a row prints is kept in its own buffer and printed whole, in the table's
//! order, when the rows before it are printed, so the log reads as if the rows ran one by one.

// While a worker runs a row, `say!` writes into the worker's buffer; elsewhere to stdout.
std::thread_local! {
    pub static OUT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// `println!` into the row buffer, if one is active.
macro_rules! say {
    () => {
        say_raw!("\n")
    };
    ($($t:tt)*) => {
        say_raw!("{}\n", format_args!($($t)*))
    };
}

/// `print!` into the row buffer, if one is active.
macro_rules! say_raw {
    ($($t:tt)*) => {{
        let text = format!($($t)*);
        $crate::rows::OUT.with(|o| match o.borrow_mut().as_mut() {
            Some(buf) => buf.push_str(&text),
            None => {
                use std::io::Write;
                print!("{text}");
                let _ = std::io::stdout().flush();
            }
        })
    }};
}

/// How many rows run at once.
pub const ROW_JOBS: usize = 2;

/// `row(item)` for every item, `ROW_JOBS` at a time, each row's output buffered and printed
/// whole in the items' order as soon as the rows before it are printed; the results in order.
pub fn run_rows<A: Sync, R: Send>(items: &[A], row: impl Fn(&A) -> Result<R, String> + Sync) -> Result<Vec<R>, String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Result<R, String>, String)>();
    let mut done: Vec<Option<(Result<R, String>, String)>> = items.iter().map(|_| None).collect();
    let mut results = Vec::new();
    std::thread::scope(|scope| {
        for _ in 0..ROW_JOBS.min(items.len()) {
            let tx = tx.clone();
            let (next, row) = (&next, &row);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                OUT.with(|o| *o.borrow_mut() = Some(String::new()));
                let result = row(item);
                let log = OUT.with(|o| o.borrow_mut().take()).unwrap_or_default();
                if tx.send((i, result, log)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut printed = 0;
        for (i, result, log) in rx {
            done[i] = Some((result, log));
            while let Some(Some((result, log))) = done.get_mut(printed).map(Option::take) {
                print!("{log}");
                results.push(result);
                printed += 1;
            }
        }
    });
    results.into_iter().collect()
}
