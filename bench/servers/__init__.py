"""What bench/stacks.py serves the relay with: ``serve.py`` (one stack a process) and
``picows_relay`` (the relay straight on picows). Helpers of a benchmark, not benchmarks."""
