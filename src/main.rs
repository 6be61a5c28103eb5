fn main() {
    eprintln!("karmada-preflight: not yet implemented");
    std::process::exit(2);
}
