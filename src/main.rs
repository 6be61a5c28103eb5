fn main() {
    std::process::exit(karmada_preflight::cli::main());
}
