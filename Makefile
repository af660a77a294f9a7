# tiendo — build, test and run. Every target installs its own prerequisites (Debian 12).
SWIFT ?= swift
PREFIX ?= /usr
DESTDIR ?=
STATE ?= $(CURDIR)/.tiendo
APT_PACKAGES = libsystemd-dev libsqlite3-dev pkg-config python3-venv systemd locales msmtp openssl libxlsxwriter-dev zlib1g-dev libxml2-dev
# The browser tests of tiendo-web: Debian's Chromium, its WebDriver and its Vietnamese words, fonts with Vietnamese
# letters, pdftoppm to look at printed pages.
WEB_TEST_APT_PACKAGES = chromium chromium-driver chromium-l10n fonts-noto-core poppler-utils

VENV = .venv-test
# SwiftPM's scratch path (its build folder). CI points it at a cache kept between runs (.ci/run); the tests find the
# programs in $(SCRATCH)/debug.
SCRATCH ?= .build
BIN_DIR = $(abspath $(SCRATCH))/debug
SWIFT_BUILD = $(SWIFT) build --scratch-path $(SCRATCH)
# The Python suites run against the programs of the debug build in $(SCRATCH).
PYTEST = TIENDO_BIN_DIR=$(BIN_DIR) $(VENV)/bin/python -m pytest -q

.PHONY: all deps web-test-deps build release lint test test-swift test-varlink test-hostile test-systemd test-delivery test-web venv \
	run bench bench-quick clean install install-build uninstall man deb test-deb

all: build

# Installs the Debian packages the build and tests need, when missing (apt-get needs root).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Cài đặt gói còn thiếu:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi
endef

deps:
	$(call apt_install,$(APT_PACKAGES))

web-test-deps:
	$(call apt_install,$(WEB_TEST_APT_PACKAGES))

build: deps
	$(SWIFT_BUILD)

release: deps
	$(SWIFT_BUILD) -c release

test: deps lint test-swift test-varlink test-hostile test-systemd test-delivery test-web

# `swift format lint --strict` with the root .swift-format over every Swift file (the product, its tests, the bench
# driver, the plugins); `swift format format -i --recursive DIR` fixes what it reports.
lint:
	$(SWIFT) format lint --strict --parallel --recursive Sources Tests bench/Sources Plugins
	@# The example CSVs are what their generator writes for the day they were made (a changed draw once left them
	@# impossible to regenerate).
	@out=$$(mktemp -d) && python3 scripts/gen-examples.py --today 2026-11-30 --out $$out >/dev/null \
		&& diff -r -x '*.md' -x README $$out Workflows/examples >/dev/null \
		|| { echo "Workflows/examples/ khác với bản scripts/gen-examples.py --today 2026-11-30 tạo ra"; rm -rf $$out; exit 1; }; \
		rm -rf $$out

test-swift: deps
	$(SWIFT_BUILD) --build-tests
	$(SWIFT) test --scratch-path $(SCRATCH) --skip-build

# A Python venv with the independent varlink client (PyPI `varlink`) and pytest.
$(VENV)/.ready:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check varlink pytest
	touch $@

venv: $(VENV)/.ready

# selenium 4.52.0 needs a certifi newer than the package mirror here has; 4.51.0 is the newest that installs.
$(VENV)/.web-ready: $(VENV)/.ready
	$(VENV)/bin/pip install -q --disable-pip-version-check selenium==4.51.0
	touch $@

# openpyxl writes the workbooks the import tests read (tests/web's /nhap, tests/varlink's tiendoctl import): files
# as another program than tiendo writes them.
$(VENV)/.ready-sheets: $(VENV)/.ready
	$(VENV)/bin/pip install -q --disable-pip-version-check openpyxl==3.1.5
	touch $@

# tiendo-web in Chromium against the real tiendod (tests/web); screenshots and files in tests/web/artifacts/.
test-web: deps web-test-deps $(VENV)/.web-ready $(VENV)/.ready-sheets
	$(SWIFT_BUILD)
	$(PYTEST) tests/web

# The control socket against the real daemon, with the independent client.
test-varlink: deps venv $(VENV)/.ready-sheets
	$(SWIFT_BUILD)
	$(PYTEST) tests/varlink

# Hostile definitions and text from outside through the real programs, each run under a hang guard.
test-hostile: deps venv
	$(SWIFT_BUILD)
	$(PYTEST) tests/hostile

