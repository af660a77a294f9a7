// The module of tiendo's version: `TiendoVersion.string`, in `TiendoVersion.swift`, which Plugins/TiendoVersionPlugin
// generates before every build from git (scripts/version.sh). A module of its own, imported by the programs alone
// (the libraries are handed the version: `DaemonOptions.version`, `WebhookChannel(version:)`), so that a new version
// recompiles this file and the programs' small main modules, then relinks — not every library, which a release
// build compiles whole: the newer package `make test-deb` builds took minutes when the version lived in TiendoCore.
