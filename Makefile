# multiregion.dr: one-command set-up, tests and demo. Everything runs from .venv.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SITE := $(VENV)/lib/python3.11/site-packages
STAMP := $(VENV)/.setup-stamp
COLLECTION_LINK := .collections/ansible_collections/multiregion/dr
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# The simulator the demo and tests use (tests start their own on free ports).
export REGIONSIM_PORT ?= 4566
export REGIONSIM_STATE_DIR ?= $(CURDIR)/.regionsim
# Three workers on two cores: the end-to-end runs wait on the simulator and on amazon.aws's fixed sleeps a third of
# the time (vmstat: 34% idle with two workers, 22% with three; pytest 1140 -> about 950 s). Every xdist worker starts
# its own simulator. One test handed out at a time (xdist would send each worker a contiguous chunk, all the slow
# tests to one): the slowest first (tests/conftest.py), then whoever is free.
PYTEST_ARGS ?= -n 3 --maxschedchunk 1 --durations=15

.PHONY: setup servers test check unit sim-test integration sanity lint demo auto-demo sim-start sim-stop clean build ee-context benchmark

setup: $(STAMP) $(COLLECTION_LINK) servers

# MariaDB and Redis behind regionsim's data plane: apt-get as root when missing, else a message naming the packages.
servers:
	@bash tools/setup-servers.sh

$(STAMP): requirements-dev.txt constraints.txt tools/regionsim/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -r requirements-dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e tools/regionsim
	@touch $(STAMP)

# This checkout is the collection: make it visible as multiregion.dr (ansible.cfg collections_path).
$(COLLECTION_LINK):
	@mkdir -p $(dir $(COLLECTION_LINK))
	@ln -sfn ../../.. $(COLLECTION_LINK)

# sanity and lint beside the tests: the tests leave a core idle a fifth of the time, which sanity and lint (mostly
# one process each) fill. The tests print as they go; sanity's and lint's output follows them. Fails if any fails.
STATIC_LOG := $(VENV)/static-checks.log
test: setup
	@$(MAKE) --no-print-directory -j2 --output-sync=target sanity lint > $(STATIC_LOG) 2>&1 & static=$$!; \
	$(BIN)/pytest $(PYTEST_ARGS) tools/regionsim/tests tests examples/app/tests; tests=$$?; \
	wait $$static; static=$$?; cat $(STATIC_LOG); \
	echo "make test: pytest $$([ $$tests = 0 ] && echo passed || echo FAILED), sanity and lint $$([ $$static = 0 ] && echo passed || echo FAILED)"; \
	[ $$tests = 0 ] && [ $$static = 0 ]

# The quick loop: lint, sanity and the unit tests side by side, no simulator and no playbook run.
check: setup
	$(MAKE) --no-print-directory -j3 --output-sync sanity lint unit

unit: setup
	$(BIN)/pytest $(PYTEST_ARGS) tests/unit

sim-test: setup
	$(BIN)/pytest $(PYTEST_ARGS) tools/regionsim/tests

integration: setup
	$(BIN)/pytest $(PYTEST_ARGS) tests/integration

# ansible-test wants .../ansible_collections/multiregion/dr and a real copy (not a symlink).
# Its pip bootstrap download is unreachable offline: a stand-in (ansible-core 2.19 asks for pip 24.2).
GET_PIP := $(HOME)/.ansible/test/cache/get_pip_24_2.py
$(GET_PIP): tools/get_pip_standin.py
	@mkdir -p $(dir $@)
	cp $< $@

sanity: setup $(GET_PIP)
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	dest=$$tmp/ansible_collections/multiregion/dr; mkdir -p $$dest; \
	git ls-files -co --exclude-standard | grep -v -E '^(tools|benchmarks|examples|\.ci)/' | tar -cf - -T - | tar -xf - -C $$dest; \
	ln -s $(CURDIR)/$(SITE)/ansible_collections/amazon $$tmp/ansible_collections/amazon; \
	ln -s $(CURDIR)/$(SITE)/ansible_collections/community $$tmp/ansible_collections/community; \
	cd $$dest && ansible-test sanity --local --python 3.11 --color no $(SANITY_ARGS)

lint: setup
	$(BIN)/ansible-lint --profile production

demo: setup
	bash tools/demo.sh

# Automatic failover with the real ansible-rulebook on its own simulator: the primary region goes down, the rulebook
# fails over; the region comes back, the rulebook fences it. Narrated as it happens, with the times it took.
auto-demo: setup
	$(BIN)/python benchmarks/auto_failover.py

sim-start: setup
	$(BIN)/regionsim start

sim-stop:
	-$(BIN)/regionsim stop

build: setup
	$(BIN)/ansible-galaxy collection build --force

# Timing figures, each on its own simulator on a free port (prints tables, asserts nothing).
benchmark: setup
	$(BIN)/python benchmarks/provision.py
	$(BIN)/python benchmarks/failover.py
	$(BIN)/python benchmarks/failover.py --mitogen
	$(BIN)/python benchmarks/drills.py --mitogen

# The AWX execution environment's build context (docs/awx.md): the collection tarball from the files git knows,
# where execution-environment.yml picks it up, then ansible-builder create. Build the image from build/ee/context.
ee-context: setup
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	git ls-files -co --exclude-standard | grep -v -E '^(tools|benchmarks|\.ci|build)/' | tar -cf - -T - | tar -xf - -C $$tmp; \
	rm -rf build/ee; $(BIN)/ansible-galaxy collection build --output-path $(CURDIR)/build/ee $$tmp
	$(BIN)/ansible-builder create -f execution-environment.yml --context build/ee/context --output-filename Containerfile

clean:
	rm -rf $(VENV) .collections .regionsim tests/output reports build/ee multiregion-dr-*.tar.gz
