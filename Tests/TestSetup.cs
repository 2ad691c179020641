// libtorch uses both cores per op; running torch tests in parallel only oversubscribes a 2-core machine.
[assembly: DoNotParallelize]
