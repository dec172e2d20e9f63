"""pidlock_fuzzer: a libFuzzer target and the test that replays its corpus."""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_test")

def pidlock_fuzzer(name, deps = []):
    """Declares <name>_fuzzer and <name>_replay_test from <name>_fuzzer.cc.

    <name>_fuzzer: the libFuzzer binary. Tagged "manual" (it links only with
    `bazel build --config=fuzz`, which gives clang and -fsanitize=fuzzer) and
    "fuzzer".

    <name>_replay_test: the same source with the default compiler and
    replay_main.cc, run by `bazel test //...`: it replays every input of
    corpus/<name>/ once and fails if there is none or a check aborts.

    Args:
      name: the fuzzer's name without the _fuzzer suffix.
      deps: libraries the fuzzer's source needs besides the fuzz helpers.
    """
    src = name + "_fuzzer.cc"
    helpers = [
        ":fuzz_check",
        ":fuzzed_data_provider",
    ]
    cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        srcs = [src],
        tags = [
            "fuzzer",
            "manual",
        ],
        deps = deps + helpers,
    )
    cc_test(
        name = name + "_replay_test",
        size = "small",
        srcs = [src],
        args = ["fuzz/corpus/" + name],
        data = native.glob(["corpus/" + name + "/**"]),
        deps = deps + helpers + [":replay_main"],
    )
