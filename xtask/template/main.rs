#![no_std]
#![no_main]

use strand::{println, sync::Mutex, thread};

strand::main!(main);

static TOTAL: Mutex<u64> = Mutex::new(0);

fn main() -> Result<(), thread::SpawnError> {
    let h = thread::Builder::new().name("adder").stack_size(64 << 10).spawn(|| {
        *TOTAL.lock() += 40;
        2
    })?;
    // `join` fails if a thread joins its own handle or the thread ended with `thread::exit`.
    match h.join() {
        Ok(two) => println!("total {}", *TOTAL.lock() + two),
        Err(e) => println!("join: {e}"),
    }
    Ok(())
}
