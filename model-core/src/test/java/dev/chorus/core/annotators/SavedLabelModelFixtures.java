package dev.chorus.core.annotators;

import dev.chorus.core.model.HiddenLayerSpec;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.optim.AdamSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Builds the label model every {@code <method>-vN.bin} fixture of {@link SavedLabelModelCompatibilityTest} holds,
 * as its Javadoc describes: inputDim 4, 3 classes, batch 8, Adam(0.05), seed 5, bounds (4 annotators, 64 items, age
 * 1000, 4 labels per item), 3 minibatches of 8 label events. {@code main} writes a new format's files; run it once
 * per format with the test classpath and commit what it wrote, never over an existing file. A weighted-doctor-net
 * built now trains as it does since session 9 (an item's only label leaves its annotator's confusion alone), not as
 * its v1–v4 fixtures were trained.
 */
final class SavedLabelModelFixtures {

  private SavedLabelModelFixtures() {}

  /** The trained fixture model of {@code method}: softmax regression for dawid-skene, else an mlp of 6 tanh units. */
  static LabelModel build(String method) {
    ModelSpec classifier = method.equals(DawidSkeneLabelModel.NAME) ? ModelSpec.softmaxRegression(4, 3)
        : ModelSpec.mlp(4, 3, List.of(HiddenLayerSpec.of(6, ActivationFunction.TANH)));
    LabelModelSpec config = new LabelModelSpec(method, 4, 64, 1000, 4);
    ModelSpec spec = classifier.withBatchSize(8).withOptimizer(AdamSpec.withLearningRate(0.05)).withSeed(5)
        .withLabelModel(config);
    LabelModel model = LabelModels.create(spec, config);
    String[] who = {"a", "b", "c"};
    for (int batch = 0; batch < 3; batch++) {
      float[] x = new float[8 * 4];
      long[] items = new long[8];
      String[] annotators = new String[8];
      int[] labels = new int[8];
      for (int e = 0; e < 8; e++) {
        int i = batch * 8 + e;
        int item = i / 2;
        int truth = item % 3;
        for (int f = 0; f < 4; f++) {
          x[e * 4 + f] = (float) (Math.sin(3 * item + f) * (f + 1) + truth);
        }
        items[e] = item;
        annotators[e] = who[i % 3];
        labels[e] = who[i % 3].equals("c") ? (truth + 1) % 3 : truth;
      }
      model.train(x, items, annotators, labels, 8);
    }
    return model;
  }

  /** Writes {@code <method>-v<FORMAT_VERSION>.bin} for each method named into {@code args[0]}, refusing to overwrite. */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args[0]);
    for (int a = 1; a < args.length; a++) {
      Path file = dir.resolve(args[a] + "-v" + LabelModels.FORMAT_VERSION + ".bin");
      if (Files.exists(file)) {
        throw new IOException(file + " exists: a committed fixture never changes");
      }
      Files.write(file, build(args[a]).toBytes());
    }
  }
}
