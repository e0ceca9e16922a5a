package dev.chorus.core.bench;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.WideDeepBatch;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.tensor.SparseBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * The hashed models' minibatch step and snapshot ({@code toBytes}) as the train job runs them on the package
 * catalogue's shape: minibatches of 32 examples of four named fields (name parts, description words, dependencies,
 * maintainer; about 20 tokens, most from a vocabulary of 5,000 frequent ones, some rare), FTRL (α 0.3, β 0.001) on
 * the wide part. Models: the 58-class softmax and wide &amp; deep ({@code bench sparse}'s e2e lines) at 2^20 dims,
 * and a binary logistic regression at 2^20 and 2^24 (58 outputs at 2^24 would be 16 GB). Each model is first
 * trained on 300 minibatches (about 60,000 rows written), the size a snapshot then has. Results are µs per call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx8g")
public class SparseStepBenchmark {

  private static final int BATCH = 32;
  private static final int CLASSES = 58;
  private static final int MINIBATCHES = 300;
  private static final List<String> FIELDS = List.of("name", "description", "depends", "maintainer");
  private static final String FTRL = "{\"type\":\"ftrl\",\"alpha\":0.3,\"beta\":0.001}";

  @Param({"softmax58_b20", "widedeep58_b20", "logistic_b20", "logistic_b24"})
  public String model;

  private SparseLinearModel linear;
  private WideDeepModel wideDeep;
  private final List<SparseBatch> sparse = new ArrayList<>();
  private final List<WideDeepBatch> named = new ArrayList<>();
  private final List<int[]> labels = new ArrayList<>();
  private int next;

  @Setup
  public void setUp() {
    int bits = model.endsWith("b24") ? 24 : 20;
    String hashing = "{\"bits\":" + bits + ",\"fields\":[\"name\",\"description\",\"depends\",\"maintainer\"]}";
    boolean binary = model.startsWith("logistic");
    String head = binary ? "\"algorithm\":\"logistic-regression\",\"numClasses\":2"
        : "\"algorithm\":\"softmax-regression\",\"numClasses\":" + CLASSES;
    ModelSpec spec = ModelSpec.parse(model.startsWith("widedeep")
        ? "{\"algorithm\":\"wide-deep\",\"numClasses\":" + CLASSES + ",\"hashing\":" + hashing
            + ",\"embeddings\":{\"dim\":16,\"buckets\":100000,\"combiner\":\"mean\",\"fields\":"
            + "[\"name\",\"description\",\"depends\",\"maintainer\"]},\"layers\":[{\"units\":64,"
            + "\"activation\":\"relu\",\"init\":\"he-normal\"}],\"standardize\":false,\"batchSize\":32,"
            + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.001},\"wideOptimizer\":" + FTRL + ",\"seed\":42}"
        : "{" + head + ",\"hashing\":" + hashing + ",\"standardize\":false,\"batchSize\":32,\"optimizer\":" + FTRL
            + "}");
    FeatureHasher hasher = new FeatureHasher(spec.hashing());
    SplitMix64 rng = SplitMix64.seeded(7);
    for (int b = 0; b < MINIBATCHES; b++) {
      WideDeepBatch batch = spec.embeddings() != null ? new WideDeepBatch(spec) : null;
      SparseBatch rows = new SparseBatch(spec.inputDim());
      int[] y = new int[BATCH];
      for (int r = 0; r < BATCH; r++) {
        Map<String, Object> fields = Map.of("name", tokens(rng, 3), "description", tokens(rng, 10),
            "depends", tokens(rng, 6), "maintainer", token(rng));
        if (batch != null) {
          batch.add(fields);
        }
        var x = hasher.hash(fields);
        rows.add(x.indices(), x.values());
        y[r] = (int) Long.remainderUnsigned(rng.nextLong(), binary ? 2 : CLASSES);
      }
      named.add(batch);
      sparse.add(rows);
      labels.add(y);
    }
    if (spec.algorithm().equals(ModelSpec.WIDE_DEEP)) {
      wideDeep = WideDeepModel.create(spec);
    } else {
      linear = SparseLinearModel.create(spec);
    }
    for (int b = 0; b < MINIBATCHES; b++) {
      trainMinibatch();
    }
  }

  /** A token: one of 5,000 frequent ones three times in four, else one of 10^7 rare ones. */
  private static String token(SplitMix64 rng) {
    long draw = Long.remainderUnsigned(rng.nextLong(), 4_000_000_000L);
    return draw % 4 != 0 ? "t" + draw % 5_000 : "r" + draw % 10_000_000;
  }

  private static List<String> tokens(SplitMix64 rng, int count) {
    List<String> tokens = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      tokens.add(token(rng));
    }
    return tokens;
  }

  @Benchmark
  public double trainMinibatch() {
    int b = next++ % MINIBATCHES;
    return linear != null ? linear.trainMinibatch(sparse.get(b), labels.get(b), null)
        : wideDeep.trainMinibatch(named.get(b), labels.get(b), null);
  }

  @Benchmark
  public byte[] snapshot() {
    return linear != null ? linear.toBytes() : wideDeep.toBytes();
  }
}
