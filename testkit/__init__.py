"""What the tests and the benchmarks share: the hostile corpus (hostile/), the fuzzer's seeds
and mutations (mutations.py) and loopback helpers for servers (net.py).

A package of its own so that bench/ never imports tests/ (bench/soak.py, fuzz.py and
fanout.py use these, and so do tests/). It depends on the engine and the handlers' error
codes, never the other way round, and is neither shipped nor collected by pytest."""
