package dev.chorus.core.bench;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.saved.SavedModels;
import dev.chorus.core.tensor.SparseBatch;
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
 * What the serve job pays to load a model version, and the share of it that the finite check
 * ({@link Predictor#firstNonFinite}) takes: {@code read} is {@link SavedModels#read} (decode, build, check), {@code
 * check} the check alone on the model read. Models: Fashion-MNIST's MLP-256 (784 inputs, 203,264 weights), and a
 * 20-class hashed softmax at 2^20 dimensions (21 million weights) trained on 300 minibatches of 32 rows of 20
 * features (175,568 written rows, which its bytes hold, so the check reads the whole table in one pass), and the
 * same after one minibatch ({@code _fresh}: 641 rows, read one by one). Results are µs per call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx4g")
public class SavedModelReadBenchmark {

  private static final int STRIDE = (1 << 20) / 20;

  @Param({"mlp256", "hashed20_b20", "hashed20_b20_fresh"})
  public String model;

  private byte[] bytes;
  private Predictor read;

  @Setup
  public void setUp() {
    Predictor trained;
    if (model.equals("mlp256")) {
      trained = OnlineLearner.create(ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":784,\"numClasses\":10,"
          + "\"layers\":[{\"units\":256,\"activation\":\"relu\"}],\"seed\":1}"));
    } else {
      SparseLinearModel hashed = SparseLinearModel.create(ModelSpec.parse("{\"algorithm\":\"softmax-regression\","
          + "\"numClasses\":20,\"hashing\":{\"bits\":20},\"standardize\":false,"
          + "\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.1}}"));
      SplitMix64 rng = SplitMix64.seeded(7);
      SparseBatch batch = new SparseBatch(1 << 20);
      int[] labels = new int[32];
      for (int step = 0; step < (model.endsWith("fresh") ? 1 : 300); step++) {
        batch.clear();
        for (int r = 0; r < 32; r++) {
          int[] indices = new int[20];
          float[] values = new float[20];
          for (int f = 0; f < 20; f++) {
            indices[f] = f * STRIDE + (int) ((rng.nextLong() >>> 1) % STRIDE); // increasing, as a row must be
            values[f] = 1f;
          }
          batch.add(indices, values);
          labels[r] = (int) ((rng.nextLong() >>> 1) % 20);
        }
        hashed.trainMinibatch(batch, labels, null);
      }
      trained = hashed;
    }
    bytes = trained.toBytes();
    read = SavedModels.read(bytes);
  }

  @Benchmark
  public Predictor read() {
    return SavedModels.read(bytes);
  }

  @Benchmark
  public String check() {
    return read.firstNonFinite();
  }
}