# aiosmtpd (the SMTP server of the delivery tests) in the same venv.
$(VENV)/.ready-delivery: $(VENV)/.ready
	$(VENV)/bin/pip install -q --disable-pip-version-check aiosmtpd
	touch $@

# tiendo-deliver against real servers on loopback: aiosmtpd (TLS, AUTH, 4xx/5xx, hangs, drops), an HTTP receiver
# checking webhook signatures, msmtp as sendmail; through a real tiendod: deliveries fanned out with the records,
# a season on a fake clock, a dead relay, dead letters, kill -9 of the sender and of tiendod, permissions.
test-delivery: deps venv $(VENV)/.ready-delivery
	$(SWIFT_BUILD)
	$(PYTEST) tests/delivery

# The units under a real journald and a real `systemd --user` manager (tests/systemd/run.sh; needs root).
test-systemd: deps
	$(SWIFT_BUILD)
	SCRATCH=$(SCRATCH) bash tests/systemd/run.sh

# ---------------------------------------------------------------- install
# `make install` builds in release mode and copies; `sudo make install` as in the README.
# DESTDIR stages into a directory (packaging); PREFIX moves everything (default /usr).
# Completion scripts are sourced: the bash one loses its "#!/bin/bash" line.
CONFIGURATION ?= release
# Installed programs carry the Swift runtime inside (static), so they need no toolchain and survive its upgrade or
# removal; no $ORIGIN run path (nothing is installed beside them); immediate binding, for a read-only GOT (RELRO).
# Release only: tests/systemd installs the debug build as `swift build` made it (a static debug link also fails).
INSTALL_BUILD_FLAGS = $(if $(filter release,$(CONFIGURATION)),--static-swift-stdlib --disable-local-rpath \
	-Xlinker -z -Xlinker now)
BINDIR = $(PREFIX)/bin
LIBDIR = $(PREFIX)/lib
UNITDIR = $(LIBDIR)/systemd/system
DATADIR = $(PREFIX)/share
SYSCONFDIR = /etc
MANDIR = $(DATADIR)/man
MANOUT = $(SCRATCH)/man
# The programs whose man pages come from their argument parser.
MAN_PROGRAMS = tiendoctl tiendo-deliver tiendo-web
# The date printed in generated man pages: the last commit's, so a rebuild gives the same pages.
MANDATE := $(shell git log -1 --format=%cs 2>/dev/null || date +%F)
# Outside /usr, tiendod must be told where the shipped workflows are.
WORKFLOW_ARGS = $(if $(filter /usr,$(PREFIX)),, --workflows /etc/tiendo/workflows --workflows $(LIBDIR)/tiendo/workflows)

# The programs as installed, and argument-parser's generate-manual tool with the same flags (its
# `swift package generate-manual` plugin would build with other flags, and so recompile every module).
install-build: deps
	$(SWIFT_BUILD) -c $(CONFIGURATION) $(INSTALL_BUILD_FLAGS)
	$(SWIFT_BUILD) -c $(CONFIGURATION) $(INSTALL_BUILD_FLAGS) --product generate-manual

# tiendoctl(1) and one page per subcommand, from the argument parser's help (with Vietnamese letters kept).
man: install-build
	scripts/generate-manual.sh $(SCRATCH)/$(CONFIGURATION) $(MANOUT) $(MANDATE) $(MAN_PROGRAMS)

