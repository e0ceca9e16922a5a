package dev.chorus.cli.bench;

import dev.chorus.cli.data.FashionMnist;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What one hostile example does to a model, and what a spec's {@code featureRange} does about it: Fashion-MNIST's
 * training split streamed once (seed 42's order, minibatches of 128) into softmax regression (standardised and not)
 * and the MLP-256 of {@code bench learn}, with the example at stream position 1,000 replaced by one whose every pixel
 * is {@code v}; test accuracy after the pass. With the range, the example goes through the jobs' own check
 * ({@link ExampleValidator#againstSpec}) and is dropped, as the train job makes it a dead letter. Not a test: the
 * figures are in docs/BENCHMARKS.md. Run with {@code ./mvnw -q -pl cli test-compile exec:exec
 * -Dexec.executable=java -Dexec.classpathScope=test -Dexec.args="--add-modules=jdk.incubator.vector -cp %classpath
 * dev.chorus.cli.bench.OneHostileRow [data directory]"}.
 */
public final class OneHostileRow {

  static final int POSITION = 1_000;
  static final float[] VALUES = {255, 1e3f, 1e6f, 1e18f};
  static final String RANGE = ",\"featureRange\":{\"min\":0,\"max\":1}}";

  private OneHostileRow() {}

  public static void main(String[] args) throws Exception {
    Path dir = args.length > 0 ? Path.of(args[0]) : FashionMnist.DEBIAN_DIR;
    LabeledDataset train = FashionMnist.fromDirectory(dir, "train");
    LabeledDataset test = FashionMnist.fromDirectory(dir, "t10k");
    int[] order = LearnBenchmark.shuffledOrder(train.labels().length, SplitMix64.seeded(42));
    String softmax = "{\"algorithm\":\"softmax-regression\",\"inputDim\":784,\"numClasses\":10,\"batchSize\":128,"
        + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.001},\"seed\":42}";
    String[][] models = {
        {"softmax, standardised", softmax},
        {"softmax, not standardised", softmax.replace("\"seed\"", "\"standardize\":false,\"seed\"")},
        {"MLP-256, standardised", LearnBenchmark.mlpJson(784, 10, 128, 42, "")}};
    System.out.println("| model | no hostile row | 255 | 1e3 | 1e6 | 1e18 | 1e18 with featureRange [0, 1] |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (String[] model : models) {
      StringBuilder row = new StringBuilder("| " + model[0] + " | ");
      row.append(String.format("%.4f | ", run(model[1], train, test, order, Float.NaN)));
      for (float value : VALUES) {
        row.append(String.format("%.4f | ", run(model[1], train, test, order, value)));
      }
      String bounded = model[1].substring(0, model[1].length() - 1) + RANGE;
      row.append(String.format("%.4f |", run(bounded, train, test, order, 1e18f)));
      System.out.println(row);
    }
  }

  /** Test accuracy after one pass with the example at {@link #POSITION} all {@code value}s (NaN: left as it is). */
  static double run(String json, LabeledDataset train, LabeledDataset test, int[] order, float value) {
    ModelSpec spec = ModelSpec.parse(json);
    OnlineLearner learner = OnlineLearner.create(spec);
    int dim = train.dim();
    int batch = spec.batchSize();
    float[] x = new float[batch * dim];
    int[] y = new int[batch];
    float[] weights = new float[batch];
    Arrays.fill(weights, 1f);
    int n = 0;
    for (int p = 0; p < order.length; p++) {
      float[] row = Arrays.copyOfRange(train.features(), order[p] * dim, (order[p] + 1) * dim);
      if (p == POSITION && !Float.isNaN(value)) {
        Arrays.fill(row, value);
      }
      Example example = Example.newBuilder().setId("e" + p).setTask("t").setFeatures(Float32.pack(row))
          .setLabel(train.labels()[order[p]]).setEventTime(0).build();
      if (ExampleValidator.validate(example, spec) != null) {
        continue; // the train job's dead letter
      }
      System.arraycopy(row, 0, x, n * dim, dim);
      y[n] = train.labels()[order[p]];
      if (++n == batch) {
        learner.trainMinibatch(x, y, weights, n);
        n = 0;
      }
    }
    if (n > 0) {
      learner.trainMinibatch(x, y, weights, n);
    }
    return SelectBenchmark.testAccuracy(learner, test);
  }
}
