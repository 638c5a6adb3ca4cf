// origin provides `_start`: link without the C runtime's start files (origin's examples do the same).
fn main() {
    println!("cargo:rustc-link-arg=-nostartfiles");
}
