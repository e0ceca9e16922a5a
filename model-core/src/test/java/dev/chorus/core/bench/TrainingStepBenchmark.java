package dev.chorus.core.bench;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.blas.BlasBackend;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.random.SplitMix64;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One {@link OnlineLearner#trainMinibatch} of 128 Fashion-MNIST-shaped examples (784 features in
 * {@code [0, 1]}, 10 classes) from a spec in the same JSON the jobs take, on each backend. Results are
 * microseconds per step; examples/s = {@code 128e6 / result}. The learner keeps training on the same
 * minibatch, which costs the same arithmetic as fresh data.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TrainingStepBenchmark {

  private static final int BATCH = 128;
  private static final int INPUTS = 784;
  private static final int CLASSES = 10;

  @Param({"softmax", "mlp256", "mlp256_averaged"})
  public String model;

  @Param({"NATIVE", "VECTOR_API", "JAVA"})
  public String backend;

  private OnlineLearner learner;
  private float[] x;
  private int[] y;

  @Setup
  public void setUp() {
    String json = switch (model) {
      case "softmax" -> "{\"algorithm\":\"softmax-regression\",\"inputDim\":784,\"numClasses\":10,\"batchSize\":128,"
          + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.001},\"seed\":42}";
      case "mlp256" -> "{\"algorithm\":\"mlp\",\"inputDim\":784,\"numClasses\":10,"
          + "\"layers\":[{\"units\":256,\"activation\":\"relu\"}],\"batchSize\":128,"
          + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.001},\"seed\":42}";
      // The same MLP predicting from averaged weights: one sscal and one saxpy over its weights per step more.
      case "mlp256_averaged" -> "{\"algorithm\":\"mlp\",\"inputDim\":784,\"numClasses\":10,"
          + "\"layers\":[{\"units\":256,\"activation\":\"relu\"}],\"batchSize\":128,"
          + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.001},\"averaging\":{\"decay\":0.99},\"seed\":42}";
      default -> throw new IllegalArgumentException("model must be softmax, mlp256 or mlp256_averaged, got " + model);
    };
    // The facade as training uses it, small-operation shortcut included; unavailable backends fail here.
    learner = OnlineLearner.create(ModelSpec.parse(json), Blas.forBackend(BlasBackend.valueOf(backend)));
    SplitMix64 rng = SplitMix64.seeded(7);
    x = new float[BATCH * INPUTS];
    y = new int[BATCH];
    for (int i = 0; i < x.length; i++) {
      x[i] = rng.nextFloat();
    }
    for (int i = 0; i < BATCH; i++) {
      y[i] = (int) Long.remainderUnsigned(rng.nextLong(), CLASSES);
    }
  }

  @Benchmark
  public double trainMinibatch() {
    return learner.trainMinibatch(x, y, null, BATCH);
  }
}
