//! The `fieldgrid-server` binary: configuration and the admin CLI, run for real.

use std::process::Command;

fn server(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fieldgrid-server"));
    c.arg("--data-dir")
        .arg(dir)
        .env_remove("FIELDGRID_DATABASE_URL");
    c
}

#[test]
fn the_admin_cli_creates_administrators_and_refuses_bad_requests() {
    let dir = tempfile::tempdir().unwrap();
    let out = server(dir.path())
        .args(["admin", "create-admin", "--name", "张主任"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let token = text.lines().last().unwrap();
    assert!(token.starts_with("adm_") && token.len() > 40, "{text}");
    assert!(dir.path().join("server.sqlite").exists());

    let out = server(dir.path())
        .args(["admin", "registrations", "--status", "pending"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());

    let out = server(dir.path())
        .args(["admin", "approve", "nope", "--staff", "x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("staff x is not in the org tree"));
    let out = server(dir.path())
        .args(["admin", "revoke", "nope"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("no registration nope"));

    // Publishing an org tree from a file: a broken one is refused with its problems.
    let tree = dir.path().join("tree.json");
    std::fs::write(
        &tree,
        r#"{"version": 1, "units": [], "grids": [], "staff": []}"#,
    )
    .unwrap();
    let out = server(dir.path())
        .args(["admin", "publish-org-tree"])
        .arg(&tree)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exactly one county"));
    let demo = serde_json::to_string(&fieldgrid_core::org::demo::demo_county()).unwrap();
    std::fs::write(&tree, demo).unwrap();
    let out = server(dir.path())
        .args(["admin", "publish-org-tree"])
        .arg(&tree)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn configuration_comes_from_a_file_and_bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fieldgrid.toml");
    std::fs::write(
        &file,
        format!("listen = \"127.0.0.1:9999\"\ndata_dir = {:?}\nmin_app_version = \"2.1.0\"\nmax_body_bytes = 1024\n", dir.path().join("d")),
    )
    .unwrap();
    let config = fieldgrid_server::Config::load(Some(&file)).unwrap();
    assert_eq!(config.listen, "127.0.0.1:9999");
    assert_eq!(config.min_app_version, "2.1.0");
    assert_eq!(config.max_body_bytes, 1024);
    assert_eq!(config.data_dir, dir.path().join("d"));

    std::fs::write(&file, "listen = 5\nunknown_setting = true\n").unwrap();
    let err = fieldgrid_server::Config::load(Some(&file)).unwrap_err();
    assert!(err.to_string().contains("fieldgrid.toml"), "{err}");
    let out = server(dir.path())
        .arg("--config")
        .arg(&file)
        .args(["admin", "registrations"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is invalid"));
}

#[test]
fn the_admin_cli_publishes_a_township_catalogue_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/forms/catalogue.csv");
    let out = server(dir.path())
        .args(["admin", "publish-catalogue", sheet])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "catalogue version 1 published: 11 first-level, 79 second-level, 304 third-level categories"
    );

    // A sheet with a loop and a missing parent: both named, nothing published.
    let bad = dir.path().join("类别目录.csv");
    std::fs::write(
        &bad,
        "编码,名称,上级编码\n01,矛盾纠纷,\n02,环甲,03\n03,环乙,02\n0101,无上级,0188\n",
    )
    .unwrap();
    let out = server(dir.path())
        .args(["admin", "publish-catalogue", "--version", "5"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("第 3 行（02）：上级编码成环：02 → 03 → 02"),
        "{err}"
    );
    assert!(
        err.contains("第 5 行（0101）：上级编码 0188 不在表中"),
        "{err}"
    );
    let out = server(dir.path())
        .args(["admin", "publish-catalogue", "--version", "2", sheet])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("catalogue version 2 published"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
