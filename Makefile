# The front door: `make run` and `make test` set everything up on a fresh Debian 12 machine
# (as root: missing packages are installed with apt-get), build with meson into build/, and
# run the default model or the whole test suite.

BUILD     ?= build
MESONOPTS ?= --buildtype=release -Dwerror=true -Dnative=true
DEPS      := meson ninja-build pkg-config gcc libc6-dev libhwloc-dev check libyaml-dev \
             librandom123-dev libxxhash-dev libgsl-dev libsleef-dev
SAN_DEPS  := clang libomp-dev
# the independent reference the tests compare plasticity against
TEST_DEPS := python3-brian python3-numpy

.PHONY: all deps build run test sanitize asan tsan clean format

all: build

# Installs the Debian packages that are missing (nothing when all are there).
deps:
	@missing=""; for p in $(DEPS) $(EXTRA_DEPS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD) $(MESONOPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	./$(BUILD)/hebb

test: build
	$(MAKE) --no-print-directory deps EXTRA_DEPS="$(TEST_DEPS)"
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

# Unit and end-to-end tests under AddressSanitizer + UndefinedBehaviorSanitizer, and the
# threaded engine tests under ThreadSanitizer (clang with LLVM's libomp, whose barriers carry
# ThreadSanitizer annotations; the runtime's own uninstrumented internals are ignored).
# Without the epoch barrier, the tsan run reports the race on the outboxes.
sanitize: asan tsan

asan:
	$(MAKE) deps EXTRA_DEPS="$(SAN_DEPS)"
	[ -f build-asan/build.ninja ] || meson setup build-asan --buildtype=debug -Dwerror=true \
	  -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	HEBB_E2E_DURATION=200ms \
	  meson test -C build-asan --print-errorlogs --num-processes 2 --suite unit --suite e2e \
	  --no-suite slow --no-suite stats --timeout-multiplier 4

tsan:
	$(MAKE) deps EXTRA_DEPS="$(SAN_DEPS)"
	[ -f build-tsan/build.ninja ] || CC=clang meson setup build-tsan --buildtype=debugoptimized \
	  -Dwerror=true -Db_sanitize=thread -Db_lundef=false
	ninja -C build-tsan
	TSAN_OPTIONS='halt_on_error=1 ignore_noninstrumented_modules=1' HEBB_E2E_DURATION=200ms \
	  meson test -C build-tsan --print-errorlogs --num-processes 1 --suite threads \
	  --timeout-multiplier 8

format:
	clang-format -i engine/*.[ch] io/*.[ch] io/tools/*.c include/*.h tests/*.c tests/fuzz/*.c

clean:
	rm -rf $(BUILD) build-asan build-tsan
