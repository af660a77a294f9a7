# tiendo — build, test and run. Every target installs its own prerequisites (Debian 12).
SWIFT ?= swift
PREFIX ?= /usr
DESTDIR ?=
STATE ?= $(CURDIR)/.tiendo
APT_PACKAGES = libsystemd-dev libsqlite3-dev pkg-config python3-venv

VENV = .venv-test

.PHONY: all deps build release test test-swift test-varlink venv run bench clean

all: build

# Installs the Debian packages the build and tests need, when missing (apt-get needs root).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Cài đặt gói còn thiếu:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps test-swift test-varlink

test-swift: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# A Python venv with the independent varlink client (PyPI `varlink`) and pytest.
$(VENV)/.ready:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check varlink pytest
	touch $@

venv: $(VENV)/.ready

# The control socket against the real daemon, with the independent client.
test-varlink: deps venv
	$(SWIFT) build
	$(VENV)/bin/python -m pytest -q tests/varlink

# Runs the daemon in the foreground on the shipped workflows, with its state in ./.tiendo/.
run: build
	@mkdir -p $(STATE)
	@echo "tiendod: trạng thái $(STATE)/state/tiendo.sqlite, tệp trạng thái $(STATE)/status/, socket $(STATE)/vn.tiendo.Manager"
	@echo "Thử:  TIENDO_SOCKET=$(STATE)/vn.tiendo.Manager ./.build/debug/tiendoctl status   (Ctrl-C để dừng)"
	./.build/debug/tiendod --workflows Workflows --state-dir $(STATE)/state --runtime-dir $(STATE)/status \
		--socket $(STATE)/vn.tiendo.Manager $(RUN_ARGS)

clean:
	rm -rf .build .tiendo
