//! Turns on the peer parts of `benches/access.rs` (casbin-rs and cedar-policy), which the
//! workspace's own build of the same file leaves out.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tenantry_peers)");
    println!("cargo::rustc-cfg=tenantry_peers");
}
