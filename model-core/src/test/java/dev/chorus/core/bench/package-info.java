/**
 * JMH micro-benchmarks of model-core: BLAS kernels on every backend ({@link BlasKernelsBenchmark}), the
 * size below which the {@code Blas} facade's plain Java loops beat a JNI call ({@link SmallOpThresholdBenchmark})
 * whole training steps ({@link TrainingStepBenchmark}) and the hashed models' step and snapshot
 * ({@link SparseStepBenchmark}). They live in the test tree, so surefire, which
 * runs only {@code *Test} classes, never runs them, and JMH's annotation processor generates their harness
 * code at test-compile.
 *
 * <p>Run them from the repository root (JMH forks JVMs with the same flags as the launching one, so the
 * Vector API module flag reaches the forks):
 * <pre>{@code
 * ./mvnw -q -pl model-core test-compile exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *   -Dexec.args="--add-modules=jdk.incubator.vector -cp %classpath org.openjdk.jmh.Main BlasKernels -f 1 -wi 3 -i 5"
 * }</pre>
 * The last words are JMH's own arguments: a regular expression selecting benchmarks ({@code BlasKernels},
 * {@code SmallOpThreshold}, {@code TrainingStep}, {@code SparseStep}, or none for all), then options such as {@code -p backend=NATIVE}
 * to pick parameters, {@code -rf json -rff results.json} to save results, {@code -h} for the rest. A backend
 * that cannot load on this machine fails its own parameter combinations with the reason and leaves the others
 * running. {@code exec:exec} rather than {@code exec:java}: JMH forks new JVMs from the launching JVM's class
 * path, which inside Maven's own JVM would not contain the benchmarks.
 */
package dev.chorus.core.bench;
