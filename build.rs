//! Build script: generates the parser from `grammar/kont.lalrpop` into `$OUT_DIR/kont.rs`,
//! which `src/syntax/parser.rs` includes.

fn main() {
    println!("cargo:rerun-if-changed=grammar/kont.lalrpop");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .set_out_dir(out_dir)
        .process()
        .expect("grammar/kont.lalrpop should generate a parser");
}
