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
 * ({@link ExampleValidator#againstSpec}) and is dropped, as the train job makes it a dead letter. Then the same for a
 * regression's target and {@code targetRange} ({@link #targets}). Not a test: the
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
    features(train, test, order);
    targets(train, test, order);
  }

  static void features(LabeledDataset train, LabeledDataset test, int[] order) {
    String softmax = "{\"algorithm\":\"softmax-regression\",\"inputDim\":784,\"numClasses\":10,\"batchSize\":128,"
        + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.001},\"seed\":42}";
    String[][] models = {
        {"softmax, standardised", softmax},
        {"softmax, not standardised", softmax.replace("\"seed\"", "\"standardize\":false,\"seed\"")},
        {"MLP-256, standardised", LearnBenchmark.mlpJson(784, 10, 128, 42, "")}};
    System.out.println("Test accuracy, one example's pixels all v:");
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

  /**
   * A regression on the same images: each one's class index as a real target (0 to 9), one example's target replaced
   * by {@code v}; test RMSE against the true indices. The last column's spec says {@code "targetRange"} [0, 9].
   */
  static void targets(LabeledDataset train, LabeledDataset test, int[] order) {
    String linear = "{\"algorithm\":\"linear-regression\",\"inputDim\":784,\"batchSize\":128,"
        + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.01},\"seed\":42}";
    String[][] models = {
        {"linear regression, Adam 0.01", linear},
        {"linear regression, SGD 0.001",
            linear.replace("\"adam\",\"learningRate\":0.01", "\"sgd\",\"learningRate\":0.001")},
        {"MLP-64 (ReLU), Adam 0.001", "{\"algorithm\":\"mlp\",\"inputDim\":784,\"loss\":\"squared-error\","
            + "\"layers\":[{\"units\":64,\"activation\":\"relu\"}],\"batchSize\":128,"
            + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.001},\"seed\":42}"}};
    System.out.println();
    System.out.println("Test RMSE, the class index as a regression target, one example's target v:");
    System.out.println("| model | no hostile target | 1e3 | 1e6 | 1e12 | 1e18 | 1e18 with targetRange [0, 9] |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (String[] model : models) {
      StringBuilder row = new StringBuilder("| " + model[0] + " | ");
      for (float value : new float[] {Float.NaN, 1e3f, 1e6f, 1e12f, 1e18f}) {
        row.append(String.format("%.4g | ", regression(model[1], train, test, order, value)));
      }
      String bounded = model[1].substring(0, model[1].length() - 1) + ",\"targetRange\":{\"min\":0,\"max\":9}}";
      row.append(String.format("%.4g |", regression(bounded, train, test, order, 1e18f)));
      System.out.println(row);
    }
  }

  /** Test RMSE after one pass with the target of the example at {@link #POSITION} {@code value} (NaN: as it is). */
  static double regression(String json, LabeledDataset train, LabeledDataset test, int[] order, float value) {
    OnlineLearner learner = onePass(json, train, order, value, false);
    int rows = test.labels().length;
    float[] predicted = new float[rows];
    learner.predictValues(test.features(), rows, predicted);
    double squares = 0;
    for (int i = 0; i < rows; i++) {
      double error = predicted[i] - test.labels()[i];
      squares += error * error;
    }
    return Math.sqrt(squares / rows);
  }

  /** Test accuracy after one pass with the example at {@link #POSITION} all {@code value}s (NaN: left as it is). */
  static double run(String json, LabeledDataset train, LabeledDataset test, int[] order, float value) {
    return SelectBenchmark.testAccuracy(onePass(json, train, order, value, true), test);
  }

  /**
   * One pass over {@code order} in the spec's minibatches, each example first judged by the jobs' own validator
   * (what it refuses is the train job's dead letter). The example at {@link #POSITION} carries {@code value} (unless
   * NaN): as every feature for a classifier ({@code classes}), as its target for a regression, whose targets are the
   * images' class indices.
   */
  private static OnlineLearner onePass(String json, LabeledDataset train, int[] order, float value,
      boolean classes) {
    ModelSpec spec = ModelSpec.parse(json);
    OnlineLearner learner = OnlineLearner.create(spec);
    int dim = train.dim();
    int batch = spec.batchSize();
    float[] x = new float[batch * dim];
    int[] labels = new int[batch];
    float[] targets = new float[batch];
    float[] weights = new float[batch];
    Arrays.fill(weights, 1f);
    int n = 0;
    for (int p = 0; p < order.length; p++) {
      boolean hostile = p == POSITION && !Float.isNaN(value);
      float[] row = Arrays.copyOfRange(train.features(), order[p] * dim, (order[p] + 1) * dim);
      int label = train.labels()[order[p]];
      float target = hostile && !classes ? value : label;
      if (hostile && classes) {
        Arrays.fill(row, value);
      }
      Example example = Example.newBuilder().setId("e" + p).setTask("t").setFeatures(Float32.pack(row))
          .setLabel(classes ? label : null).setTarget(classes ? null : (double) target).setEventTime(0).build();
      if (ExampleValidator.validate(example, spec) != null) {
        continue; // the train job's dead letter
      }
      System.arraycopy(row, 0, x, n * dim, dim);
      labels[n] = label;
      targets[n] = target;
      if (++n == batch) {
        train(learner, x, classes ? labels : null, targets, weights, n);
        n = 0;
      }
    }
    if (n > 0) {
      train(learner, x, classes ? labels : null, targets, weights, n);
    }
    return learner;
  }

  private static void train(OnlineLearner learner, float[] x, int[] labels, float[] targets, float[] weights, int n) {
    if (labels != null) {
      learner.trainMinibatch(x, labels, weights, n);
    } else {
      learner.trainMinibatch(x, targets, weights, n);
    }
  }
}