install: man
	install -Dm755 $(SCRATCH)/$(CONFIGURATION)/tiendod $(DESTDIR)$(BINDIR)/tiendod
	install -Dm755 $(SCRATCH)/$(CONFIGURATION)/tiendoctl $(DESTDIR)$(BINDIR)/tiendoctl
	install -Dm755 $(SCRATCH)/$(CONFIGURATION)/tiendo-web $(DESTDIR)$(BINDIR)/tiendo-web
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|^ExecStart=/usr/bin/tiendod|ExecStart=$(BINDIR)/tiendod$(WORKFLOW_ARGS)|' \
		-e 's|/usr/bin/tiendoctl|$(BINDIR)/tiendoctl|' systemd/tiendod.service > $(DESTDIR)$(UNITDIR)/tiendod.service
	install -m644 systemd/tiendod.socket $(DESTDIR)$(UNITDIR)/tiendod.socket
	sed -e 's|/usr/bin/tiendoctl|$(BINDIR)/tiendoctl|' systemd/tiendo-backup.service > $(DESTDIR)$(UNITDIR)/tiendo-backup.service
	chmod 644 $(DESTDIR)$(UNITDIR)/tiendo-backup.service
	install -m644 systemd/tiendo-backup.timer $(DESTDIR)$(UNITDIR)/tiendo-backup.timer
	sed -e 's|/usr/bin/tiendo-web|$(BINDIR)/tiendo-web|' systemd/tiendo-web.service > $(DESTDIR)$(UNITDIR)/tiendo-web.service
	chmod 644 $(DESTDIR)$(UNITDIR)/tiendo-web.service
	install -Dm644 systemd/tiendo-web.sysusers $(DESTDIR)$(LIBDIR)/sysusers.d/tiendo-web.conf
	chmod 644 $(DESTDIR)$(UNITDIR)/tiendod.service
	install -Dm644 systemd/tiendo.sysusers $(DESTDIR)$(LIBDIR)/sysusers.d/tiendo.conf
	install -Dm644 systemd/tiendo.tmpfiles $(DESTDIR)$(LIBDIR)/tmpfiles.d/tiendo.conf
	install -Dm644 systemd/tiendo.catalog $(DESTDIR)$(LIBDIR)/systemd/catalog/tiendo.catalog
	install -Dm755 $(SCRATCH)/$(CONFIGURATION)/tiendo-deliver $(DESTDIR)$(BINDIR)/tiendo-deliver
	sed -e 's|/usr/bin/tiendo-deliver|$(BINDIR)/tiendo-deliver|' systemd/tiendo-deliver.service \
		> $(DESTDIR)$(UNITDIR)/tiendo-deliver.service
	chmod 644 $(DESTDIR)$(UNITDIR)/tiendo-deliver.service
	install -Dm644 systemd/tiendo-deliver.sysusers $(DESTDIR)$(LIBDIR)/sysusers.d/tiendo-deliver.conf
	install -Dm644 systemd/tiendo-deliver.catalog $(DESTDIR)$(LIBDIR)/systemd/catalog/tiendo-deliver.catalog
	install -Dm644 docs/delivery.md $(DESTDIR)$(DATADIR)/doc/tiendo/delivery.md
	install -d $(DESTDIR)$(LIBDIR)/tiendo/workflows/calendars
	install -m644 Workflows/*.yaml $(DESTDIR)$(LIBDIR)/tiendo/workflows/
	install -m644 Workflows/calendars/*.yaml $(DESTDIR)$(LIBDIR)/tiendo/workflows/calendars/
	install -Dm644 config/workflows/README $(DESTDIR)$(SYSCONFDIR)/tiendo/workflows/README
	install -Dm644 vn.tiendo.Manager.varlink $(DESTDIR)$(DATADIR)/varlink/vn.tiendo.Manager.varlink
	install -Dm644 vn.tiendo.Delivery.varlink $(DESTDIR)$(DATADIR)/varlink/vn.tiendo.Delivery.varlink
	install -Dm644 vn.tiendo.Extras.varlink $(DESTDIR)$(DATADIR)/varlink/vn.tiendo.Extras.varlink
	install -d $(DESTDIR)$(DATADIR)/bash-completion/completions $(DESTDIR)$(DATADIR)/zsh/vendor-completions \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	$(SCRATCH)/$(CONFIGURATION)/tiendoctl --generate-completion-script bash | sed '1{/^#!/d}' \
		> $(DESTDIR)$(DATADIR)/bash-completion/completions/tiendoctl
	$(SCRATCH)/$(CONFIGURATION)/tiendoctl --generate-completion-script zsh > $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_tiendoctl
	$(SCRATCH)/$(CONFIGURATION)/tiendoctl --generate-completion-script fish > $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/tiendoctl.fish
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m644 $(MANOUT)/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m644 docs/tiendod.8 $(DESTDIR)$(MANDIR)/man8/tiendod.8
	@echo "Đã cài vào $(DESTDIR)$(PREFIX). Tiếp theo (xem README):"
	@echo "  sudo systemd-sysusers && sudo journalctl --update-catalog && sudo systemctl daemon-reload"
	@echo "  sudo systemctl enable --now tiendod.socket tiendo-backup.timer"
	@echo "  echo 'MẬT-KHẨU' | sudo tiendo-web user add TÊN --role quan-tri --password-stdin"
	@echo "  sudo systemctl enable --now tiendo-web.service"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tiendod $(DESTDIR)$(BINDIR)/tiendoctl $(DESTDIR)$(BINDIR)/tiendo-deliver $(DESTDIR)$(BINDIR)/tiendo-web
	rm -f $(DESTDIR)$(UNITDIR)/tiendo-deliver.service $(DESTDIR)$(LIBDIR)/sysusers.d/tiendo-deliver.conf \
		$(DESTDIR)$(LIBDIR)/systemd/catalog/tiendo-deliver.catalog $(DESTDIR)$(DATADIR)/doc/tiendo/delivery.md
	-rmdir $(DESTDIR)$(DATADIR)/doc/tiendo
	rm -f $(DESTDIR)$(UNITDIR)/tiendod.service $(DESTDIR)$(UNITDIR)/tiendod.socket $(DESTDIR)$(UNITDIR)/tiendo-web.service \
		$(DESTDIR)$(UNITDIR)/tiendo-backup.service $(DESTDIR)$(UNITDIR)/tiendo-backup.timer
	rm -f $(DESTDIR)$(LIBDIR)/sysusers.d/tiendo.conf $(DESTDIR)$(LIBDIR)/sysusers.d/tiendo-web.conf $(DESTDIR)$(LIBDIR)/tmpfiles.d/tiendo.conf \
		$(DESTDIR)$(LIBDIR)/systemd/catalog/tiendo.catalog
	rm -f $(DESTDIR)$(SYSCONFDIR)/tiendo/workflows/README
	rm -rf $(DESTDIR)$(LIBDIR)/tiendo/workflows
	-rmdir $(DESTDIR)$(LIBDIR)/tiendo
	rm -f $(DESTDIR)$(DATADIR)/varlink/vn.tiendo.Manager.varlink $(DESTDIR)$(DATADIR)/varlink/vn.tiendo.Delivery.varlink \
		$(DESTDIR)$(DATADIR)/varlink/vn.tiendo.Extras.varlink
	rm -f $(DESTDIR)$(DATADIR)/bash-completion/completions/tiendoctl $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_tiendoctl \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/tiendoctl.fish
	rm -f $(foreach p,$(MAN_PROGRAMS),$(DESTDIR)$(MANDIR)/man1/$(p).1 $(DESTDIR)$(MANDIR)/man1/$(p).*.1) \
		$(DESTDIR)$(MANDIR)/man8/tiendod.8

# ---------------------------------------------------------------- Debian package
# `make deb` writes tiendo_VERSION_ARCH.deb into DEBDIR with debhelper (debian/rules) from what `make install`
# installs and checks it with lintian (scripts/make-deb.sh; README, "Building and testing the package").
# The version comes from git (scripts/version.sh); TIENDO_VERSION in the environment overrides it.
DEB_APT_PACKAGES = debhelper lintian
DEBDIR ?= $(CURDIR)

deb: deps
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(DEB_APT_PACKAGES)"
	scripts/make-deb.sh $(DEBDIR)

# Builds two packages (this version, then a newer one: an incremental rebuild) and installs, upgrades, removes and
# purges them in a clean Debian 12 root made with debootstrap (needs root; the root is cached in /var/cache/tiendo-ci).
test-deb: deps
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(DEB_APT_PACKAGES) debootstrap"
	bash tests/deb/run.sh

# Runs the daemon on the shipped workflows and tiendo-web on 127.0.0.1:8080 (WEB_LISTEN), with their state in
# ./.tiendo/; the first run creates the account `admin` (quan-tri) with a random password, printed once.
# Ctrl-C stops both.
WEB_LISTEN ?= 127.0.0.1:8080
run: build
	STATE=$(STATE) WEB_LISTEN=$(WEB_LISTEN) BIN=$(BIN_DIR) scripts/run.sh $(RUN_ARGS)

# Benchmarks (issues 7 and 14, docs/performance.md): release builds, N up to 10^7, 50–85 minutes on 2 cores (the 10^7 import 28–48); bench/results.json.
bench: deps
	bench/run.sh full

# The same scenarios at small N in under a minute (CI smoke check); fails if a scenario fails.
bench-quick: deps
	bench/run.sh quick

clean:
	rm -rf .build .build-ci .tiendo
