//! Generates the Kotlin, Swift and Python bindings from the built library:
//! `target/debug/uniffi-bindgen generate --library target/debug/libfieldgrid_ffi.so
//! --language kotlin --out-dir OUT`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
