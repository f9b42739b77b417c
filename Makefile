# ovudev — the two commands of the quick start are `make up` and `make test`.
SWIFT ?= swift
BIN := .build/debug/ovudev
SCENARIO ?=

.PHONY: deps build up down render test templates bench clean

deps:          ## install missing Debian packages and Python tools
	@sh scripts/install-deps.sh

build:
	$(SWIFT) build

# The example stack, natively: PostgreSQL, Redis, provisioning, migrations, seeds, services, check.
up: deps build
	$(BIN) validate
	$(BIN) up $(if $(SCENARIO),--scenario $(SCENARIO))

down: build
	$(BIN) down $(if $(SCENARIO),--scenario $(SCENARIO))

render: build
	$(BIN) render $(if $(SCENARIO),--scenario $(SCENARIO))

test: deps
	$(SWIFT) test

templates:     ## re-embed Templates/ into the binary after editing them
	python3 scripts/embed-templates.py

bench: build
	bash bench/render.sh
	bash bench/up.sh
	bash bench/provision.sh
	bash bench/backup.sh

clean:
	rm -rf .build render
