# memopt: PostgreSQL 15 extension (C++17), built with PGXS.
# Main targets: make run | make stop | make test   (see README "Quick start").

# Prefer PostgreSQL 15's pg_config (Debian's /usr/bin/pg_config picks the newest).
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
export PG_CONFIG

MODULE_big = memopt
ENGINE_SRCS := $(sort $(wildcard src/engine/*.cpp))
PG_SRCS     := $(sort $(wildcard src/pg/*.cpp))
JIT_SRCS    := $(sort $(wildcard src/jit/*.cpp))
OBJS = $(patsubst %.cpp,%.o,$(ENGINE_SRCS) $(JIT_SRCS) $(PG_SRCS))
EXTENSION = memopt
DATA = sql/memopt--0.1.sql

# LLVM 14 (native compilation): headers only where src/jit includes them; the
# shared libLLVM-14 that PostgreSQL's own JIT loads (never a static LLVM).
LLVM_CONFIG ?= llvm-config-14
LLVM_INCLUDE := $(shell $(LLVM_CONFIG) --includedir 2>/dev/null)
LLVM_LIBDIR  := $(shell $(LLVM_CONFIG) --libdir 2>/dev/null)
LLVM_DEFINES := -D__STDC_CONSTANT_MACROS -D__STDC_FORMAT_MACROS -D__STDC_LIMIT_MACROS

PG_CPPFLAGS += -I$(srcdir)/include -I$(srcdir)/src/pg -I$(srcdir)/src/jit -isystem $(LLVM_INCLUDE) $(LLVM_DEFINES)
PG_CXXFLAGS += -std=c++17 -Wno-register -O2 -g -fno-semantic-interposition -MMD -MP
SHLIB_LINK += -lstdc++ -L$(LLVM_LIBDIR) -lLLVM-14
EXTRA_CLEAN = build src/engine/*.d src/jit/*.d src/pg/*.d tests/unit/memopt_unit_tests results regression.diffs regression.out output_iso tmp_check

# PGXS would also build LLVM bitcode with clang, which ignores our C++ flags.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
ifneq ($(MAJORVERSION),15)
$(error memopt needs PostgreSQL 15, but $(PG_CONFIG) is $(MAJORVERSION); set PG_CONFIG)
endif
else
# Fresh machine: PGXS is not there until `make deps` has run.
all install:
	@echo "PostgreSQL 15 server development files not found: run 'make deps' first" >&2; exit 1
endif

# ---------------------------------------------------------------------------
# Unit tests (GoogleTest): tests/unit/*.cpp + src/engine/*.cpp, no PostgreSQL.
# Objects go under build/<variant>/ so they never clash with the PGXS .o files.
UNIT_CXX      ?= g++
UNIT_CXXFLAGS  = -std=c++17 -O2 -g -pthread -Wall -Iinclude -Isrc/engine -Isrc/jit \
                 -isystem $(LLVM_INCLUDE) $(LLVM_DEFINES)
UNIT_LDLIBS    = -lgtest -lgtest_main -pthread -L$(LLVM_LIBDIR) -lLLVM-14
UNIT_SRCS     := $(sort $(wildcard tests/unit/*.cpp)) $(ENGINE_SRCS) $(JIT_SRCS)
SAN_asan       = -fsanitize=address,undefined -fno-omit-frame-pointer
SAN_tsan       = -fsanitize=thread
UNIT_BIN_unit  = tests/unit/memopt_unit_tests
UNIT_BIN_asan  = build/asan/memopt_unit_tests
UNIT_BIN_tsan  = build/tsan/memopt_unit_tests

# $(call unit_variant,NAME): objects, compile rule and link rule of one build.
define unit_variant
OBJS_$(1) := $$(patsubst %.cpp,build/$(1)/%.o,$$(UNIT_SRCS))
build/$(1)/%.o: %.cpp
	@mkdir -p $$(@D)
	$$(UNIT_CXX) $$(UNIT_CXXFLAGS) $$(SAN_$(1)) -MMD -MP -c $$< -o $$@
$$(UNIT_BIN_$(1)): $$(OBJS_$(1))
	@mkdir -p $$(@D)
	$$(UNIT_CXX) $$(UNIT_CXXFLAGS) $$(SAN_$(1)) -o $$@ $$^ $$(UNIT_LDLIBS)
-include $$(OBJS_$(1):.o=.d)
endef
$(foreach v,unit asan tsan,$(eval $(call unit_variant,$(v))))

# scripts/run-unit.sh skips when there is no tests/unit/*.cpp.
.PHONY: unit unit-asan unit-tsan
unit:
	+@scripts/run-unit.sh unit $(UNIT_BIN_unit)
unit-asan:
	+@scripts/run-unit.sh asan $(UNIT_BIN_asan)
unit-tsan:
	+@scripts/run-unit.sh tsan $(UNIT_BIN_tsan)

# ---------------------------------------------------------------------------
# Dependencies, development cluster, PostgreSQL test suites.
.PHONY: deps install-ext run stop test regress isolation tap format

deps:
	@scripts/install-deps.sh

# Build and install the extension (installing needs root, or sudo without a
# password; otherwise the installed copy is assumed current).
install-ext: all
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory install; \
	elif sudo -n true 2>/dev/null; then sudo -n $(MAKE) --no-print-directory install PG_CONFIG=$(PG_CONFIG); \
	else echo "install-ext: not root and no sudo: assuming memopt is installed"; fi

run: deps
	+@$(MAKE) --no-print-directory install-ext
	@scripts/run.sh

stop:
	@scripts/stop.sh

regress: install-ext
	@scripts/test-regress.sh

isolation: install-ext
	@scripts/test-isolation.sh

tap: install-ext
	@scripts/test-tap.sh

# All suites (unit, regress, isolation, tap); ends with "N passed, M failed".
test: deps
	+@scripts/test-all.sh

format:
	clang-format -i $$(find src include tests/unit tests/fuzz -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \))

# libFuzzer target for the native compiler (tests/fuzz/README.md):
# make fuzz [FUZZ_SECONDS=60]
FUZZ_CXX     ?= clang++-14
FUZZ_SECONDS ?= 60
FUZZ_FLAGS    = -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -Isrc/jit -isystem $(LLVM_INCLUDE) $(LLVM_DEFINES)
build/fuzz/native_fuzz: tests/fuzz/native_fuzz.cpp $(JIT_SRCS) $(wildcard src/jit/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -o $@ tests/fuzz/native_fuzz.cpp $(JIT_SRCS) -L$(LLVM_LIBDIR) -lLLVM-14
.PHONY: fuzz
fuzz: build/fuzz/native_fuzz
	@rm -rf build/fuzz/corpus && mkdir -p build/fuzz/corpus && cp tests/fuzz/corpus/* build/fuzz/corpus/
	ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 build/fuzz/native_fuzz \
	  -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
	  -artifact_prefix=build/fuzz/ build/fuzz/corpus

# Header dependencies of the extension's objects (written by -MMD).
-include $(wildcard src/engine/*.d src/jit/*.d src/pg/*.d)
