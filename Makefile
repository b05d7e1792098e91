# redis_ops.replication — developer and CI entry points. Each target installs what it needs on a fresh
# Debian 12 machine (Debian packages from requirements/debian.txt, the venvs, images) before it uses it.
#
#   make test      everything CI runs, including all set-up on a fresh machine
#   make lint      ansible-lint (production profile), changelog lint, and the make targets' install order
#   make sanity    ansible-test sanity on the newest ansible-core / Python
#   make unit      pure-Python unit tests
#   make rules     the Prometheus alert rules: promtool check + unit tests, and the rules on a real exporter's output
#   make modules   module tests against real redis-server / redis-sentinel processes
#   make modules-oldest   the same on the oldest ansible-core that requires_ansible claims
#   make docs      ansible-doc renders every module
#   make build     build the collection artifact and check what it contains
#   make molecule  Molecule scenarios on podman systemd hosts (SCENARIO=failover for one)
#   make clients   the test clients' Node packages (ioredis), for the failover scenario
#   make demo      the lab: 3 Debian 12 hosts with sshd, site.yml over SSH, a summary (make demo-destroy removes it)
#   make docs-check  role READMEs current (make role-docs writes them), antsibull-docs lint, galaxy-importer on the artifact, EE build context
#   make lab-test  the lab from scratch: site.yml twice (changed=0), health, the AWX ansible-runner test, destroy
#   make bench     measurements (bench/README.md; not part of make test)
#   make mutation  mutation testing of plugins/module_utils and plugins/filter (mutmut; not part of make test, ~30 min)
#   make deps      every Debian package of requirements/debian.txt
#   make home-check  Molecule leaves nothing in a throwaway HOME (Ansible state stays in .cache/)
#   make clean     remove the venvs, .build/ and .cache/ (what the tests installed)
#
# PYTEST_ARGS passes options through (e.g. make modules PYTEST_ARGS='-k sentinel -x'); MODULE_WORKERS=0 runs the
# module suites in one process instead of two pytest-xdist workers.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
BUILD := $(ROOT)/.build
COLL := $(BUILD)/ansible_collections/redis_ops/replication
VENV := $(ROOT)/.venv
VENV_OLD := $(ROOT)/.venv-oldest
PY_NEWEST_VERSION := 3.13
PY_OLDEST_VERSION := 3.12
# Debian packages: requirements/debian.txt lists them by group; a target that needs a group depends on
# deps-<group> before anything that uses it (scripts/check-make-deps.py, run by make lint, proves it).
DEPS_GROUPS := servers sanity containers lab clients
# Module tests run the modules with the interpreter a Debian 12 host has:
# /usr/bin/python3 and Debian's python3-redis (4.3), as the roles install it.
HOST_PYTHON := /usr/bin/python3
PYTEST_ARGS ?=
# The module suites run in this many pytest-xdist workers: their time goes into ansible-playbook runs and waits for
# servers, one core each, so two workers on the 2 vCPU of the CI machine almost halve it (README "Tests" has numbers).
# MODULE_WORKERS=0 runs them in the pytest process, one after another.
MODULE_WORKERS ?= 2
MODULES := $(basename $(notdir $(wildcard plugins/modules/*.py)))
# ansible-doc needs the collection's own copy, not one another tool installed elsewhere.
docs: export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false

export ANSIBLE_COLLECTIONS_PATH := $(BUILD)
# Ansible's, ansible-compat's and Molecule's state stays in the checkout, never in ~/.ansible: Molecule's prerun
# would otherwise install a copy of this collection into ~/.ansible/collections, which later runs outside make
# (and ansible-galaxy collection install) pick up silently. make home-check proves it; make clean removes it.
CACHE := $(ROOT)/.cache
export ANSIBLE_HOME := $(CACHE)/ansible
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := false
export ANSIBLE_NOCOLOR := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help test test-start home-check setup deps $(addprefix deps-,$(DEPS_GROUPS)) venv venv-oldest collection lint sanity unit rules modules \
	modules-oldest docs build clean containers molecule clients demo demo-destroy lab-test docs-check role-docs

help:
	@sed -n '2,/^$$/p' Makefile | sed 's/^# \{0,1\}//'

test: test-start setup lint unit rules sanity modules modules-oldest docs build molecule docs-check lab-test home-check
	@echo "make test: all checks passed"

test-start:
	@mkdir -p $(CACHE) && touch $(CACHE)/make-test.start

# Molecule with a throwaway HOME leaves nothing there, and this make test put no collection into ~/.ansible.
home-check: export PATH := $(VENV)/bin:$(PATH)
home-check: venv collection
	scripts/check-home-clean.sh $(VENV) $(wildcard $(CACHE)/make-test.start)

setup: deps venv venv-oldest collection

# Every Debian package any target needs (requirements/debian.txt), in one apt-get run.
deps:
	@scripts/debian-deps.sh $(DEPS_GROUPS)

$(addprefix deps-,$(DEPS_GROUPS)):
	@scripts/debian-deps.sh $(patsubst deps-%,%,$@)

venv: $(VENV)/.installed
$(VENV)/.installed: requirements/test.txt
	rm -rf $(VENV)
	"$$(scripts/find-python.sh $(PY_NEWEST_VERSION))" -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements/test.txt
	touch $@

venv-oldest: $(VENV_OLD)/.installed
$(VENV_OLD)/.installed: requirements/oldest.txt
	rm -rf $(VENV_OLD)
	"$$(scripts/find-python.sh $(PY_OLDEST_VERSION))" -m venv $(VENV_OLD)
	$(VENV_OLD)/bin/pip install -q --upgrade pip
	$(VENV_OLD)/bin/pip install -q -r requirements/oldest.txt
	touch $@

collection:
	@scripts/link-collection.sh >/dev/null

lint: export PATH := $(VENV)/bin:$(PATH)
lint: venv
	$(VENV)/bin/python scripts/check-make-deps.py
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/tooling
	$(VENV)/bin/python scripts/role-specs.py --check
	env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_COLLECTIONS_SCAN_SYS_PATH $(VENV)/bin/ansible-lint --profile production
	$(VENV)/bin/antsibull-changelog lint

sanity: deps-sanity venv collection
	@scripts/offline-get-pip.sh $(VENV)/bin/python >/dev/null
	cd $(COLL) && $(VENV)/bin/ansible-test sanity --venv --requirements --python $(PY_NEWEST_VERSION) --color no

unit: venv collection
	cd $(COLL) && PYTHONPATH=$(BUILD) $(VENV)/bin/python -m pytest -q tests/unit $(PYTEST_ARGS)

rules: deps-servers venv
	scripts/prometheus-tools.sh $(CACHE)/prometheus
	$(CACHE)/prometheus/bin/promtool check rules monitoring/prometheus/redis_ops.rules.yml
	cd tests/prometheus && $(CACHE)/prometheus/bin/promtool test rules rules_test.yml
	PROMETHEUS_TOOLS=$(CACHE)/prometheus $(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/prometheus $(PYTEST_ARGS)

modules: deps-servers venv collection
	cd $(COLL) && PYTHONPATH=$(BUILD) REDIS_OPS_MODULE_PYTHON=$(HOST_PYTHON) \
	  $(VENV)/bin/python -m pytest -q -n $(MODULE_WORKERS) tests/modules $(PYTEST_ARGS)

# The property test of the values the templates write (test_config_values.py) runs once, in `make modules`: what it
# proves is what redis-server reads back, the same whatever ansible-core renders the (pure-Python) filters.
# So do the multi-step scenarios marked long, except those marked oldest, the only test of their playbook
# (OLDEST_MARKERS=  runs them all here too): every module, lookup and playbook they chain runs on the oldest versions in
# the other tests; on 2 vCPU they would add about 3 minutes.
OLDEST_MARKERS ?= not long or oldest
modules-oldest: deps-servers venv-oldest collection
	cd $(COLL) && PYTHONPATH=$(BUILD) REDIS_OPS_MODULE_PYTHON=$(VENV_OLD)/bin/python \
	  $(VENV_OLD)/bin/python -m pytest -q -n $(MODULE_WORKERS) tests/modules --ignore=tests/modules/test_config_values.py \
	  $(if $(OLDEST_MARKERS),-m "$(OLDEST_MARKERS)") $(PYTEST_ARGS)

docs: venv collection
	@for m in $(MODULES); do \
	  $(VENV)/bin/ansible-doc redis_ops.replication.$$m > $(BUILD)/doc-$$m.txt 2> $(BUILD)/doc-$$m.err; \
	  if [ -s $(BUILD)/doc-$$m.err ] || ! grep -q "OPTIONS" $(BUILD)/doc-$$m.txt; then \
	    echo "ansible-doc redis_ops.replication.$$m failed:"; cat $(BUILD)/doc-$$m.err; exit 1; fi; \
	  echo "ansible-doc redis_ops.replication.$$m: ok"; \
	done
	@for r in redis_master redis_replica redis_sentinel; do \
	  $(VENV)/bin/ansible-doc -t role redis_ops.replication.$$r > $(BUILD)/doc-$$r.txt 2> $(BUILD)/doc-$$r.err; \
	  if grep -q "ERROR" $(BUILD)/doc-$$r.err || ! grep -q "redis_password" $(BUILD)/doc-$$r.txt; then \
	    echo "ansible-doc -t role redis_ops.replication.$$r failed:"; cat $(BUILD)/doc-$$r.err; exit 1; fi; \
	  echo "ansible-doc -t role redis_ops.replication.$$r: ok"; \
	done

build: venv
	scripts/check-build.sh $(VENV)/bin/ansible-galaxy

# podman with the settings this machine kind needs, and the debootstrap base images (cached).
containers: deps-containers
	scripts/containers-setup.sh
	scripts/containers-images.sh bookworm trixie

# The ioredis client the failover scenario runs next to redis-py (Node.js from Debian when missing).
clients: deps-clients tests/clients/node_modules/.installed
tests/clients/node_modules/.installed: tests/clients/package.json tests/clients/package-lock.json | deps-clients
	cd tests/clients && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Molecule finds this collection in .build/ and containers.podman (and ansible.posix) in the venv,
# from the ansible package. SCENARIO=name runs one scenario; the default runs them all.
SCENARIOS := default groups failover secure valkey debian13
SCENARIO ?=
molecule: export PATH := $(VENV)/bin:$(PATH)
molecule: export ANSIBLE_COLLECTIONS_PATH := $(BUILD):$(VENV)/lib/python$(PY_NEWEST_VERSION)/site-packages
molecule: venv collection containers clients
	@for scenario in $(or $(SCENARIO),$(SCENARIOS)); do \
	  echo "== molecule test -s $$scenario"; \
	  env -u ANSIBLE_COLLECTIONS_SCAN_SYS_PATH $(VENV)/bin/molecule test -s $$scenario || exit 1; \
	done

# Release hygiene on the artifact make build made: generated role READMEs, antsibull-docs on every plugin
# and role, galaxy-importer (tests/release/galaxy-importer.cfg: offline, no containers), ansible-doc for every role
# option, and the example execution environment (ansible-builder create; no image is built).
role-docs: venv
	$(VENV)/bin/python scripts/role-docs.py

docs-check: export PATH := $(VENV)/bin:$(PATH)
docs-check: venv collection build
	$(VENV)/bin/python scripts/role-docs.py --check
	cd $(COLL) && $(VENV)/bin/antsibull-docs lint-collection-docs --plugin-docs .
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/release tests/ee

# The lab (scripts/lab.sh): hosts lab1..lab3 on podman network redis-ops-lab, state in .lab/ (git-ignored).
demo: deps-lab venv collection containers
	VENV=$(VENV) scripts/lab.sh demo

demo-destroy:
	scripts/lab.sh destroy

# build: the AWX test installs the built artifact, as a project update installs collections.
lab-test: deps-lab venv collection containers build
	VENV=$(VENV) scripts/lab.sh test

clean:
	rm -rf $(BUILD) $(VENV) $(VENV_OLD) $(CACHE) $(ROOT)/.ansible

# Measurements operators feel (bench/run.py; not part of make test): converge and re-run time, scale,
# failover gap, switchover, module call time, live change. Writes bench/results/ (latest.md, JSON, plots).
# SUITES=failover,switchover,modules,converge,live,scale  BENCH_RUNS=3  BENCH_CONVERGE_RUNS=2
# BENCH_SCALE_RUNS=1  BENCH_QUICK=1 (smallest sizes, one run). About 50 min on 2 busy vCPU with the defaults.
.PHONY: bench
bench: export PATH := $(VENV)/bin:$(PATH)
bench: deps-servers venv collection containers $(VENV)/.bench-installed
	cd bench && $(VENV)/bin/python run.py

$(VENV)/.bench-installed: requirements/bench.txt $(VENV)/.installed
	$(VENV)/bin/pip install -q -r requirements/bench.txt
	touch $@

# Mutation testing (not part of make test): mutmut over plugins/module_utils/ and plugins/filter/ against the unit
# tests and the module tests listed in tests/mutation/setup.cfg (real servers: hence deps-servers), in a copy under
# .build/mutation/ (tests/mutation/run.sh). Prints the score and every surviving mutant; fails at 15% survivors or
# more. Survivors kept on purpose: tests/mutation/accepted.txt. MUTATION_JOBS=n workers. About 30 min here.
.PHONY: mutation
mutation: deps-servers venv collection $(VENV)/.mutation-installed
	tests/mutation/run.sh $(VENV)

$(VENV)/.mutation-installed: requirements/mutation.txt $(VENV)/.installed
	$(VENV)/bin/pip install -q -r requirements/mutation.txt
	touch $@
