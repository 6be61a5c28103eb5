// Loading builds a value tree per kept object: many small allocations, where mimalloc's
// size classes cost less memory and time than glibc's malloc (`cargo bench --bench offline`).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    karmada_preflight::alloc::tune();
    std::process::exit(karmada_preflight::cli::main());
}
