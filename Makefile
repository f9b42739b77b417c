# ovudev — the two commands of the quick start are `make up` and `make test`.
SWIFT ?= swift
BIN := .build/debug/ovudev
SCENARIO ?=
# Where `make up` links and `make install` copies the ovudev command: /usr/local as root, else ~/.local.
PREFIX ?= $(if $(filter 0,$(shell id -u)),/usr/local,$(HOME)/.local)
# The tests' Python tools (check-jsonschema, kubernetes-validate, python-dotenv) live in .venv/.
VENV_BIN := $(CURDIR)/.venv/bin
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: deps build link install up down render test templates bench clean

deps:          ## install missing Debian packages and Python tools
	@sh scripts/install-deps.sh

build:
	$(SWIFT) build

# `ovudev` on PATH: a link to this checkout's debug build (rebuilt by every `make up`).
link: build
	@mkdir -p $(PREFIX)/bin
	@ln -sf $(CURDIR)/$(BIN) $(PREFIX)/bin/ovudev
	@echo "ovudev: $(PREFIX)/bin/ovudev -> $(CURDIR)/$(BIN)"
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; *) echo "ovudev: add $(PREFIX)/bin to PATH to call it as ovudev";; esac

# A release build copied to $(PREFIX)/bin (independent of this checkout).
install:
	$(SWIFT) build -c release
	@mkdir -p $(PREFIX)/bin
	install -m 0755 .build/release/ovudev $(PREFIX)/bin/ovudev
	@echo "ovudev: installed $(PREFIX)/bin/ovudev"

# The example stack, natively: PostgreSQL, Redis, provisioning, migrations, seeds, services, check.
up: deps build link
	$(BIN) validate
	$(BIN) up $(if $(SCENARIO),--scenario $(SCENARIO))

down: build
	$(BIN) down $(if $(SCENARIO),--scenario $(SCENARIO))

render: build
	$(BIN) render $(if $(SCENARIO),--scenario $(SCENARIO))

# Every test; per-test "started" and "passed" lines are left out (suites, failures and the
# closing line stay). The exit status is swift test's. Before and after: servers and folders
# that crashed tests left under $(TEST_TMPDIR)/ovudev-* are listed (and removed in CI).
# The tests' projects and servers live in TEST_TMPDIR: /dev/shm when it is a large tmpfs (see
# scripts/test-tmpdir.sh), else /tmp; `make test OVUDEV_TEST_TMPDIR=/tmp` runs them on disk.
TEST_TMPDIR = $(shell sh scripts/test-tmpdir.sh)
test: deps
	@TMPDIR=$(TEST_TMPDIR) sh scripts/test-leftovers.sh
	@echo "tests: projects and servers in $(TEST_TMPDIR)"
	TMPDIR=$(TEST_TMPDIR) PATH="$(VENV_BIN):$$PATH" $(SWIFT) test 2>&1 | grep --line-buffered -v -E ' started\.$$|^.{0,4}Test ([^ ]*\(|").* passed after [0-9.]+ seconds\.$$|^Test Case .* passed \('; status=$${PIPESTATUS[0]}; TMPDIR=$(TEST_TMPDIR) sh scripts/test-leftovers.sh; exit $$status

templates:     ## re-embed Templates/ into the binary after editing them
	python3 scripts/embed-templates.py

bench: build
	bash bench/render.sh
	bash bench/up.sh
	bash bench/provision.sh
	bash bench/backup.sh

clean:
	rm -rf .build render
