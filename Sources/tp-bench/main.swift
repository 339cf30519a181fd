import TensorPrograms
print("tp-bench: no benchmarks yet")
